"""Articles of the second test mirror: a WordPress-style Arabic/English news site ("Gulf Wire").

Built differently from the first mirror on purpose: date-based article URLs
(``/2024/05/16/slug/``, ``/ar/2024/05/16/slug/``), ``/page/N/`` pagination, one RSS feed per
language, JSON-LD ``NewsArticle``, ``hreflang`` links between translations, ``<time datetime>``
dates, bylines, and attributions in the generic forms agencies use ("Source: …", "المصدر: …",
a closing "(AFP)", an opening "CAIRO (Reuters) –"). Each article carries the values a correct
extraction must produce from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class WpArticle:
    key: str  # the translation group: articles with one key are one story in several languages
    language: str
    slug: str
    published: str  # ISO 8601 with the site's +03:00 offset, as <time datetime> prints it
    printed_date: str  # the date as the page shows it
    title: str
    author: str | None
    paragraphs: list[str]  # the body as a correct extraction returns it, paragraph by paragraph
    source: dict | None = None  # expected {"name", "raw"}
    lead_html: str | None = None  # the first paragraph as printed, when it carries a dateline
    closing_html: str | None = None  # a line printed after the body (an attribution)
    photo_credit: str | None = None
    categories: list[str] = field(default_factory=lambda: ["News"])

    @property
    def date_path(self) -> str:
        return self.published[:10].replace("-", "/")

    @property
    def path(self) -> str:
        prefix = "/ar/" if self.language == "ar" else "/"
        return f"{prefix}{self.date_path}/{self.slug}/"

    @property
    def body(self) -> str:
        return "\n".join(self.paragraphs)


ARTICLES: list[WpArticle] = [
    WpArticle(
        "summit", "en", "gulf-leaders-meet-in-doha", "2024-05-16T09:30:00+03:00", "May 16, 2024",
        "Gulf leaders meet in Doha to discuss regional trade corridor", "Jane Whitaker",
        ["Leaders of six Gulf states met in Doha on Thursday to discuss a regional trade corridor that "
         "would link their ports with rail lines running across the Arabian Peninsula.",
         "The project, first proposed in 2021, would cut freight times between the Gulf and the "
         "Mediterranean by several days, officials said after the closed session.",
         "Ministers were asked to present a financing plan before the end of the year."],
        source={"name": "Reuters", "raw": "Reuters"},
        lead_html="DOHA (Reuters) – Leaders of six Gulf states met in Doha on Thursday to discuss a regional "
                  "trade corridor that would link their ports with rail lines running across the Arabian Peninsula.",
    ),
    WpArticle(
        "summit", "ar", "قادة-الخليج-يجتمعون-في-الدوحة", "2024-05-16T09:45:00+03:00", "16 مايو 2024",
        "قادة الخليج يجتمعون في الدوحة لبحث ممر تجاري إقليمي", "سارة العتيبي",
        ["اجتمع قادة ست دول خليجية في الدوحة يوم الخميس لبحث ممر تجاري إقليمي يربط موانئها بخطوط سكك "
         "حديدية تعبر شبه الجزيرة العربية.",
         "وقال مسؤولون بعد الجلسة المغلقة إن المشروع الذي طرح لأول مرة عام 2021 سيختصر زمن نقل البضائع بين "
         "الخليج والبحر المتوسط عدة أيام.",
         "وطلب من الوزراء تقديم خطة تمويل قبل نهاية العام."],
        source={"name": "Reuters", "raw": "رويترز"},
        lead_html="الدوحة (رويترز) - اجتمع قادة ست دول خليجية في الدوحة يوم الخميس لبحث ممر تجاري إقليمي "
                  "يربط موانئها بخطوط سكك حديدية تعبر شبه الجزيرة العربية.",
    ),
    WpArticle(
        "oil", "en", "opec-keeps-output-steady", "2024-05-14T18:10:00+03:00", "May 14, 2024",
        "OPEC+ keeps output steady as prices hover near $83", "Omar Haddad",
        ["OPEC+ left its production targets unchanged on Tuesday, citing a balanced market and steady "
         "demand from Asian refiners.",
         "Brent crude traded near $83 a barrel after the announcement, little changed on the day.",
         "The group will meet again in early June to review the cuts agreed last November."],
        source={"name": "AFP", "raw": "AFP"},
        closing_html="(AFP)",
        photo_credit="Photo: AFP",
    ),
    WpArticle(
        "oil", "ar", "أوبك-تبقي-الإنتاج-دون-تغيير", "2024-05-14T18:20:00+03:00", "14 مايو 2024",
        "أوبك+ تبقي الإنتاج دون تغيير مع استقرار الأسعار قرب 83 دولارا", "عمر حداد",
        ["أبقى تحالف أوبك+ أهداف الإنتاج دون تغيير يوم الثلاثاء، مشيرا إلى توازن السوق واستقرار الطلب من "
         "المصافي الآسيوية.",
         "وجرى تداول خام برنت قرب 83 دولارا للبرميل بعد الإعلان، دون تغير يذكر خلال اليوم.",
         "ويجتمع التحالف مجددا مطلع يونيو لمراجعة التخفيضات المتفق عليها في نوفمبر الماضي."],
        source={"name": "AFP", "raw": "أ ف ب"},
        closing_html="(أ ف ب)",
        photo_credit="الصورة: أ ف ب",
    ),
    WpArticle(
        "water", "en", "desalination-plant-opens-in-jubail", "2024-05-10T11:00:00+03:00", "May 10, 2024",
        "New desalination plant opens in Jubail", None,
        ["A desalination plant able to supply 600,000 cubic metres of water a day opened in Jubail on "
         "Friday, the largest of its kind to run on solar power during daylight hours.",
         "The plant will serve more than two million residents of the Eastern Province, its operator said.",
         "Construction took three years and employed about 4,000 workers at its peak."],
        source={"name": "SPA", "raw": "Saudi Press Agency"},
        closing_html="Source: Saudi Press Agency",
    ),
    WpArticle(
        "water", "ar", "افتتاح-محطة-تحلية-في-الجبيل", "2024-05-10T11:15:00+03:00", "10 مايو 2024",
        "افتتاح محطة جديدة لتحلية المياه في الجبيل", None,
        ["افتتحت يوم الجمعة في الجبيل محطة لتحلية المياه بطاقة 600 ألف متر مكعب يوميا، وهي الأكبر من نوعها "
         "التي تعمل بالطاقة الشمسية خلال ساعات النهار.",
         "وقالت الشركة المشغلة إن المحطة ستخدم أكثر من مليوني نسمة في المنطقة الشرقية.",
         "واستغرق البناء ثلاث سنوات وعمل فيه نحو أربعة آلاف عامل في ذروته."],
        source={"name": "SPA", "raw": "وكالة الأنباء السعودية (واس)"},
        closing_html="المصدر: وكالة الأنباء السعودية (واس)",
    ),
    WpArticle(
        "airline", "en", "qatar-airways-adds-routes", "2024-05-08T08:05:00+03:00", "May 8, 2024",
        "Qatar Airways adds five routes to Central Asia", "Priya Nair",
        ["Qatar Airways will add five routes to Central Asia from September, including daily flights to "
         "Almaty and Tashkent, the carrier said on Wednesday.",
         "The airline expects the new routes to carry about 400,000 passengers in their first year.",
         "Tickets go on sale next week through the carrier's website and travel agents."],
        source={"name": "QNA", "raw": "QNA"},
        closing_html="Source: QNA",
    ),
    WpArticle(
        "airline", "ar", "القطرية-تضيف-خمس-وجهات", "2024-05-08T08:20:00+03:00", "8 مايو 2024",
        "الخطوط القطرية تضيف خمس وجهات في آسيا الوسطى", "بريا ناير",
        ["تضيف الخطوط الجوية القطرية خمس وجهات في آسيا الوسطى اعتبارا من سبتمبر، بينها رحلات يومية إلى "
         "ألماتي وطشقند، بحسب ما أعلنت الشركة يوم الأربعاء.",
         "وتتوقع الشركة أن تنقل الوجهات الجديدة نحو 400 ألف مسافر في عامها الأول.",
         "وتطرح التذاكر للبيع الأسبوع المقبل عبر موقع الشركة ووكلاء السفر."],
        source={"name": "QNA", "raw": "قنا"},
        closing_html="المصدر: قنا",
    ),
    WpArticle(
        "kuwait", "en", "kuwait-parliament-budget-vote", "2024-05-06T21:40:00+03:00", "May 6, 2024",
        "Kuwait's parliament postpones budget vote", "Jane Whitaker",
        ["Kuwait's National Assembly postponed a vote on the state budget on Monday after members asked "
         "for more time to review spending on public-sector salaries.",
         "The speaker said the vote would be held within two weeks.",
         "The draft budget forecasts a deficit for the third year in a row."],
        source={"name": "KUNA", "raw": "Kuwait News Agency"},
        closing_html="Source: Kuwait News Agency",
    ),
    WpArticle(
        "kuwait", "ar", "مجلس-الأمة-يؤجل-التصويت-على-الميزانية", "2024-05-06T21:55:00+03:00", "6 مايو 2024",
        "مجلس الأمة الكويتي يؤجل التصويت على الميزانية", "جين ويتاكر",
        ["أجل مجلس الأمة الكويتي يوم الاثنين التصويت على ميزانية الدولة بعد أن طلب أعضاء مزيدا من الوقت "
         "لمراجعة الإنفاق على رواتب القطاع العام.",
         "وقال رئيس المجلس إن التصويت سيجري خلال أسبوعين.",
         "ويتوقع مشروع الميزانية عجزا للعام الثالث على التوالي."],
        source={"name": "KUNA", "raw": "كونا"},
        closing_html="(كونا)",
    ),
    WpArticle(
        "uae-space", "en", "uae-rover-mission-delayed", "2024-05-03T13:25:00+03:00", "May 3, 2024",
        "UAE lunar rover mission delayed to 2026", "Omar Haddad",
        ["The United Arab Emirates has delayed the launch of its second lunar rover to 2026 to allow more "
         "time for testing, the space agency said on Friday.",
         "Engineers are redesigning the rover's wheels after trials in a desert test site.",
         "The first rover was lost in 2023 when the lander carrying it crashed."],
        source={"name": "WAM", "raw": "WAM"},
        lead_html="ABU DHABI, May 3 (WAM) – The United Arab Emirates has delayed the launch of its second lunar "
                  "rover to 2026 to allow more time for testing, the space agency said on Friday.",
    ),
    WpArticle(
        "uae-space", "ar", "تأجيل-مهمة-المستكشف-الإماراتي", "2024-05-03T13:40:00+03:00", "3 مايو 2024",
        "تأجيل مهمة المستكشف القمري الإماراتي إلى 2026", "عمر حداد",
        ["أجلت دولة الإمارات إطلاق مستكشفها القمري الثاني إلى عام 2026 لإتاحة مزيد من الوقت للاختبارات، "
         "بحسب ما أعلنت وكالة الفضاء يوم الجمعة.",
         "ويعيد المهندسون تصميم عجلات المستكشف بعد تجارب في موقع اختبار صحراوي.",
         "وفقد المستكشف الأول عام 2023 عندما تحطمت مركبة الهبوط التي كانت تحمله."],
        source={"name": "WAM", "raw": "وام"},
        lead_html="أبوظبي في 3 مايو/ وام/ أجلت دولة الإمارات إطلاق مستكشفها القمري الثاني إلى عام 2026 لإتاحة "
                  "مزيد من الوقت للاختبارات، بحسب ما أعلنت وكالة الفضاء يوم الجمعة.",
    ),
    # Older stories, without translations: reachable only from the second and third listing pages.
    WpArticle(
        "syria-grain", "en", "syria-wheat-harvest", "2024-04-28T10:00:00+03:00", "April 28, 2024",
        "Syria expects a larger wheat harvest after spring rains", None,
        ["Syria expects to harvest about 1.5 million tonnes of wheat this year, up from last season, "
         "after heavy spring rains in the northeast, the agriculture ministry said.",
         "The country still needs to import grain to meet demand for subsidised bread."],
        source={"name": "SANA", "raw": "SANA"},
        closing_html="Source: SANA",
    ),
    WpArticle(
        "iran-rail", "en", "iran-rail-link-to-iraq", "2024-04-22T16:30:00+03:00", "April 22, 2024",
        "Iran and Iraq sign rail link agreement", "Priya Nair",
        ["Iran and Iraq signed an agreement on Monday to build a 32-kilometre rail link between the border "
         "town of Shalamcheh and the port city of Basra.",
         "The line is expected to carry pilgrims and freight once it opens in two years.",
         "Iranian officials said the link would later connect to Syria's rail network."],
        source={"name": "IRNA", "raw": "IRNA"},
        lead_html="TEHRAN (IRNA) – Iran and Iraq signed an agreement on Monday to build a 32-kilometre rail link "
                  "between the border town of Shalamcheh and the port city of Basra.",
    ),
    WpArticle(
        "egypt-canal", "en", "suez-canal-revenue-falls", "2024-04-15T12:15:00+03:00", "April 15, 2024",
        "Suez Canal revenue falls as ships avoid the Red Sea", "Jane Whitaker",
        ["Suez Canal revenue fell by almost half in the first quarter as shipping lines diverted vessels "
         "around the Cape of Good Hope, the canal authority said.",
         "Transits dropped to about 1,300 ships a month, from more than 2,000 a year earlier.",
         "The authority has offered discounts to container lines to win back traffic."],
        source={"name": "MENA", "raw": "MENA"},
        closing_html="Source: MENA",
    ),
    WpArticle(
        "xinhua-trade", "en", "china-gulf-trade-record", "2024-04-09T07:50:00+03:00", "April 9, 2024",
        "China-Gulf trade reaches a record in the first quarter", "Omar Haddad",
        ["Trade between China and the Gulf Cooperation Council reached a record in the first quarter, "
         "driven by crude oil exports and Chinese sales of electric vehicles.",
         "Chinese customs data showed a 9 percent rise on the same period last year."],
        source={"name": "Xinhua", "raw": "Xinhua"},
        closing_html="(Xinhua)",
    ),
    WpArticle(
        "bahrain-f1", "ar", "البحرين-تستضيف-سباق-الفورمولا", "2024-04-25T19:00:00+03:00", "25 أبريل 2024",
        "البحرين تمدد استضافة سباق الفورمولا 1 حتى 2036", "سارة العتيبي",
        ["أعلنت البحرين تمديد عقد استضافة سباق جائزة البحرين الكبرى للفورمولا 1 حتى عام 2036، في واحدة من "
         "أطول الاتفاقات في تاريخ البطولة.",
         "وقالت إدارة الحلبة إن السباق يجذب أكثر من مئة ألف زائر كل عام."],
        source={"name": "Anadolu Agency", "raw": "الأناضول"},
        closing_html="المصدر: الأناضول",
    ),
    WpArticle(
        "jordan-water", "ar", "الأردن-يوقع-اتفاقية-مياه", "2024-04-18T14:10:00+03:00", "18 أبريل 2024",
        "الأردن يوقع اتفاقية لمشروع الناقل الوطني للمياه", None,
        ["وقع الأردن اتفاقية لتنفيذ مشروع الناقل الوطني للمياه الذي ينقل مياه البحر المحلاة من العقبة إلى "
         "عمان والمحافظات الشمالية.",
         "وتبلغ كلفة المشروع نحو ثلاثة مليارات دولار ويتوقع إنجازه عام 2028.",
         "وقالت الوزارة إن المشروع سيوفر 300 مليون متر مكعب من المياه سنويا."],
        source={"name": "Petra", "raw": "بترا"},
        closing_html="(بترا)",
    ),
    WpArticle(
        "oman-port", "ar", "توسعة-ميناء-الدقم", "2024-04-11T09:35:00+03:00", "11 أبريل 2024",
        "سلطنة عمان تبدأ توسعة ميناء الدقم", "عمر حداد",
        ["بدأت سلطنة عمان أعمال توسعة ميناء الدقم لرفع طاقته الاستيعابية إلى خمسة ملايين حاوية سنويا.",
         "وقالت وزارة النقل إن المرحلة الأولى تنتهي منتصف عام 2026."],
        source={"name": "Oman News Agency", "raw": "العمانية"},
        lead_html="مسقط في 11 أبريل /العمانية/ بدأت سلطنة عمان أعمال توسعة ميناء الدقم لرفع طاقته الاستيعابية إلى "
                  "خمسة ملايين حاوية سنويا.",
    ),
    WpArticle(
        "sudan-aid", "ar", "قافلة-مساعدات-إلى-السودان", "2024-04-04T17:45:00+03:00", "4 أبريل 2024",
        "قافلة مساعدات جديدة تصل إلى السودان عبر تشاد", "سارة العتيبي",
        ["وصلت قافلة مساعدات إنسانية جديدة إلى إقليم دارفور عبر الحدود مع تشاد، تحمل أغذية وأدوية لنحو 250 "
         "ألف شخص.",
         "وقالت منظمات إغاثة إن الوصول إلى مناطق النزاع لا يزال صعبا بسبب القتال."],
        source={"name": "Associated Press", "raw": "أسوشيتد برس"},
        lead_html="الخرطوم (أسوشيتد برس) - وصلت قافلة مساعدات إنسانية جديدة إلى إقليم دارفور عبر الحدود مع تشاد، "
                  "تحمل أغذية وأدوية لنحو 250 ألف شخص.",
    ),
]

STATIC_PAGES = {
    # path -> (language, title, paragraphs): pages in the sitemap that are no articles.
    "/about/": ("en", "About Gulf Wire", [
        "Gulf Wire is an independent news service covering the Gulf states, founded in 2019 and edited "
        "from Dubai.", "Our reporters work in six countries and publish in Arabic and English."]),
    "/contact/": ("en", "Contact us", [
        "Write to the newsroom at the address below. We answer every message within two working days, "
        "including corrections requests."]),
    "/privacy-policy/": ("en", "Privacy policy", [
        "We collect as little information as we can. This page explains which cookies the site sets and "
        "how long server logs are kept before they are deleted."]),
    "/ar/about/": ("ar", "من نحن", [
        "غلف واير خدمة إخبارية مستقلة تغطي دول الخليج، تأسست عام 2019 ويجري تحريرها من دبي.",
        "يعمل مراسلونا في ست دول وننشر باللغتين العربية والإنجليزية."]),
    "/ar/privacy-policy/": ("ar", "سياسة الخصوصية", [
        "نجمع أقل قدر ممكن من المعلومات. توضح هذه الصفحة ملفات تعريف الارتباط التي يضعها الموقع ومدة الاحتفاظ "
        "بسجلات الخادم قبل حذفها."]),
}
