"""JSON Lines writer, repair and reader: whole lines, UTF-8, NFC."""

from __future__ import annotations

import codecs
import json
import logging
import os
import unicodedata

import pytest

from archive.jsonl import JsonLinesError, JsonLinesWriter, read_jsonl, repair_jsonl

# "й" written decomposed (и + combining breve) and Arabic with a decomposed alef-madda (ا + U+0653).
DECOMPOSED_RU = "Мусульманскии\u0306 мир"
DECOMPOSED_AR = "\u0627\u0653\u0644 البيت"
ARTICLE = {
    "title": DECOMPOSED_AR,
    "body": "فقرة أولى\nفقرة ثانية",
    "source": {"name": "ТАСС", "raw": "المصدر: تاس"},
    "tags": ("ислам", DECOMPOSED_RU),
    "date": "2024-05-01",
    "words": 4,
}


def test_lines_are_whole_compact_utf8_and_nfc(tmp_path):
    path = tmp_path / "out" / "articles.jsonl"
    with JsonLinesWriter(path) as writer:
        writer.write(ARTICLE)
        writer.write({"title": "English", "n": 1})
    data = path.read_bytes()
    lines = data.split(b"\n")
    assert lines[-1] == b"" and len(lines) == 3
    assert "المصدر: تاس".encode("utf-8") in lines[0]  # raw UTF-8, not \u escapes
    assert b"\\u" not in data
    assert lines[1] == b'{"title":"English","n":1}'
    first = json.loads(lines[0])
    assert first["title"] == unicodedata.normalize("NFC", DECOMPOSED_AR) == "\u0622\u0644 البيت"
    assert first["tags"] == ["ислам", "Мусульманский мир"]
    assert first["body"] == "فقرة أولى\nفقرة ثانية"
    assert writer.lines_written == 2


def test_writer_appends_to_an_existing_file(tmp_path):
    path = tmp_path / "a.jsonl"
    with JsonLinesWriter(path) as writer:
        writer.write({"n": 1})
    with JsonLinesWriter(path) as writer:
        writer.write({"n": 2})
    assert [r["n"] for r in read_jsonl(path)] == [1, 2]


@pytest.mark.parametrize(
    "record, error",
    [
        ({"score": float("nan")}, ValueError),
        ({"text": "bad \udc80 surrogate"}, UnicodeEncodeError),
        (["not", "a", "mapping"], TypeError),
        ({"when": object()}, TypeError),
        ({"\u0438\u0306": 1, "\u0439": 2}, ValueError),  # two keys equal after NFC
    ],
)
def test_bad_record_raises_and_leaves_file_untouched(tmp_path, record, error):
    path = tmp_path / "a.jsonl"
    with JsonLinesWriter(path) as writer:
        writer.write({"n": 1})
        with pytest.raises(error):
            writer.write(record)
        writer.write({"n": 2})
    assert path.read_bytes() == b'{"n":1}\n{"n":2}\n'


def test_short_writes_still_produce_whole_lines(tmp_path, monkeypatch):
    real_write = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real_write(fd, bytes(data[:3])))
    path = tmp_path / "a.jsonl"
    with JsonLinesWriter(path) as writer:
        writer.write(ARTICLE)
    monkeypatch.setattr(os, "write", real_write)
    [record] = read_jsonl(path)
    assert record["source"] == {"name": "ТАСС", "raw": "المصدر: تاس"}


def test_failed_write_midway_is_cut_back(tmp_path, monkeypatch):
    path = tmp_path / "a.jsonl"
    writer = JsonLinesWriter(path)
    writer.write({"n": 1})
    real_write = os.write

    def half_then_fail(fd, data):
        if len(data) > 4:
            return real_write(fd, bytes(data[:4]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", half_then_fail)
    with pytest.raises(OSError):
        writer.write({"n": 2, "text": "длинный текст"})
    monkeypatch.setattr(os, "write", real_write)
    assert path.read_bytes() == b'{"n":1}\n'
    writer.write({"n": 3})
    writer.close()
    assert path.read_bytes() == b'{"n":1}\n{"n":3}\n'
    with pytest.raises(ValueError, match="closed"):
        writer.write({"n": 4})


def test_repair_removes_partial_trailing_line(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"n":1}\n{"n":2}\n{"title":"\xd9\x85\xd9')  # crash inside a UTF-8 character
    assert repair_jsonl(path) == 13
    assert path.read_bytes() == b'{"n":1}\n{"n":2}\n'
    assert repair_jsonl(path) == 0
    assert path.read_bytes() == b'{"n":1}\n{"n":2}\n'


def test_repair_of_file_without_any_newline_empties_it(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"n":' * 30000)  # longer than one backwards scan block
    assert repair_jsonl(path) == 150000
    assert path.read_bytes() == b""


def test_writer_repairs_a_partial_line_before_appending(tmp_path, caplog):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"n":1}\n{"n":')
    with caplog.at_level(logging.WARNING, logger="archive.jsonl"):
        with JsonLinesWriter(path) as writer:
            writer.write({"n": 2})
    assert path.read_bytes() == b'{"n":1}\n{"n":2}\n'
    assert "partial last line" in caplog.text


def test_read_skips_unparsable_last_line_and_logs_it(tmp_path, caplog):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"n":1}\n\n{"n":2}\n{"n":')
    with caplog.at_level(logging.WARNING, logger="archive.jsonl"):
        assert list(read_jsonl(path)) == [{"n": 1}, {"n": 2}]
    assert "a.jsonl:4" in caplog.text


def test_read_skips_a_byte_order_mark_before_the_first_line(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(codecs.BOM_UTF8 + b'{"n":1}\n{"n":2}\n')
    assert list(read_jsonl(path)) == [{"n": 1}, {"n": 2}]


def test_read_raises_on_unparsable_line_in_the_middle(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"n":1}\nnot json\n{"n":3}\n')
    records = read_jsonl(path)
    assert next(records) == {"n": 1}
    with pytest.raises(JsonLinesError, match="a.jsonl:2"):
        next(records)


def test_extend_line_equals_encoding_the_extended_record(tmp_path):
    """Re-extraction encodes records in its workers and adds the version fields after: the line
    must be byte for byte the one the whole record gives."""
    from archive.jsonl import encode_line, extend_line

    record = {"id": "a1", "title": "ا\u0644\u0651\u0650", "body": "Текст\n«цитата»", "tags": ["x"], "warc": None}
    fields = {"version": 2, "previous_sha1": "0" * 40}
    assert extend_line(encode_line(record), fields) == encode_line({**record, **fields})
    assert extend_line(encode_line({}), {"version": 1}) == encode_line({"version": 1})
    assert extend_line(encode_line(record), {}) == encode_line(record)
    with pytest.raises(ValueError):
        extend_line(b'["not", "a record"]\n', fields)
    path = tmp_path / "x.jsonl"
    with JsonLinesWriter(path) as writer:
        writer.write_line(extend_line(encode_line(record), fields))
        with pytest.raises(ValueError):
            writer.write_line(b'{"a":1}\n{"b":2}\n')  # two lines are not one record
        with pytest.raises(ValueError):
            writer.write_line(b'{"a":1}')  # no newline: not a whole line
    assert list(read_jsonl(path)) == [{**unicodedata_nfc(record), **fields}]


def unicodedata_nfc(record: dict) -> dict:
    return {k: unicodedata.normalize("NFC", v) if isinstance(v, str) else v for k, v in record.items()}
