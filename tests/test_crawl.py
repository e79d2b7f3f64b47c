"""The real crawl (`scrapy crawl rusislam -a base_url=...`) over the mirror, checked from the WARC files."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from collections import Counter
from urllib.parse import unquote, urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.extract.siteconfig import load_site_config
from crawler.extract.urls import SiteUrls
from tests.conftest import ROOT, run_crawl
from tests.mirror import MirrorServer

WARC_NAME = re.compile(r"^rusislam-\d{17}-\d{5}-[^-]+-\d+\.warc\.gz$")


def warc_records(paths):
    """Every record of the files, digests checked by warcio while reading."""
    records = []
    for path in paths:
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream, check_digests="raise"):
                records.append({
                    "type": record.rec_type,
                    "headers": record.rec_headers,
                    "http": record.http_headers,
                    "payload": record.raw_stream.read(),  # as stored: content-coding kept
                    "file": path.name,
                })
    return records


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    project_before = sorted(p.name for p in ROOT.iterdir())
    with MirrorServer() as mirror:
        result = run_crawl(tmp_path_factory.mktemp("crawl") / "archive", "-a", f"base_url={mirror.base_url}")
        assert sorted(p.name for p in ROOT.iterdir()) == project_before, "the crawl wrote outside ARCHIVE_DIR"
        yield mirror, result


@pytest.fixture(scope="module")
def records(crawl):
    _, result = crawl
    assert result.returncode == 0, result.log[-3000:]
    return warc_records(result.warc_files)


def _responses(records):
    return [r for r in records if r["type"] == "response"]


def test_crawl_succeeds_and_closes_files(crawl):
    mirror, result = crawl
    assert result.returncode == 0, result.log[-3000:]
    assert "Traceback" not in result.log, result.log
    assert result.warc_files, "no WARC file written"
    assert not list((result.archive_dir / "warc").glob("*.open")), "a WARC file was left open"
    for path in result.warc_files:
        assert WARC_NAME.match(path.name), path.name
    expected = {".lock", "warc", "articles", "runs", "state.sqlite3", "state.sqlite3-wal", "state.sqlite3-shm"}
    assert {p.name for p in result.archive_dir.iterdir()} <= expected


def test_warcio_check_and_index_pass(crawl):
    _, result = crawl
    for path in result.warc_files:
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        index = subprocess.run([sys.executable, "-m", "warcio.cli", "index", str(path)], capture_output=True, text=True)
        assert index.returncode == 0
        with open(path, "rb") as stream:
            count = sum(1 for _ in ArchiveIterator(stream))
        assert len(index.stdout.splitlines()) == count


def test_every_served_response_is_archived_exactly(crawl, records):
    mirror, _ = crawl
    archived = Counter()
    by_target = {}
    for record in _responses(records):
        uri = record["headers"].get_header("WARC-Target-URI")
        by_target.setdefault(uri, []).append(record)
    for served in mirror.served:
        uri = mirror.base_url + served.path
        candidates = [r for r in by_target.get(uri, []) if r["payload"] == served.body]
        assert candidates, f"{served.status} {served.path} not archived byte for byte"
        record = candidates[archived[uri]] if archived[uri] < len(candidates) else candidates[-1]
        archived[uri] += 1
        assert int(record["http"].get_statuscode()) == served.status
        assert record["http"].protocol == "HTTP/1.1"
        assert record["http"].statusline == f"{served.status} {served.reason}"
    assert len(_responses(records)) == len(mirror.served)


def test_request_and_response_records_are_linked(records):
    by_id = {r["headers"].get_header("WARC-Record-ID"): r for r in records}
    responses = _responses(records)
    assert responses
    for response in responses:
        request_id = response["headers"].get_header("WARC-Concurrent-To")
        request = by_id[request_id]
        assert request["type"] == "request"
        assert request["headers"].get_header("WARC-Concurrent-To") == response["headers"].get_header("WARC-Record-ID")
        assert request["headers"].get_header("WARC-Date") == response["headers"].get_header("WARC-Date")
        assert request["headers"].get_header("WARC-Target-URI") == response["headers"].get_header("WARC-Target-URI")
        assert response["headers"].get_header("WARC-IP-Address") == "127.0.0.1"
        assert response["headers"].get_header("WARC-Payload-Digest").startswith("sha1:")
        assert response["headers"].get_header("WARC-Block-Digest").startswith("sha1:")
    warcinfo = [r for r in records if r["type"] == "warcinfo"]
    assert warcinfo and b"rusislam-archive" in warcinfo[0]["payload"]


def test_compressed_and_chunked_bodies_are_stored_as_sent(crawl, records):
    mirror, _ = crawl
    gzipped = [s for s in mirror.served if s.header("Content-Encoding") == "gzip"]
    chunked = [s for s in mirror.served if s.header("Transfer-Encoding") == "chunked"]
    assert gzipped and chunked, "the mirror must serve gzip and chunked bodies"
    responses = {(r["headers"].get_header("WARC-Target-URI"), r["payload"]): r for r in _responses(records)}
    for served in gzipped:
        record = responses[(mirror.base_url + served.path, served.body)]
        assert record["http"].get_header("Content-Encoding") == "gzip"
        assert gzip.decompress(record["payload"])  # still the gzip stream the server sent
    for served in chunked:
        record = responses[(mirror.base_url + served.path, served.body)]
        # de-chunked: the transfer coding is gone (Twisted consumes the header), the payload is whole
        assert record["http"].get_header("Transfer-Encoding") is None
        assert record["http"].get_header("Content-Length") in (None, str(len(record["payload"])))


def test_nothing_outside_the_site_is_requested(crawl, records):
    mirror, result = crawl
    for record in records:
        uri = record["headers"].get_header("WARC-Target-URI")
        if uri:
            assert uri.startswith(mirror.base_url + "/"), uri
    paths = mirror.requested_paths()
    assert not [p for p in paths if p.startswith(("/bitrix/", "/search"))], "robots.txt Disallow ignored"
    assert "DNS lookup failed" not in result.log
    assert "tass.ru" not in result.log and "t.me" not in result.log


def test_no_page_is_fetched_twice(crawl):
    mirror, _ = crawl
    urls = SiteUrls(load_site_config("rusislam").with_origin(mirror.base_url), clean_params=["sid"])
    keys = Counter(urls.canonical_key(mirror.base_url + p) for p in mirror.requested_paths())
    retried = {urls.canonical_key(mirror.base_url + p) for p in mirror.site.fixtures["fail_once"]}
    twice = {k: n for k, n in keys.items() if n > 1 and k not in retried}
    assert not twice, twice
    for key in retried:
        assert keys[key] == 2


def test_robots_sitemaps_listings_and_fixtures_are_archived(crawl, records):
    mirror, _ = crawl
    targets = {unquote(r["headers"].get_header("WARC-Target-URI")): int(r["http"].get_statuscode()) for r in _responses(records)}
    base = mirror.base_url
    assert targets[base + "/robots.txt"] == 200
    assert targets[base + "/sitemap.xml"] == 200
    for language in ("ru", "ar", "en"):
        for path in mirror.site.listing_paths(language):
            assert base + path in targets, path
    for article in mirror.site.articles:
        assert any(_same_page(t, base + article.path) for t in targets), article.path
    linked_redirects = [link["href"] for link in mirror.site.link_fixtures if link["kind"] == "redirect"]
    assert linked_redirects
    for old in linked_redirects:
        assert targets[base + old] == 301
        assert any(_same_page(t, base + mirror.site.redirects[old]) for t in targets)
    for missing in mirror.site.missing_paths:
        assert targets[base + missing] == 404


def _same_page(a: str, b: str) -> bool:
    fold = lambda u: re.sub(r"/{2,}", "/", unquote(urlsplit(u).path)).rstrip("/")  # noqa: E731
    return fold(a) == fold(b) and urlsplit(a).netloc == urlsplit(b).netloc


def test_503_is_retried_and_both_attempts_archived(crawl, records):
    mirror, _ = crawl
    (path,) = mirror.site.fixtures["fail_once"]
    attempts = [r for r in _responses(records) if unquote(r["headers"].get_header("WARC-Target-URI")) == unquote(mirror.base_url + path)]
    assert [int(r["http"].get_statuscode()) for r in attempts] == [503, 200]
    assert attempts[0]["http"].statusline == "503 Down For Maintenance"
    assert attempts[0]["headers"].get_header("WARC-Date") < attempts[1]["headers"].get_header("WARC-Date")


def test_language_subset_crawls_only_those_languages(tmp_path):
    with MirrorServer() as mirror:
        result = run_crawl(tmp_path / "archive", "-a", f"base_url={mirror.base_url}", "-a", "languages=ar,en")
        assert result.returncode == 0, result.log[-3000:]
        urls = SiteUrls(load_site_config("rusislam").with_origin(mirror.base_url))
        languages = {urls.language_of(mirror.base_url + p) for p in mirror.requested_paths()
                     if not p.startswith(("/robots.txt", "/sitemap")) and p not in mirror.site.requisite_paths()}
        assert languages == {"ar", "en"}


def test_unknown_language_stops_before_any_request(tmp_path):
    with MirrorServer() as mirror:
        result = run_crawl(tmp_path / "archive", "-a", f"base_url={mirror.base_url}", "-a", "languages=ar,fr")
        assert result.returncode != 0
        assert "unknown language fr" in result.log
        assert mirror.requested_paths() == []


def test_invalid_site_config_names_file_and_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    source = load_site_config("rusislam").path
    text = open(source, encoding="utf-8").read().replace("download_delay: 1.0", "download_delay: soon")
    bad.write_text(text, encoding="utf-8")
    with MirrorServer() as mirror:
        result = run_crawl(tmp_path / "archive", "-a", f"site={bad}", "-a", f"base_url={mirror.base_url}", spider="news")
        assert result.returncode != 0
        assert f"{bad}: politeness.download_delay: must be float, not str" in result.log
        assert mirror.requested_paths() == []


def test_one_valid_record_per_article_pointing_at_its_response_record(crawl):
    """The crawl's JSON lines: one per mirror article, none for other pages, each naming its WARC record."""
    import json

    import jsonschema

    from archive.reader import read_record
    from crawler.extract.record import load_schema

    mirror, result = crawl
    (jsonl,) = result.jsonl_files
    lines = jsonl.read_bytes().decode("utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    schema = load_schema()
    for record in records:
        jsonschema.validate(record, schema)
    expected = {a.real_url: a for a in mirror.site.articles}
    assert sorted(r["canonical_url"] for r in records) == sorted(expected)
    for record in records:
        article = expected[record["canonical_url"]]
        assert (record["title"], record["published"], record["language"]) == (article.title, article.published, article.language)
        stored = read_record(result.archive_dir / "warc", record["warc"])
        assert stored.record_type == "response" and stored.status == 200
        assert stored.target_uri == record["url"]
        assert stored.warc_date.startswith(record["fetched_at"][:19])
        # the record's body text comes from that capture
        assert record["body"].split("\n")[0][:40] in stored.content().decode(article.charset, "replace").replace("&nbsp;", " ")
