"""CDXJ index of an archive (archive/cdxj.py): every response and revisit record, sorted, incremental."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
import surt
from warcio.archiveiterator import ArchiveIterator

import archive.cdxj as cdxj
from archive.cdxj import INDEX_DIR_NAME, INDEX_FILE_NAME, iter_index, update_index
from crawler.cli import main
from archive.warc import HttpExchange, WarcArchiveWriter, sha1_payload_digest
from tests.archive_tools import copy_archive

pytest_plugins = ["tests.archive_fixtures"]  # the session's mirror crawl: fixture mirror_crawl

PAGE = "<html><head><title>Revisited</title></head><body><p>Same bytes twice.</p></body></html>".encode()


def _exchange(url: str, body: bytes, when: datetime, status: int = 200) -> HttpExchange:
    return HttpExchange(
        url=url, method="GET", request_headers=[("Host", "example.org")], request_body=b"",
        protocol="HTTP/1.1", status=status, reason="OK" if status == 200 else "Not Found",
        response_headers=[("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
        body=body, captured_at=when,
    )


def write_revisit_warc(warc_dir: Path, prefix: str = "later") -> Path:
    """A WARC file of our own writer holding a response, a revisit of it and a 404 response."""
    first = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    second = datetime(2026, 2, 3, 4, 5, 6, tzinfo=timezone.utc)
    with WarcArchiveWriter(warc_dir, prefix, hostname="testhost") as writer:
        original = writer.write_exchange(_exchange("https://example.org/page?b=2&a=1", PAGE, first))
        writer.write_revisit(
            _exchange("https://example.org/page?b=2&a=1", PAGE, second),
            refers_to_uri="https://example.org/page?b=2&a=1", refers_to_date=first,
            payload_digest=sha1_payload_digest(PAGE), refers_to_record_id=original.record_id,
        )
        writer.write_exchange(_exchange("https://example.org/missing", b"gone", second, status=404))
    (path,) = [Path(p) for p in writer.files]
    return path


def indexable_records(paths) -> dict[tuple[str, int], dict]:
    """(file, offset) -> what the index must say, for every response and revisit record (read by warcio)."""
    expected = {}
    for path in paths:
        with open(path, "rb") as stream:
            records = ArchiveIterator(stream)
            for record in records:
                if record.rec_type not in ("response", "revisit"):
                    continue
                headers = record.rec_headers
                expected[(path.name, records.get_record_offset())] = {
                    "type": record.rec_type,
                    "url": headers.get_header("WARC-Target-URI"),
                    "timestamp": "".join(ch for ch in headers.get_header("WARC-Date") if ch.isdigit())[:14],
                    "digest": headers.get_header("WARC-Payload-Digest"),
                    "status": record.http_headers.get_statuscode(),
                    "mime": (record.http_headers.get_header("Content-Type") or "").split(";")[0].strip(),
                }
                records.read_to_end(record)
                expected[(path.name, records.get_record_offset())]["length"] = records.get_record_length()
    return expected


def test_index_lists_every_response_and_revisit_record(mirror_crawl, tmp_path):
    _, crawl = mirror_crawl
    archive_dir = copy_archive(crawl, tmp_path / "archive")
    revisit_file = write_revisit_warc(archive_dir / "warc")
    warc_files = sorted((archive_dir / "warc").glob("*.warc.gz"))

    update = update_index(archive_dir)

    assert update.indexed_files == tuple(p.name for p in warc_files) and not update.failed_files
    expected = indexable_records(warc_files)
    assert sum(1 for e in expected.values() if e["type"] == "revisit") == 1
    assert sum(1 for e in expected.values() if e["type"] == "response") >= 50
    lines = list(iter_index(update.index_path))
    assert update.line_count == len(lines) == len(expected)
    found = {}
    for key, timestamp, fields in lines:
        place = (fields["filename"], int(fields["offset"]))
        assert place not in found, f"two index lines for {place}"
        found[place] = (key, timestamp, fields)
    assert set(found) == set(expected)
    for place, want in expected.items():
        key, timestamp, fields = found[place]
        assert key == surt.surt(want["url"])
        assert timestamp == want["timestamp"] and len(timestamp) == 14
        assert fields["url"] == want["url"]
        assert fields["digest"] == want["digest"]
        assert fields["status"] == want["status"]
        assert int(fields["length"]) == want["length"]
        assert fields["mime"] == ("warc/revisit" if want["type"] == "revisit" else want["mime"])
    # The revisit and its original: same SURT key (query sorted), two timestamps.
    page_lines = [(t, f["mime"]) for k, t, f in lines if k == "org,example)/page?a=1&b=2"]
    assert page_lines == [("20260102030405", "text/html"), ("20260203040506", "warc/revisit")]
    assert revisit_file.name in {f["filename"] for _, _, f in lines}


def test_index_lines_are_sorted_bytewise(mirror_crawl, tmp_path):
    """pywb binary-searches the file: byte order, as `LC_ALL=C sort` gives."""
    _, crawl = mirror_crawl
    archive_dir = copy_archive(crawl, tmp_path / "archive")
    write_revisit_warc(archive_dir / "warc")
    update = update_index(archive_dir)
    raw = update.index_path.read_bytes().splitlines()
    assert raw == sorted(raw)
    assert all(line.count(b" ") >= 2 and json.loads(line.split(b" ", 2)[2]) for line in raw)


def test_update_reads_only_new_files_and_merges(mirror_crawl, tmp_path, monkeypatch):
    _, crawl = mirror_crawl
    archive_dir = copy_archive(crawl, tmp_path / "archive")
    first = update_index(archive_dir)
    crawl_lines = first.index_path.read_text(encoding="utf-8").splitlines()
    (crawl_file,) = first.indexed_files

    # The indexed file now holds garbage of the same size: reading it again would fail.
    crawl_path = archive_dir / "warc" / crawl_file
    crawl_path.write_bytes(b"\x00" * crawl_path.stat().st_size)
    new_file = write_revisit_warc(archive_dir / "warc")
    read = []
    original = cdxj.write_sorted_index
    monkeypatch.setattr(cdxj, "write_sorted_index", lambda path, out: (read.append(Path(path).name), original(path, out)))

    second = update_index(archive_dir)

    assert read == [new_file.name]
    assert second.indexed_files == (new_file.name,) and not second.failed_files and second.rebuilt_because is None
    merged = second.index_path.read_text(encoding="utf-8").splitlines()
    assert merged == sorted(merged)
    assert len(merged) == len(crawl_lines) + 3
    assert set(crawl_lines) <= set(merged)
    assert sum(1 for line in merged if f'"filename": "{new_file.name}"' in line) == 3

    read.clear()
    third = update_index(archive_dir)
    assert read == [] and third.indexed_files == () and third.line_count == len(merged)
    state = json.loads((archive_dir / INDEX_DIR_NAME / cdxj.STATE_FILE_NAME).read_text())
    assert state["files"] == {crawl_file: crawl_path.stat().st_size, new_file.name: new_file.stat().st_size}


def test_removed_file_makes_the_index_rebuild(mirror_crawl, tmp_path):
    _, crawl = mirror_crawl
    archive_dir = copy_archive(crawl, tmp_path / "archive")
    extra = write_revisit_warc(archive_dir / "warc")
    update_index(archive_dir)
    extra.unlink()
    update = update_index(archive_dir)
    assert update.rebuilt_because and extra.name in update.rebuilt_because
    assert all(fields["filename"] != extra.name for _, _, fields in iter_index(update.index_path))
    assert update.line_count == len(indexable_records(sorted((archive_dir / "warc").glob("*.warc.gz"))))


def test_damaged_file_is_reported_left_out_and_retried(mirror_crawl, tmp_path, capsys):
    _, crawl = mirror_crawl
    archive_dir = copy_archive(crawl, tmp_path / "archive")
    damaged = archive_dir / "warc" / "broken-20260101000000000-00000-host-1.warc.gz"
    damaged.write_bytes(bytes(range(256)) * 8)  # neither WARC nor ARC: warcio refuses it

    assert main(["index", str(archive_dir)]) == 1
    out = capsys.readouterr()
    assert damaged.name in out.err
    lines = list(iter_index(archive_dir / INDEX_DIR_NAME / INDEX_FILE_NAME))
    assert lines and all(fields["filename"] != damaged.name for _, _, fields in lines)
    state = json.loads((archive_dir / INDEX_DIR_NAME / cdxj.STATE_FILE_NAME).read_text())
    assert damaged.name not in state["files"]

    damaged.unlink()  # once the bad file is gone, the index is complete again
    assert main(["index", str(archive_dir)]) == 0


def test_cli_refuses_a_directory_without_warc_folder(tmp_path, capsys):
    assert main(["index", str(tmp_path)]) == 2
    assert "no warc/ folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["index"])
