"""The latest version of each article, from every ``ARCHIVE_DIR/articles/*.jsonl``.

Runs append a line per new or changed article, so a corpus tool that wants one record per article
needs the line with the highest ``version`` of each ``id`` (ties: the later line; files are read in
name order, which is run order since names carry the run's start time). Two passes over the files
keep memory proportional to the number of articles, not lines: the first notes where each id's best
line is (about 100 bytes per article: the id as bytes, the place as one int), the second copies
those lines byte for byte, in the order they appear in the archive.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from array import array
from typing import BinaryIO, Iterator

log = logging.getLogger(__name__)

ARTICLES_DIR_NAME = "articles"

# A line as the crawl writes it (archive.jsonl.encode_line, versions added last): its id and version
# are read from its first and last bytes without decoding the body. An unescaped '"' cannot occur
# inside a JSON string, so these can only be the top-level members; any other line is parsed whole.
_ID_PREFIX = re.compile(rb'\{"id":"([0-9a-f]{1,64})",')
_VERSION_SUFFIX = re.compile(rb',"version":([1-9][0-9]{0,8}),"previous_sha1":(?:"[0-9a-f]*"|null)\}\n\Z')
_SUFFIX_SPAN = 128
_HEX_ID = re.compile(r"(?:[0-9a-f]{2})+")

# A line's place as one int: version, then file index, then byte offset, so that of two lines of an
# article the better one (higher version; on a tie, the later line) is the larger number.
_OFFSET_BITS = 44  # files up to 16 TB
_FILE_BITS = 20  # a million files
_PLACE_MASK = (1 << (_OFFSET_BITS + _FILE_BITS)) - 1


def article_files(archive_dir: str | os.PathLike) -> list[Path]:
    """The archive's article files in run order (file name order)."""
    directory = Path(archive_dir) / ARTICLES_DIR_NAME
    if not directory.is_dir():
        return []
    return sorted(path for path in directory.glob("*.jsonl") if path.is_file())


def write_latest_articles(files: list[Path], out: BinaryIO) -> int:
    """Copy the best line of each article id from ``files`` to ``out``; returns the lines written."""
    written = 0
    for _path, _number, raw in iter_latest_lines(files):
        out.write(raw)
        written += 1
    return written


def iter_latest_lines(files: list[Path]) -> Iterator[tuple[Path, int, bytes]]:
    """``(file, line number, line)`` of the best line of each article id, in archive order.

    Each line is yielded byte for byte, ending in a newline.
    """
    wanted = array("Q", sorted(place & _PLACE_MASK for place in _best_places(files).values()))
    next_wanted = 0
    for file_index, path in enumerate(files):
        for number, (offset, raw) in enumerate(_lines_with_offsets(path), 1):
            if next_wanted == len(wanted):
                return
            if wanted[next_wanted] == (file_index << _OFFSET_BITS) | offset:
                next_wanted += 1
                yield path, number, raw if raw.endswith(b"\n") else raw + b"\n"


def iter_article_lines(files: list[Path]) -> Iterator[tuple[Path, int, bytes]]:
    """``(file, line number, line)`` of every usable line (every version), in archive order.

    A line is skipped (and logged) for the same reasons as in the latest selection: a partial
    last line, a line that is not JSON, a line without a string id or with a bad version.
    """
    for path in files:
        for number, (_offset, raw) in enumerate(_lines_with_offsets(path), 1):
            if _id_and_version(raw, path, number) is not None:
                yield path, number, raw


def _best_places(files: list[Path]) -> dict[bytes | str, int]:
    """The place (see ``_OFFSET_BITS``) of each article's best line, by id (hex ids as bytes: half the memory)."""
    if len(files) >= 1 << _FILE_BITS:
        raise ValueError(f"{len(files)} article files: at most {(1 << _FILE_BITS) - 1} are read at once")
    best: dict[bytes | str, int] = {}
    for file_index, path in enumerate(files):
        for number, (offset, raw) in enumerate(_lines_with_offsets(path), 1):
            identity = _id_and_version(raw, path, number)
            if identity is None:
                continue
            article_id, version = identity
            key = bytes.fromhex(article_id) if _HEX_ID.fullmatch(article_id) else article_id
            place = (version << (_OFFSET_BITS + _FILE_BITS)) | (file_index << _OFFSET_BITS) | offset
            if place > best.get(key, -1):
                best[key] = place
    return best


def _id_and_version(raw: bytes, path: Path, number: int) -> tuple[str, int] | None:
    """``(id, version)`` of a line, or None (logged) for a line that cannot be used."""
    if not raw.endswith(b"\n"):
        if raw.strip():
            log.warning("%s:%d: skipping a partial last line (a crash leftover)", path, number)
        return None
    prefix = _ID_PREFIX.match(raw)
    if prefix is not None:
        suffix = _VERSION_SUFFIX.search(raw, max(0, len(raw) - _SUFFIX_SPAN))
        if suffix is not None:
            return prefix.group(1).decode("ascii"), int(suffix.group(1))
    if not raw.strip():
        return None
    try:
        record = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        log.warning("%s:%d: skipping a line that is not JSON (%s)", path, number, error)
        return None
    if not isinstance(record, dict) or not isinstance(record.get("id"), str) or not record["id"]:
        log.warning("%s:%d: skipping a line without a string id", path, number)
        return None
    version = record.get("version", 1)  # lines written before versioning are first versions
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        log.warning("%s:%d: skipping article %s with bad version %r", path, number, record["id"], version)
        return None
    return record["id"], version


def _lines_with_offsets(path: Path) -> Iterator[tuple[int, bytes]]:
    with open(path, "rb") as stream:
        offset = 0
        for raw in stream:
            yield offset, raw
            offset += len(raw)
