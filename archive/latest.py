"""The latest version of each article, from every ``ARCHIVE_DIR/articles/*.jsonl``.

Runs append a line per new or changed article, so a corpus tool that wants one record per article
needs the line with the highest ``version`` of each ``id`` (ties: the later line; files are read in
name order, which is run order since names carry the run's start time). Two passes over the files
keep memory proportional to the number of articles, not lines: the first notes where each id's best
line is (about 100 bytes per article: the id as bytes, the place as one int), the second reads
those lines (by line number) byte for byte, in the order they appear in the archive. Files are read
in blocks of whole lines (``read_blocks``), which the export hands to pyarrow whole.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from array import array
from binascii import unhexlify
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

# A line's place as one int: version, then file index, then line number, so that of two lines of an
# article the better one (higher version; on a tie, the later line) is the larger number.
_NUMBER_BITS = 44
_FILE_BITS = 20  # a million files
_PLACE_MASK = (1 << (_NUMBER_BITS + _FILE_BITS)) - 1
_NUMBER_MASK = (1 << _NUMBER_BITS) - 1

BLOCK_BYTES = 2 * 1024 * 1024  # read at a time; a block holds whole lines (a longer line makes a longer block)


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
    for path, wanted in zip(files, latest_line_numbers(files)):
        position, first = 0, 1
        for block in read_blocks(path, warn_partial=False):
            if position == len(wanted):
                break
            lines = block.split(b"\n")[:-1]
            for number, raw in enumerate(lines, first):
                if position < len(wanted) and wanted[position] == number:
                    position += 1
                    yield path, number, raw + b"\n"
            first += len(lines)


def latest_line_numbers(files: list[Path]) -> list[array]:
    """For each file, the numbers (from 1, sorted) of its lines that are the best line of their article.

    Lines that cannot be used (not JSON, no id, a bad version, a partial last line) are logged here
    and are never among them."""
    if len(files) >= 1 << _FILE_BITS:
        raise ValueError(f"{len(files)} article files: at most {(1 << _FILE_BITS) - 1} are read at once")
    wanted = [array("Q") for _ in files]
    for place in sorted(place & _PLACE_MASK for place in _best_places(files).values()):
        wanted[place >> _NUMBER_BITS].append(place & _NUMBER_MASK)
    return wanted


def usable_line(raw: bytes, path: Path, number: int) -> bool:
    """Whether a line (without its newline) can be read as an article line; if not, why is logged."""
    return _id_and_version(raw, path, number) is not None


def read_blocks(path: Path, size: int = BLOCK_BYTES, *, warn_partial: bool = True) -> Iterator[bytes]:
    """The file's lines, about ``size`` bytes of whole lines at a time: every block ends in a newline.

    A partial last line (no newline: a crash leftover, or a line being written) is left out, and
    logged when ``warn_partial``."""
    with open(path, "rb") as stream:
        while block := stream.read(size):
            block += stream.readline()  # to the end of the line the read stopped in
            if block.endswith(b"\n"):
                yield block
                continue
            end = block.rfind(b"\n") + 1  # no newline at the end: the file's last line is partial
            if block[end:].strip() and warn_partial:
                log.warning("%s: skipping a partial last line of %d bytes (a crash leftover)", path, len(block) - end)
            if end:
                yield block[:end]


def _best_places(files: list[Path]) -> dict[bytes | str, int]:
    """The place (see ``_NUMBER_BITS``) of each article's best line, by id (hex ids as bytes: half the memory).

    Lines are found in each block with ``bytes.index`` and read at their ends (``_crawl_identity``);
    only a line of another shape is decoded (``_decoded_identity``)."""
    best: dict[bytes | str, int] = {}
    for file_index, path in enumerate(files):
        file_bits = file_index << _NUMBER_BITS
        number = 0
        for block in read_blocks(path):
            start, size = 0, len(block)
            while start < size:
                end = block.index(b"\n", start) + 1
                number += 1
                identity = _crawl_identity(block, start, end)
                if identity is None:
                    identity = _decoded_identity(block[start:end - 1], path, number)
                start = end
                if identity is None:
                    continue
                key = _id_key(identity[0])
                place = (identity[1] << (_NUMBER_BITS + _FILE_BITS)) | file_bits | number
                if place > best.get(key, -1):
                    best[key] = place
    return best


def _crawl_identity(data: bytes, start: int, end: int) -> tuple[bytes, int] | None:
    """``(id, version)`` of the line ``data[start:end]`` (with its newline) when it is as the crawl
    writes it, read from its first and last bytes; else None."""
    head = _ID_PREFIX.match(data, start, end)
    if head is None:
        return None
    tail = _VERSION_SUFFIX.search(data, max(start, end - _SUFFIX_SPAN), end)
    return None if tail is None else (head[1], int(tail[1]))


def _id_key(article_id: bytes | str) -> bytes | str:
    """The index's key for an id: hex ids as the bytes they spell (half the memory), others as text."""
    if isinstance(article_id, bytes):  # hex digits (_ID_PREFIX)
        return unhexlify(article_id) if not len(article_id) & 1 else article_id.decode("ascii")
    return bytes.fromhex(article_id) if _HEX_ID.fullmatch(article_id) else article_id


def _id_and_version(raw: bytes, path: Path, number: int) -> tuple[str, int] | None:
    """``(id, version)`` of a line (without its newline), or None (logged) for a line that cannot be used."""
    identity = _crawl_identity(raw + b"\n", 0, len(raw) + 1)
    if identity is not None:
        return identity[0].decode("ascii"), identity[1]
    return _decoded_identity(raw, path, number)


def _decoded_identity(raw: bytes, path: Path, number: int) -> tuple[str, int] | None:
    """``(id, version)`` of a line not in the crawl's shape (without its newline), parsed whole; None
    (logged) for a line that cannot be used."""
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
