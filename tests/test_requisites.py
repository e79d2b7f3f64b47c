"""Page requisites: what each archived page needs to render, archived once per run and revisited after.

The mirror's pages name images (``img src``/``srcset``, ``picture``/``source``), stylesheets, scripts,
an icon and a logo; the allowed stylesheet names fonts, a background image and a print stylesheet
through ``url()`` and ``@import``. Some of each live under ``/bitrix/``, which robots.txt disallows.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import replace

import lxml.html
import pytest

from archive.state import SCHEMA_VERSION, StateStore
from crawler.extract.requisites import css_references, css_requisites, html_requisites, srcset_urls
from crawler.extract.siteconfig import ConfigError, load_site_config
from crawler.extract.urls import SiteUrls
from tests.conftest import run_crawl
from tests.mirror import MirrorServer
from tests.mirror import requisites as mirror_requisites
from tests.test_incremental import records_of, run_cli

BASE = "http://127.0.0.1:8765"


@pytest.fixture(scope="module")
def urls():
    site = load_site_config("rusislam").with_origin(BASE)
    return SiteUrls(replace(site, requisite_hosts=("cdn.example.org",)))


# --- finding them (pure) ---------------------------------------------------------------------------


def test_html_requisites_in_document_order_once_each_in_scope(urls):
    page = b"""<html><head><base href="/ar/">
    <link rel="stylesheet" href="/local/s.css?1"><link rel="shortcut icon" href="/favicon.ico">
    <link rel="canonical" href="/x"><link rel="alternate" href="/en/"><script src="js/a.js"></script>
    <style>body{background:url( "img/bg.png" )} /* url(commented.png) */ @import 'imp.css';</style></head>
    <body background="bg.gif"><img src="https://russia-islworld.ru/upload/a.jpg#top"
    srcset="/upload/a.jpg 1x, /upload/a@2x.jpg 2x, data:image/png;base64,AAA= 3x">
    <picture><source srcset="https://cdn.example.org/w.webp 640w, https://other.example/x.jpg 2x"></picture>
    <div style="background-image:url(\\2f upload/escaped.png)"></div><img src="data:image/gif;base64,R0">
    <img src="http://other.example/x.png"><video poster="/upload/poster.jpg"></video>
    <input type="image" src="/upload/button.png"><a href="/upload/linked.jpg">a link is no requisite</a>
    <img src="/upload/a.jpg"></body></html>"""
    found = html_requisites(lxml.html.fromstring(page), BASE + "/ar/novosti/x", urls)
    assert found == [
        BASE + "/local/s.css?1", BASE + "/favicon.ico", BASE + "/ar/js/a.js", BASE + "/ar/img/bg.png",
        BASE + "/ar/imp.css", BASE + "/ar/bg.gif", BASE + "/upload/a.jpg", BASE + "/upload/a@2x.jpg",
        "https://cdn.example.org/w.webp", BASE + "/upload/escaped.png", BASE + "/upload/poster.jpg",
        BASE + "/upload/button.png",
    ]


def test_css_references_relative_to_the_stylesheet(urls):
    css = ("@import url(\"print.css\") print; @import 'more.css';\n/* url(old.png) */\n"
           "@font-face{src:url(fonts/a.woff2) format('woff2'), url('/bitrix/f.woff')}\n"
           "a{background:url(data:image/png;base64,AA==)} b{background:URL( \"i\\\"q.png\" )}")
    assert css_references(css) == ["print.css", "more.css", "fonts/a.woff2", "/bitrix/f.woff",
                                   "data:image/png;base64,AA==", 'i"q.png']
    assert css_requisites(css, BASE + "/local/t/s.css?5", urls) == [
        BASE + "/local/t/print.css", BASE + "/local/t/more.css", BASE + "/local/t/fonts/a.woff2",
        BASE + "/bitrix/f.woff", BASE + '/local/t/i"q.png']


def test_srcset_candidates():
    assert srcset_urls("a.jpg, b.jpg 2x,c.jpg 640w ,  d.jpg 1.5x (x, y), e.jpg") == [
        "a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg"]
    assert srcset_urls("  ") == []


def test_requisite_hosts_are_host_names(tmp_path):
    source = load_site_config("rusislam").path
    bad = tmp_path / "bad.yaml"
    text = open(source, encoding="utf-8").read().replace("requisite_hosts: []", "requisite_hosts: [https://cdn.x]")
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.yaml: requisite_hosts\[0\]: 'https://cdn.x' must be a lowercase host"):
        load_site_config(bad)


def test_a_version_1_state_store_is_upgraded_with_its_rows(tmp_path):
    path = tmp_path / "state.sqlite3"
    with StateStore(path) as store:
        store.record_fetch("k", "http://x/k", status=200, fetched_at="2025-01-01T00:00:00Z", etag='"e"',
                           last_modified=None, payload_digest="sha1:A", kind="article")
    db = sqlite3.connect(path)  # as version 1 left it: no "requisite" kind
    db.execute("PRAGMA user_version = 1")
    db.close()
    with StateStore(path) as store:
        assert store.page("k").etag == '"e"'
        store.record_fetch("r", "http://x/logo.png", status=200, fetched_at=None, etag=None, last_modified=None,
                           payload_digest="sha1:B", kind="requisite")
        assert store.counts() == {"pages": 1, "requisites": 1, "failed_pages": 0, "gone_pages": 0, "articles": 0}
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")} == {
        "pages_failed", "pages_kind_fetched"}
    db.close()


# --- crawling them ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Two `rusislam-archive run`s of the unchanged mirror: (mirror, archive, [requests, WARC files, summary] per run)."""
    archive = tmp_path_factory.mktemp("requisites") / "archive"
    with MirrorServer() as mirror:
        runs = []
        for _ in range(2):
            before = set((archive / "warc").glob("*.warc.gz"))
            mirror.clear_logs()
            result = run_cli(archive, mirror.base_url)
            assert result.returncode == 0, result.stdout + result.stderr
            summary = max((archive / "runs").glob("*.crawl.json"), key=lambda p: p.stat().st_mtime)
            runs.append({"requests": list(mirror.requests), "warc": sorted(set((archive / "warc").glob("*.warc.gz")) - before),
                         "summary": json.loads(summary.read_text())})
        yield mirror, archive, runs


def _requisite_requests(mirror, requests):
    expected = mirror.site.requisite_paths() | set(mirror.site.DISALLOWED_REQUISITES)
    return [r for r in requests if r.path in expected]


def test_each_allowed_requisite_is_archived_once_and_no_disallowed_one(two_runs):
    mirror, _, runs = two_runs
    first = runs[0]
    allowed = mirror.site.requisite_paths()
    requested = Counter(r.path for r in first["requests"])
    assert {path: requested[path] for path in allowed} == dict.fromkeys(allowed, 1)
    for path in mirror.site.DISALLOWED_REQUISITES:
        assert requested[path] == 0, f"{path}: robots.txt disallows it"
    archived = Counter((kind, headers.get_header("WARC-Target-URI")) for kind, headers, _ in records_of(first["warc"])
                       if kind == "response")
    for path in allowed:
        assert archived[("response", mirror.base_url + path)] == 1, path
    # what the stylesheet names came through its url()s and @import: fonts, images, print stylesheet
    assert set(mirror_requisites.STYLESHEET_REFERENCES) <= allowed
    summary = first["summary"]["requisites"]
    assert summary["fetched"] == len(allowed) and summary["by_status"] == {"200": len(allowed)}
    assert summary["bytes"] > sum(len(s.body) for s in mirror.served if s.path in allowed)
    assert first["summary"]["pages"]["fetched"] + summary["fetched"] == len(first["requests"])


def test_requisites_are_never_articles(two_runs):
    _, archive, _ = two_runs
    lines = [json.loads(line) for path in (archive / "articles").glob("*.jsonl") for line in path.read_text().splitlines()]
    assert lines and not [line["url"] for line in lines if "/upload/" in line["url"] or "/local/" in line["url"]]


def test_a_second_run_asks_only_conditionally_and_writes_revisits(two_runs):
    mirror, _, runs = two_runs
    second = runs[1]
    requisites = _requisite_requests(mirror, second["requests"])
    assert requisites, "the listings' logo, stylesheet and script are checked again"
    for request in requisites:
        assert request.header("If-None-Match") or request.header("If-Modified-Since"), f"{request.path} fetched again whole"
    assert len({r.path for r in requisites}) == len(requisites)
    served = [s for s in mirror.served if s.path in {r.path for r in requisites}]
    assert {s.status for s in served} == {304}
    types = Counter(kind for kind, headers, _ in records_of(second["warc"])
                    if kind in ("response", "revisit") and "/upload/" in headers.get_header("WARC-Target-URI"))
    assert types == {"revisit": 3}  # the three logos; nothing archived twice
    summary = second["summary"]["requisites"]
    assert summary["fetched"] == summary["not_modified"] == summary["revisits"] == len(requisites)


def test_switch_fetches_requisites_robots_disallows_and_the_size_limit_drops_large_ones(tmp_path):
    with MirrorServer() as mirror:
        result = run_cli(tmp_path / "archive", mirror.base_url, "--languages", "ar",
                         settings={"REQUISITES_IGNORE_ROBOTSTXT": "1", "REQUISITE_MAXSIZE": "20000"})
        assert result.returncode == 0, result.stdout + result.stderr
        requested = Counter(r.path for r in mirror.requests)
        for path in mirror.site.DISALLOWED_REQUISITES:
            assert requested[path] == 1, path
        pages = [p for p in requested if p.startswith("/bitrix/") and p not in mirror.site.DISALLOWED_REQUISITES]
        assert pages == [], "the switch is for requisites, not pages"
        large = {s.path for s in mirror.served if s.path in mirror.site.requisite_paths(["ar"]) and len(s.body) > 20000}
        assert large == {mirror_requisites.STYLESHEET_REFERENCES[1]}, "the font is the one requisite over the limit"
        summary = json.loads(next((tmp_path / "archive" / "runs").glob("*.crawl.json")).read_text())
        assert summary["requisites"]["too_large"] == 2  # the allowed font and the disallowed one
        assert summary["errors"]["count"] == 0
        targets = {headers.get_header("WARC-Target-URI") for kind, headers, _ in
                   records_of(sorted((tmp_path / "archive" / "warc").glob("*.warc.gz"))) if kind == "response"}
        assert not {mirror.base_url + path for path in large} & targets
        with StateStore.in_archive(tmp_path / "archive") as store:
            assert store.failed_pages() == []  # too large is a choice, not a failure retried every run


def test_requisites_wait_until_no_page_is_left_to_fetch(tmp_path):
    """One request at a time, pages read inline: every page (robots.txt, sitemaps, listings,
    articles) is fetched before any requisite, though each page names some (REQUISITE_PRIORITY)."""
    with MirrorServer() as mirror:
        result = run_crawl(tmp_path / "archive", "-a", f"base_url={mirror.base_url}", settings={
            "CONCURRENT_REQUESTS": "1", "CONCURRENT_REQUESTS_PER_DOMAIN": "1", "EXTRACT_WORKERS": "0"})
        assert result.returncode == 0, result.log[-3000:]
        requisites = mirror.site.requisite_paths()
        kinds = ["requisite" if path in requisites else "page" for path in mirror.requested_paths()]
        assert kinds.count("requisite") == len(requisites) and kinds.count("page") > 50
        first = kinds.index("requisite")
        assert "page" not in kinds[first:], f"a page waited behind requisites: {mirror.requested_paths()[first:]}"


def test_requisites_on_a_host_the_site_lists_are_archived_with_its_robots_txt(tmp_path):
    source = load_site_config("rusislam").path
    site_file = tmp_path / "site.yaml"
    text = open(source, encoding="utf-8").read()
    site_file.write_text(text.replace("requisite_hosts: []", f"requisite_hosts: [{mirror_requisites.CDN_HOST}]"),
                         encoding="utf-8")
    with MirrorServer() as mirror:
        result = run_crawl(tmp_path / "archive", "-a", f"site={site_file}", "-a", f"base_url={mirror.base_url}",
                           "-a", "languages=en", spider="news")
        assert result.returncode == 0, result.log[-3000:]
        cdn = f"{mirror_requisites.CDN_HOST}:{mirror.port}"
        on_cdn = [r.path for r in mirror.requests if r.header("Host") == cdn]
        assert sorted(on_cdn) == ["/robots.txt", mirror_requisites.CDN_BANNER]  # once, robots.txt first asked
        targets = [headers.get_header("WARC-Target-URI") for kind, headers, _ in
                   records_of(sorted((tmp_path / "archive" / "warc").glob("*.warc.gz"))) if kind == "response"]
        assert targets.count(mirror_requisites.cdn_url(mirror.base_url, mirror_requisites.CDN_BANNER)) == 1


def test_requisites_on_other_hosts_are_left_alone_by_default(two_runs):
    mirror, _, runs = two_runs
    hosts = {r.header("Host") for run in runs for r in run["requests"]}
    assert hosts == {f"127.0.0.1:{mirror.port}"}
