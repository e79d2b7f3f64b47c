"""Tests of the test mirror itself: if these fail, every crawl and extraction test is meaningless."""

from __future__ import annotations

import gzip
import html
import http.client
import re
import socket
from collections import Counter
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from crawler.extract.siteconfig import load_site_config
from tests.mirror import REAL_ORIGIN, MirrorServer, build_site, text_of
from tests.mirror.content import REAL_AR_FILE
from tests.mirror.site import NBSP

CONFIG = load_site_config("rusislam")


@pytest.fixture(scope="module")
def mirror():
    """Shared read-only mirror, without the planned one-time 503 (tested on a fresh mirror)."""
    with MirrorServer() as server:
        server.site.clear_failures()
        yield server


@pytest.fixture
def fresh_mirror():
    with MirrorServer() as server:
        yield server


def fetch(server: MirrorServer, path: str, headers: dict | None = None, method: str = "GET"):
    """One request on a fresh connection; returns (response, raw body bytes as decoded by http.client)."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


def raw_exchange(server: MirrorServer, path: str, extra_headers: str = "") -> bytes:
    """The response bytes exactly as they come off the socket (Connection: close)."""
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n{extra_headers}"
                     "Connection: close\r\n\r\n".encode("ascii"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def dechunk(data: bytes) -> bytes:
    out = b""
    while True:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return out
        out, data = out + data[:size], data[size + 2:]


def page_text(markup: str) -> str:
    """Visible text of a page with block boundaries kept as newlines."""
    markup = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", " ", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</(p|div|td|tr|li|h1|h3|figcaption|span|a|b|font)>", "\n", markup)
    lines = (text_of(line) for line in html.unescape(re.sub(r"<[^>]+>", "", markup)).split("\n"))
    return "\n".join(line for line in lines if line)


def decode_page(response: http.client.HTTPResponse, body: bytes) -> str:
    charset = response.headers.get_content_charset()
    if charset is None:
        match = re.search(rb'<meta[^>]+charset="?([\w-]+)', body[:2048], re.I)
        charset = match.group(1).decode() if match else "utf-8"
    return body.decode(charset)


def folded(path: str) -> str:
    return re.sub(r"/{2,}", "/", unquote(urlsplit(path).path)).rstrip("/")


# --- content ----------------------------------------------------------------------------

def test_content_covers_languages_layouts_and_date_forms():
    site = build_site()
    counts = Counter((a.language, a.layout) for a in site.articles)
    for language in ("ru", "ar", "en"):
        assert counts[(language, "modern")] >= 3 and counts[(language, "table")] >= 3
        assert counts[(language, "modern")] + counts[(language, "table")] >= 9
    printed = [a.published_raw for a in site.articles]
    assert "٢٢ يوليو ٢٠٢٠" in printed and "21 ابريل/نيسان 2025" in printed and "3 تشرين الأول 2023" in printed
    assert any("تموز/ يوليو" in p for p in printed)
    assert "09 июня 2021 14:30" in printed and "July 22, 2020" in printed
    assert any(re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}", p) for p in printed)
    timed = site.article_by_id(17191)
    assert timed.published == "2021-06-09T14:30:00+03:00"
    for article in site.articles:
        assert re.search(rf"-{article.published[:10]}-{article.id}$", article.path), article.path
        assert 80 <= len(article.body.split()) <= 400 or article.id == 9876, article.id
        assert 3 <= len(article.body_paragraphs) <= 14
    sources = [a.source for a in site.articles]
    assert sum(s is None for s in sources) >= 3
    assert any(s and s["name"] is None and s["raw"] for s in sources)
    assert any(a.source_html and "<a " in a.source_html for a in site.articles)
    credits = {a.photo_credit for a in site.articles}
    assert {"Фото: ТАСС", "الصورة: سبوتنيك", "Photo: Sputnik"} <= credits


def test_boilerplate_never_inside_expected_bodies():
    for article in build_site().articles:
        assert article.boilerplate
        for item in article.boilerplate:
            assert item not in article.body, (article.id, item)


def test_every_article_url_matches_config_pattern():
    site = build_site()
    for article in site.articles:
        match = CONFIG.article_url_pattern.match(article.path)
        assert match, article.path
        assert match.group("date") == article.published[:10] and int(match.group("id")) == article.id
    for path in site.non_article_paths + [p for lang in ("ru", "ar", "en") for p in site.listing_paths(lang)]:
        assert not CONFIG.article_url_pattern.match(urlsplit(path).path), path
    ar_paths = [a.path for a in site.articles if a.language == "ar"]
    assert all(p.startswith("/ar/novosti//%D") for p in ar_paths)


# --- pages ------------------------------------------------------------------------------

def test_server_starts_on_free_port_and_serves_every_article(mirror):
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", mirror.base_url) and mirror.port != 0
    for article in mirror.site.articles:
        response, body = fetch(mirror, article.path)
        assert response.status == 200, article.path
        markup = decode_page(response, body)
        lines = page_text(markup).split("\n")
        flat = text_of(re.sub(r"(?is)<(script|style|head)\b.*?</\1>", " ", markup))
        assert article.title in lines and article.published_raw in lines
        for paragraph in article.body_paragraphs:
            assert paragraph in flat, (article.id, paragraph[:40])
        for item in article.boilerplate + article.boilerplate_lines:
            assert item in flat, (article.id, item)
        if article.source:
            assert article.source["raw"] in flat


def test_page_language_attributes(mirror):
    without_lang = 0
    for article in mirror.site.articles:
        response, body = fetch(mirror, article.path)
        head = decode_page(response, body)[:300]
        if article.lang_attr:
            assert f'lang="{article.language}"' in head
        else:
            without_lang += 1
            assert "lang=" not in head
        assert ('dir="rtl"' in head) == (article.language == "ar")
    assert without_lang == 1


def test_charsets_arabic_1256_in_header_russian_1251_in_meta_only(mirror):
    ar = next(a for a in mirror.site.articles if a.charset == "windows-1256")
    response, body = fetch(mirror, ar.path)
    assert response.headers["Content-Type"] == "text/html; charset=windows-1256"
    assert b"charset" not in body.lower()
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert ar.body_paragraphs[0] in body.decode("windows-1256")

    ru = next(a for a in mirror.site.articles if a.charset == "windows-1251")
    response, body = fetch(mirror, ru.path)
    assert response.headers["Content-Type"] == "text/html"
    assert b'<meta charset="windows-1251">' in body
    assert ru.title in body.decode("windows-1251")
    others = [a for a in mirror.site.articles if a.charset not in ("windows-1256", "windows-1251")]
    assert all(a.charset == "utf-8" for a in others)


def test_real_arabic_page_has_every_paragraph_in_order(mirror):
    article = mirror.site.article_by_id(9876)
    lines = [line for line in REAL_AR_FILE.read_text(encoding="utf-8").split("\n") if line]
    paragraphs = [line for line in lines[3:-2] if line != NBSP]
    assert len(paragraphs) >= 13
    assert article.body == "\n".join(paragraphs)
    assert article.title == lines[1] and article.published_raw == "٢٢ يوليو ٢٠٢٠"
    assert article.source == {"name": "TASS", "raw": "تاس"}
    response, body = fetch(mirror, article.path)
    markup = body.decode("utf-8")
    positions = [markup.index(f"<p>{p}</p>") for p in paragraphs]
    assert positions == sorted(positions)
    assert markup.count("<p>&nbsp;</p>") >= 12
    footer_at = markup.index('<p>مجموعة الرؤية الاستراتيجية "روسيا - العالم الإسلامي"</p>')
    assert positions[-1] < footer_at < markup.index("<p>المصدر: تاس</p>")
    assert '<html lang="ar" dir="rtl">' in markup and "Ru</a> <a" in markup


def test_listings_paginate_and_link_every_article(mirror):
    for language in ("ru", "ar", "en"):
        expected = {folded(a.path) for a in mirror.site.articles if a.language == language}
        seen_pages, queue, found = set(), [mirror.site.listing_paths(language)[0]], set()
        while queue:
            path = queue.pop()
            if path in seen_pages:
                continue
            seen_pages.add(path)
            response, body = fetch(mirror, path)
            assert response.status == 200
            markup = body.decode("utf-8")
            for href in re.findall(r'href="([^"]+)"', html.unescape(markup)):
                url = urljoin(mirror.base_url + path, href)
                if url.startswith(REAL_ORIGIN):
                    url = mirror.base_url + url[len(REAL_ORIGIN):]
                parts = urlsplit(url)
                if not url.startswith(mirror.base_url):
                    continue
                if "PAGEN_1=" in parts.query or parts.path == urlsplit(mirror.site.listing_paths(language)[0]).path:
                    if parts.path.rstrip("/").endswith("novosti") and not parts.fragment:
                        queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
                if folded(parts.path) in expected:
                    found.add(folded(parts.path))
        assert found == expected, language
        assert len(seen_pages) == len(mirror.site.listing_paths(language)) >= 3


def test_link_forms_in_pages(mirror):
    markup = ""
    for article in mirror.site.articles:
        response, body = fetch(mirror, article.path)
        markup += decode_page(response, body)
    for path in ("/novosti/", "/ar/novosti/", "/en/novosti/"):
        markup += fetch(mirror, path)[1].decode("utf-8")
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', markup)]
    assert any(h.startswith(mirror.base_url + "/") for h in hrefs)
    assert any(h.startswith(REAL_ORIGIN + "/") for h in hrefs)
    assert any(h.startswith("/novosti/") for h in hrefs)
    for fixture in mirror.site.link_fixtures:
        assert fixture["href"].replace("{base}", mirror.base_url) in hrefs, fixture["kind"]
    kinds = {f["kind"] for f in mirror.site.link_fixtures}
    assert {"utm", "sid", "trailing-slash", "single-slash", "missing", "redirect", "element-id-alias"} <= kinds
    assert any(h.startswith("https://tass.ru/") for h in hrefs) and any(h.startswith("https://t.me/") for h in hrefs)
    assert any(h.startswith("javascript:") for h in hrefs) and any(h.startswith("mailto:") for h in hrefs)
    assert any(h.startswith("/bitrix/") for h in hrefs) and "/search/?q=x" in hrefs


def test_url_variants_serve_the_same_article(mirror):
    for fixture in mirror.site.link_fixtures:
        href = fixture["href"].replace("{base}", "")
        response, body = fetch(mirror, href if href.isascii() else quote_path(href))
        if fixture["kind"] == "missing":
            assert response.status == 404 and b"<html" in body
        elif fixture["kind"] == "redirect":
            assert response.status == 301
            target = mirror.site.redirects[href]
            assert response.headers["Location"] == mirror.base_url + target
        else:
            assert response.status == 200, fixture
    alias = "/en/novosti/?ELEMENT_ID=22457"
    article = mirror.site.article_by_id(22457)
    response, body = fetch(mirror, alias)
    assert response.status == 200
    assert f'<link rel="canonical" href="{REAL_ORIGIN}{article.path}">' in body.decode("utf-8")
    response, body = fetch(mirror, article.path)
    assert b'rel="canonical"' not in body


def quote_path(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/-?=&")


def test_non_article_pages(mirror):
    for path in mirror.site.non_article_paths:
        response, body = fetch(mirror, path)
        assert response.status == 200, path
        assert 'class="news-detail"' not in body.decode("utf-8")
    home = fetch(mirror, "/")[1].decode("utf-8")
    for about in ("/o-gruppe/", "/en/about-us", "/ar/o-gruppe/hwl-almjmwt"):
        about_lang = {"/o-gruppe/": "/", "/en/about-us": "/en/", "/ar/o-gruppe/hwl-almjmwt": "/ar/"}[about]
        assert f'href="{about}"' in fetch(mirror, about_lang)[1].decode("utf-8")
    assert 'href="/en/"' in home and 'href="/ar/"' in home


# --- robots and sitemaps ------------------------------------------------------------------

def test_robots_txt(mirror):
    response, body = fetch(mirror, "/robots.txt")
    text = body.decode("utf-8")
    assert f"Sitemap: {mirror.base_url}/sitemap.xml" in text
    assert "Disallow: /bitrix/" in text and "Disallow: /search/" in text
    assert "Clean-param: sid /novosti/" in text and "Crawl-delay" not in text
    with MirrorServer(crawl_delay=0.25) as slow:
        assert "Crawl-delay: 0.25" in fetch(slow, "/robots.txt")[1].decode("utf-8")


def test_sitemap_lists_only_part_of_the_site(mirror):
    index = fetch(mirror, "/sitemap.xml")[1].decode("utf-8")
    assert "<sitemapindex" in index
    locs = re.findall(r"<loc>([^<]+)</loc>", index)
    assert len(locs) == 3 and all(loc.startswith(mirror.base_url) for loc in locs)
    listed = []
    for loc in locs:
        urlset = fetch(mirror, urlsplit(loc).path)[1].decode("utf-8")
        assert urlset.count("<lastmod>") == urlset.count("<loc>")
        listed += [html.unescape(u)[len(mirror.base_url):] for u in re.findall(r"<loc>([^<]+)</loc>", urlset)]
    assert sorted(listed) == sorted(mirror.site.sitemap_paths())
    articles = [p for p in listed if CONFIG.article_url_pattern.match(p)]
    assert 0 < len(articles) < len(mirror.site.articles) // 2 + 1
    assert "/en/about-us" in listed


# --- HTTP mechanics -----------------------------------------------------------------------

def test_503_first_then_200(fresh_mirror):
    path = fresh_mirror.site.fixtures["fail_once"][0]
    response, body = fetch(fresh_mirror, path)
    assert (response.status, response.reason) == (503, "Down For Maintenance")
    assert response.headers["Retry-After"] == "0"
    response, body = fetch(fresh_mirror, path)
    assert response.status == 200 and fresh_mirror.site.article_by_path(path).title.encode() in body


def test_gzip_really_sent_and_logged(mirror):
    article = next(a for a in mirror.site.articles if a.layout == "modern")
    raw = raw_exchange(mirror, article.path, "Accept-Encoding: gzip, deflate\r\n")
    head, _, payload = raw.partition(b"\r\n\r\n")
    assert b"\r\nContent-Encoding: gzip\r\n" in head
    assert int(re.search(rb"Content-Length: (\d+)", head).group(1)) == len(payload)
    plain = gzip.decompress(payload)
    assert article.title.encode("utf-8") in plain
    assert mirror.served[-1].body == payload and mirror.served[-1].status == 200
    response, identity = fetch(mirror, article.path)
    assert identity == plain and response.headers["Content-Encoding"] is None


def test_chunked_really_sent(mirror):
    article = next(a for a in mirror.site.articles if a.layout == "table")
    raw = raw_exchange(mirror, article.path)
    head, _, payload = raw.partition(b"\r\n\r\n")
    assert b"\r\nTransfer-Encoding: chunked\r\n" in head and b"Content-Length" not in head
    assert payload.endswith(b"\r\n0\r\n\r\n")
    body = dechunk(payload)
    assert body == mirror.served[-1].body
    assert article.title.encode(article.charset, errors="xmlcharrefreplace") in body


def test_keep_alive_serves_several_requests_on_one_connection(mirror):
    conn = http.client.HTTPConnection(mirror.host, mirror.port, timeout=5)
    try:
        paths = [mirror.site.articles[0].path, "/novosti/?PAGEN_1=2", "/robots.txt", "/no-such-page"]
        statuses = []
        for path in paths:
            conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
        assert statuses == [200, 200, 200, 404]
        assert conn.sock is not None  # never closed by the server
    finally:
        conn.close()


def test_etag_last_modified_and_304(fresh_mirror):
    site, path = fresh_mirror.site, fresh_mirror.site.article_by_id(17305).path
    site.fixtures["fail_once"] and fetch(fresh_mirror, path)  # use up the planned 503
    response, body = fetch(fresh_mirror, path)
    etag, last_modified = response.headers["ETag"], response.headers["Last-Modified"]
    assert re.fullmatch(r'"[0-9a-f]{24}"', etag) and last_modified.endswith("GMT")
    assert fetch(fresh_mirror, path)[0].headers["ETag"] == etag  # stable
    gz = fetch(fresh_mirror, path, {"Accept-Encoding": "gzip"})[0].headers["ETag"]
    assert gz != etag  # strong ETag per representation
    response, body = fetch(fresh_mirror, path, {"If-None-Match": etag})
    assert response.status == 304 and body == b"" and response.headers["ETag"] == etag
    response, body = fetch(fresh_mirror, path, {"If-Modified-Since": last_modified})
    assert response.status == 304
    assert fetch(fresh_mirror, path, {"If-None-Match": '"other"'})[0].status == 200

    site.edit_article(path, ["Новый первый абзац статьи.", "Второй абзац с уточнениями."])
    response, body = fetch(fresh_mirror, path, {"If-None-Match": etag})
    assert response.status == 200 and response.headers["ETag"] != etag
    assert "Новый первый абзац статьи." in body.decode("utf-8")
    assert fetch(fresh_mirror, path, {"If-Modified-Since": last_modified})[0].status == 200
    assert site.article_by_path(path).body == "Новый первый абзац статьи.\nВторой абзац с уточнениями."


def test_request_and_response_logs(fresh_mirror):
    paths = ["/robots.txt", "/en/novosti/", fresh_mirror.site.article_by_id(22457).path]
    for path in paths:
        fetch(fresh_mirror, path, {"User-Agent": "mirror-test/1", "Accept-Encoding": "gzip"})
    fetch(fresh_mirror, paths[0], {"Accept-Encoding": "gzip"}, method="HEAD")
    assert [r.path for r in fresh_mirror.requests] == paths + [paths[0]]
    assert [r.method for r in fresh_mirror.requests] == ["GET"] * 3 + ["HEAD"]
    assert all(r.header("user-agent") == "mirror-test/1" for r in fresh_mirror.requests[:3])
    served = fresh_mirror.served
    assert [s.path for s in served] == paths + [paths[0]]
    assert served[2].header("Content-Encoding") == "gzip" and gzip.decompress(served[2].body).startswith(b"<!DOCTYPE")
    assert served[3].body == b"" and served[3].header("Content-Length") == served[0].header("Content-Length")
    assert all(isinstance(s.headers, list) and s.reason for s in served)


def test_site_mutations_follow_in_listings_and_sitemap(fresh_mirror):
    site = fresh_mirror.site
    added = site.add_article(
        id=23500, language="en", slug="new-meeting-of-the-group", layout="modern",
        title="New meeting of the Group", published="2025-06-01", published_raw="June 1, 2025",
        paragraphs=["The Group met again in Kazan.", "Members discussed new projects."], in_sitemap=True,
    )
    assert CONFIG.article_url_pattern.match(added.path)
    listing = fetch(fresh_mirror, "/en/novosti/")[1].decode("utf-8")
    assert added.title in listing
    assert added.path in "".join(site.sitemap_paths())
    urlset = fetch(fresh_mirror, "/sitemap-iblock-en.xml")[1].decode("utf-8")
    assert added.path in urlset
    other = site.article_by_id(22457)
    assert added.title in other.boilerplate  # sidebars follow
    assert fetch(fresh_mirror, added.path)[0].status == 200
    site.remove_article(added.path)
    assert fetch(fresh_mirror, added.path)[0].status == 404
    assert added.title not in fetch(fresh_mirror, "/en/novosti/")[1].decode("utf-8")


def test_build_site_returns_independent_sites():
    first, second = build_site(), build_site()
    path = first.article_by_id(17191).path
    first.edit_article(path, ["Изменено."])
    assert second.article_by_path(path).body != "Изменено."


def test_http10_client_gets_content_length_not_chunks(mirror):
    article = next(a for a in mirror.site.articles if a.layout == "table")
    with socket.create_connection((mirror.host, mirror.port), timeout=5) as sock:
        sock.sendall(f"GET {article.path} HTTP/1.0\r\n\r\n".encode("ascii"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, payload = data.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding" not in head and b"Connection: close" in head
    assert int(re.search(rb"Content-Length: (\d+)", head).group(1)) == len(payload)
