"""extract_article / article_record on pages written here, independent of the test mirror.

The real Arabic page (tests/mirror/content/real_ar_527c77f4d0382ed9.txt, a verbatim copy of the shared page)
is rendered in two unrelated markups: a modern div page whose class names match none of the
site's selectors, and an old nested-table page with <br><br> paragraphs. Both must give the
same exact fields, with and without site selectors.
"""

from __future__ import annotations

import hashlib
import html
import unicodedata
from datetime import datetime, timezone
from pathlib import Path

import jsonschema
import pytest

from crawler.extract.article import extract_article
from crawler.extract.record import (EXTRACTOR_VERSION, Article, Capture, article_record, extractor_info, load_schema,
                                   next_version_fields)
from crawler.extract.siteconfig import load_site_config
from crawler.extract.urls import SiteUrls

REAL_PAGE = Path(__file__).parent / "mirror" / "content" / "real_ar_527c77f4d0382ed9.txt"
SHARED_PAGE = Path(__file__).parent / "mirror" / "content" / "real_ar_527c77f4d0382ed9.txt"
ORIGIN = "https://russia-islworld.ru"
AR_PATH = "/ar/novosti//%D8%B1%D9%88%D8%B3%D9%8A%D8%A7-%D9%88%D8%AA%D8%B1%D9%83%D9%8A%D8%A7-2020-07-22-9876"
AR_URL = ORIGIN + AR_PATH
OTHER_AR_PATH = "/ar/novosti//%D8%AE%D8%A8%D8%B1-2020-07-21-9870"
GROUP_AR = 'مجموعة الرؤية الاستراتيجية "روسيا - العالم الإسلامي"'
HTML_HEADERS = [("Content-Type", "text/html; charset=utf-8")]


@pytest.fixture(scope="module")
def site():
    return load_site_config("rusislam")


def _real_page_lines() -> list[str]:
    path = SHARED_PAGE if SHARED_PAGE.exists() else REAL_PAGE
    return path.read_text(encoding="utf-8").split("\n")


LINES = _real_page_lines()
TITLE = LINES[2].strip()
DATE_RAW = LINES[4].strip()
# Body paragraphs between the date and the footer line, without the nbsp-only separators.
_BODY_END = next(i for i, line in enumerate(LINES) if line.strip() == GROUP_AR)
RAW_BLOCKS = [line for line in LINES[6:_BODY_END] if line != ""]  # nbsp separators kept
PARAGRAPHS = [line.strip() for line in RAW_BLOCKS if line.replace("\u00a0", "").strip()]
EXPECTED_BODY = "\n".join(PARAGRAPHS)
SOURCE_LINE = LINES[-1].strip() or LINES[-2].strip()


def _sidebar_items() -> str:
    items = []
    for n, title in enumerate(["لافروف يبحث مع نظيره الأردني الأوضاع في المنطقة",
                               "وفد المجموعة يزور جمهورية تتارستان"]):
        path = f"/ar/novosti//khabar-{n}-2020-07-{20 - n}-{9000 + n}"
        items.append(
            f'<div class="item"><a href="{path}">{html.escape(title)}</a>'
            f"<p>{html.escape(title)} في إطار التعاون بين روسيا والعالم الإسلامي.</p>"
            f"<span>{20 - n} يوليو 2020</span></div>"
        )
    return "".join(items)


def modern_page(*, charset_meta: bool = True, canonical: str | None = AR_URL, extra_body: str = "") -> str:
    """Div layout; no class matches the site's selectors (generic extraction even with them)."""
    paragraphs = "".join(
        f"<p>{'&nbsp;' if block.strip() == '' else html.escape(block)}</p>\n" for block in RAW_BLOCKS
    )
    meta = '<meta charset="utf-8">' if charset_meta else ""
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return f"""<!DOCTYPE html>
<html lang="ar" dir="rtl"><head>{meta}
<title>{html.escape(TITLE)} | {html.escape(GROUP_AR)}</title>
<meta property="og:title" content="{html.escape(TITLE)}">{link}
</head><body>
<div class="top-bar"><a href="/ar/"><img src="/logo.png" alt="logo"></a>
<div class="switch-lang"><a href="/">Ru</a> <a href="/en/">En</a></div>
<ul class="main-menu"><li><a href="/ar/o-gruppe/">عن المجموعة</a></li><li><a href="/ar/novosti/">أخبار المجموعة</a></li></ul></div>
<div class="wrap"><div class="col-main">
<h1 class="headline">{html.escape(TITLE)}</h1>
<div class="when">{DATE_RAW}</div>
<div class="txt">
<figure><img src="/upload/1.jpg"><figcaption>لافروف وجاويش أوغلو</figcaption></figure>
{paragraphs}{extra_body}<p>{html.escape(GROUP_AR)}</p>
<p>المصدر: <a href="https://tass.ru/">تاس</a></p>
</div>
<div class="share-box">شارك: <a href="https://vk.com/share">فكونتاكتي</a></div>
</div>
<div class="col-right"><h3>آخر المستجدات</h3>{_sidebar_items()}</div></div>
<div class="bottom">© 2020 {html.escape(GROUP_AR)}</div>
<div id="cookie-warning">يستخدم هذا الموقع ملفات تعريف الارتباط <button>موافق</button></div>
</body></html>"""


def table_page() -> str:
    """The older layout: nested tables, <br><br> paragraphs in a cell, a switcher and a link
    column without classes, the date in a <font>, the source line after the footer line."""
    cell = "<br>\n".join(
        "&nbsp;" if block.strip() == "" else html.escape(block) for block in RAW_BLOCKS
    )
    links = "<br>".join(
        f'<a href="/ar/novosti//khabar-{n}-2020-07-1{n}-{8000 + n}">خبر آخر رقم {n} عن التعاون</a>' for n in range(4)
    )
    return f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{html.escape(GROUP_AR)} - {html.escape(TITLE)}</title></head>
<body><table width="100%"><tr><td colspan="2" align="left"><a href="/">Ru</a> | <a href="/en/">En</a></td></tr>
<tr><td width="200" valign="top"><table><tr><td>{links}</td></tr><tr><td><a href="/ar/">الرئيسية</a><br><a href="/ar/novosti/">المستجدات</a></td></tr></table></td>
<td valign="top"><table><tr><td><b>{html.escape(TITLE)}</b></td></tr>
<tr><td><font size="1">{DATE_RAW}</font></td></tr>
<tr><td>{cell}<br><br>
{html.escape(GROUP_AR)}<br>
المصدر: تاس</td></tr></table></td></tr>
<tr><td colspan="2" align="center">{html.escape(GROUP_AR)} &copy; 2006-2020</td></tr></table></body></html>"""


def _check_real_article(article: Article | None) -> None:
    assert article is not None
    assert article.title == TITLE
    assert article.published == "2020-07-22"
    assert article.published_raw == "٢٢ يوليو ٢٠٢٠"
    assert article.source == {"name": "TASS", "raw": "تاس"}
    assert article.body == EXPECTED_BODY
    assert article.language == "ar"
    assert article.language_declared == "ar"
    assert article.content_sha1 == hashlib.sha1(EXPECTED_BODY.encode("utf-8")).hexdigest()


def test_real_page_text_is_what_the_tests_expect():
    assert len(PARAGRAPHS) >= 13
    assert DATE_RAW == "٢٢ يوليو ٢٠٢٠"
    assert SOURCE_LINE == "المصدر: تاس"


@pytest.mark.parametrize("use_selectors", [True, False])
@pytest.mark.parametrize("render", [modern_page, table_page], ids=["modern", "table"])
def test_real_arabic_page_in_two_markups(site, render, use_selectors):
    page = render().encode("utf-8")
    article = extract_article(page, AR_URL, HTML_HEADERS, site, use_selectors=use_selectors)
    _check_real_article(article)
    for furniture in ("Ru En", "Ru | En", "آخر المستجدات", "شارك", "موافق", "©", "لافروف", "خبر آخر",
                      "المصدر", GROUP_AR):
        assert furniture not in article.body
    assert article.id == SiteUrls(site).article_id(AR_URL)


def test_site_selectors_are_used_when_they_match(site):
    """A page in the site's Bitrix template: the configured selectors find title, date, body."""
    blocks = "".join(f"<p>{'&nbsp;' if b.strip() == '' else html.escape(b)}</p>" for b in RAW_BLOCKS)
    page = f"""<html lang="ar"><head><title>x</title></head><body>
<div class="news-detail"><h3>{html.escape(TITLE)}</h3><span class="news-date-time">{DATE_RAW}</span>
<div class="detail-text">{blocks}<p>{html.escape(GROUP_AR)}</p><p>المصدر: تاس</p></div></div>
<div><h1>{html.escape(GROUP_AR)}</h1></div></body></html>"""
    with_selectors = extract_article(page.encode(), AR_URL, HTML_HEADERS, site)
    _check_real_article(with_selectors)


def test_windows_1256_page_without_any_charset_declaration(site):
    # cp1256 has no Arabic-Indic digits: such pages carry them as character references.
    page = modern_page(charset_meta=False).encode("cp1256", errors="xmlcharrefreplace")
    article = extract_article(page, AR_URL, [("Content-Type", "text/html")], site)
    _check_real_article(article)


@pytest.mark.parametrize("body", [
    b"",
    b"   \n ",
    b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40,
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj",
    bytes(range(256)) * 100,
    b"<html><body><div><p>unclosed <b>bold <table><tr><td>cell</div></span></i></body>",
    b"<<<<>>>>&&&&;;;</></>",
    "<html><body><h1>Only a title</h1></body></html>".encode(),
    b"\xff\xfe<\x00h\x00t\x00m\x00l\x00>\x00",
    b'<?xml version="1.0" encoding="utf-8"?><html><body><p>x</p></body></html>',
], ids=["empty", "blank", "png", "pdf", "binary", "malformed", "garbage", "title-only", "utf16-bom", "xml-decl"])
def test_bad_input_gives_none_without_raising(site, body):
    assert extract_article(body, AR_URL, HTML_HEADERS, site) is None


def test_malformed_article_markup_still_extracts(site):
    page = modern_page().replace("</p>", "", 20).replace("</div>", "", 3)
    article = extract_article(page.encode(), AR_URL, [], site)
    assert article is not None and article.title == TITLE
    assert article.body.split("\n")[0] == PARAGRAPHS[0]


@pytest.mark.parametrize("change, headers", [
    # characters the HTML parser lets through but lxml refuses to set, after an element the cleaner removes
    (("<figure>", "<nav>menu</nav>&#1;x<form></form>&#xFFFF;<figure>"), HTML_HEADERS),
    (("<figure>", "<script></script>\x0bx<div class=\"author\">Ivan</div>\x01<figure>"), HTML_HEADERS),
    # JSON-LD nested past the JSON parser's recursion limit (also read for non-article URLs)
    (("</head>", '<script type="application/ld+json">' + "[" * 1000 + "</script></head>"), HTML_HEADERS),
    # a charset label naming a Python codec that is no page encoding (tests/test_decode.py: others)
    (('<meta charset="utf-8">', '<meta charset="undefined">'), []),
], ids=["control-chars", "control-chars-raw", "deep-json-ld", "charset-undefined"])
def test_hostile_details_do_not_cost_the_article(site, change, headers):
    page = modern_page().replace(*change, 1)
    assert change[1] in page
    article = extract_article(page.encode(), AR_URL, headers, site)
    assert article is not None and article.title == TITLE
    assert article.body.split("\n")[0] == PARAGRAPHS[0]


@pytest.mark.parametrize("item", [
    '<a href="/ar/novosti//x-2020-07-21-{i}">خبر {i}</a> ',  # teaser links in one block
    '<a href="/ar/novosti//x-2020-07-21-{i}">خبر {i}</a><br>',  # ... each on a line of its own (dropped)
    '<li><a href="/ar/novosti//x-2020-07-21-{i}">خبر {i}</a> نص</li>',  # teaser items (dropped)
    '<a href="/ar/o-gruppe/page{i}">صفحة {i}</a> ',  # navigation links
    '<img src="/i{i}.jpg"> ',  # images
])
def test_a_block_of_thousands_of_items_is_not_read_whole_for_each(site, monkeypatch, item):
    """Each link or image asks about its block: the block's whole text is normalised a bounded
    number of times, not once per item (10,000 links took 32 s when it was)."""
    import crawler.extract.boilerplate as boilerplate

    whole_readings = []
    normalize = boilerplate.normalize_text

    def counted(text: str) -> str:
        if len(text) > 15_000:  # the block's text, or most of it (each item adds 7 to 30 characters)
            whole_readings.append(len(text))
        return normalize(text)

    monkeypatch.setattr(boilerplate, "normalize_text", counted)
    block = "<div>" + "".join(item.format(i=i) for i in range(3000)) + "</div>"
    article = extract_article(modern_page(extra_body=block).encode(), AR_URL, HTML_HEADERS, site)
    assert article is not None and article.title == TITLE
    assert len(whole_readings) <= 6, len(whole_readings)


def test_inline_tags_never_closed_keep_the_body(site):
    """Old pages open a <font> per paragraph and never close it: the nesting passes libxml2's
    default limit of 256 levels, beyond which it would drop the rest of the page."""
    plain = extract_article(modern_page().encode(), AR_URL, HTML_HEADERS, site)
    nested = modern_page().replace('<div class="txt">', '<div class="txt">' + '<font size="2">' * 400)
    article = extract_article(nested.encode(), AR_URL, HTML_HEADERS, site)
    assert article is not None and article.title == TITLE
    assert article.body == plain.body and article.source == plain.source


def test_deeply_nested_and_huge_pages_are_bounded(site):
    """Nesting past the parser's limit and a page with thousands of stray closing tags are read, not raised
    on (their cost is measured in bench/, not timed here: a loaded machine is no failure)."""
    deep = "<div>" * 50_000 + "<p>" + "نص " * 100 + "</p>" + "</div>" * 50_000
    extract_article(f"<html><body><h1>{TITLE}</h1>{deep}</body></html>".encode(), AR_URL, [], site)
    huge = modern_page(extra_body="<p>" + "كلمة عربية طويلة " * 60 + "</p>\n" * 3000)
    article = extract_article(huge.encode(), AR_URL, HTML_HEADERS, site)
    assert article is not None and article.title == TITLE
    assert article.body.count("كلمة عربية طويلة") == 60  # the long paragraph, whole


def test_non_article_pages_give_none(site):
    listing = f"""<html lang="ar"><head><title>المستجدات</title></head><body>
<h1>المستجدات</h1>{_sidebar_items() * 3}<div class="pager"><a href="/ar/novosti/?PAGEN_1=2">2</a></div></body></html>"""
    assert extract_article(listing.encode(), ORIGIN + "/ar/novosti/", HTML_HEADERS, site) is None
    about = "<html><head><title>About us</title></head><body><h1>About us</h1>" + (
        "<p>The Group of Strategic Vision was founded in 2006 to strengthen relations between Russia and"
        " the countries of the Organisation of Islamic Cooperation.</p>" * 4) + "</body></html>"
    assert extract_article(about.encode(), ORIGIN + "/en/about-us", HTML_HEADERS, site) is None
    # An error page served with 200 at an article URL.
    error = """<html><head><title>الصفحة غير موجودة</title></head><body><h1>الصفحة غير موجودة</h1>
<p>الصفحة المطلوبة غير موجودة أو تم حذفها.</p></body></html>"""
    assert extract_article(error.encode(), AR_URL, HTML_HEADERS, site) is None
    listing_at_article_url = f"<html><head><title>x</title></head><body><h1>x</h1>{_sidebar_items()}</body></html>"
    assert extract_article(listing_at_article_url.encode(), AR_URL, HTML_HEADERS, site) is None


def test_alias_url_with_canonical_to_an_article_is_that_article(site):
    alias = ORIGIN + "/ar/novosti/detail.php?ELEMENT_ID=9876"
    article = extract_article(modern_page().encode(), alias, HTML_HEADERS, site)
    assert article is not None
    assert article.url == alias
    assert article.canonical_url == SiteUrls(site).identity_url(AR_URL)
    assert article.id == SiteUrls(site).article_id(AR_URL)


def test_canonical_to_a_non_article_page_is_ignored(site):
    article = extract_article(modern_page(canonical=ORIGIN + "/ar/").encode(), AR_URL, HTML_HEADERS, site)
    assert article is not None and article.canonical_url == AR_URL


def test_mirror_crawl_names_the_real_sites_url(site):
    mirror = site.with_origin("http://127.0.0.1:8765")
    url = "http://127.0.0.1:8765" + AR_PATH + "?utm_source=x"
    page = modern_page(canonical="http://127.0.0.1:8765" + AR_PATH).encode()
    article = extract_article(page, url, HTML_HEADERS, mirror)
    assert article.url == url
    assert article.canonical_url == AR_URL
    assert article.id == SiteUrls(site).article_id(AR_URL)


def test_inline_link_paragraph_kept_teasers_and_captions_dropped(site):
    inline = (f'<p>وكانت المجموعة قد عقدت <a href="{OTHER_AR_PATH}">اجتماعها السابق</a> في مدينة قازان '
              "بمشاركة ممثلين عن سبع وعشرين دولة إسلامية.</p>")
    teaser = f'<div><a href="{OTHER_AR_PATH}">اقرأ أيضا: اجتماع المجموعة في قازان</a></div>'
    caption = '<p><img src="/upload/2.jpg"><br>صورة من الاجتماع</p><p>الصورة: ريا نوفوستي</p>'
    article = extract_article(modern_page(extra_body=inline + teaser + caption).encode(), AR_URL, HTML_HEADERS, site)
    assert article is not None
    lines = article.body.split("\n")
    assert lines[:-1] == PARAGRAPHS
    assert lines[-1].startswith("وكانت المجموعة قد عقدت اجتماعها السابق في مدينة قازان")
    assert "اقرأ أيضا" not in article.body and "صورة" not in article.body and "ريا" not in article.body
    assert article.source == {"name": "TASS", "raw": "تاس"}


def test_group_name_lines_go_but_sentences_naming_the_group_stay(site):
    sentence = f"{GROUP_AR} تعقد اجتماعها المقبل في موسكو"
    extra = f"<p>{html.escape(sentence)}</p><p>© 2006–2020 {html.escape(GROUP_AR)}</p><p>Ru En</p><p>22 يوليو 2020</p>"
    article = extract_article(modern_page(extra_body=extra).encode(), AR_URL, HTML_HEADERS, site)
    assert article.body.split("\n") == [*PARAGRAPHS, sentence]


def test_author_tags_and_categories(site):
    page = modern_page().replace(
        "</head>",
        '<meta name="author" content="Ivan Petrov"><meta property="article:tag" content="Libya">'
        '<meta property="article:tag" content="Turkey"><meta property="article:section" content="Politics"></head>',
    )
    article = extract_article(page.encode(), AR_URL, HTML_HEADERS, site)
    assert (article.author, article.tags, article.categories) == ("Ivan Petrov", ["Libya", "Turkey"], ["Politics"])
    block = modern_page(extra_body='<div class="news-author">الكاتب: أحمد علي</div>'
                                   '<div class="news-tags">الكلمات المفتاحية: <a href="/t/1">ليبيا</a>, '
                                   '<a href="/t/2">تركيا</a></div>')
    article = extract_article(block.encode(), AR_URL, HTML_HEADERS, site)
    assert article.author == "أحمد علي"
    assert article.tags == ["ليبيا", "تركيا"]
    assert article.body == EXPECTED_BODY
    plain = extract_article(modern_page().encode(), AR_URL, HTML_HEADERS, site)
    assert (plain.author, plain.tags, plain.categories) == (None, [], [])


def test_text_is_nfc(site):
    decomposed = unicodedata.normalize("NFD", "Новый шаг: й и ё в заголовке")
    body = "".join(f"<p>{unicodedata.normalize('NFD', 'Пройдёт встреча, и её итоги будут объявлены позже ' * 3)}</p>"
                   for _ in range(3))
    page = f'<html lang="ru"><head><title>{decomposed}</title></head><body><h1>{decomposed}</h1>{body}</body></html>'
    article = extract_article(page.encode(), ORIGIN + "/novosti/novyj-shag-2021-06-09-17191", [], site)
    assert article.title == unicodedata.normalize("NFC", decomposed)
    assert unicodedata.is_normalized("NFC", article.body)
    assert article.language == "ru" and article.published == "2021-06-09"


def test_record_key_order_and_schema(site):
    article = extract_article(modern_page().encode(), AR_URL, HTML_HEADERS, site)
    capture = Capture(url=AR_URL, fetched_at=datetime(2024, 5, 1, 12, 30, 5, 123456, tzinfo=timezone.utc),
                      http_status=200, warc={"file": "rusislam-20240501-00000.warc.gz", "offset": 1234,
                                             "length": 5678, "record_id": "<urn:uuid:1>"})
    record = article_record(article, capture)
    assert list(record) == [
        "id", "url", "canonical_url", "site", "language", "language_declared", "title", "published",
        "published_date", "published_raw", "body", "source", "author", "categories", "tags", "translations",
        "fetched_at", "http_status", "content_sha1", "warc", "extractor",
    ]
    assert record["published_date"] == record["published"][:10]
    assert record["fetched_at"] == "2024-05-01T12:30:05Z"
    assert record["extractor"] == extractor_info() and record["extractor"]["version"] == EXTRACTOR_VERSION
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    # the pipeline adds the version fields: a line lacking them is not a line of the archive
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(record, schema, cls=jsonschema.Draft202012Validator)
    record = {**record, **next_version_fields(None)}
    assert record["version"] == 1 and record["previous_sha1"] == ""
    jsonschema.validate(record, schema, cls=jsonschema.Draft202012Validator)
    no_warc = article_record(article, Capture(AR_URL, datetime(2024, 5, 1, 15, 0), 200, None))
    assert no_warc["warc"] is None and no_warc["fetched_at"] == "2024-05-01T15:00:00Z"
    jsonschema.validate({**no_warc, **next_version_fields((1, "0" * 40))}, schema)
    assert next_version_fields((1, "0" * 40)) == {"version": 2, "previous_sha1": "0" * 40}
    with pytest.raises(jsonschema.ValidationError):  # one type per field: a first version says "", not null
        jsonschema.validate({**record, "previous_sha1": None}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**record, "unexpected": 1}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**record, "published": "22.07.2020"}, schema)


def test_robots_clean_param_makes_no_second_article(site):
    """A page fetched as ?sid=123 (robots.txt Clean-param: sid) is the same article as without it."""
    from tests.mirror import build_site

    mirror = build_site()
    article = mirror.articles[1]
    base = "http://127.0.0.1:8765"
    page = mirror.respond("GET", article.path, base)
    assert b'rel="canonical"' not in page.body  # the id must come from the URL alone
    headers = [("Content-Type", page.content_type)]
    plain = extract_article(page.body, base + article.path, headers, site.with_origin(base))
    with_sid = extract_article(page.body, base + article.path + "?sid=123", headers, site.with_origin(base),
                               clean_params=["sid"])
    unaware = extract_article(page.body, base + article.path + "?sid=123", headers, site.with_origin(base))
    assert with_sid.id == plain.id and with_sid.canonical_url == plain.canonical_url
    assert unaware.id != plain.id


def test_clean_param_lines_of_robots_txt():
    from crawler.extract.urls import parse_clean_params

    text = "User-agent: Yandex\nClean-param: sid&ref /novosti/\nclean-param:utm_source\nDisallow: /x\n"
    assert parse_clean_params(text) == ["sid", "ref", "utm_source"]
