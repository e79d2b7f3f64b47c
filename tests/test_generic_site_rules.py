"""What a minimal site file relies on: pagination forms, feeds, hreflang, agency marks, bylines."""

from __future__ import annotations

import lxml.html
import pytest

from crawler.extract.article import extract_article
from crawler.extract.feeds import announced_feeds, feed_entries, looks_like_feed
from crawler.extract.links import hreflang_alternates, page_links
from crawler.extract.siteconfig import load_site_config
from crawler.extract.sources import SourceMatcher
from crawler.extract.urls import SiteUrls
from tests.wpmirror import SITE_FILE

ORIGIN = "https://www.gulfwire.example"


@pytest.fixture(scope="module")
def site():
    return load_site_config(SITE_FILE)


def test_a_minimal_file_gets_defaults(site):
    assert site.name == "gulfwire"  # from the file name
    assert site.listing_url_pattern is None and site.pagination_param is None
    assert site.languages["en"].feeds == ()


@pytest.mark.parametrize("path, listing, number", [
    ("/category/news/", True, 1),
    ("/category/news/page/3/", True, 3),
    ("/category/news/?page=4", True, 4),
    ("/category/news/?paged=5", True, 5),
    ("/category/news/?PAGEN_1=6", True, 6),
    ("/ar/category/news/page/2", True, 2),
    ("/category/news/?replytocom=3", False, 1),
    ("/category/other/", False, 1),
    ("/2024/05/16/page/2/", False, 2),
])
def test_listings_and_their_pages_without_a_listing_pattern(site, path, listing, number):
    urls = SiteUrls(site)
    assert urls.is_listing(ORIGIN + path) is listing
    assert urls.page_number(ORIGIN + path) == number


RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>a</title><link>https://www.gulfwire.example/2024/05/16/a/</link>
<pubDate>Thu, 16 May 2024 06:30:00 GMT</pubDate></item>
<item><title>no link</title></item>
<item><title>b</title><link>/2024/05/15/b/</link></item></channel></rss>"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><title>c</title><link rel="alternate" href="https://www.gulfwire.example/2024/05/14/c/"/>
<updated>2024-05-14T10:00:00+03:00</updated></entry></feed>"""


def test_feed_items_with_their_dates():
    assert looks_like_feed(RSS) and looks_like_feed(ATOM) and not looks_like_feed(b"<?xml version='1.0'?><urlset/>")
    assert feed_entries(RSS, ORIGIN + "/feed/") == [
        (ORIGIN + "/2024/05/16/a/", "2024-05-16T06:30:00+00:00"),
        (ORIGIN + "/2024/05/15/b/", None),
    ]
    assert feed_entries(ATOM, ORIGIN + "/feed/atom/") == [(ORIGIN + "/2024/05/14/c/", "2024-05-14T07:00:00+00:00")]
    assert feed_entries(b"<html>not a feed</html>", ORIGIN) == []


def test_announced_feeds_leave_comment_feeds_out():
    root = lxml.html.fromstring(
        '<html><head><link rel="alternate" type="application/rss+xml" title="Site » Feed" href="/feed/">'
        '<link rel="alternate" type="application/rss+xml" title="Site » Comments Feed" href="/comments/feed/">'
        '<link rel="alternate" type="application/atom+xml" href="/feed/atom/">'
        '<link rel="alternate" type="application/rss+xml" href="/2024/05/16/a/feed/" title="A » Комментарии">'
        '<link rel="stylesheet" href="/s.css"></head><body></body></html>')
    assert announced_feeds(root, ORIGIN + "/category/news/") == [ORIGIN + "/feed/", ORIGIN + "/feed/atom/"]


def test_hreflang_alternates_are_followed_and_nofollow_variants_are_not(site):
    page = ORIGIN + "/2024/05/16/a/"
    root = lxml.html.fromstring(
        '<html><head><link rel="alternate" hreflang="ar" href="/ar/2024/05/16/b/">'
        '<link rel="alternate" hreflang="x-default" href="/2024/05/16/a/">'
        '<link rel="alternate" hreflang="fr-FR" href="/fr/2024/05/16/c/"></head><body>'
        f'<a rel="nofollow" href="{page}?replytocom=4">Reply</a><a rel="nofollow" href="{page}?share=x">Share</a>'
        '<a href="/2024/05/15/d/">another article</a><a rel="nofollow" href="/2024/05/14/e/">nofollow elsewhere</a>'
        '</body></html>')
    assert hreflang_alternates(root, page) == [("ar", ORIGIN + "/ar/2024/05/16/b/"), ("fr", ORIGIN + "/fr/2024/05/16/c/")]
    links, _canonical = page_links(root, page, SiteUrls(site), ("en", "ar"))
    assert links == [ORIGIN + "/2024/05/15/d/", ORIGIN + "/2024/05/14/e/", ORIGIN + "/ar/2024/05/16/b/"]


@pytest.mark.parametrize("lines, body, source", [
    (["DOHA (Reuters) – Leaders met on Thursday.", "More."], ["Leaders met on Thursday.", "More."], ("Reuters", "Reuters")),
    (["ABU DHABI, May 3 (WAM) – The rover waits."], ["The rover waits."], ("WAM", "WAM")),
    (["الخرطوم (أسوشيتد برس) - وصلت القافلة."], ["وصلت القافلة."], ("Associated Press", "أسوشيتد برس")),
    (["مسقط في 11 أبريل /العمانية/ بدأت الأعمال."], ["بدأت الأعمال."], ("Oman News Agency", "العمانية")),
    (["Prices rose.", "The minister said so. (AFP)"], ["Prices rose.", "The minister said so."], ("AFP", "AFP")),
    (["Paris (France) – prose that names a country.", "The year (2024)"], None, None),
    (["Moscow – no agency here."], None, None),
])
def test_agency_datelines_and_closing_marks(site, lines, body, source):
    matcher = SourceMatcher.from_site(site)
    got_body, got_source = matcher.take_agency_marks(lines)
    assert got_body == (body if body is not None else lines)
    assert got_source == ({"name": source[0], "raw": source[1]} if source else None)


@pytest.mark.parametrize("line, name", [
    ("Source: Saudi Press Agency", "SPA"), ("المصدر: قنا", "QNA"), ("Источник: ТАСС", "TASS"),
    ("(كونا)", "KUNA"), ("(Xinhua)", "Xinhua"), ("/واس/", "SPA"),
])
def test_attribution_lines_without_site_labels(site, line, name):
    assert SourceMatcher.from_site(site).parse_attribution(line)["name"] == name


@pytest.mark.parametrize("line", ["Photo: AFP", "الصورة: أ ف ب", "(2024)", "(see the map)"])
def test_photo_credits_and_brackets_are_no_source(site, line):
    assert SourceMatcher.from_site(site).parse_attribution(line) is None


@pytest.mark.parametrize("byline, author", [
    ("By Jane Doe", "Jane Doe"), ("بقلم سارة العتيبي", "سارة العتيبي"), ("Автор: Иван Петров", "Иван Петров"),
    ("Byron Smith", "Byron Smith"), ("Written by Ann Lee", "Ann Lee"),
])
def test_byline_words_are_not_part_of_the_author(site, byline, author):
    html = (f'<html><head><title>Headline here</title></head><body><article><h1>Headline here</h1>'
            f'<span class="byline">{byline}</span><div class="entry-content">'
            + "<p>A paragraph of the article that is long enough to count as its body text.</p>" * 3
            + "</div></article></body></html>")
    article = extract_article(html.encode(), ORIGIN + "/2024/05/16/a/", [("Content-Type", "text/html; charset=utf-8")], site)
    assert article is not None and article.author == author
