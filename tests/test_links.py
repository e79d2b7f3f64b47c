"""The links a page gives the crawler (``read_page``): read from the extractor's parse of it."""

from __future__ import annotations

import pytest

from crawler.extract.article import read_page
from crawler.extract.siteconfig import load_site_config

BASE = "http://127.0.0.1:8765"
HEADERS = [("Content-Type", "text/html; charset=utf-8")]
ARTICLE = "/ar/novosti//%D8%AE%D8%A8%D8%B1-2020-07-21-9870"
OTHER = "/novosti/vstrecha-gsv-v-dzhidde-2019-05-05-17191"


@pytest.fixture(scope="module")
def site():
    return load_site_config("rusislam").with_origin(BASE)


def page(head: str = "", body: str = "") -> bytes:
    return f"<html><head>{head}</head><body>{body}</body></html>".encode()


def test_links_are_in_scope_followable_and_once_per_canonical_key(site):
    body = (f'<a href="{ARTICLE}">a</a> <a href="{ARTICLE.replace("//", "/")}?utm_source=x">same page</a>'
            f'<a href="https://russia-islworld.ru{OTHER}">own origin, other name</a>'
            '<a href="/ar/novosti/?PAGEN_1=2">listing page 2</a>'
            '<a href="https://example.org/ar/novosti//x-2020-07-21-1">other site</a>'
            '<a href="/bitrix/admin/">denied path</a><a href="/upload/file.pdf">a document</a>'
            '<a href="mailto:x@example.org">mail</a><a>no href</a><a href="">empty</a>')
    reading = read_page(page(body=body), BASE + "/ar/", HEADERS, site, extract=False)
    assert reading.links == (BASE + ARTICLE, BASE + OTHER, BASE + "/ar/novosti/?PAGEN_1=2", BASE + "/upload/file.pdf")
    assert reading.article is None


def test_languages_limit_the_links(site):
    body = f'<a href="{ARTICLE}">ar</a><a href="{OTHER}">ru</a>'
    assert read_page(page(body=body), BASE + "/", HEADERS, site, languages=("ru",)).links == (BASE + OTHER,)


def test_base_href_and_canonical_link(site):
    head = f'<base href="{BASE}/ru/"><link rel="Canonical" href="{ARTICLE}?utm_medium=y">'
    reading = read_page(page(head, '<a href="../novosti/vstrecha-gsv-v-dzhidde-2019-05-05-17191">relative</a>'),
                        BASE + "/somewhere/else/", HEADERS, site)
    assert reading.links == (BASE + OTHER,)  # joined with <base href>, not with the page URL
    assert reading.canonical == BASE + ARTICLE + "?utm_medium=y"


def test_unreadable_pages_read_as_nothing(site):
    for body in (b"", b"%PDF-1.7 binary", b"\x00\x01\x02" * 100):
        reading = read_page(body, BASE + ARTICLE, HEADERS, site)
        assert (reading.links, reading.canonical, reading.article) == ((), None, None)


def test_malformed_links_are_skipped_and_the_article_and_other_links_kept(site):
    """urllib raises ValueError on a bad port or a broken IPv6 host: such a link leads nowhere,
    but must not cost the page its article or its other links."""
    text = "".join(f"<p>Параграф {i}: группа стратегического видения провела заседание в Казани.</p>" for i in range(6))
    head = '<title>Заседание группы</title><base href="http://[::1/"><link rel="canonical" href="http://x:99999/a">'
    body = (f"<h1>Заседание группы</h1>{text}"
            '<p><a href="http://x:abc/">bad port</a> <a href="http://[::1/a">bad IPv6</a> '
            f'<a href="{BASE}:70000/novosti/x-2021-06-09-1">port out of range</a> '
            f'<a href="{OTHER}">другая новость</a></p>')
    reading = read_page(page(head, body), BASE + "/novosti/zasedanie-2021-06-09-17190", HEADERS, site)
    assert reading.links == (BASE + OTHER,)
    assert reading.canonical is None
    assert reading.article is not None and reading.article.title == "Заседание группы"
    assert reading.article.canonical_url == "https://russia-islworld.ru/novosti/zasedanie-2021-06-09-17190"
