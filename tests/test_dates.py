"""Date parsing as the site and other Arabic/Russian news sites print dates, date finding in
pages, the URL cross-check, and find_published on 17 real news pages with known dates."""

import json
import re
from datetime import date
from pathlib import Path

import lxml.html
import pytest

from crawler.extract.dates import (
    PublishedDate,
    date_from_url,
    find_date_in_text,
    find_published,
    normalize_digits,
    parse_date,
)
from crawler.extract.siteconfig import load_site_config

DATA = Path(__file__).parent / "data" / "htmldate-ar-ru"
ARTICLE_TXT = Path(__file__).parent / "mirror" / "content" / "real_ar_527c77f4d0382ed9.txt"
SITE = load_site_config("rusislam")


def test_normalize_digits_keeps_length_and_maps_digits_and_separators():
    text = "٢٢ يوليو ٢٠٢٠، ۱۴۰۲/۰۳/۱۵ ٣٫٥"
    out = normalize_digits(text)
    assert out == "22 يوليو 2020, 1402/03/15 3.5"
    assert len(out) == len(text)


@pytest.mark.parametrize(
    "text, language, iso, raw",
    [
        ("٢٢ يوليو ٢٠٢٠", "ar", "2020-07-22", "٢٢ يوليو ٢٠٢٠"),
        ("21 ابريل/نيسان 2025", "ar", "2025-04-21", "21 ابريل/نيسان 2025"),
        ("22 تموز/ يوليو 2020", "ar", "2020-07-22", "22 تموز/ يوليو 2020"),
        ("يوليو (تموز) 22 ", "ar", None, None),
        ("3 تشرين الأول 2023", "ar", "2023-10-03", "3 تشرين الأول 2023"),
        ("3 تشرين الثاني 2023", "ar", "2023-11-03", "3 تشرين الثاني 2023"),
        ("١ كانون الثاني ٢٠٢٤", "ar", "2024-01-01", "١ كانون الثاني ٢٠٢٤"),
        ("31 كانون الأول 2023", "ar", "2023-12-31", "31 كانون الأول 2023"),
        ("5 آب 2021", "ar", "2021-08-05", "5 آب 2021"),
        ("5 أيار 2021", "ar", "2021-05-05", "5 أيار 2021"),
        ("12 شباط/فبراير 2022", "ar", "2022-02-12", "12 شباط/فبراير 2022"),
        ("الأربعاء 22 تموز/ يوليو 2020", "ar", "2020-07-22", "الأربعاء 22 تموز/ يوليو 2020"),
        ("الجمعة 24 نيسان / أبريل 2020 09:22", "ar", "2020-04-24T09:22:00+03:00", "الجمعة 24 نيسان / أبريل 2020 09:22"),
        ("السبت ١٩ ديسمبر ٢٠٢٠ - ٠٢:٤٥ م", "ar", "2020-12-19T14:45:00+03:00", "السبت ١٩ ديسمبر ٢٠٢٠ - ٠٢:٤٥ م"),
        ("2020/12/25 - 1:59 صباحًا", "ar", "2020-12-25T01:59:00+03:00", "2020/12/25 - 1:59 صباحًا"),
        ("09 июня 2021", "ru", "2021-06-09", "09 июня 2021"),
        ("09 июня 2021 14:30", "ru", "2021-06-09T14:30:00+03:00", "09 июня 2021 14:30"),
        ("9 июня 2021 г.", "ru", "2021-06-09", "9 июня 2021 г."),
        ("14:30, 09 июня 2021", "ru", "2021-06-09T14:30:00+03:00", "14:30, 09 июня 2021"),
        ("Четверг, 3 декабря 2020", "ru", "2020-12-03", "Четверг, 3 декабря 2020"),
        ("09.06.2021", "ru", "2021-06-09", "09.06.2021"),
        ("Опубликовано: 09.06.2021 в 14:30", "ru", "2021-06-09T14:30:00+03:00", "09.06.2021 в 14:30"),
        ("July 22, 2020", "en", "2020-07-22", "July 22, 2020"),
        ("22 July 2020", "en", "2020-07-22", "22 July 2020"),
        ("2020-07-22", None, "2020-07-22", "2020-07-22"),
        ("2020-07-22T10:05:00+04:00", None, "2020-07-22T10:05:00+04:00", "2020-07-22T10:05:00+04:00"),
        ("2020-07-22T07:05:00Z", None, "2020-07-22T07:05:00+00:00", "2020-07-22T07:05:00Z"),
        ("Wed, 22 Jul 2020 10:00:00 GMT", None, "2020-07-22T10:00:00+00:00", "Wed, 22 Jul 2020 10:00:00 GMT"),
        # Language hint wrong or missing: the other languages' forms are still found.
        ("09 июня 2021", None, "2021-06-09", "09 июня 2021"),
        ("22 يوليو 2020", "ru", "2020-07-22", "22 يوليو 2020"),
    ],
)
def test_parse_date(text, language, iso, raw):
    found = parse_date(text, language)
    if iso is None:
        assert found is None
    else:
        assert found == PublishedDate(iso, raw)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "22 июля", "July 2020", "1 января 1985", "5 мая 2199", "٣٢ يوليو ٢٠٢٠", "نص بلا تاريخ", "99.99.2020", "\x00\xff"],
)
def test_parse_date_rejects_incomplete_impossible_and_implausible(text):
    assert parse_date(text, "ru") is None


def test_time_without_zone_takes_the_timezone_argument():
    assert parse_date("09 июня 2021 14:30", "ru", timezone="Asia/Dubai").iso == "2021-06-09T14:30:00+04:00"
    # Summer/winter offsets come from the zone database, not a fixed offset.
    assert parse_date("9 January 2020 10:00", "en", timezone="Europe/Berlin").iso == "2020-01-09T10:00:00+01:00"
    assert parse_date("9 July 2020 10:00", "en", timezone="Europe/Berlin").iso == "2020-07-09T10:00:00+02:00"


def test_find_date_in_real_article_text_takes_the_printed_date_line():
    text = ARTICLE_TXT.read_text(encoding="utf-8")
    # The body also says "الأربعاء 22 تموز/ يوليو" without a year and "21 و 22 تموز/ يوليو":
    # neither is a full date, the date line is.
    assert find_date_in_text(text, "ar") == PublishedDate("2020-07-22", "٢٢ يوليو ٢٠٢٠")


def test_find_date_in_text_skips_incomplete_dates_and_returns_first_full_one():
    text = "МОСКВА, 29 июня. /ТАСС/. Встреча прошла 28 июня 2020 года, а следующая — 5 июля 2020 года."
    assert find_date_in_text(text, "ru") == PublishedDate("2020-06-28", "28 июня 2020 года")
    assert find_date_in_text("нет даты", "ru") is None
    assert find_date_in_text("", "ar") is None


def test_date_from_url_with_site_pattern_and_percent_encoded_arabic_slug():
    url = ("https://russia-islworld.ru/ar/novosti//%D9%88%D9%81%D8%AF-%D9%85%D8%AC%D9%85%D9%88%D8%B9%D8%A9"
           "-2025-12-04-53208")
    assert date_from_url(url, SITE.article_url_pattern) == "2025-12-04"
    ru = "https://russia-islworld.ru/novosti/press-reliz-9-iuna-2021-2021-06-09-17191"
    assert date_from_url(ru, SITE.article_url_pattern) == "2021-06-09"
    assert date_from_url("https://russia-islworld.ru/en/about-us", SITE.article_url_pattern) is None


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://www.youm7.com/story/2020/8/24/%D9%88%D8%B2%D9%8A%D8%B1/4943459", "2020-08-24"),
        ("https://www.mk.ru/politics/2020/09/23/prichinoy.html", "2020-09-23"),
        ("https://www.albayan.ae/across-the-uae/news-and-reports/2020-06-03-1.3874341", "2020-06-03"),
        ("https://arabic.sputniknews.com/arab_world/202003171044893040-slug/", "2020-03-17"),
        ("https://example.org/news/20200722/slug", "2020-07-22"),
        ("https://www.beirutobserver.com/2020/11/2338761/", None),
        ("https://tass.ru/moskva/8836033", None),
        ("https://example.org/2020-13-45-story", None),
        ("https://example.org/item/12345678", None),
        ("", None),
    ],
)
def test_date_from_url_generic(url, expected):
    assert date_from_url(url) == expected


def site_page(date_html: str, head: str = "", after_title: str = "") -> lxml.html.HtmlElement:
    html = f"""<html lang="ar"><head><meta charset="utf-8">{head}</head><body>
    <div class="sidebar"><span class="news-date">01 يناير 2019</span></div>
    <div class="news-detail"><h3>روسيا وتركيا بصدد إطلاق مجموعة عمل مشتركة حول ليبيا</h3>
    {date_html}{after_title}
    <div class="detail-text"><p>تنوي كل من روسيا وتركيا تشكيل مجموعة عمل مشتركة.</p></div></div>
    </body></html>"""
    return lxml.html.fromstring(html)


URL = "https://russia-islworld.ru/ar/novosti//slug-2020-07-22-13600"


def test_site_selector_date_with_arabic_indic_digits():
    root = site_page('<span class="news-date-time">٢٢ يوليو ٢٠٢٠</span>')
    assert find_published(root, URL, "ar", site=SITE) == PublishedDate("2020-07-22", "٢٢ يوليو ٢٠٢٠")


def test_selector_written_as_xpath():
    site = SITE.without_selectors()
    from dataclasses import replace
    site = replace(site, extract=replace(site.extract, selectors={"date": ("//p[@class='when']/text()",)}))
    root = site_page('<p class="when">21 ابريل/نيسان 2020</p>')
    url = "https://russia-islworld.ru/ar/novosti//slug-2020-04-21-1"
    assert find_published(root, url, "ar", site=site) == PublishedDate("2020-04-21", "21 ابريل/نيسان 2020")


def test_printed_date_after_title_wins_over_agreeing_metadata():
    head = '<meta property="article:published_time" content="2020-07-22T09:00:00+03:00">'
    root = site_page("<div>الأربعاء 22 تموز/ يوليو 2020</div>", head=head)
    title = root.xpath("//h3")[0]
    found = find_published(root, URL, "ar", site=SITE.without_selectors(), after=title)
    # The printed day and form stand; the time comes from the metadata given in a local offset.
    assert found == PublishedDate("2020-07-22T09:00:00+03:00", "الأربعاء 22 تموز/ يوليو 2020")
    # A UTC metadata value lends no time: its day need not be the publisher's.
    utc = site_page("<div>الأربعاء 22 تموز/ يوليو 2020</div>",
                    head='<meta property="article:published_time" content="2020-07-22T06:00:00+00:00">')
    found = find_published(utc, URL, "ar", site=SITE.without_selectors(), after=utc.xpath("//h3")[0])
    assert found == PublishedDate("2020-07-22", "الأربعاء 22 تموز/ يوليو 2020")
    # Without the title to start from, the metadata is the answer.
    assert find_published(root, URL, "ar", site=SITE.without_selectors()).iso == "2020-07-22T09:00:00+03:00"


def test_metadata_that_disagrees_with_url_loses_to_an_agreeing_candidate():
    # article:published_time is a re-publication stamp two years later; JSON-LD agrees with the URL.
    head = ('<meta property="article:published_time" content="2022-05-01T10:00:00+03:00">'
            '<script type="application/ld+json">{"@context":"https://schema.org","@graph":['
            '{"@type":"WebSite","datePublished":"2015-01-01"},'
            '{"@type":"NewsArticle","datePublished":"2020-07-21T23:30:00+03:00"}]}</script>')
    root = site_page("", head=head)
    found = find_published(root, URL, "ar", site=SITE.without_selectors())
    assert found == PublishedDate("2020-07-21T23:30:00+03:00", "2020-07-21T23:30:00+03:00")


def test_nothing_agrees_with_url_date_falls_back_to_url_date():
    root = site_page('<span class="news-date-time">01 مارس 2018</span>')
    url = "https://www.youm7.com/story/2020/8/24/slug/4943459"
    assert find_published(root, url, "ar", site=SITE) == PublishedDate("2020-08-24", "2020/8/24")


def test_no_date_anywhere_gives_none():
    root = lxml.html.fromstring("<html><body><h1>Без даты</h1><p>Текст статьи без даты.</p></body></html>")
    assert find_published(root, "https://example.org/news/item", "ru", after=root.xpath("//h1")[0]) is None


def test_time_datetime_inside_article_and_itemprop():
    root = lxml.html.fromstring(
        '<html><body><article><h1>T</h1><time datetime="2021-06-09T14:30:00+03:00">9 июня</time>'
        "<p>Текст</p></article></body></html>"
    )
    assert find_published(root, "https://example.org/a", "ru").iso == "2021-06-09T14:30:00+03:00"
    root = lxml.html.fromstring(
        '<html><body><h1>T</h1><span itemprop="datePublished" content="2021-06-10">10 июня</span></body></html>'
    )
    assert find_published(root, "https://example.org/a", "ru").iso == "2021-06-10"


def gold_pages():
    return [json.loads(line) for line in (DATA / "gold.jsonl").read_text(encoding="utf-8").splitlines() if line]


def test_real_pages_have_their_gold_publication_date():
    """17 real Arabic and Russian news pages from other sites, generic rules only (no site).

    Known miss: tass.ru/moskva/8836033, gold 2020-06-28, while the page's own JSON-LD says
    2020-06-29T00:16:15+03:00 and its dateline "МОСКВА, 29 июня": the gold holds the UTC day.
    """
    from crawler.extract.decode import decode_html

    for with_title in (True, False):
        results = {}
        for gold in gold_pages():
            text, _ = decode_html((DATA / gold["file"]).read_bytes(), [])
            root = lxml.html.fromstring(text)
            titles = root.xpath("//h1") if with_title else []
            found = find_published(root, gold["url"], gold["language"], after=titles[0] if titles else None)
            results[gold["file"]] = (found.iso[:10] if found else None, gold["published"])
            assert found is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2})?", found.iso)
        misses = {f: r for f, r in results.items() if r[0] != r[1]}
        assert len(results) == 17
        assert len(results) - len(misses) >= 16, (with_title, misses)
        assert set(misses) <= {"1647262025.html"}, (with_title, misses)


def test_published_date_day_property():
    assert PublishedDate("2020-07-22T10:00:00+03:00", "x").day == date(2020, 7, 22)


def test_same_instant_in_utc_and_local_metadata_gives_the_local_day():
    head = ('<meta property="article:published_time" content="2020-12-24T23:59:50+00:00">'
            '<meta property="og:updated_time" content="2021-01-05T10:00:00+00:00">'
            '<meta name="pubdate" content="2020-12-25T01:59:50+02:00">')
    root = lxml.html.fromstring(f"<html><head>{head}</head><body><h1>T</h1><p>نص</p></body></html>")
    found = find_published(root, "https://example.org/news/item", "ar")
    assert found == PublishedDate("2020-12-25T01:59:50+02:00", "2020-12-25T01:59:50+02:00")
