"""Which line of the article files is each article's latest: the first pass of ``archive.latest``.

A line as the crawl writes it (``archive.jsonl.encode_line``, versions added last) is read at its
two ends, without decoding the body: ``{"id":"...",`` and ``,"version":N,"previous_sha1":...}``.
An unescaped '"' cannot occur inside a JSON string, so these can only be the line's own members.
The ends of a whole block of lines are read at once (``pyarrow.compute.extract_regex``: RE2, without
the GIL, a block per thread); only a line of another shape is parsed whole, in Python. The
``(id, version, file, offset)`` rows found are cut to one row per id as they grow (an id's best:
the highest version, then the later line), so memory follows the number of articles.

Pure: no Scrapy, no ``crawler`` imports.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .blocks import (BLOCK_BYTES, BlockRange, LineNumbers, Note, block_ranges, int64_array, int64_numpy,
                     lines_array, ordered_map, read_lines)

CUT_ROWS = 1 << 16  # rows of identities gathered before the first cut to one row per id
MAX_VERSION = 2**31 - 1  # versions are int32 in the export (and in the JSON schema)


def latest_line_offsets(files: list[Path], block_bytes: int = BLOCK_BYTES) -> list[np.ndarray]:
    """For each file, where (byte offset, sorted, int64) each of its lines that is the best line of
    its article starts.

    Lines that cannot be used (not JSON, no id, a bad version, a partial last line) are logged here
    and are never among them."""
    best, numbers = _BestLines(), LineNumbers()
    jobs = ((block, None) for block in block_ranges(files, block_bytes))
    for block, count, identities, notes in ordered_map(_block_identities, jobs):
        numbers.count(block, count, notes)
        best.add(identities)
    return best.offsets(len(files))


def article_lines(files: list[Path], ids: set[str], block_bytes: int = BLOCK_BYTES) -> pa.Table:
    """``(id, version, file, offset)`` of every usable line of the articles ``ids``, in archive order:
    where to look again for an article whose chosen line turned out unreadable further on (a damaged
    byte in the body, a field of the wrong type). Nothing is logged: the first choice did."""
    wanted = pa.array(sorted(article_id.encode() for article_id in ids), pa.large_binary())
    jobs = ((block, wanted) for block in block_ranges(files, block_bytes))
    tables = [identities for _block, _count, identities, _notes in ordered_map(_block_identities, jobs)]
    return pa.concat_tables(tables) if tables else _IDENTITIES.empty_table()


def best_line_offsets(identities: pa.Table, file_count: int) -> list[np.ndarray]:
    """As :func:`latest_line_offsets`, among the lines of ``identities`` (in archive order)."""
    return offsets_by_file(_best_of(identities), file_count)


def line_key(file_index, offset):
    """One integer for a line (or numpy arrays of them), from its file's index and its offset (files of
    up to 4 TB)."""
    return file_index * (1 << 42) + offset


def line_keys(identities: pa.Table) -> np.ndarray:
    """:func:`line_key` of each line of ``identities``."""
    return line_key(_column(identities, "file"), _column(identities, "offset"))


def offsets_by_file(lines: pa.Table, file_count: int) -> list[np.ndarray]:
    """The offsets of ``lines`` (in archive order), one array per file."""
    files, offsets = _column(lines, "file"), _column(lines, "offset")
    bounds = np.searchsorted(files, np.arange(file_count + 1))
    return [offsets[start:end] for start, end in zip(bounds[:-1], bounds[1:])]


class UnusableLine(ValueError):
    """A line that cannot be read as an article line; the message says why."""


def line_identity(raw: bytes) -> tuple[str, int] | None:
    """``(id, version)`` of a line (without its newline); None for a blank line; raises
    :class:`UnusableLine` for a line that cannot be used."""
    line = raw + b"\n"
    lines = lines_array(line, np.array([len(line)]))
    article_id, version = _crawl_ids(lines)[0].as_py(), _crawl_versions(lines)[0].as_py()
    if article_id is not None and version is not None:
        return article_id.decode("ascii"), version
    return _decoded_identity(raw)


# The ends of a line as the crawl writes it; group "id" and "version" are what is read there.
_ID_PREFIX = r'^\{"id":"(?P<id>[0-9a-f]{1,64})",'
_VERSION_SUFFIX = r',"version":(?P<version>[1-9][0-9]{0,8}),"previous_sha1":(?:"[0-9a-f]*"|null)\}\n\z'

_IDENTITIES = pa.schema([("id", pa.large_binary()), ("version", pa.int64()), ("file", pa.int64()),
                         ("offset", pa.int64())])


def _crawl_ids(lines: pa.Array) -> pa.Array:
    return pc.struct_field(pc.extract_regex(lines, _ID_PREFIX), "id")  # null where no match (.field() gives "")


def _crawl_versions(lines: pa.Array) -> pa.Array:
    return pc.struct_field(pc.extract_regex(lines, _VERSION_SUFFIX), "version").cast(pa.int64())


def _block_identities(block: BlockRange, ids: pa.Array | None) -> tuple[BlockRange, int, pa.Table, list[Note]]:
    """The block, its line count, ``(id, version, file, offset)`` of each of its usable lines (of the
    articles ``ids`` only, when given), and what is wrong with the others."""
    table, count, notes = _all_block_identities(block, warn_partial=ids is None)
    if ids is not None:
        table = table.filter(pc.is_in(table["id"], value_set=ids))
    return block, count, table, notes


def _all_block_identities(block: BlockRange, *, warn_partial: bool) -> tuple[pa.Table, int, list[Note]]:
    lines = read_lines(block.path, block.start, block.stop, warn_partial=warn_partial)
    array = lines_array(lines.data, lines.ends)
    ids, versions = _crawl_ids(array), _crawl_versions(array)
    shaped = pc.and_(ids.is_valid(), versions.is_valid())
    rows = pc.indices_nonzero(shaped)
    starts = lines.starts()
    table = pa.table([ids.take(rows), versions.take(rows), int64_array(np.full(len(rows), block.file_index)),
                      int64_array(starts[int64_numpy(rows)] + lines.offset)], schema=_IDENTITIES)
    notes: list[Note] = []
    if len(rows) == len(lines.ends):
        return table, len(lines.ends), notes
    found = []  # lines of another shape: parsed whole, one at a time
    for row in int64_numpy(pc.indices_nonzero(pc.invert(shaped))).tolist():
        try:
            identity = _decoded_identity(bytes(lines.data[starts[row]:lines.ends[row] - 1]))
        except UnusableLine as why:
            notes.append((row, str(why)))
            continue
        if identity is not None:
            found.append((identity[0].encode("utf-8"), identity[1], lines.offset + int(starts[row])))
    if found:
        decoded = pa.table([pa.array([id_ for id_, _, _ in found], pa.large_binary()),
                            pa.array([version for _, version, _ in found], pa.int64()),
                            pa.array([block.file_index] * len(found), pa.int64()),
                            pa.array([offset for _, _, offset in found], pa.int64())], schema=_IDENTITIES)
        table = pa.concat_tables([table, decoded])
        table = table.take(int64_array(np.argsort(_column(table, "offset"), kind="stable")))  # in line order
    return table, len(lines.ends), notes


class _BestLines:
    """The best line of each article id among the lines added so far.

    Tables of identities are added in archive order (file, then offset) and kept in that order, so a
    later row is a later line. They are cut to one row per id (:func:`_best_of`) when they have grown
    to twice the rows of the last cut."""

    def __init__(self) -> None:
        self._tables: list[pa.Table] = []
        self._rows = 0
        self._kept = 0

    def add(self, identities: pa.Table) -> None:
        self._tables.append(identities)
        self._rows += identities.num_rows
        if self._rows >= max(2 * self._kept, CUT_ROWS):
            self._cut()

    def _cut(self) -> pa.Table:
        best = _best_of(pa.concat_tables(self._tables) if self._tables else _IDENTITIES.empty_table())
        self._tables, self._rows, self._kept = [best], best.num_rows, best.num_rows
        return best

    def offsets(self, file_count: int) -> list[np.ndarray]:
        return offsets_by_file(self._cut(), file_count)  # in archive order: by file, then offset


def _best_of(identities: pa.Table) -> pa.Table:
    """One row per id, in the rows' order (archive order): the highest version; of equal versions, the
    later line.

    Ids are numbered (``dictionary_encode``) and the rows sorted by number and version
    (``numpy.lexsort``, stable: of equal numbers and versions the later line stays last; much faster
    than sorting the ids' bytes); the last row of each id is its best."""
    if not identities.num_rows:
        return identities
    ids = int64_numpy(pc.dictionary_encode(identities["id"].combine_chunks()).indices)
    order = np.lexsort((_column(identities, "version"), ids))
    ids = ids[order]
    last_of_id = np.append(ids[1:] != ids[:-1], True)
    return identities.take(int64_array(np.sort(order[last_of_id])))


def _column(table: pa.Table, name: str) -> np.ndarray:
    return int64_numpy(table[name].combine_chunks())


def _decoded_identity(raw: bytes) -> tuple[str, int] | None:
    """``(id, version)`` of a line not in the crawl's shape (without its newline), parsed whole; None
    for a blank line; raises :class:`UnusableLine`."""
    if not raw.strip():
        return None
    try:
        record = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise UnusableLine(f"skipping a line that is not JSON ({error})") from None
    if not isinstance(record, dict) or not isinstance(record.get("id"), str) or not record["id"]:
        raise UnusableLine("skipping a line without a string id")
    version = record.get("version", 1)  # lines written before versioning are first versions
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= MAX_VERSION:
        raise UnusableLine(f"skipping article {record['id']} with bad version {version!r:.40}")
    return record["id"], version
