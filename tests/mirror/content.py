"""Hand-written content of the mirror, with the values a correct extraction must produce.

One Arabic article is the real page kept verbatim in ``content/real_ar_527c77f4d0382ed9.txt``;
the others are written for the mirror. Each entry states its expected title, printed date
(``published_raw``), ISO date (``published``, Moscow time when a time is printed) and source
(``{"name": canonical name from crawler/config/sources.yaml or None, "raw": the name as printed, without the label}``).
The expected body is derived from ``paragraphs`` only (tags stripped, whitespace collapsed).

``build_site()`` returns a fresh, independent ``MirrorSite`` each call.
"""

from __future__ import annotations

import copy
from pathlib import Path

from .site import NBSP, Article, MirrorSite, StaticPage, text_of

REAL_AR_FILE = Path(__file__).with_name("content") / "real_ar_527c77f4d0382ed9.txt"
REAL_AR_ID = 9876
REAL_AR_SLUG = "روسيا-وتركيا-بصدد-إطلاق-مجموعة-عمل-مشتركة-حول-ليبيا"
GROUP_LINE_AR = 'مجموعة الرؤية الاستراتيجية "روسيا - العالم الإسلامي"'


def real_arabic_article() -> dict:
    """The real page: title, Arabic-Indic date, paragraphs with nbsp separators exactly as published.

    The text file holds one item per line, blank lines between; NBSP-only items are the
    ``<p>&nbsp;</p>`` separators; the group's name and ``المصدر: تاس`` close the page.
    """
    lines = [line for line in REAL_AR_FILE.read_text(encoding="utf-8").split("\n") if line != ""]
    switcher, title, printed, *rest = lines
    footer_at = rest.index(GROUP_LINE_AR)
    blocks, source_line = rest[:footer_at], rest[footer_at + 1]
    while blocks and blocks[-1] == NBSP:  # the separator before the footer is the template's own
        blocks.pop()
    assert switcher == "Ru En" and source_line == "المصدر: تاس"
    return dict(
        id=REAL_AR_ID, language="ar", slug=REAL_AR_SLUG, layout="modern", title=title,
        published="2020-07-22", published_raw=printed,
        paragraphs=[b for b in blocks if b != NBSP], body_markup="blocks", blocks=blocks,
        source_html=source_line, source={"name": "TASS", "raw": "تاس"}, in_sitemap=True, picture=True,
    )


RU = [
    dict(
        id=17191, language="ru", layout="modern",
        slug="press-reliz-informacionnoj-vstreci-rukovodstva-gsv-s-poslami-stran-ois-9-iuna-2021",
        title="Пресс-релиз информационной встречи руководства ГСВ с послами стран ОИС 9 июня 2021",
        published="2021-06-09T14:30:00+03:00", published_raw="09 июня 2021 14:30",
        paragraphs=[
            "9 июня 2021 года в Москве состоялась информационная встреча руководства Группы стратегического "
            "видения «Россия – Исламский мир» с главами дипломатических миссий государств – членов "
            "Организации исламского сотрудничества, аккредитованных в Российской Федерации.",
            "Открывая встречу, председатель Группы Раис Республики Татарстан Рустам Минниханов напомнил, что "
            "Группа была создана в 2006 году по инициативе Евгения Примакова и за прошедшие годы стала "
            "авторитетной площадкой для диалога между Россией и мусульманским миром.",
            "Послы были проинформированы о подготовке очередного заседания Группы, которое планируется "
            "провести осенью в Стамбуле, а также о работе над совместными гуманитарными и образовательными "
            "проектами, в том числе о программе обмена студентами исламских вузов.",
            "Участники встречи обсудили последствия пандемии коронавирусной инфекции для экономик исламских "
            "государств и возможности расширения сотрудничества в сфере халяль-индустрии и исламских финансов.",
            "Дипломаты высоко оценили деятельность Группы и выразили готовность содействовать реализации "
            "намеченных инициатив. По итогам встречи было принято решение проводить подобные консультации "
            "на регулярной основе.",
        ],
        caption="Участники встречи с послами стран ОИС в Москве", photo_credit="Фото: ТАСС",
        tags=["ОИС", "Рустам Минниханов"], in_sitemap=True,
    ),
    dict(
        id=17305, language="ru", layout="modern",
        slug="rustam-minnihanov-vstretilsya-s-poslom-saudovskoj-aravii",
        title="Рустам Минниханов встретился с послом Саудовской Аравии",
        published="2022-03-15", published_raw="15 марта 2022",
        paragraphs=[
            "Председатель Группы стратегического видения «Россия – Исламский мир» Рустам Минниханов провел "
            "встречу с Чрезвычайным и Полномочным Послом Королевства Саудовская Аравия в России Рашедом "
            "бен Мухаммедом аль-Кахтани.",
            "Стороны обсудили ход подготовки к очередному заседанию Группы и перспективы участия саудовской "
            "делегации в Международном экономическом саммите «Россия – Исламский мир: KazanForum».",
            "Особое внимание было уделено сотрудничеству в гуманитарной сфере, в частности организации "
            "паломничества российских мусульман и взаимодействию в области высшего образования.",
            "«Королевство придает большое значение диалогу с Россией и ценит вклад Группы в сближение наших "
            "народов», — отметил посол.",
        ],
        source_html="Источник: РИА Новости", source={"name": "RIA Novosti", "raw": "РИА Новости"},
        image_position="inline", caption="Рустам Минниханов и Рашед аль-Кахтани",
    ),
    dict(
        id=17420, language="ru", layout="modern",
        slug="gsv-i-liga-islamskogo-mira-obsudili-programmu-sovmestnyh-meropriyatij",
        title="ГСВ и Лига исламского мира обсудили программу совместных мероприятий",
        published="2023-04-12", published_raw="12 апреля 2023",
        paragraphs=[
            "В Москве состоялись консультации представителей Группы стратегического видения «Россия – "
            "Исламский мир» и Лиги исламского мира, посвященные подготовке совместных мероприятий на 2023 год.",
            "Делегацию Лиги возглавил заместитель генерального секретаря организации. С российской стороны в "
            "консультациях участвовали члены Группы, представители Министерства иностранных дел России и "
            "Духовного управления мусульман Российской Федерации.",
            "Стороны договорились провести осенью в Казани международную конференцию «Ислам – религия мира и "
            "созидания», а также организовать выставку рукописей из собраний российских библиотек.",
            "Отдельно обсуждалось участие российских богословов в программах Лиги по противодействию "
            "распространению радикальной идеологии в интернете.",
            "По словам участников, в ближайшие месяцы будет подписан меморандум, который закрепит формат "
            "постоянного взаимодействия между организациями.",
        ],
        source_html='Источник: <a href="https://ria.ru/20230412/liga-1864512345.html" target="_blank">РИА Новости</a>',
        source={"name": "RIA Novosti", "raw": "РИА Новости"}, source_position="block",
        in_sitemap=True,
    ),
    dict(
        id=17533, language="ru", layout="modern",
        slug="v-kazani-proshlo-zasedanie-gsv-posvyashchennoe-situacii-na-blizhnem-vostoke",
        title="В Казани прошло заседание ГСВ, посвященное ситуации на Ближнем Востоке",
        published="2023-10-05", published_raw="05 октября 2023",
        paragraphs=[
            "В Казани состоялось очередное заседание Группы стратегического видения «Россия – Исламский мир». "
            "В его работе приняли участие представители 27 государств.",
            "Основной темой обсуждения стала ситуация на Ближнем Востоке. Участники заседания высказались за "
            "скорейшее возобновление переговоров по палестино-израильскому урегулированию на основе "
            "международно-правовой базы.",
            "Как сообщило <a href=\"https://tass.ru/politika/18912345\">агентство ТАСС</a>, в итоговом заявлении "
            "подчеркивается недопустимость действий, ведущих к росту напряженности в регионе.",
            "Участники также обсудили гуманитарную ситуацию в Сирии и Йемене и выразили готовность "
            "поддержать усилия ООН по доставке помощи пострадавшему населению.",
            "Следующее заседание Группы решено провести в 2024 году в одной из стран Персидского залива.",
        ],
        body_markup="br", source_html="Источник: ТАСС", source={"name": "TASS", "raw": "ТАСС"},
    ),
    dict(
        id=17640, language="ru", layout="modern",
        slug="kazanforum-2024-sobral-delegacii-iz-85-stran",
        title="KazanForum 2024 собрал делегации из 85 стран",
        published="2024-05-16", published_raw="16 мая 2024",
        paragraphs=[
            "В Казани завершил работу XV Международный экономический форум «Россия – Исламский мир: "
            "KazanForum». В мероприятиях форума приняли участие более 15&nbsp;тысяч человек из 85 стран.",
            "На полях форума прошла сессия Группы стратегического видения, посвященная развитию исламских "
            "финансов и партнерскому банкингу в России.",
            "Участники отметили, что с 1 сентября 2023 года в стране действует экспериментальный правовой режим "
            "для партнерского финансирования, который уже опробовали банки в Татарстане, Башкортостане, "
            "Чечне и Дагестане.",
            "Представители Малайзии, Индонезии и Объединенных Арабских Эмиратов поделились опытом "
            "регулирования исламского банковского сектора и предложили помощь в подготовке кадров.",
            "По итогам форума подписано более 70 соглашений, в том числе о строительстве халяль-индустриального "
            "парка и о расширении прямого авиасообщения со странами Персидского залива.",
        ],
        body_markup="plain", footer_line=False,
        author="Алсу Гарипова", tags=["KazanForum", "исламские финансы"],
    ),
    dict(
        id=17702, language="ru", layout="modern",
        slug="zamministra-inostrannyh-del-rf-prinyal-posla-indonezii",
        title="Замминистра иностранных дел РФ принял посла Индонезии",
        published="2024-11-20", published_raw="20 ноября 2024",
        paragraphs=[
            "Заместитель Министра иностранных дел Российской Федерации, специальный представитель Президента "
            "России по Ближнему Востоку и странам Африки Михаил Богданов принял посла Индонезии в Москве.",
            "В ходе беседы состоялся обмен мнениями по актуальным вопросам повестки дня Организации исламского "
            "сотрудничества, в том числе по ситуации в секторе Газа.",
            "Стороны подтвердили заинтересованность в дальнейшем развитии российско-индонезийского "
            "политического диалога и взаимодействия в рамках Группы стратегического видения.",
            "Индонезийский дипломат проинформировал собеседника о подготовке к председательству его страны в "
            "ряде региональных организаций и пригласил российских экспертов принять участие в конференции по "
            "вопросам межрелигиозного диалога, которая пройдет в Джакарте в начале следующего года.",
        ],
        source_html="Источник: МИД России",
        source={"name": "Ministry of Foreign Affairs of Russia", "raw": "МИД России"},
        source_position="last",
    ),
    dict(
        id=16021, language="ru", layout="table",
        slug="v-moskve-sostoyalas-konferenciya-po-islamskomu-obrazovaniyu",
        title="В Москве состоялась конференция по исламскому образованию",
        published="2019-12-01", published_raw="01 декабря 2019",
        paragraphs=[
            "В Москве прошла международная научно-практическая конференция «Исламское образование в России: "
            "традиции и современность», организованная при поддержке Группы стратегического видения "
            "«Россия – Исламский мир».",
            "В работе конференции приняли участие ректоры исламских вузов, преподаватели медресе и эксперты "
            "из Египта, Турции, Иордании и Малайзии.",
            "Участники обсудили подготовку имамов, создание единых образовательных стандартов и возрождение "
            "отечественной богословской школы, уходящей корнями в труды Шигабутдина Марджани и Галимджана "
            "Баруди.",
            "В резолюции конференции рекомендовано расширить программы стажировок российских студентов в "
            "университете «Аль-Азхар» и других ведущих исламских вузах.",
        ],
        body_markup="br", charset="windows-1251", charset_in_header=False, meta_style="html5",
        source_html="Источник: Интерфакс", source={"name": "Interfax", "raw": "Интерфакс"},
        in_sitemap=True,
    ),
    dict(
        id=16188, language="ru", layout="table",
        slug="delegaciya-gsv-posetila-dagestan",
        title="Делегация ГСВ посетила Дагестан",
        published="2020-02-27", published_raw="27 февраля 2020",
        paragraphs=[
            "Делегация Группы стратегического видения «Россия – Исламский мир» во главе с ее председателем "
            "посетила Республику Дагестан.",
            "Члены Группы побывали в древнем Дербенте, осмотрели цитадель Нарын-Кала и Джума-мечеть — одну "
            "из старейших мечетей на территории России.",
            "В Махачкале состоялась встреча с руководством республики и представителями Духовного управления "
            "мусульман Дагестана. Обсуждались вопросы развития туризма, в том числе религиозного, и "
            "привлечения инвестиций из стран Персидского залива.",
            "Гости из Саудовской Аравии и Кувейта отметили, что Дагестан может стать одним из центров "
            "халяль-туризма в регионе, и предложили организовать в республике деловой форум.",
        ],
        body_markup="plain", title_markup="b",
        caption="Члены Группы в Дербенте", photo_credit="Фото: РИА Новости",
    ),
    dict(
        id=16305, language="ru", layout="table",
        slug="muftii-tatarstana-vstretilsya-s-delegaciej-iz-uzbekistana",
        title="Муфтий Татарстана встретился с делегацией из Узбекистана",
        published="2020-09-14", published_raw="14 сентября 2020",
        paragraphs=[
            "Муфтий Республики Татарстан Камиль Самигуллин принял делегацию Комитета по делам религий при "
            "Кабинете министров Республики Узбекистан.",
            "Гости ознакомились с работой Болгарской исламской академии и Казанского исламского университета, "
            "а также посетили мечеть Кул Шариф в Казанском кремле.",
            "Стороны договорились об обмене преподавателями и о совместной подготовке учебных пособий по "
            "истории ислама в Поволжье и Средней Азии.",
            "Камиль Самигуллин напомнил, что духовные связи мусульман Поволжья и Средней Азии насчитывают "
            "много веков: татарские богословы учились в медресе Бухары и Самарканда, а выпускники казанских "
            "медресе преподавали в Туркестане. По его словам, возрождение этих связей отвечает интересам обеих "
            "стран.",
        ],
        body_markup="br",
        source_html="Источник: пресс-служба ДУМ РТ", source={"name": None, "raw": "пресс-служба ДУМ РТ"},
    ),
    dict(
        id=15877, language="ru", layout="table",
        slug="zasedanie-gsv-v-groznom",
        title="Заседание ГСВ прошло в Грозном",
        published="2018-10-18", published_raw="18 октября 2018",
        paragraphs=[
            "В Грозном состоялось заседание Группы стратегического видения «Россия – Исламский мир» на тему "
            "«Роль молодежи в противодействии экстремизму».",
            "В мероприятии приняли участие государственные и религиозные деятели, ученые и общественные "
            "активисты из России и 20 исламских государств.",
            "Участники заседания отметили, что эффективное противодействие радикальной идеологии невозможно "
            "без вовлечения молодежи в созидательную общественную деятельность и без качественного "
            "религиозного образования.",
            "Было принято решение учредить молодежный совет при Группе и провести в 2019 году летнюю школу "
            "для молодых лидеров из России и стран ОИС.",
        ],
        body_markup="plain",
        source_html="Источник: ТАСС", source={"name": "TASS", "raw": "ТАСС"},
        in_sitemap=True,
    ),
]

AR = [
    dict(
        id=53208, language="ar", layout="modern",
        slug="وفد-من-مجموعة-الرؤية-الاستراتيجية-يزور-جدة",
        title="وفد من مجموعة الرؤية الاستراتيجية يزور جدة ويلتقي الأمين العام لمنظمة التعاون الإسلامي",
        published="2025-12-04", published_raw="04 ديسمبر/كانون الأول 2025",
        paragraphs=[
            "زار وفد من مجموعة الرؤية الاستراتيجية \"روسيا - العالم الإسلامي\" مدينة جدة السعودية، حيث التقى "
            "الأمين العام لمنظمة التعاون الإسلامي حسين إبراهيم طه في مقر الأمانة العامة للمنظمة.",
            "وبحث الجانبان سبل تعزيز التعاون بين روسيا الاتحادية والدول الأعضاء في المنظمة في المجالات "
            "الإنسانية والثقافية والتعليمية، إضافة إلى التحضير للاجتماع المقبل للمجموعة.",
            "وأكد الأمين العام أن المنظمة تقدر الدور الذي تؤديه المجموعة في بناء جسور الحوار والتفاهم بين "
            "روسيا والعالم الإسلامي، مشيرا إلى أهمية مشاركة الدول الأعضاء في منتدى قازان الاقتصادي.",
            "من جانبه، أعرب رئيس الوفد عن شكره للأمانة العامة على حسن الاستقبال، مؤكدا استعداد المجموعة "
            "لتوسيع برامج التبادل الأكاديمي بين الجامعات الروسية ونظيراتها في العالم الإسلامي.",
        ],
        source_html="المصدر: إنترفاكس", source={"name": "Interfax", "raw": "إنترفاكس"},
        image_position="inline", caption="جانب من اللقاء في مقر الأمانة العامة", photo_credit="الصورة: سبوتنيك",
        in_sitemap=True,
    ),
    dict(
        id=51877, language="ar", layout="table",
        slug="لافروف-يبحث-مع-نظيره-الأردني-الأوضاع-في-المنطقة",
        title="لافروف يبحث مع نظيره الأردني الأوضاع في المنطقة",
        published="2021-07-15", published_raw="15 تموز/ يوليو 2021",
        paragraphs=[
            "أجرى وزير الخارجية الروسي سيرغي لافروف محادثات في موسكو مع نائب رئيس الوزراء وزير الخارجية "
            "وشؤون المغتربين الأردني أيمن الصفدي.",
            "وتناولت المحادثات الأوضاع في سوريا والأراضي الفلسطينية، إضافة إلى العلاقات الثنائية والتعاون "
            "في مجالات الطاقة والزراعة والسياحة.",
            "وقال لافروف في مؤتمر صحفي عقب المحادثات إن موسكو وعمّان تتمسكان بضرورة التسوية السياسية "
            "للأزمة السورية على أساس قرار مجلس الأمن الدولي رقم 2254.",
            "من جهته، أكد الصفدي أن الأردن يقدر الدور الروسي في الحفاظ على الاستقرار في جنوب سوريا، "
            "ويتطلع إلى مواصلة التنسيق الوثيق مع موسكو.",
        ],
        body_markup="br", charset="windows-1256", charset_in_meta=False,
        source_html="المصدر: سبوتنيك", source={"name": "Sputnik", "raw": "سبوتنيك"},
    ),

    dict(
        id=52990, language="ar", layout="modern",
        slug="بوتين-يبحث-مع-مسؤول-إماراتي-تطوير-الشراكة-الاستراتيجية",
        title="بوتين يبحث مع مسؤول إماراتي رفيع تطوير الشراكة الاستراتيجية",
        published="2025-04-21", published_raw="21 ابريل/نيسان 2025",
        paragraphs=[
            "بحث الرئيس الروسي فلاديمير بوتين في الكرملين مع مسؤول إماراتي رفيع المستوى سبل تطوير الشراكة "
            "الاستراتيجية بين البلدين.",
            "وأشار بوتين إلى أن حجم التبادل التجاري بين روسيا والإمارات سجل نموا ملحوظا خلال العام الماضي، "
            "معربا عن ارتياحه لمستوى التنسيق في إطار مجموعة \"أوبك+\".",
            "وتناولت المحادثات كذلك الأوضاع في الشرق الأوسط، ولا سيما في قطاع غزة والسودان، حيث أكد الجانبان "
            "ضرورة وقف التصعيد وإيصال المساعدات الإنسانية إلى المدنيين.",
            "وأعرب الضيف الإماراتي عن تقدير بلاده للجهود الروسية في دعم الحوار بين الحضارات، مشيدا بدور "
            "مجموعة الرؤية الاستراتيجية في هذا المجال.",
            "واتفق الطرفان على مواصلة الاتصالات على أعلى المستويات والإعداد لزيارة مرتقبة إلى أبوظبي.",
        ],
        source_html="المصدر: ريا نوفوستي", source={"name": "RIA Novosti", "raw": "ريا نوفوستي"},
        caption="الرئيس الروسي خلال المحادثات في الكرملين", photo_credit="الصورة: سبوتنيك",
        in_sitemap=True,
    ),
    dict(
        id=50712, language="ar", layout="modern",
        slug="ندوة-في-قازان-حول-التراث-الإسلامي-في-روسيا",
        title="ندوة في قازان حول التراث الإسلامي في روسيا",
        published="2023-10-03", published_raw="3 تشرين الأول 2023",
        paragraphs=[
            "استضافت مدينة قازان ندوة دولية حول التراث الإسلامي في روسيا بمشاركة باحثين من مصر والمغرب "
            "وتركيا وماليزيا.",
            "وناقش المشاركون تاريخ انتشار الإسلام في منطقة الفولغا منذ اعتناق بلغار الفولغا الإسلام عام 922 "
            "للميلاد، ودور العلماء التتار في نهضة الفكر الإسلامي في القرن التاسع عشر.",
            "كما استعرضت الندوة مشاريع ترميم المخطوطات العربية المحفوظة في مكتبات قازان وسانت بطرسبورغ، "
            "والتي يعود بعضها إلى القرن الثاني عشر.",
            "وفي ختام أعمالها، أوصت الندوة بإنشاء قاعدة بيانات إلكترونية مشتركة للمخطوطات الإسلامية وإتاحتها "
            "للباحثين من مختلف دول العالم.",
        ],
        body_markup="plain",
    ),
    dict(
        id=8123, language="ar", layout="modern",
        slug="روسيا-والسعودية-توقعان-اتفاقية-للتعاون-الثقافي",
        title="روسيا والسعودية توقعان اتفاقية للتعاون الثقافي",
        published="2019-03-14", published_raw="١٤ مارس ٢٠١٩",
        paragraphs=[
            "وقعت روسيا والمملكة العربية السعودية في الرياض اتفاقية للتعاون في مجالات الثقافة والفنون "
            "والتراث.",
            "وتنص الاتفاقية على تنظيم أيام ثقافية متبادلة، وتبادل المعارض الفنية، والتعاون في مجال حماية "
            "المواقع الأثرية وترميمها.",
            "وقال وزير الثقافة السعودي إن الاتفاقية تفتح صفحة جديدة في العلاقات بين البلدين، فيما أشار "
            "الجانب الروسي إلى الاهتمام المتزايد لدى الجمهور الروسي بالثقافة العربية والإسلامية.",
            "ومن المقرر أن تستضيف موسكو في الخريف المقبل معرضا للخط العربي والفنون الإسلامية من مقتنيات "
            "المتاحف السعودية، على أن يقام في الرياض معرض مماثل للفن الروسي، إلى جانب عروض لفرق موسيقية "
            "وفنية من البلدين.",
        ],
        body_markup="br", footer_line=False,
    ),
    dict(
        id=51402, language="ar", layout="table",
        slug="اجتماع-مجموعة-الرؤية-الاستراتيجية-في-إسطنبول",
        title="اجتماع مجموعة الرؤية الاستراتيجية في إسطنبول يدعو إلى تعزيز الحوار بين الأديان",
        published="2022-11-10", published_raw="10 نوفمبر/تشرين الثاني 2022",
        paragraphs=[
            "عقدت مجموعة الرؤية الاستراتيجية \"روسيا - العالم الإسلامي\" اجتماعها الدوري في مدينة إسطنبول "
            "التركية بمشاركة ممثلين عن أكثر من 20 دولة.",
            "ودعا المشاركون في البيان الختامي إلى تعزيز الحوار بين الأديان والثقافات، ومواجهة ظاهرة "
            "الإسلاموفوبيا وخطاب الكراهية في وسائل الإعلام ومنصات التواصل الاجتماعي.",
            "وأكد رئيس المجموعة أن روسيا، التي يعيش فيها ملايين المسلمين، تمثل نموذجا للتعايش السلمي بين "
            "أتباع الديانات المختلفة على مدى قرون.",
            "كما بحث الاجتماع آفاق التعاون الاقتصادي بين روسيا ودول منظمة التعاون الإسلامي في ظل التحولات "
            "التي يشهدها الاقتصاد العالمي.",
        ],
        body_markup="plain",
        source_html="المصدر: تاس", source={"name": "TASS", "raw": "تاس"},
        in_sitemap=True,
    ),
    dict(
        id=9240, language="ar", layout="table",
        slug="طلاب-من-دول-إسلامية-يتلقون-منحا-للدراسة-في-روسيا",
        title="طلاب من دول إسلامية يتلقون منحا للدراسة في الجامعات الروسية",
        published="2020-02-05", published_raw="٠٥ فبراير ٢٠٢٠",
        paragraphs=[
            "أعلنت وزارة العلوم والتعليم العالي الروسية عن زيادة عدد المنح الدراسية المخصصة لطلاب الدول "
            "الإسلامية في الجامعات الروسية.",
            "وستشمل المنح تخصصات الطب والهندسة وتكنولوجيا المعلومات، إضافة إلى برامج دراسة اللغة الروسية "
            "لمدة عام تحضيري.",
            "ويدرس حاليا في روسيا آلاف الطلاب من مصر والمغرب والجزائر وسوريا والعراق، ويحظى التعليم الطبي "
            "الروسي بسمعة جيدة في هذه الدول.",
            "وأوضحت الوزارة أن باب التقديم سيفتح في شهر نوفمبر/تشرين الثاني عبر موقع إلكتروني خاص، وأن "
            "اختيار المرشحين سيتم بالتعاون مع السفارات الروسية والمراكز الثقافية في الدول المعنية، مع إعطاء "
            "الأولوية للطلاب المتفوقين.",
        ],
        body_markup="br", caption="طلاب أجانب في جامعة قازان الفيدرالية", photo_credit="الصورة: ريا نوفوستي",
    ),
    dict(
        id=52311, language="ar", layout="table",
        slug="منتدى-قازان-يبحث-التمويل-الإسلامي",
        title="منتدى قازان يبحث آفاق التمويل الإسلامي في روسيا",
        published="2024-05-28", published_raw="28 مايو/أيار 2024",
        paragraphs=[
            "ناقش خبراء من روسيا ودول الخليج وجنوب شرق آسيا آفاق التمويل الإسلامي في روسيا خلال جلسة "
            "خاصة نظمتها مجموعة الرؤية الاستراتيجية.",
            "وأوضح المتحدثون أن التجربة الروسية في مجال الصيرفة الإسلامية لا تزال في مراحلها الأولى، غير أن "
            "الإطار القانوني التجريبي الذي أطلق في أربع جمهوريات روسية يفتح المجال أمام توسعها.",
            "ودعا ممثلو المصارف الماليزية والإماراتية إلى الاستثمار في تأهيل الكوادر وتطوير المنتجات المالية "
            "المتوافقة مع أحكام الشريعة.",
            "وأشار المشاركون إلى أن نجاح هذه التجربة من شأنه أن يعزز تدفق الاستثمارات من الدول الإسلامية "
            "إلى الاقتصاد الروسي.",
        ],
        body_markup="plain", title_markup="b",
        source_html="المصدر: وكالة الأناضول", source={"name": "Anadolu Agency", "raw": "وكالة الأناضول"},
    ),
    dict(
        id=51950, language="ar", layout="modern",
        slug="لافروف-يستقبل-وزير-الخارجية-الإيراني",
        title="لافروف يستقبل وزير الخارجية الإيراني في موسكو",
        published="2024-01-17", published_raw="17 يناير/كانون الثاني 2024",
        paragraphs=[
            "استقبل وزير الخارجية الروسي سيرغي لافروف في موسكو نظيره الإيراني، حيث بحث الجانبان العلاقات "
            "الثنائية والقضايا الإقليمية.",
            "وأكد لافروف أن التعاون بين روسيا وإيران يتطور في مختلف المجالات، بما في ذلك مشروع ممر النقل "
            "الدولي \"شمال - جنوب\" الذي يربط روسيا بموانئ الخليج والمحيط الهندي.",
            "وتطرقت المحادثات إلى الوضع في منطقة جنوب القوقاز وأفغانستان، وإلى التنسيق بين البلدين في إطار "
            "منظمة شنغهاي للتعاون ومجموعة بريكس.",
            "من جانبه، أشاد الوزير الإيراني بمستوى التنسيق بين البلدين في القضايا الدولية، مؤكدا أن طهران "
            "ترى في روسيا شريكا موثوقا، وأن البلدين سيواصلان العمل المشترك لإنجاز المشاريع الكبرى في مجالي "
            "الطاقة والنقل.",
        ],
        source_html="المصدر: آر تي", source={"name": "RT", "raw": "آر تي"}, source_position="last",
        author="علي أحمدوف", tags=["إيران", "لافروف"],
    ),
]

EN = [
    dict(
        id=22457, language="en", layout="modern",
        slug="about-scientific-activities-of-the-group-of-strategic-vision-russia-islamic-world",
        title='About scientific activities of the Group of Strategic Vision "Russia - Islamic World"',
        published="2022-02-08", published_raw="February 8, 2022",
        paragraphs=[
            "The Group of Strategic Vision \"Russia - Islamic World\" has summed up the results of its "
            "scientific and expert work over the past year.",
            "In 2021 the Group held two international conferences, in Kazan and in Jeddah, devoted to the "
            "role of religious leaders in countering extremism and to the prospects of economic cooperation "
            "between Russia and the member states of the Organisation of Islamic Cooperation.",
            "Experts of the Group prepared a collection of analytical papers on the situation in Afghanistan, "
            "Libya and Yemen, which was sent to the foreign ministries of the participating countries.",
            "The Group also supported the publication of a Russian translation of classical works on Islamic "
            "jurisprudence and continued its programme of lectures for students of Islamic universities.",
            "In the current year the Group plans to hold a round table on interfaith dialogue and to launch "
            "a joint research project with leading universities of the Gulf states.",
        ],
        author="Farit Mukhametshin", tags=["science", "conferences"],
    ),
    dict(
        id=22501, language="en", layout="table",
        slug="russia-and-egypt-discuss-cooperation-in-education",
        title="Russia and Egypt discuss cooperation in education",
        published="2025-04-21", published_raw="April 21, 2025",
        paragraphs=[
            "Russian and Egyptian officials have discussed an expansion of academic exchanges and the opening "
            "of branches of Russian universities in Egypt.",
            "The talks took place in Cairo on the sidelines of a forum on education and science organised with "
            "the support of the Group of Strategic Vision.",
            "According to the Egyptian side, more than 1,500 Egyptian students are currently studying in "
            "Russia, most of them in medicine and engineering.",
            "The Russian delegation proposed to double the number of state-funded places for Egyptian "
            "students and to create a joint centre for teaching the Russian language at Cairo University, "
            "which already has a Russian studies department.",
        ],
        lang_attr=False,
        source_html="Source: TASS", source={"name": "TASS", "raw": "TASS"},
    ),

    dict(
        id=21010, language="en", layout="modern",
        slug="russia-and-turkey-to-set-up-joint-working-group-on-libya",
        title="Russia and Turkey to set up a joint working group on Libya",
        published="2020-07-22", published_raw="July 22, 2020",
        paragraphs=[
            "Russia and Turkey intend to set up a joint working group to settle the situation in Libya, "
            "according to a joint statement published by the Russian Foreign Ministry on Wednesday.",
            "The statement followed two days of interagency consultations in Ankara. The Russian delegation "
            "was led by Deputy Foreign Minister Sergei Vershinin and included officials of the Defence "
            "Ministry.",
            "The two sides reaffirmed their strong commitment to the sovereignty, independence, territorial "
            "integrity and national unity of Libya and agreed that the conflict has no military solution.",
            "They also agreed to encourage the Libyan parties to create conditions for a lasting and "
            "sustainable ceasefire and to hold the next round of consultations in Moscow.",
        ],
        source_html="Source: TASS", source={"name": "TASS", "raw": "TASS"},
        in_sitemap=True,
    ),
    dict(
        id=22190, language="en", layout="modern",
        slug="group-of-strategic-vision-meets-in-jeddah",
        title="Group of Strategic Vision meets in Jeddah",
        published="2021-11-18", published_raw="18 November 2021",
        paragraphs=[
            "The Group of Strategic Vision \"Russia - Islamic World\" has held its annual meeting in Jeddah, "
            "Saudi Arabia, for the first time since the start of the coronavirus pandemic.",
            "The meeting was attended by former heads of government, ministers, religious leaders and "
            "scholars from Russia and more than 20 member states of the Organisation of Islamic Cooperation.",
            "Participants discussed the situation in Afghanistan after the change of power in Kabul and "
            "called on the international community to prevent a humanitarian catastrophe in the country.",
            "Speakers also stressed the importance of countering Islamophobia and of protecting the rights of "
            "Muslim minorities, and welcomed the growing ties between Russian regions and the Gulf states.",
            "The final declaration proposes to hold the next meeting of the Group in Kazan in 2022.",
        ],
        caption="Participants of the meeting in Jeddah", photo_credit="Photo: Sputnik",
        source_html="Source: RIA Novosti", source={"name": "RIA Novosti", "raw": "RIA Novosti"},
        source_position="block",
    ),
    dict(
        id=22630, language="en", layout="modern",
        slug="russian-and-malaysian-experts-discuss-halal-industry",
        title="Russian and Malaysian experts discuss halal industry",
        published="2023-03-03", published_raw="March 3, 2023",
        paragraphs=[
            "Experts from Russia and Malaysia have discussed ways of developing the halal industry at a round "
            "table held in Kuala Lumpur with the support of the Group of Strategic Vision.",
            "The Malaysian side presented its national certification system, which is recognised in more "
            "than 40 countries, and offered to share its experience with Russian certification bodies.",
            "Russian participants said that exports of halal food from Russia to the countries of the "
            "Islamic world had grown several times over the past five years, with poultry and grain in the "
            "lead.",
            "The round table ended with an agreement to prepare a joint programme of training for "
            "specialists in halal standards.",
        ],
        body_markup="br",
        source_html="Source: Interfax", source={"name": "Interfax", "raw": "Interfax"},
    ),
    dict(
        id=22877, language="en", layout="modern",
        slug="kazanforum-2024-brings-together-delegations-from-85-countries",
        title="KazanForum 2024 brings together delegations from 85 countries",
        published="2024-05-17", published_raw="May 17, 2024",
        paragraphs=[
            "The XV International Economic Forum \"Russia - Islamic World: KazanForum\" has closed in Kazan. "
            "More than 15,000 people from 85 countries took part in its events.",
            "A session of the Group of Strategic Vision on the forum's sidelines focused on <em>Islamic "
            "finance</em> and on the experimental legal regime for partnership banking introduced in four "
            "Russian regions.",
            "Bankers from Malaysia, Indonesia and the United Arab Emirates described how Islamic banking is "
            "regulated in their countries and offered to help train specialists.",
            "More than 70 agreements were signed during the forum, including a deal on building a halal "
            "industrial park.",
        ],
        body_markup="plain", footer_line=False, image_position="inline",
        caption="The plenary session of KazanForum",
        author="Alsu Garipova", tags=["KazanForum", "Islamic finance"],
    ),
    dict(
        id=21530, language="en", layout="table",
        slug="young-diplomats-from-russia-and-oic-countries-meet-in-moscow",
        title="Young diplomats from Russia and OIC countries meet in Moscow",
        published="2019-12-12", published_raw="12 December 2019",
        paragraphs=[
            "A forum of young diplomats from Russia and member states of the Organisation of Islamic "
            "Cooperation has taken place at the Diplomatic Academy of the Russian Foreign Ministry.",
            "Participants discussed the role of cultural diplomacy in strengthening mutual understanding and "
            "the prospects of joint projects in education and science.",
            "The forum was supported by the Group of Strategic Vision, whose members held an open lecture for "
            "the participants on the history of relations between Russia and the Islamic world.",
            "At the end of the forum the young diplomats adopted an appeal calling for regular meetings in this "
            "format and for an online platform where graduates of diplomatic schools could stay in touch.",
        ],
        body_markup="br",
        source_html="Source: WAM", source={"name": "WAM", "raw": "WAM"},
        in_sitemap=True,
    ),
    dict(
        id=22044, language="en", layout="table",
        slug="exhibition-of-quran-manuscripts-opens-in-st-petersburg",
        title="Exhibition of Quran manuscripts opens in St Petersburg",
        published="2021-09-30", published_raw="September 30, 2021",
        paragraphs=[
            "An exhibition of rare Quran manuscripts from Russian collections has opened at the Institute of "
            "Oriental Manuscripts in St Petersburg.",
            "The exhibition includes fragments of one of the oldest surviving copies of the Quran, dating "
            "back to the first century of the Hijra, as well as richly illuminated manuscripts from Central "
            "Asia and the Volga region.",
            "The organisers said the exhibition is meant to show the place of Islamic culture in the history "
            "of Russia and to introduce foreign visitors to the treasures kept in Russian libraries.",
            "Ambassadors of several Muslim countries attended the opening ceremony.",
        ],
        body_markup="plain",
    ),
    dict(
        id=22705, language="en", layout="table",
        slug="russia-and-turkiye-discuss-humanitarian-aid-to-syria",
        title="Russia and Turkiye discuss humanitarian aid to Syria",
        published="2023-06-06", published_raw="6 June 2023",
        paragraphs=[
            "Russian and Turkish officials have discussed the delivery of humanitarian aid to the regions of "
            "Syria affected by the February earthquakes.",
            "The two sides agreed to coordinate the work of their rescue and relief services and to support "
            "the reconstruction of housing and infrastructure.",
            "The Turkish side thanked Russia for the assistance provided in the first days after the disaster, "
            "when Russian rescuers worked in several Turkish provinces.",
            "Officials also discussed the situation in north-western Syria and the work of the crossing points "
            "used to deliver aid, stressing that relief must reach all civilians in need regardless of who "
            "controls the area.",
        ],
        body_markup="plain", title_markup="b",
        source_html="Source: Anadolu Agency", source={"name": "Anadolu Agency", "raw": "Anadolu Agency"},
    ),
    dict(
        id=23115, language="en", layout="table",
        slug="tatarstan-and-kuwait-agree-on-direct-flights",
        title="Tatarstan and Kuwait agree on direct flights",
        published="2024-10-04", published_raw="4 October 2024",
        paragraphs=[
            "Tatarstan and Kuwait have agreed to launch direct flights between Kazan and Kuwait City next "
            "year.",
            "The agreement was reached during a visit of a Tatarstan delegation to Kuwait, where its members "
            "also met representatives of the Kuwait Chamber of Commerce and Industry.",
            "The parties discussed investment projects in the petrochemical industry, agriculture and tourism "
            "and agreed to hold a business forum in Kazan.",
            "Officials in Kazan said the new route would make it easier for tourists from the Gulf to visit "
            "Tatarstan, whose historic mosques and halal-friendly hotels have become increasingly popular "
            "with travellers from Muslim countries.",
        ],
        body_markup="br", footer_line=False,
        source_html="Source: Sputnik", source={"name": "Sputnik", "raw": "Sputnik"},
    ),
]

STATIC_PAGES = [
    StaticPage(
        path="/o-gruppe/", language="ru", title="О Группе",
        paragraphs=[
            "Группа стратегического видения «Россия – Исламский мир» создана в 2006 году по инициативе "
            "Евгения Максимовича Примакова.",
            "В состав Группы входят видные государственные и общественные деятели, религиозные лидеры и "
            "ученые из России и государств – членов Организации исламского сотрудничества.",
            "Цель Группы — укрепление доверия и развитие всестороннего сотрудничества между Россией и "
            "исламским миром.",
        ],
    ),
    StaticPage(
        path="/ar/o-gruppe/hwl-almjmwt", language="ar", title="حول المجموعة",
        paragraphs=[
            "تأسست مجموعة الرؤية الاستراتيجية \"روسيا - العالم الإسلامي\" عام 2006 بمبادرة من يفغيني بريماكوف.",
            "وتضم المجموعة شخصيات سياسية واجتماعية ودينية وعلماء من روسيا والدول الأعضاء في منظمة التعاون الإسلامي.",
            "وتهدف المجموعة إلى تعزيز الثقة وتطوير التعاون الشامل بين روسيا والعالم الإسلامي.",
        ],
    ),
    StaticPage(
        path="/en/about-us", language="en", title="About us",
        paragraphs=[
            "The Group of Strategic Vision \"Russia - Islamic World\" was founded in 2006 on the initiative "
            "of Yevgeny Primakov.",
            "Its members are prominent statesmen, public figures, religious leaders and scholars from Russia "
            "and the member states of the Organisation of Islamic Cooperation.",
            "The Group works to strengthen trust and to develop comprehensive cooperation between Russia and "
            "the Islamic world.",
        ],
    ),
]


def _fixtures(articles: dict[int, Article]) -> dict:
    """Crawl fixtures: link variants placed on given articles, aliases, redirects, failures."""
    ru_a, ru_b = articles[17191], articles[17305]
    en_a, en_b = articles[22457], articles[22501]
    ar_a, ar_b, ar_c, ar_d = articles[53208], articles[51877], articles[52990], articles[50712]
    return {
        # (article id the link is placed on, kind, href ("{base}" = mirror origin), link text)
        "links": [
            (ru_a.id, "utm", ru_b.path + "?utm_source=x&utm_medium=y", ru_b.title),
            (ru_a.id, "missing", "/novosti/vstrecha-gsv-v-dzhidde-2019-05-05-99999", "Встреча ГСВ в Джидде"),
            (ru_b.id, "sid", "{base}" + ru_a.path + "?sid=123", ru_a.title),
            (en_a.id, "trailing-slash", en_b.path + "/", en_b.title),
            (en_a.id, "redirect", "/en/events/russia-and-egypt-education-talks", "Russia and Egypt: education talks"),
            (en_b.id, "element-id-alias", "/en/novosti/?ELEMENT_ID=22457", "Scientific activities of the Group"),
            (ar_a.id, "single-slash", ar_b.path.replace("/ar/novosti//", "/ar/novosti/"), ar_b.title),
            # Arabic left unencoded in the href, as editors paste it
            (ar_c.id, "unencoded", f"/ar/novosti//{ar_d.slug}-{ar_d.date}-{ar_d.id}", ar_d.title),
        ],
        "element_id_aliases": {"/en/novosti/?ELEMENT_ID=22457": 22457},
        "redirects": {
            "/en/events/russia-and-egypt-education-talks": en_b.path,
            "/ar/mn-nhn/n-lmjmw": "/ar/o-gruppe/hwl-almjmwt",
        },
        "missing": ["/novosti/vstrecha-gsv-v-dzhidde-2019-05-05-99999"],
        "fail_once": [ru_b.path],
    }


def build_site() -> MirrorSite:
    """A fresh mirror site with all hand-written content and crawl fixtures."""
    articles = [Article(**real_arabic_article())] + [Article(**copy.deepcopy(spec)) for spec in RU + AR + EN]
    by_id = {a.id: a for a in articles}
    return MirrorSite(articles, STATIC_PAGES, _fixtures(by_id))


def apply_sample_edits(site: MirrorSite) -> list[Article]:
    """Known edits for trying revisits and diffs by hand (``python -m tests.mirror --edited``):
    the newest Arabic article gets a new title, one word changed and a paragraph added; the newest
    English one loses its last paragraph and gains a sentence."""
    arabic, english = site.articles_in("ar")[0], site.articles_in("en")[0]
    first = text_of(arabic.paragraphs[0]).replace("مدينة جدة", "مدينة جدة الساحلية", 1)
    site.edit_article(arabic.path, [first, *arabic.paragraphs[1:2],
                                    "وأعلن الجانبان أن الاجتماع المقبل سيعقد في موسكو في الربيع.", *arabic.paragraphs[2:]],
                      title=arabic.title + " (محدث)")
    paragraphs = [text_of(p) for p in english.paragraphs[:-1]]
    paragraphs[0] += " Officials said a joint commission would meet in the spring."
    site.edit_article(english.path, paragraphs)
    return [arabic, english]

