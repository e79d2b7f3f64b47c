"""WARC writer, reader and recovery, checked with warcio's own reader, checker and indexer."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
import textwrap
import zlib
from datetime import datetime, timezone
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive import warc as warc_module
from archive.reader import WarcReadError, iter_responses, read_record
from archive.warc import (
    HttpExchange,
    WarcArchiveWriter,
    WarcPointer,
    recover_open_file,
    recover_open_files,
    sha1_payload_digest,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
HTML = "<html><body><h1>مجلس المفتين</h1><p>Совет муфтиев России</p></body></html>".encode("utf-8")
CAPTURED_AT = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone.utc)
FILE_NAME_RE = re.compile(r"^crawl-\d{17}-(\d{5})-[A-Za-z0-9._-]+-\d+\.warc\.gz$")


def make_exchange(**overrides) -> HttpExchange:
    fields = dict(
        url="https://russia-islworld.ru/ar/news/2024/05/item?id=7&lang=ar",
        method="GET",
        request_headers=[("User-Agent", "rusislam-archive-test"), ("Accept-Encoding", "gzip, br")],
        request_body=b"",
        protocol="HTTP/1.1",
        status=200,
        reason="OK",
        response_headers=[
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Encoding", "gzip"),
            ("Transfer-Encoding", "chunked"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
        ],
        body=gzip.compress(HTML, mtime=0),
        captured_at=CAPTURED_AT,
        ip_address="127.0.0.1",
    )
    fields.update(overrides)
    return HttpExchange(**fields)


def warcio_cli(*args: str) -> subprocess.CompletedProcess:
    # warcio 1.8 has no warcio/__main__.py, so "python -m warcio" cannot run; its CLI module can.
    return subprocess.run([sys.executable, "-m", "warcio.cli", *args], capture_output=True, text=True, timeout=60)


def records_of(path) -> list[tuple]:
    """(type, warc headers, http headers, raw payload) of every record, read by warcio."""
    found = []
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream):
            found.append((record.rec_type, record.rec_headers, record.http_headers, record.raw_stream.read()))
    return found


def decompressed(path) -> bytes:
    with gzip.open(path, "rb") as stream:
        return stream.read()


def sha1_base32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def test_written_file_passes_warcio_check_with_every_digest_verified(tmp_path):
    with WarcArchiveWriter(tmp_path, "crawl") as writer:
        writer.write_exchange(make_exchange())
        writer.write_exchange(make_exchange(url="https://russia-islworld.ru/en/", body=b"plain", response_headers=[]))
    [path] = writer.files
    result = warcio_cli("check", "-v", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("digest pass") == 5  # warcinfo + 2 x (response, request)


def test_request_and_response_records_are_linked_and_share_capture_data(tmp_path):
    exchange = make_exchange()
    with WarcArchiveWriter(tmp_path, "crawl") as writer:
        pointer = writer.write_exchange(exchange)
    records = records_of(writer.files[0])
    assert [r[0] for r in records] == ["warcinfo", "response", "request"]
    (_, response, _, _), (_, request, request_http, _) = records[1], records[2]
    assert pointer.record_id == response["WARC-Record-ID"]
    assert response["WARC-Concurrent-To"] == request["WARC-Record-ID"]
    assert request["WARC-Concurrent-To"] == response["WARC-Record-ID"]
    assert response["WARC-Date"] == request["WARC-Date"] == "2026-01-02T03:04:05.678Z"
    assert response["WARC-Target-URI"] == request["WARC-Target-URI"] == exchange.url
    assert response["WARC-IP-Address"] == "127.0.0.1"
    assert response["WARC-Truncated"] is None
    assert request_http.protocol == "GET"
    assert request_http.statusline == "/ar/news/2024/05/item?id=7&lang=ar HTTP/1.1"
    assert request_http.headers[0] == ("Host", "russia-islworld.ru")
    assert request_http.headers[1:] == exchange.request_headers


def test_gzip_body_is_stored_byte_exact_with_content_encoding_and_payload_digest(tmp_path):
    exchange = make_exchange()
    with WarcArchiveWriter(tmp_path, "crawl") as writer:
        writer.write_exchange(exchange)
    _, response, http, payload = records_of(writer.files[0])[1]
    assert payload == exchange.body
    assert http.get_header("Content-Encoding") == "gzip"
    assert response["WARC-Payload-Digest"] == sha1_base32(exchange.body) == sha1_payload_digest(exchange.body)
    with open(writer.files[0], "rb") as stream:
        decoded = [r.content_stream().read() for r in ArchiveIterator(stream) if r.rec_type == "response"]
    assert decoded == [HTML]  # warcio (as replay tools) still decodes the stored gzip


def test_transfer_encoding_is_renamed_and_content_length_left_as_sent(tmp_path):
    with_length = make_exchange(response_headers=[("Content-Length", "123"), ("transfer-encoding", "chunked")])
    without_length = make_exchange(response_headers=[("Content-Type", "text/html")])
    with WarcArchiveWriter(tmp_path, "crawl") as writer:
        writer.write_exchange(with_length)
        writer.write_exchange(without_length)
    first, second = [r[2] for r in records_of(writer.files[0]) if r[0] == "response"]
    assert first.headers == [("Content-Length", "123"), ("X-Archive-Orig-Transfer-Encoding", "chunked")]
    assert second.headers == [("Content-Type", "text/html")]
    assert b"\r\nTransfer-Encoding" not in decompressed(writer.files[0])


def test_status_line_keeps_real_protocol_and_reason(tmp_path):
    with WarcArchiveWriter(tmp_path, "crawl") as writer:
        writer.write_exchange(make_exchange(protocol="HTTP/1.0", status=503, reason="Down For Maintenance"))
        writer.write_exchange(make_exchange(status=204, reason=""))
    text = decompressed(writer.files[0])
    assert b"\r\n\r\nHTTP/1.0 503 Down For Maintenance\r\n" in text
    assert b"\r\n\r\nHTTP/1.1 204 \r\n" in text
    statuses = [r[2].statusline for r in records_of(writer.files[0]) if r[0] == "response"]
    assert statuses == ["503 Down For Maintenance", "204"]


def test_duplicate_headers_order_and_latin1_bytes_survive(tmp_path):
    headers = [("Set-Cookie", "a=1"), ("X-Name", "caf\xe9"), ("Set-Cookie", "a=2")]
    with WarcArchiveWriter(tmp_path, "crawl") as writer:
        writer.write_exchange(make_exchange(response_headers=headers))
    assert b"\r\nSet-Cookie: a=1\r\nX-Name: caf\xe9\r\nSet-Cookie: a=2\r\n\r\n" in decompressed(writer.files[0])
    assert warcio_cli("check", writer.files[0]).returncode == 0


def test_truncated_exchange_is_marked(tmp_path):
    with WarcArchiveWriter(tmp_path, "crawl") as writer:
        writer.write_exchange(make_exchange(body=b"<html>partial", response_headers=[], truncated="length"))
    response = records_of(writer.files[0])[1][1]
    assert response["WARC-Truncated"] == "length"


@pytest.mark.parametrize(
    "overrides",
    [
        {"url": "https://russia-islworld.ru/a b"},
        {"url": "ftp://russia-islworld.ru/"},
        {"url": "/relative/path"},
        {"truncated": "because"},
        {"status": "200"},
        {"method": "GET /x"},
        {"body": "not bytes"},
    ],
)
def test_bad_exchange_is_refused_on_construction(overrides):
    with pytest.raises(ValueError):
        make_exchange(**overrides)


@pytest.mark.parametrize("status", [99, 1000, -200])
def test_a_status_twisted_accepts_is_archived_as_received(tmp_path, status):
    with WarcArchiveWriter(tmp_path, "crawl") as writer:
        writer.write_exchange(make_exchange(status=status))
    with open(writer.files[0], "rb") as stream:
        statuses = [r.http_headers.get_statuscode() for r in ArchiveIterator(stream) if r.rec_type == "response"]
    assert statuses == [str(status)]


def test_rotation_produces_closed_files_each_starting_with_warcinfo(tmp_path):
    with WarcArchiveWriter(tmp_path, "crawl", max_size=1, warcinfo={"operator": "tester", "isPartOf": "rusislam"}) as writer:
        pointers = [writer.write_exchange(make_exchange(url=f"https://russia-islworld.ru/ru/{n}")) for n in range(3)]
    assert len(writer.files) == 3
    assert sorted(os.listdir(tmp_path)) == sorted(Path(p).name for p in writer.files)
    for serial, (path, pointer) in enumerate(zip(writer.files, pointers)):
        name = Path(path).name
        assert FILE_NAME_RE.match(name).group(1) == f"{serial:05d}"
        assert pointer.file == name
        records = records_of(path)
        assert [r[0] for r in records] == ["warcinfo", "response", "request"]
        warcinfo_headers, warcinfo_body = records[0][1], records[0][3].decode()
        assert warcinfo_headers["WARC-Filename"] == name
        assert "software: rusislam-archive/0.1.0 warcio/" in warcinfo_body
        assert "format: WARC File Format 1.1\r\n" in warcinfo_body
        assert "conformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/" in warcinfo_body
        assert "operator: tester\r\n" in warcinfo_body and "isPartOf: rusislam\r\n" in warcinfo_body
        assert records[1][1]["WARC-Target-URI"] == f"https://russia-islworld.ru/ru/{serial}"
    assert warcio_cli("check", *writer.files).returncode == 0


def test_file_is_open_while_writing_and_renamed_on_close(tmp_path):
    writer = WarcArchiveWriter(tmp_path, "crawl")
    assert os.listdir(tmp_path) == []  # opened lazily
    pointer = writer.write_exchange(make_exchange())
    [name] = os.listdir(tmp_path)
    assert name == pointer.file + ".open"
    assert read_record(tmp_path, pointer).payload == make_exchange().body  # readable before close
    writer.close()
    assert os.listdir(tmp_path) == [pointer.file]
    assert writer.files == [str(tmp_path / pointer.file)]
    writer.close()  # idempotent
    assert writer.files == [str(tmp_path / pointer.file)]


def test_pointers_open_the_right_record_and_match_warcio_index(tmp_path):
    bodies = [f"<p>{n} статья مقال</p>".encode() for n in range(4)]
    with WarcArchiveWriter(tmp_path, "crawl") as writer:
        pointers = [
            writer.write_exchange(make_exchange(url=f"https://russia-islworld.ru/ar/{n}", body=body,
                                                response_headers=[("Content-Type", "text/html")]))
            for n, body in enumerate(bodies)
        ]
    for n, pointer in enumerate(pointers):
        record = read_record(tmp_path, json.loads(json.dumps(pointer.as_dict())))
        assert record.payload == bodies[n]
        assert record.target_uri == f"https://russia-islworld.ru/ar/{n}"
        assert record.record_id == pointer.record_id
        assert record.status == 200
    index = warcio_cli("index", "-f", "warc-type,warc-record-id,offset,length", writer.files[0])
    indexed = {
        row["warc-record-id"]: (int(row["offset"]), int(row["length"]))
        for row in map(json.loads, index.stdout.splitlines())
        if row["warc-type"] == "response"
    }
    assert indexed == {p.record_id: (p.offset, p.length) for p in pointers}


def test_read_record_refuses_a_pointer_to_another_record(tmp_path):
    with WarcArchiveWriter(tmp_path, "crawl") as writer:
        pointer = writer.write_exchange(make_exchange())
    wrong = dict(pointer.as_dict(), record_id="<urn:uuid:00000000-0000-0000-0000-000000000000>")
    with pytest.raises(WarcReadError, match="pointer expects"):
        read_record(tmp_path, wrong)
    with pytest.raises(WarcReadError, match="bare file name"):
        read_record(tmp_path, dict(pointer.as_dict(), file="../" + pointer.file))


def test_content_decodes_gzip_deflate_and_brotli(tmp_path):
    brotli = pytest.importorskip("brotli")
    encodings = {
        "gzip": gzip.compress(HTML),
        "deflate": zlib.compress(HTML),
        "br": brotli.compress(HTML),
        "identity": HTML,
    }
    with WarcArchiveWriter(tmp_path, "crawl") as writer:
        pointers = {
            coding: writer.write_exchange(make_exchange(body=body, response_headers=[("Content-Encoding", coding)]))
            for coding, body in encodings.items()
        }
    for coding, pointer in pointers.items():
        record = read_record(tmp_path, pointer)
        assert record.payload == encodings[coding]
        assert record.content() == HTML


def test_content_of_damaged_gzip_payload_raises_clear_error(tmp_path):
    with WarcArchiveWriter(tmp_path, "crawl") as writer:
        pointer = writer.write_exchange(make_exchange(body=gzip.compress(HTML)[:-20]))
    with pytest.raises(WarcReadError, match="ends before"):
        read_record(tmp_path, pointer).content()


def test_iter_responses_streams_only_responses_with_usable_pointers(tmp_path):
    with WarcArchiveWriter(tmp_path, "crawl", max_size=1) as writer:
        first = writer.write_exchange(make_exchange(url="https://russia-islworld.ru/ru/1"))
        writer.write_revisit(make_exchange(url="https://russia-islworld.ru/ru/1"), refers_to_uri="https://russia-islworld.ru/ru/1",
                             refers_to_date="2026-01-02T03:04:05.678Z", payload_digest=sha1_payload_digest(make_exchange().body))
        second = writer.write_exchange(make_exchange(url="https://russia-islworld.ru/en/2"))
    found = list(iter_responses([tmp_path]))
    assert [p for _, p in found] == [first, second]
    assert [r.target_uri for r, _ in found] == ["https://russia-islworld.ru/ru/1", "https://russia-islworld.ru/en/2"]
    assert all(r.content() == HTML for r, _ in found)


def test_revisit_record_shape(tmp_path):
    exchange = make_exchange()
    digest = sha1_payload_digest(exchange.body)
    with WarcArchiveWriter(tmp_path, "crawl") as writer:
        original = writer.write_exchange(exchange)
        revisit_pointer = writer.write_revisit(
            exchange,
            refers_to_uri=exchange.url,
            refers_to_date=CAPTURED_AT,
            payload_digest=digest,
            refers_to_record_id=original.record_id,
        )
    records = records_of(writer.files[0])
    assert [r[0] for r in records] == ["warcinfo", "response", "request", "revisit", "request"]
    _, revisit, http, payload = records[3]
    assert revisit["WARC-Record-ID"] == revisit_pointer.record_id
    assert revisit["WARC-Profile"] == "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
    assert revisit["WARC-Refers-To-Target-URI"] == exchange.url
    assert revisit["WARC-Refers-To-Date"] == "2026-01-02T03:04:05.678Z"
    assert revisit["WARC-Refers-To"] == original.record_id
    assert revisit["WARC-Payload-Digest"] == records[1][1]["WARC-Payload-Digest"] == digest
    assert revisit["WARC-Concurrent-To"] == records[4][1]["WARC-Record-ID"]
    assert records[4][1]["WARC-Concurrent-To"] == revisit_pointer.record_id
    assert http.statusline == "200 OK" and http.get_header("Content-Encoding") == "gzip"
    assert payload == b""
    assert warcio_cli("check", writer.files[0]).returncode == 0


def test_revisit_with_a_digest_of_other_bytes_is_refused_and_nothing_written(tmp_path):
    with WarcArchiveWriter(tmp_path, "crawl") as writer:
        writer.write_exchange(make_exchange())
        size = os.path.getsize(writer.current_path)
        with pytest.raises(ValueError, match="does not match"):
            writer.write_revisit(make_exchange(), refers_to_uri="https://x.test/", refers_to_date="2026-01-01T00:00:00Z",
                                 payload_digest=sha1_payload_digest(b"other bytes"))
        assert os.path.getsize(writer.current_path) == size


def test_failure_midway_through_an_exchange_leaves_no_partial_record(tmp_path, monkeypatch):
    with WarcArchiveWriter(tmp_path, "crawl") as writer:
        writer.write_exchange(make_exchange())
        size = os.path.getsize(writer.current_path)
        real_write = os.write
        calls = {"n": 0}

        def failing_write(fd, data):
            calls["n"] += 1
            if calls["n"] == 2:
                raise OSError(28, "No space left on device")
            return real_write(fd, data)

        monkeypatch.setattr(os, "write", failing_write)
        with pytest.raises(OSError):
            writer.write_exchange(make_exchange(body=os.urandom(300_000)))
        monkeypatch.setattr(os, "write", real_write)
        assert os.path.getsize(writer.current_path) == size
        writer.write_exchange(make_exchange())
    assert [r[0] for r in records_of(writer.files[0])] == ["warcinfo", "response", "request", "response", "request"]
    assert warcio_cli("check", writer.files[0]).returncode == 0


KILLED_WRITER = textwrap.dedent(
    """
    import json, os, signal, sys
    from tests.test_warc_writer import make_exchange
    from archive.warc import WarcArchiveWriter
    writer = WarcArchiveWriter(sys.argv[1], "crawl")
    pointers = [writer.write_exchange(make_exchange(url=f"https://russia-islworld.ru/ru/{n}", body=os.urandom(20000)))
                for n in range(3)]
    print(json.dumps([p.as_dict() for p in pointers]), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def write_then_get_killed(directory: Path) -> list[WarcPointer]:
    result = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(directory)], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == -9, result.stderr
    return [WarcPointer(**d) for d in json.loads(result.stdout)]


def test_recovery_of_open_file_cut_in_the_middle_of_a_record(tmp_path):
    pointers = write_then_get_killed(tmp_path)
    [open_path] = tmp_path.glob("*.warc.gz.open")
    last = pointers[-1]
    with open(open_path, "r+b") as stream:
        stream.truncate(last.offset + last.length // 2)  # the crash hit the third response

    final = recover_open_file(open_path)
    assert final == str(tmp_path / last.file)
    assert os.listdir(tmp_path) == [last.file]
    assert os.path.getsize(final) == last.offset
    check = warcio_cli("check", final)
    assert check.returncode == 0, check.stdout
    records = records_of(final)
    assert [r[0] for r in records] == ["warcinfo", "response", "request", "response", "request"]
    for pointer in pointers[:2]:
        assert read_record(tmp_path, pointer).record_id == pointer.record_id


def test_recovery_cuts_trailing_garbage_and_keeps_a_complete_file_whole(tmp_path):
    pointers = write_then_get_killed(tmp_path)
    [open_path] = tmp_path.glob("*.warc.gz.open")
    whole_size = os.path.getsize(open_path)
    with open(open_path, "ab") as stream:
        stream.write(b"\x1f\x8b\x08\x00garbage")
    [final] = recover_open_files(tmp_path)
    assert os.path.getsize(final) == whole_size
    assert [r[0] for r in records_of(final)].count("response") == 3
    assert read_record(tmp_path, pointers[2]).record_id == pointers[2].record_id


def test_recovery_drops_a_member_whose_block_digest_is_wrong(tmp_path):
    pointers = write_then_get_killed(tmp_path)
    [open_path] = tmp_path.glob("*.warc.gz.open")
    with open(open_path, "r+b") as stream:
        stream.seek(pointers[1].offset)
        member = stream.read(pointers[1].length)
        text = gzip.decompress(member)
        damaged = gzip.compress(text.replace(b"HTTP/1.1 200 OK", b"HTTP/1.1 200 XX"))
        stream.seek(pointers[1].offset)
        stream.truncate()
        stream.write(damaged)
    final = recover_open_file(open_path)
    assert os.path.getsize(final) == pointers[1].offset
    assert [r[0] for r in records_of(final)] == ["warcinfo", "response", "request"]


def test_recovery_removes_a_file_without_any_whole_record(tmp_path):
    open_path = tmp_path / "crawl-20260101000000000-00000-host-1.warc.gz.open"
    open_path.write_bytes(gzip.compress(b"WARC/1.1\r\nWARC-Type: warcinfo\r\nContent-Length: 500\r\n\r\nshort"))
    assert recover_open_file(open_path) is None
    assert os.listdir(tmp_path) == []


def test_recovery_refuses_a_file_this_process_is_writing(tmp_path):
    with WarcArchiveWriter(tmp_path, "crawl") as writer:
        writer.write_exchange(make_exchange())
        with pytest.raises(RuntimeError, match="still being written"):
            recover_open_file(writer.current_path)
        assert recover_open_files(tmp_path) == []
    assert len(writer.files) == 1


def test_live_process_detection_uses_pid_and_hostname(tmp_path, monkeypatch):
    monkeypatch.setattr(warc_module.socket, "gethostname", lambda: "crawlhost")
    alive = tmp_path / f"crawl-20260101000000000-00000-crawlhost-{os.getppid()}.warc.gz.open"
    other_host = tmp_path / f"crawl-20260101000000000-00000-otherhost-{os.getppid()}.warc.gz.open"
    assert warc_module._held_by_live_writer(alive)
    assert not warc_module._held_by_live_writer(other_host)


def test_iri_target_is_kept_exact_and_sent_percent_encoded(tmp_path):
    iri = "https://russia-islworld.ru/ar/مقال?q=ислам"
    with WarcArchiveWriter(tmp_path, "crawl") as writer:
        writer.write_exchange(make_exchange(url=iri))
    records = records_of(writer.files[0])
    assert records[1][1]["WARC-Target-URI"] == records[2][1]["WARC-Target-URI"] == iri
    assert records[2][2].statusline == "/ar/%D9%85%D9%82%D8%A7%D9%84?q=%D0%B8%D1%81%D0%BB%D0%B0%D0%BC HTTP/1.1"
    assert warcio_cli("check", writer.files[0]).returncode == 0


def test_open_file_of_a_killed_but_unreaped_writer_is_recovered(tmp_path):
    """A SIGKILLed crawl whose parent has not reaped it yet is a zombie: its file is free to recover."""
    import signal
    import socket
    import time

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        os.kill(child.pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while not warc_module._is_zombie(child.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert warc_module._is_zombie(child.pid)
        host = warc_module._file_name_token(socket.gethostname() or "localhost")
        name = f"t-20260101000000000-00000-{host}-{child.pid}.warc.gz.open"
        writer = WarcArchiveWriter(tmp_path, "t")
        writer.write_exchange(make_exchange())
        writer.close()
        (closed,) = writer.files
        os.rename(closed, tmp_path / name)
        assert warc_module.recover_open_files(tmp_path) == [str(tmp_path / name[: -len(".open")])]
    finally:
        child.wait()
