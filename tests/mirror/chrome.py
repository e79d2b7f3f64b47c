"""Fixed page furniture of the mirror (menus, switchers, footers, cookie notices) per language.

Two generations of templates, as on a Bitrix site that was redesigned: ``MODERN`` (div
layout) and ``TABLE`` (the older table layout). Their labels differ on purpose, so text
learnt from one layout does not describe the other. Every visible string here is
boilerplate for extraction: it must never end up in an article body.
"""

from __future__ import annotations

GROUP_NAME = {
    "ru": "Группа стратегического видения «Россия – Исламский мир»",
    "ar": 'مجموعة الرؤية الاستراتيجية "روسيا - العالم الإسلامي"',
    "en": 'Group of Strategic Vision "Russia - Islamic World"',
}

# Paths of the three language sections (home, news listing, about page).
SECTION = {
    "ru": {"home": "/", "news": "/novosti/", "about": "/o-gruppe/"},
    "ar": {"home": "/ar/", "news": "/ar/novosti/", "about": "/ar/o-gruppe/hwl-almjmwt"},
    "en": {"home": "/en/", "news": "/en/novosti/", "about": "/en/about-us"},
}

# Language switcher: the other two languages, in the order the site prints them.
SWITCHER = {
    "ru": (("En", "/en/"), ("Ar", "/ar/")),
    "ar": (("Ru", "/"), ("En", "/en/")),
    "en": (("Ru", "/"), ("Ar", "/ar/")),
}

MODERN = {
    "ru": {
        "menu": ["О Группе", "Новости Группы", "Состав Группы", "Заседания Группы", "Издания Группы", "Контакты"],
        "home": "Главная",
        "search": "Поиск по сайту",
        "latest": "Последние новости",
        "related": "Читайте также",
        "share": ["Поделиться:", "ВКонтакте", "Одноклассники", "Телеграм", "Версия для печати"],
        "cookie": "Сайт использует файлы cookie для корректной работы. Продолжая пользоваться сайтом, "
        "вы соглашаетесь с их использованием.",
        "cookie_ok": "Понятно",
        "copyright": "© 2006–2025 Все права защищены. При использовании материалов ссылка на сайт обязательна.",
        "address": "Москва, Большая Никитская ул., д. 17, стр. 1",
        "tags": "Теги:",
        "author": "Автор:",
        "more": "Все новости",
        "prev": "Назад",
        "next": "Вперед",
        "news_title": "Новости",
        "not_found": "Страница не найдена",
        "not_found_text": "Запрошенная страница не существует или была удалена.",
    },
    "ar": {
        "menu": ["عن المجموعة", "أخبار المجموعة", "أعضاء المجموعة", "اجتماعات المجموعة", "إصدارات المجموعة", "اتصل بنا"],
        "home": "الرئيسية",
        "search": "البحث في الموقع",
        "latest": "آخر المستجدات",
        "related": "اقرأ أيضا",
        "share": ["شارك:", "فكونتاكتي", "أودنوكلاسنيكي", "تيليغرام", "نسخة للطباعة"],
        "cookie": "يستخدم هذا الموقع ملفات تعريف الارتباط لضمان عمله بشكل صحيح، وباستمرارك في التصفح "
        "فإنك توافق على استخدامها.",
        "cookie_ok": "موافق",
        "copyright": "© 2006–2025 جميع الحقوق محفوظة. يرجى ذكر الموقع عند استخدام المواد المنشورة.",
        "address": "موسكو، شارع بولشايا نيكيتسكايا، 17",
        "tags": "الكلمات المفتاحية:",
        "author": "الكاتب:",
        "more": "جميع المستجدات",
        "prev": "السابق",
        "next": "التالي",
        "news_title": "المستجدات",
        "not_found": "الصفحة غير موجودة",
        "not_found_text": "الصفحة المطلوبة غير موجودة أو تم حذفها.",
    },
    "en": {
        "menu": ["About the Group", "Group News", "Group Members", "Group Meetings", "Group Publications", "Contacts"],
        "home": "Home",
        "search": "Search the site",
        "latest": "Latest updates",
        "related": "Read also",
        "share": ["Share:", "VKontakte", "Odnoklassniki", "Telegram", "Print version"],
        "cookie": "This website uses cookies to work properly. By continuing to browse the site you agree "
        "to their use.",
        "cookie_ok": "Accept",
        "copyright": "© 2006–2025 All rights reserved. Any use of the materials requires a link to the site.",
        "address": "17/1 Bolshaya Nikitskaya St., Moscow",
        "tags": "Tags:",
        "author": "Author:",
        "more": "All updates",
        "prev": "Previous",
        "next": "Next",
        "news_title": "Updates",
        "not_found": "Page not found",
        "not_found_text": "The requested page does not exist or has been removed.",
    },
}

TABLE = {
    "ru": {
        "menu": ["Главная страница", "Цели и задачи", "Хроника событий", "Архив материалов", "Фотоархив"],
        "side_title": "Анонсы и события",
        "bottom": "Все материалы сайта охраняются законом об авторском праве.",
        "counter": "Рейтинг@Mail.ru",
        "print": "Распечатать страницу",
    },
    "ar": {
        "menu": ["الصفحة الأولى", "الأهداف والمهام", "سجل الأحداث", "أرشيف المواد", "أرشيف الصور"],
        "side_title": "إعلانات وفعاليات",
        "bottom": "جميع مواد الموقع محمية بموجب قانون حقوق النشر.",
        "counter": "عداد الزيارات",
        "print": "طباعة الصفحة",
    },
    "en": {
        "menu": ["Front page", "Aims and tasks", "Chronicle of events", "Materials archive", "Photo archive"],
        "side_title": "Announcements and events",
        "bottom": "All materials of the site are protected by copyright law.",
        "counter": "Visitor counter",
        "print": "Print this page",
    },
}


def chrome_strings(language: str, layout: str) -> list[str]:
    """Visible furniture of an article page of ``layout`` (sidebar items excluded)."""
    switcher = (" " if layout == "modern" else " | ").join(label for label, _ in SWITCHER[language])
    if layout == "modern":
        c = MODERN[language]
        return [switcher, *c["menu"], c["search"], c["latest"], *c["share"], c["cookie"], c["cookie_ok"],
                c["copyright"], c["address"], GROUP_NAME[language]]
    t = TABLE[language]
    return [switcher, *t["menu"], t["side_title"], t["bottom"], t["counter"], t["print"], GROUP_NAME[language]]
