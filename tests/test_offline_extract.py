"""Offline re-extraction (crawler/offline.py): the crawl's records again, from its WARC files alone."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest
from scrapy.http import Headers, TextResponse
from scrapy.responsetypes import responsetypes

import crawler.offline as offline
from archive.jsonl import read_jsonl
from archive.reader import iter_responses, read_record
from archive.warc import HttpExchange, WarcArchiveWriter
from crawler.extract.candidates import is_text_response
from crawler.cli import main
from crawler.offline import iter_article_records, starts_run
from tests.conftest import ROOT, run_crawl
from tests.mirror import MirrorServer
from tests.mirror.content import REAL_AR_ID

pytest_plugins = ["tests.archive_fixtures"]  # the session's mirror crawl: fixture mirror_crawl


def _crawl_records(crawl) -> dict[str, dict]:
    records = [record for path in crawl.jsonl_files for record in read_jsonl(path)]
    by_id = {record["id"]: record for record in records}
    assert len(by_id) == len(records) >= 25
    return by_id


def _assert_same_records(offline_records: list[dict], crawl_records: dict[str, dict]) -> None:
    assert len({r["id"] for r in offline_records}) == len(offline_records)
    assert {r["id"] for r in offline_records} == set(crawl_records)
    for record in offline_records:
        expected = crawl_records[record["id"]]
        assert list(record) == list(expected), record["url"]  # same fields, same order
        for field, value in expected.items():
            assert record[field] == value, f"{record['url']}: field {field!r} differs"


@pytest.fixture(scope="module")
def serial_output(mirror_crawl, tmp_path_factory):
    _, crawl = mirror_crawl
    output = tmp_path_factory.mktemp("offline") / "articles.jsonl"
    assert main(["extract", str(crawl.archive_dir / "warc"), "-o", str(output)]) == 0
    return output


def test_offline_records_equal_the_crawl_records(mirror_crawl, serial_output):
    """Origin inferred from the WARC (a mirror): every field equal, fetched_at and warc pointer included."""
    _, crawl = mirror_crawl
    _assert_same_records(list(read_jsonl(serial_output)), _crawl_records(crawl))


def test_jobs_2_give_the_same_records_in_the_same_order(mirror_crawl, serial_output, tmp_path):
    _, crawl = mirror_crawl
    output = tmp_path / "parallel.jsonl"
    assert main(["extract", *map(str, crawl.warc_files), "-o", str(output), "--jobs", "2"]) == 0
    _assert_same_records(list(read_jsonl(output)), _crawl_records(crawl))
    assert output.read_bytes() == serial_output.read_bytes()


def test_dash_writes_to_stdout_and_counts_the_files_given(mirror_crawl, serial_output, tmp_path):
    _, crawl = mirror_crawl
    files = [str(path) for path in crawl.warc_files]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    shown = subprocess.run([sys.executable, "-m", "crawler.cli", "extract", *files, "-o", "-"], cwd=tmp_path,
                           env=env, capture_output=True, timeout=300)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == serial_output.read_bytes()
    assert not (tmp_path / "-").exists()
    assert f"in {len(files)} WARC file(s)".encode() in shown.stderr


def test_explicit_base_url_gives_the_same_records(mirror_crawl):
    mirror, crawl = mirror_crawl
    records = list(iter_article_records(crawl.warc_files, "rusislam", base_url=mirror.base_url))
    _assert_same_records(records, _crawl_records(crawl))


def test_work_in_flight_is_bounded(mirror_crawl, monkeypatch):
    """With --jobs, records are read only a bounded distance ahead of the output (memory stays flat)."""
    _, crawl = mirror_crawl
    responses = list(iter_responses(crawl.warc_files))
    first_article_at = next(i for i, (record, _) in enumerate(responses) if "-20" in (record.target_uri or "")
                            and record.status == 200 and "novosti" in record.target_uri)
    read = []

    def counting(paths):
        for item in iter_responses(paths):
            read.append(item)
            yield item

    monkeypatch.setattr(offline, "iter_responses", counting)
    # Bounds smaller than the mirror crawl, so that reading everything would exceed them.
    monkeypatch.setattr(offline, "CAPTURES_IN_FLIGHT_PER_JOB", 8)
    monkeypatch.setattr(offline, "CAPTURES_PER_TASK", 4)
    jobs = 2
    records = iter_article_records(crawl.warc_files, jobs=jobs)
    first = next(records)
    records.close()
    assert first["warc"]["offset"] >= responses[first_article_at][1].offset
    assert len(read) <= first_article_at + 1 + jobs * 8 + 4 < len(responses)


def _arabic_capture(crawl):
    """The real Arabic article's record line and its WARC response record, from the crawl."""
    record = next(r for r in _crawl_records(crawl).values() if r["url"].endswith(f"-{REAL_AR_ID}"))
    return record, read_record(crawl.archive_dir / "warc", record["warc"])


def _write_variant(directory, url, stored, *, status=200, headers=None, body=None):
    with WarcArchiveWriter(directory, "variant", hostname="testhost") as writer:
        writer.write_exchange(HttpExchange(
            url=url, method="GET", request_headers=[("Accept-Encoding", "gzip")], request_body=b"",
            protocol="HTTP/1.1", status=status, reason="Whatever",
            response_headers=stored.header_list if headers is None else headers,
            body=stored.payload if body is None else body,
            captured_at=datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc),
        ))
    return writer.files


@pytest.mark.parametrize("variant, expect_record", [
    ("as captured", True),
    ("status 404", False),
    ("status 203", True),
    ("listing url", False),
    ("identity coding", True),
    ("binary content", False),
])
def test_which_captures_are_extracted(mirror_crawl, tmp_path, variant, expect_record):
    """The crawl's rule: 2xx text responses that are not listing pages; gzip or not."""
    mirror, crawl = mirror_crawl
    record, stored = _arabic_capture(crawl)
    assert ("Content-Encoding", "gzip") in stored.header_list  # the mirror served it gzipped
    url, kwargs = record["url"], {}
    if variant.startswith("status"):
        kwargs["status"] = int(variant.split()[1])
    elif variant == "listing url":
        url = f"{mirror.base_url}/ar/novosti/"
    elif variant == "identity coding":
        kwargs["headers"] = [(k, v) for k, v in stored.header_list if k.lower() not in ("content-encoding", "content-length")]
        kwargs["body"] = gzip.decompress(stored.payload)
    elif variant == "binary content":
        kwargs["headers"] = [("Content-Type", "image/jpeg")]
        kwargs["body"] = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256)) * 4
    files = _write_variant(tmp_path, url, stored, **kwargs)
    records = list(iter_article_records(files, base_url=mirror.base_url))
    assert len(records) == int(expect_record)
    if expect_record:
        got = records[0]
        for field in ("id", "title", "body", "published", "source", "language"):
            assert got[field] == record[field]
        assert got["fetched_at"] == "2026-03-04T05:06:07Z"
        assert got["http_status"] == kwargs.get("status", 200)


TEXT_CASES = [
    ([("Content-Type", "text/html; charset=utf-8")], "http://x/a", b"\x00\x01\x02"),
    ([("Content-Type", "application/xhtml+xml")], "http://x/a", b"<html/>"),
    ([("Content-Type", "application/octet-stream")], "http://x/a", b"<html><body>hi</body></html>"),
    ([("Content-Type", "application/octet-stream")], "http://x/a", b"\x01\x02binary"),
    ([("Content-Type", "image/png")], "http://x/page.html", b"\x89PNG\r\n\x1a\n\x00"),
    ([("Content-Type", "image/png")], "http://x/img.png", b"\x89PNG\r\n\x1a\n\x00\x07"),
    ([("Content-Type", "text/html"), ("Content-Encoding", "br")], "http://x/a", b"\x0b\x07\x80"),
    ([("Content-Type", "text/plain"), ("Content-Type", "image/gif")], "http://x/a", b"GIF89a\x01\x02"),
    ([("Content-Disposition", 'attachment; filename="report.pdf"')], "http://x/a", b"%PDF-1.4\x01"),
    ([("Content-Disposition", 'attachment; filename="notes.txt"')], "http://x/a", b"\x01\x02"),
    ([], "http://x/feed.xml", b"\x01"),
    ([], "http://x/archive.tar.gz", b"plain words"),
    ([], "http://x/a", b""),
    ([("content-type", "TEXT/HTML")], "http://x/a", b"\x02"),
]


def _scrapy_says_text(headers, url, body) -> bool:
    scrapy_headers = Headers()
    for name, value in headers:
        scrapy_headers.appendlist(name, value)
    return issubclass(responsetypes.from_args(headers=scrapy_headers, url=url, body=body), TextResponse)


@pytest.mark.parametrize("headers, url, body", TEXT_CASES)
def test_text_response_rule_matches_scrapy(headers, url, body):
    assert is_text_response(headers, url, body) == _scrapy_says_text(headers, url, body)


def test_text_response_rule_matches_scrapy_on_every_crawled_response(mirror_crawl):
    _, crawl = mirror_crawl
    checked = 0
    for record, _ in iter_responses(crawl.warc_files):
        headers = [(k, v) for k, v in record.header_list if k.lower() != "content-encoding"]
        body = record.content()
        assert is_text_response(headers, record.target_uri, body) == _scrapy_says_text(headers, record.target_uri, body)
        checked += 1
    assert checked >= 50


def test_cli_refuses_bad_arguments(mirror_crawl, tmp_path, capsys):
    _, crawl = mirror_crawl
    warc_dir = str(crawl.archive_dir / "warc")
    existing = tmp_path / "out.jsonl"
    existing.write_text('{"id": "kept"}\n')
    assert main(["extract", warc_dir, "-o", str(existing)]) == 2
    assert "--overwrite" in capsys.readouterr().err and existing.read_text() == '{"id": "kept"}\n'
    assert main(["extract", warc_dir, "-o", str(tmp_path / "a.jsonl"), "--jobs", "0"]) == 2
    assert main(["extract", str(tmp_path / "missing.warc.gz"), "-o", str(tmp_path / "a.jsonl")]) == 2
    assert main(["extract", warc_dir, "-o", str(tmp_path / "a.jsonl"), "--site", "no-such-site"]) == 2
    assert main(["extract", warc_dir, "-o", str(tmp_path / "a.jsonl"), "--base-url", "not a url"]) == 2
    assert not (tmp_path / "a.jsonl").exists()
    assert main(["extract", warc_dir, "-o", str(existing), "--overwrite"]) == 0
    assert '"kept"' not in existing.read_text()


def test_versions_over_two_runs_equal_the_crawl_lines(tmp_path):
    """Run 2 refetches an edited article: offline over both runs' WARCs gives both runs' lines."""
    archive_dir = tmp_path / "archive"
    with MirrorServer() as mirror:
        first = run_crawl(archive_dir, "-a", f"base_url={mirror.base_url}")
        assert first.returncode == 0, first.log[-3000:]
        time.sleep(1.1)  # the edit is stamped after run 1's fetch, to the second
        edited = next(a for a in mirror.site.articles if a.in_sitemap and a.language == "en")
        mirror.site.edit_article(edited.path, edited.paragraphs[:-1] + ["A paragraph the editors added later."])
        second = run_crawl(archive_dir, "-a", f"base_url={mirror.base_url}")
        assert second.returncode == 0, second.log[-3000:]
    crawl_lines = [record for path in second.jsonl_files for record in read_jsonl(path)]
    changed = [line for line in crawl_lines if line["version"] == 2]
    assert len(second.jsonl_files) == 2 and len(changed) == 1 and changed[0]["url"].endswith(edited.path)
    assert len(second.warc_files) >= 2 and starts_run(second.warc_files[-1].name)

    records = list(iter_article_records(second.warc_files))

    assert sorted((r["id"], r["version"]) for r in records) == sorted((r["id"], r["version"]) for r in crawl_lines)
    by_key = {(r["id"], r["version"]): r for r in crawl_lines}
    for record in records:
        assert record == by_key[(record["id"], record["version"])]
    # Only run 2's WARC: its history starts there, so the edited article is a first version.
    only_second = list(iter_article_records(second.warc_files[-1:]))
    assert [(r["id"], r["version"], r["previous_sha1"]) for r in only_second] == [(changed[0]["id"], 1, "")]


def test_offline_module_does_not_import_scrapy():
    code = "import sys, crawler.offline, archive.cdxj, archive.wacz; print('scrapy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "False", result.stdout + result.stderr
