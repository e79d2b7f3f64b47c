"""JSON Lines files that never keep a partial line.

Each record is serialised first, then appended with ``os.write`` on an ``O_APPEND`` descriptor (looping
on short writes); if a write fails midway the file is cut back to its previous length. A crash can
still leave a partial last line (no final newline): ``repair_jsonl`` removes it, the writer does so
when it opens a file, and ``read_jsonl`` skips it. Text is UTF-8 (not \\u-escaped) and NFC-normalised
so that the same Arabic/Cyrillic text always has the same bytes (search, dedupe, diff). One writer
per file: cutting back after a failed write assumes no other process appends meanwhile.
"""

from __future__ import annotations

import codecs
import json
import logging
import os
import threading
import unicodedata
from pathlib import Path
from typing import Any, Iterator, Mapping

log = logging.getLogger(__name__)

_TAIL_SCAN_BLOCK = 64 * 1024


class JsonLinesError(ValueError):
    """A line that is not valid JSON in the middle of a file (a crash only damages the last line)."""


def normalise_text(value: Any) -> Any:
    """NFC-normalise every string (keys included) of a JSON-like value; tuples become lists."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if value is None or isinstance(value, (int, float)):  # most values of a record: no ABC check
        return value
    if isinstance(value, Mapping):
        normalised = {}
        for key, item in value.items():
            new_key = normalise_text(key) if isinstance(key, str) else key
            if new_key in normalised:
                raise ValueError(f"keys {key!r} and another key become equal after NFC normalisation")
            normalised[new_key] = normalise_text(item)
        return normalised
    if isinstance(value, (list, tuple)):
        return [normalise_text(item) for item in value]
    return value


def encode_line(record: Mapping) -> bytes:
    """One record as a complete UTF-8 JSON line (compact, NFC, no NaN), ending in a newline."""
    if not isinstance(record, Mapping):
        raise TypeError(f"a JSON Lines record must be a mapping, got {type(record).__name__}")
    text = json.dumps(normalise_text(record), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text + "\n").encode("utf-8")  # lone surrogates raise UnicodeEncodeError before any write


def extend_line(line: bytes, fields: Mapping) -> bytes:
    """``encode_line`` of a record extended with ``fields`` (keys it lacks), given the record's
    encoded ``line``: the record is not encoded again (re-extraction encodes in its workers and
    adds the version fields in the process that knows them)."""
    if not line.endswith(b"}\n"):
        raise ValueError("not an encoded JSON Lines record")
    added = encode_line(fields)[1:-2]
    if not added:
        return line
    return line[:-2] + (b"," if line[-3:-2] != b"{" else b"") + added + b"}\n"


class JsonLinesWriter:
    """Appends records as whole JSON lines; thread-safe; fsync on close."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        self._lock = threading.Lock()
        self.lines_written = 0
        removed = _cut_partial_tail(self._fd)
        if removed:
            log.warning("%s: removed %d bytes of a partial last line left by an earlier run", self.path, removed)

    def write(self, record: Mapping) -> None:
        """Append one record as one line: either the whole line is in the file or nothing is."""
        self.write_line(encode_line(record))

    def write_line(self, data: bytes) -> None:
        """Append one line already encoded by ``encode_line`` (or ``extend_line``), whole or not at all."""
        if not data.endswith(b"\n") or b"\n" in data[:-1]:
            raise ValueError("a JSON line is one line ending in a newline")
        with self._lock:
            if self._fd is None:
                raise ValueError(f"{self.path}: writer is closed")
            start = os.fstat(self._fd).st_size
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(self._fd, view):]
            except BaseException:
                try:
                    os.ftruncate(self._fd, start)
                except OSError:
                    log.exception("%s: could not remove a partial line; repair_jsonl will", self.path)
                raise
            self.lines_written += 1

    def close(self) -> None:
        with self._lock:
            if self._fd is None:
                return
            fd, self._fd = self._fd, None
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def __enter__(self) -> "JsonLinesWriter":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _partial_tail_length(fd: int) -> int:
    """Bytes after the last newline (the whole file if it has none)."""
    size = os.fstat(fd).st_size
    end = size
    while end > 0:
        start = max(0, end - _TAIL_SCAN_BLOCK)
        newline = os.pread(fd, end - start, start).rfind(b"\n")
        if newline >= 0:
            return size - (start + newline + 1)
        end = start
    return size


def _cut_partial_tail(fd: int) -> int:
    partial = _partial_tail_length(fd)
    if partial:
        os.ftruncate(fd, os.fstat(fd).st_size - partial)
        os.fsync(fd)
    return partial


def repair_jsonl(path: str | os.PathLike) -> int:
    """Remove a trailing partial line (no final newline) left by a crash; return the bytes removed."""
    fd = os.open(path, os.O_RDWR)
    try:
        removed = _cut_partial_tail(fd)
    finally:
        os.close(fd)
    if removed:
        log.warning("%s: removed %d bytes of a partial last line", path, removed)
    return removed


def read_jsonl(path: str | os.PathLike) -> Iterator[Any]:
    """Yield each JSON line; an unparsable last line (crash leftover) is logged and skipped.

    Blank lines are ignored. An unparsable line anywhere else raises JsonLinesError with its
    line number, since a crash cannot explain it.
    """
    with open(path, "rb") as stream:
        pending: tuple[int, bytes] | None = None
        for number, raw in enumerate(stream, 1):
            if number == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)  # an editor's byte order mark is not part of the line
            if not raw.strip():
                continue
            if pending is not None:
                yield _parse_line(path, *pending)
            pending = (number, raw)
        if pending is None:
            return
        number, raw = pending
        try:
            yield _parse_line(path, number, raw)
        except JsonLinesError as error:
            log.warning("skipping unparsable last line: %s", error)


def _parse_line(path, number: int, raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise JsonLinesError(f"{path}:{number}: not a JSON line ({error})") from None
