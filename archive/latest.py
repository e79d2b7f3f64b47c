"""The latest version of each article, from every ``ARCHIVE_DIR/articles/*.jsonl``.

Runs append a line per new or changed article, so a corpus tool that wants one record per article
needs the line with the highest ``version`` of each ``id`` (ties: the later line; files are read in
name order, which is run order since names carry the run's start time). Two passes over the files
keep memory proportional to the number of articles, not lines: the first notes where each id's best
line is, the second copies those lines byte for byte, in the order they appear in the archive.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import BinaryIO, Iterator, NamedTuple

log = logging.getLogger(__name__)

ARTICLES_DIR_NAME = "articles"

# A line as the crawl writes it (archive.jsonl.encode_line, versions added last): its id and version
# are read from its first and last bytes without decoding the body. An unescaped '"' cannot occur
# inside a JSON string, so these can only be the top-level members; any other line is parsed whole.
_ID_PREFIX = re.compile(rb'\{"id":"([0-9a-f]{1,64})",')
_VERSION_SUFFIX = re.compile(rb',"version":([1-9][0-9]{0,8}),"previous_sha1":(?:"[0-9a-f]*"|null)\}\n\Z')
_SUFFIX_SPAN = 128


class _Best(NamedTuple):
    version: int
    file_index: int
    offset: int


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
    best = _best_lines(files)
    wanted: dict[int, set[int]] = {}
    for choice in best.values():
        wanted.setdefault(choice.file_index, set()).add(choice.offset)
    del best
    for file_index, path in enumerate(files):
        offsets = wanted.get(file_index)
        if not offsets:
            continue
        for number, (offset, raw) in enumerate(_lines_with_offsets(path), 1):
            if offset in offsets:
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


def _best_lines(files: list[Path]) -> dict[str, _Best]:
    best: dict[str, _Best] = {}
    for file_index, path in enumerate(files):
        for number, (offset, raw) in enumerate(_lines_with_offsets(path), 1):
            identity = _id_and_version(raw, path, number)
            if identity is None:
                continue
            article_id, version = identity
            current = best.get(article_id)
            if current is None or version >= current.version:
                best[article_id] = _Best(version, file_index, offset)
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
