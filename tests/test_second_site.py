"""A second, differently built site crawled with a minimal site file only (tests/wpmirror).

Gulf Wire is WordPress-style: date URLs, /page/N/ pagination, RSS feeds, JSON-LD, hreflang
between translations, generic attributions. Nothing in the code names it: its YAML file has
three keys (origin, languages, article_url_pattern).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.conftest import FAST, ROOT, run_crawl
from tests.wpmirror import REAL_ORIGIN, SITE_FILE, WpMirrorServer

NOT_FETCHED = ("?replytocom=", "?share=", "?print=", "/comments/feed/", "/feed/?", "/author/")


@pytest.fixture(scope="module")
def gulf():
    with WpMirrorServer() as server:
        yield server


def crawl(archive: Path, server, *extra: str):
    return run_crawl(archive, "-a", f"site={SITE_FILE}", "-a", f"base_url={server.base_url}", *extra, spider="news")


def records(archive: Path) -> list[dict]:
    return [json.loads(line) for path in sorted((archive / "articles").glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]


def requested(server) -> list[str]:
    return [unquote(path) for path in server.requested_paths()]


@pytest.fixture(scope="module")
def first_run(gulf, tmp_path_factory):
    archive = tmp_path_factory.mktemp("gulfwire") / "archive"
    gulf.clear_logs()
    result = crawl(archive, gulf)
    assert result.returncode == 0, result.log[-3000:]
    return archive, records(archive), requested(gulf), result


def test_every_article_once_with_its_fields(gulf, first_run):
    _archive, lines, _paths, _result = first_run
    by_path = {unquote(urlsplit(line["canonical_url"]).path): line for line in lines}
    assert len(lines) == len(by_path) == len(gulf.site.articles)  # one line per article, nothing else
    for article in gulf.site.articles:
        line = by_path[article.path]
        assert line["canonical_url"].startswith(REAL_ORIGIN)
        assert (line["title"], line["published"], line["language"]) == (article.title, article.published, article.language)
        assert line["body"] == article.body, article.path
        assert line["source"] == article.source, article.path
        assert line["author"] == article.author, article.path
        expected = sorted(other.language for other in gulf.site.translations_of(article))
        assert [t["language"] for t in line["translations"]] == expected
        for translation in line["translations"]:
            other = next(o for o in gulf.site.translations_of(article) if o.language == translation["language"])
            assert unquote(urlsplit(translation["url"]).path) == other.path
            assert translation["url"].startswith(REAL_ORIGIN)


def test_pages_that_are_no_articles_give_no_record(gulf, first_run):
    _archive, lines, paths, _result = first_run
    for page in gulf.site.static_pages:  # listed in the sitemap, with a dated sidebar
        assert page in paths
    recorded = {unquote(urlsplit(line["canonical_url"]).path) for line in lines}
    assert not recorded & set(gulf.site.static_pages)


def test_discovery_reads_feeds_and_every_listing_page_and_wastes_no_request(gulf, first_run):
    archive, _lines, paths, _result = first_run
    for language in ("en", "ar"):
        prefix = "/ar" if language == "ar" else ""
        assert f"{prefix}/feed/" in paths  # announced by the start page, not configured
        for number in range(2, gulf.site.page_count(language) + 1):
            assert f"{prefix}/category/news/page/{number}/" in paths
    wasted = [path for path in paths if any(marker in path for marker in NOT_FETCHED)]
    assert wasted == []
    assert len(paths) == len(set(paths))  # nothing fetched twice
    # Every article and every discovery document is in the WARC as received.
    archived = set()
    for warc in (archive / "warc").glob("*.warc.gz"):
        with open(warc, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    archived.add(unquote(urlsplit(record.rec_headers.get_header("WARC-Target-URI")).path))
    assert {"/feed/", "/ar/feed/", "/wp-sitemap.xml", "/robots.txt"} <= archived
    assert {article.path for article in gulf.site.articles} <= archived


def test_second_run_fetches_what_discovery_needs_and_writes_nothing(gulf, first_run, tmp_path):
    archive, lines, _paths, _result = first_run
    gulf.clear_logs()
    result = crawl(archive, gulf)
    assert result.returncode == 0, result.log[-3000:]
    assert records(archive) == lines  # no line added
    paths = requested(gulf)
    articles = {article.path for article in gulf.site.articles}
    assert not articles & set(paths)  # known articles are not requested again
    assert len(paths) <= 12, paths  # robots.txt, sitemaps, first listing pages, feeds


def test_a_bad_site_file_stops_before_any_request(gulf, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(SITE_FILE.read_text(encoding="utf-8").replace("article_url_pattern: '^", "article_url_pattern: '(^"),
                   encoding="utf-8")
    gulf.clear_logs()
    result = run_crawl(tmp_path / "archive", "-a", f"site={bad}", "-a", f"base_url={gulf.base_url}", spider="news")
    assert result.returncode != 0
    assert "article_url_pattern" in result.log and str(bad) in result.log
    assert gulf.requested_paths() == []


def test_check_site_shows_what_the_crawl_would_extract(gulf, capsys):
    from crawler.cli import main

    gulf.clear_logs()
    assert main(["check-site", str(SITE_FILE), "--base-url", gulf.base_url, "--max-pages", "3"]) == 0
    out = capsys.readouterr().out
    first = gulf.site.articles_in("en")[0]
    assert "listing page 1: 5 article links" in out and f"feed: {gulf.base_url}/feed/" in out
    assert f"title:        {first.title}" in out and f"published:    {first.published}" in out
    assert "source:       Reuters" in out and "author:       Jane Whitaker" in out
    assert len(gulf.requested_paths()) == 4  # robots.txt and three pages: nothing more


def test_check_site_refuses_a_bad_file_with_file_key_and_problem(tmp_path, capsys):
    from crawler.cli import main

    bad = tmp_path / "bad.yaml"
    bad.write_text("origin: https://example.org\nlanguages: {en: {prefix: /, start_urls: [news]}}\n"
                   "article_url_pattern: '^/a/'\n", encoding="utf-8")
    assert main(["check-site", str(bad)]) == 2
    assert f"{bad}: languages.en.start_urls[0]: 'news' must be a path starting with '/'" in capsys.readouterr().err


def test_run_with_a_site_file(gulf, tmp_path):
    archive = tmp_path / "archive"
    settings = [arg for name, value in FAST.items() for arg in ("-s", f"{name}={value}")]
    run = [sys.executable, "-m", "crawler.cli", "run"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([*run, str(archive), "--site", str(SITE_FILE), "--base-url", gulf.base_url,
                           "--languages", "ar", *settings], cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert (done.returncode, done.stdout) == (0, ""), done.stderr
    assert sorted(unquote(urlsplit(line["canonical_url"]).path) for line in records(archive)) == sorted(
        article.path for article in gulf.site.articles_in("ar"))

    bad = tmp_path / "bad.yaml"
    bad.write_text("origin: https://example.org\nlanguages: {}\narticle_url_pattern: x\n", encoding="utf-8")
    refused = subprocess.run([*run, str(tmp_path / "other"), "--site", str(bad)], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60, env=env)
    assert refused.returncode == 2 and f"{bad}: languages:" in refused.stderr
    assert not (tmp_path / "other").exists()
