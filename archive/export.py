"""The article corpus as typed tables: Parquet, CSV and JSON Lines with one fixed schema.

The crawl's JSON lines (``ARCHIVE_DIR/articles/*.jsonl``) are read in blocks of whole lines
(``archive.blocks``), the wanted lines of each block (by default each article's latest, chosen first
by ``archive.identities``) parsed at once by pyarrow against an explicit schema (no type guessing:
``published`` stays the string the page gave), turned into a table of :data:`EXPORT_SCHEMA`,
filtered, and handed to a writer that appends it (a Parquet row group, CSV rows, JSON lines). Blocks
are read and parsed by threads ahead of the writing, and only a few tables are in memory at a time,
so memory stays flat however large the archive. The Parquet and CSV paths do not ask pyarrow to
convert Python values (``pa.scalar``, ``pa.array``; only rare lines take such a detour): the first such
call in a process imports pandas, a third of a second.

:data:`EXPORT_SCHEMA` is the same for every format: the JSON line's fields, ``source``, ``warc``
and ``extractor`` flattened to one column per member (``source_name``, ``source_raw``...), plus

- ``published_date`` (date32): the calendar date the page prints, taken from ``published`` as
  written (its first ten characters), never shifted by a time-zone conversion: an article printed
  "28 November 2026, 01:30" in Moscow is dated 2026-11-28 although it is 22:30 on the 27th in UTC;
- ``published_at`` (timestamp, UTC): the printed moment, null when the page prints no time.

CSV has no list type: ``categories`` and ``tags`` are JSON arrays there (``["a","b"]``), written by
pyarrow's CSV writer like every other column. :func:`dataset_card` describes an export for the
Hugging Face ``datasets`` library (its ``dataset_info`` features block), so loading the export's
directory gets these types without guessing.

Pure: no Scrapy, no ``crawler`` imports.
"""

from __future__ import annotations

import ctypes
import json
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from .blocks import (BLOCK_BYTES, BlockRange, LineNumbers, Lines, Note, block_ranges, int64_array, int64_numpy,
                     lines_array, ordered_map, read_lines)
from .identities import (UnusableLine, article_lines, best_line_offsets, latest_line_offsets, line_identity,
                         line_key, line_keys, offsets_by_file)

log = logging.getLogger(__name__)

UNKNOWN_LANGUAGE = "und"  # BCP 47 "undetermined": the file of a --split for articles without a language code

# At least this many bytes of Arrow data per table handed to a writer (a Parquet row group): four
# blocks' tables, or the small tables of small files or narrow filters joined. A row group has a fixed
# cost (a zstd context per column page): the latest export of 200,000 lines took 6.2 CPU s with 4 MB
# groups and 5.8 with 8 MB (16 MB: 5.7 s, for 15 MB more peak RSS).
GROUP_BYTES = 8 * 1024 * 1024
# Small tables waiting for their group (small files, narrow filters) are joined into one contiguous table
# whenever this many have gathered: kept apart, their pieces scatter the allocator's memory (a filtered
# export's peak RSS: 191-198 MB, 170-177 MB when joined every 8), and a row group per this many tables
# made an archive of daily runs' small files a Parquet file of thousands of tiny row groups.
GROUP_TABLES = 8

_STRINGS = pa.list_(pa.string())
_TRANSLATIONS = pa.list_(pa.struct([("language", pa.string()), ("url", pa.string())]))

# How pyarrow reads a crawl line: every member typed here, so no column is guessed from its values.
LINE_SCHEMA = pa.schema([
    ("id", pa.string()),
    ("url", pa.string()),
    ("canonical_url", pa.string()),
    ("site", pa.string()),
    ("language", pa.string()),
    ("language_declared", pa.string()),
    ("title", pa.string()),
    ("published", pa.string()),
    ("published_raw", pa.string()),
    ("body", pa.string()),
    ("source", pa.struct([("name", pa.string()), ("raw", pa.string())])),
    ("author", pa.string()),
    ("categories", _STRINGS),
    ("tags", _STRINGS),
    ("translations", _TRANSLATIONS),
    ("fetched_at", pa.string()),
    ("http_status", pa.int32()),
    ("content_sha1", pa.string()),
    ("warc", pa.struct([("file", pa.string()), ("offset", pa.int64()), ("length", pa.int64()),
                        ("record_id", pa.string())])),
    ("extractor", pa.struct([("name", pa.string()), ("version", pa.string()), ("trafilatura", pa.string())])),
    ("version", pa.int32()),
    ("previous_sha1", pa.string()),
])

_TIMESTAMP = pa.timestamp("ms", tz="UTC")  # Parquet stores nothing coarser than milliseconds

# (name, type, description): the export's columns in order; the schema and the dataset card both come from here.
EXPORT_FIELDS: tuple[tuple[str, pa.DataType, str], ...] = (
    ("id", pa.string(), "stable article id (20 hex digits), the same for every version of the article"),
    ("url", pa.string(), "the URL as fetched"),
    ("canonical_url", pa.string(), "the article's own URL on the site's configured origin"),
    ("site", pa.string(), "site configuration name, e.g. rusislam"),
    ("language", pa.string(), "language of the text as detected (ISO 639-1: ar, ru, en); null when unknown"),
    ("language_declared", pa.string(), "language the page declares (html lang or URL prefix); null when none"),
    ("title", pa.string(), "article title as shown on the page"),
    ("published", pa.string(), "publication date as in the JSON line, ISO 8601: YYYY-MM-DD, or with a time and "
                               "the site's UTC offset when the page prints a time; null when unknown"),
    ("published_date", pa.date32(), "the calendar date the page prints (local date, never shifted to UTC)"),
    ("published_at", _TIMESTAMP, "the printed publication moment in UTC; null when the page prints no time (or it is not "
                                                "in years 1-9999 in UTC)"),
    ("published_raw", pa.string(), "the date exactly as printed"),
    ("body", pa.string(), "article text, one paragraph per line"),
    ("source_name", pa.string(), "canonical English name of the attributed source (e.g. TASS); null when unknown"),
    ("source_raw", pa.string(), "the attributed source as printed; null when the article names none"),
    ("author", pa.string(), "author or byline; null when none"),
    ("categories", _STRINGS, "sections the page files the article under (CSV: a JSON array)"),
    ("tags", _STRINGS, "the article's tags (CSV: a JSON array)"),
    ("translations", _TRANSLATIONS, "the same article in the site's other languages (hreflang): language and "
                                    "canonical URL pairs, sorted by language (CSV: a JSON array of objects)"),
    ("fetched_at", _TIMESTAMP, "when the page was fetched (UTC)"),
    ("http_status", pa.int32(), "HTTP status of the response the article was read from"),
    ("content_sha1", pa.string(), "SHA-1 of the body's UTF-8 bytes"),
    ("warc_file", pa.string(), "WARC file holding the response (relative to the archive's warc/); null if none"),
    ("warc_offset", pa.int64(), "byte offset of the response record in warc_file"),
    ("warc_length", pa.int64(), "length in bytes of the stored (compressed) record"),
    ("warc_record_id", pa.string(), "WARC-Record-ID of the response record"),
    ("extractor_name", pa.string(), "software that produced the record"),
    ("extractor_version", pa.string(), "its version"),
    ("extractor_trafilatura", pa.string(), "trafilatura version used"),
    ("version", pa.int32(), "1 for the first record of the article, then 1 more each time its text changed"),
    ("previous_sha1", pa.string(), "content_sha1 of the previous version; null for the first version"),
)

EXPORT_SCHEMA = pa.schema([pa.field(name, kind, metadata={"description": text}) for name, kind, text in EXPORT_FIELDS])
_LIST_COLUMNS = tuple(f.name for f in EXPORT_SCHEMA if pa.types.is_list(f.type))  # JSON text in CSV
CSV_SCHEMA = pa.schema([pa.field(f.name, pa.string() if f.name in _LIST_COLUMNS else f.type, metadata=f.metadata)
                        for f in EXPORT_SCHEMA])


@dataclass(frozen=True)
class Selection:
    """Which articles an export keeps: languages (detected ``language``), and a range of printed dates.

    ``since`` and ``until`` are inclusive and compare ``published_date``; an article without a
    date is left out when either is given.
    """

    languages: frozenset[str] = frozenset()
    since: date | None = None
    until: date | None = None

    def mask(self, table: pa.Table) -> pa.ChunkedArray | None:
        """The rows of ``table`` (of :data:`EXPORT_SCHEMA`) to keep, or None for all of them."""
        conditions = []
        if self.languages:
            conditions.append(pc.is_in(table["language"], value_set=_texts(sorted(self.languages))))
        if self.since is not None:
            conditions.append(pc.greater_equal(table["published_date"], _date_constant(self.since)))
        if self.until is not None:
            conditions.append(pc.less_equal(table["published_date"], _date_constant(self.until)))
        if not conditions:
            return None
        keep = conditions[0]
        for condition in conditions[1:]:
            keep = pc.and_kleene(keep, condition)
        return pc.fill_null(keep, _FALSE)


def use_system_allocator() -> None:
    """Make pyarrow allocate with malloc: mimalloc, its default, keeps the memory of freed batches
    (peak RSS 201 MB against 177 MB for the same export of 20,000 lines)."""
    pa.set_memory_pool(pa.system_memory_pool())


def release_freed_memory() -> None:
    """Give the memory malloc keeps after freeing back to the system (glibc's ``malloc_trim``; nothing
    where there is none). The first pass's threads leave their arenas holding freed blocks that the
    second pass, allocating otherwise, would add to: the latest export of 200,000 lines (4 MB row
    groups) peaked at 178 MB RSS without this call after the first pass, 150 MB with it. (Called for
    every table written, it cost 20% more CPU.)"""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError, TypeError):  # not glibc
        pass


def export_tables(files: list[Path], *, all_versions: bool = False, selection: Selection = Selection(),
                  block_bytes: int = BLOCK_BYTES, group_bytes: int = GROUP_BYTES) -> Iterator[pa.Table]:
    """Tables of :data:`EXPORT_SCHEMA` from the article files, in archive order, each of at least
    ``group_bytes`` but the last (none is empty unless nothing is kept).

    The latest version of each article (``--all-versions``: every line), then ``selection``.
    A line that cannot be typed (a date that is no date...) is logged and skipped. Blocks of lines
    are read and parsed by ``blocks.THREADS`` threads, ahead of the caller, who writes meanwhile.
    """
    if all_versions:
        jobs = ((block, None, True) for block in block_ranges(files, block_bytes))
        tables = (_selected(selection, table) for table, _unread in _numbered(ordered_map(_typed_block, jobs)))
    else:
        tables = _latest_tables(files, block_bytes, selection)
    return _grouped(tables, group_bytes)


def _latest_tables(files: list[Path], block_bytes: int, selection: Selection) -> Iterator[pa.Table]:
    """The latest line of each article, typed, in archive order, then :func:`_earlier_lines` for the
    articles whose latest line cannot be typed (the choice reads only a line's id and version);
    ``selection`` applies to the line exported."""
    wanted = latest_line_offsets(files, block_bytes)
    release_freed_memory()
    unread: list[UnreadLine] = []
    for table in _wanted_tables(files, wanted, block_bytes, unread):
        yield _selected(selection, table)
    if unread:
        yield from _earlier_lines(files, unread, block_bytes, selection)


def _earlier_lines(files: list[Path], unread: list[UnreadLine], block_bytes: int, selection: Selection
                   ) -> Iterator[pa.Table]:
    """For the articles whose latest line could not be typed (a damaged byte in its body, a field of the
    wrong type), their newest line that can, so that no article with a usable line is lost: their other
    lines are found (one more pass over the lines' ends), typed to see which can be, and the best of
    those exported, however many of an article's lines are bad. Only then is the archive read again."""
    ids = {article_id for _file_index, _offset, article_id in unread}
    others = article_lines(files, ids, block_bytes)
    others = others.filter(_not_among(others, unread))
    failed: list[UnreadLine] = []
    for _table in _wanted_tables(files, offsets_by_file(others, len(files)), block_bytes, failed):
        pass  # typed only to learn which lines can be
    wanted = best_line_offsets(others.filter(_not_among(others, failed)), len(files))
    exported = 0
    for table in _wanted_tables(files, wanted, block_bytes, failed):
        table = _selected(selection, table)
        exported += table.num_rows
        yield table
    if exported:
        log.warning("exported %d article(s) at an earlier line: their latest line could not be read", exported)
    left_out = len(ids) - sum(map(len, wanted))
    if left_out:
        log.warning("left out %d article(s): none of their lines could be read", left_out)


def _wanted_tables(files: list[Path], wanted: list[np.ndarray], block_bytes: int, unread: list[UnreadLine]
                   ) -> Iterator[pa.Table]:
    """The lines at the ``wanted`` offsets (per file) typed, in archive order; those that cannot be are
    named in a warning and added to ``unread``."""
    blocks = block_ranges(files, block_bytes, skip=lambda file_index: not len(wanted[file_index]))
    jobs = ((block, wanted[block.file_index], False) for block in blocks)  # the choice warned of partial lines
    for table, unread_lines in _numbered(ordered_map(_typed_block, jobs)):
        unread += unread_lines
        yield table


def _not_among(identities: pa.Table, lines: list[UnreadLine]) -> pa.Array:
    """Which rows of ``identities`` are none of ``lines``."""
    keys = np.array([line_key(file_index, offset) for file_index, offset, _id in lines], np.int64)
    return pa.array(~np.isin(line_keys(identities), keys))


def _numbered(results: Iterable[tuple[BlockRange, int, pa.Table, list[Note], list[UnreadLine]]]
              ) -> Iterator[tuple[pa.Table, list[UnreadLine]]]:
    """The blocks' tables and unread lines, their notes logged with line numbers."""
    numbers = LineNumbers()
    for block, count, table, notes, unread in results:
        numbers.count(block, count, notes)
        yield table, unread


def _selected(selection: Selection, table: pa.Table) -> pa.Table:
    keep = selection.mask(table)
    return table if keep is None else table.filter(keep)


def _grouped(tables: Iterable[pa.Table], group_bytes: int) -> Iterator[pa.Table]:
    """Consecutive tables joined until they hold ``group_bytes``: four blocks' tables when blocks are
    full, many more when files are small or filters keep little (Parquet readers want few row groups)."""
    pending: list[pa.Table] = []
    size = 0
    for table in tables:
        if table.num_rows:
            pending.append(table)
            size += table.nbytes
        if size >= group_bytes:
            yield pa.concat_tables(pending)
            pending, size = [], 0
        elif len(pending) >= GROUP_TABLES:
            pending = [pa.concat_tables(pending).combine_chunks()]
    yield pa.concat_tables(pending) if pending else EXPORT_SCHEMA.empty_table()


_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError)


UnreadLine = tuple[int, int, str]  # a wanted line left out: its file (index), offset, and article id


def _typed_block(block: BlockRange, wanted: np.ndarray | None, warn_partial: bool
                 ) -> tuple[BlockRange, int, pa.Table, list[Note], list[UnreadLine]]:
    """The block, its line count, and as one table its lines that start at an offset in ``wanted`` (all
    usable ones when None), with what is wrong with the lines left out, and which wanted lines those are.

    The wanted lines are parsed at once (a line not wanted is cut out before, not parsed); when that
    fails, or when the rows are not one usable article per line, in halves (:func:`_typed_rows`)."""
    lines = read_lines(block.path, block.start, block.stop, warn_partial=warn_partial)
    if wanted is None:  # every line: blank ones are skipped silently
        rows = np.flatnonzero(~_blank_lines(lines))
    else:
        rows = lines.rows_starting_at(wanted)
    if not len(rows):
        return block, len(lines.ends), EXPORT_SCHEMA.empty_table(), [], []
    table, notes = _typed_rows(lines, rows, identify=wanted is None)
    unread = [] if wanted is None else _unread_lines(block, lines, [row for row, _note in notes])
    return block, len(lines.ends), table, notes, unread


def _unread_lines(block: BlockRange, lines: Lines, rows: list[int]) -> list[UnreadLine]:
    """The wanted lines at ``rows``, which could not be typed: the latest choice read their ids, so they have one."""
    starts = lines.starts().tolist()
    unread = []
    for row in rows:
        article_id, _version = line_identity(bytes(lines.data[starts[row]:int(lines.ends[row]) - 1]))
        unread.append((block.file_index, lines.offset + starts[row], article_id))
    return unread


def _blank_lines(lines: Lines) -> np.ndarray:
    """Whether each line of the block holds nothing but white space."""
    starts = lines.starts()
    blank = lines.ends - starts <= 1
    for row in np.flatnonzero((lines.ends - starts > 1) & (lines.ends - starts <= 256)).tolist():
        blank[row] = not bytes(lines.data[starts[row]:lines.ends[row]]).strip()
    return blank


def _typed_rows(lines: Lines, rows: np.ndarray, *, identify: bool) -> tuple[pa.Table, list[Note]]:
    """The lines at ``rows`` (sorted) as one table, with notes for those left out. Rows that do not parse
    together are halved until each failing part is one line, read alone (:func:`_typed_lines`): a bad
    line costs a few parses of shrinking parts of its block, not a parse per line (a block read line by
    line took 2 ms a line, and its one-row tables hundreds of MB)."""
    if len(rows) <= 1:
        return _typed_lines(lines, rows.tolist(), identify=identify)
    try:
        table = to_export_table(lines.data if len(rows) == len(lines.ends) else _only_lines(lines, rows))
    except _ARROW_ERRORS:
        table = None
    if table is not None and table.num_rows == len(rows) and _one_article_per_row(table):
        return table, []
    middle = len(rows) // 2
    first, first_notes = _typed_rows(lines, rows[:middle], identify=identify)
    second, second_notes = _typed_rows(lines, rows[middle:], identify=identify)
    return pa.concat_tables([first, second]), first_notes + second_notes


def _only_lines(lines: Lines, rows: np.ndarray) -> bytes:
    """The lines at the (sorted, from 0) ``rows``, joined: one copy of each run of consecutive lines."""
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1  # the first row of each run but the first
    run_firsts = rows[np.concatenate(([0], breaks))]
    run_lasts = rows[np.concatenate((breaks - 1, [len(rows) - 1]))]
    starts = lines.starts()
    return b"".join(lines.data[start:end]
                    for start, end in zip(starts[run_firsts].tolist(), lines.ends[run_lasts].tolist()))


def _one_article_per_row(table: pa.Table) -> bool:
    """Every row has an id and a version from 1 (what ``identities.line_identity`` asks of a line)."""
    if not table.num_rows:
        return True
    ids = table["id"]
    return (not ids.null_count and pc.min(pc.binary_length(ids)).as_py() > 0
            and pc.min(table["version"]).as_py() >= 1)


def _typed_lines(lines: Lines, rows: list[int], *, identify: bool) -> tuple[pa.Table, list[Note]]:
    """The lines at ``rows``, one at a time (with ``identify``, lines the latest choice has not read:
    only those with an id and a version); notes for those left out."""
    tables, notes = [], []
    starts = lines.starts()
    for row in rows:
        raw = bytes(lines.data[starts[row]:lines.ends[row]])
        if identify:
            try:
                if line_identity(raw[:-1]) is None:  # blank
                    continue
            except UnusableLine as why:
                notes.append((row, str(why)))
                continue
        try:
            table = to_export_table(raw)
        except _ARROW_ERRORS as error:
            table, why = None, str(error).splitlines()[0]
        else:
            why = f"{table.num_rows} JSON objects"
        if table is not None and table.num_rows == 1:
            tables.append(table)
        else:
            notes.append((row, f"skipping a line that does not fit the export schema ({why})"))
    return (pa.concat_tables(tables) if tables else EXPORT_SCHEMA.empty_table()), notes


def _constant(value: int, kind: pa.DataType) -> pa.Scalar:
    """``pa.scalar(value, kind)`` without its pandas probe (see ``blocks.int64_array``)."""
    return int64_array(np.array([value])).cast(kind)[0]


def _date_constant(day: date) -> pa.Scalar:
    return _constant((day - date(1970, 1, 1)).days, pa.int32()).cast(pa.date32())


def _texts(values: list[str]) -> pa.StringArray:
    """``pa.array(values, pa.string())`` without its pandas probe (see ``blocks.int64_array``)."""
    encoded = [value.encode("utf-8") for value in values]
    offsets = np.cumsum([0] + [len(value) for value in encoded]).astype(np.int32)
    return pa.StringArray.from_buffers(len(values), pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded)))


_NO_TEXT = pa.nulls(1, pa.string())[0]
_NOTHING_TEXT, _QUOTE, _COMMA, _OPEN_LIST, _CLOSE_LIST, _CLOSE_OBJECT, _JSON_NULL = _texts(["", '"', ",", "[", "]", "}",
                                                                                           "null"])
_FALSE = _constant(0, pa.bool_())
_UNKNOWN_LANGUAGE = _texts([UNKNOWN_LANGUAGE])[0]
_DATE_LENGTH = _constant(len("YYYY-MM-DD"), pa.int32())
_NOTHING = _constant(0, pa.int32())
_FIRST_VERSION = _constant(1, pa.int32())
_FIRST_DAY, _LAST_DAY = date(1, 1, 1) - date(1970, 1, 1), date(9999, 12, 31) - date(1970, 1, 1)
_DAY_MS = 24 * 3600 * 1000
_YEAR_BOUNDS = {
    pa.date32(): (_constant(_FIRST_DAY.days, pa.int32()).cast(pa.date32()),
                  _constant(_LAST_DAY.days, pa.int32()).cast(pa.date32())),
    _TIMESTAMP: (_constant(_FIRST_DAY.days * _DAY_MS, pa.int64()).cast(_TIMESTAMP),
                 _constant((_LAST_DAY.days + 1) * _DAY_MS - 1, pa.int64()).cast(_TIMESTAMP)),
}


def to_export_table(lines: bytes | memoryview) -> pa.Table:
    """Whole JSON lines (each ending in a newline) as a table of :data:`EXPORT_SCHEMA`; raises pyarrow's
    ArrowInvalid when a line does not fit (not UTF-8, not JSON, a member of another type, a date that is
    no date)."""
    # pyarrow's JSON reader does not check UTF-8: a damaged byte would reach the Parquet file and
    # stop every reader that decodes the value. The cast checks it (about 1 GB/s).
    lines_array(lines, np.array([len(lines)])).cast(pa.large_string())
    read = pa_json.read_json(
        pa.BufferReader(pa.py_buffer(lines)),  # the caller's bytes, not copied
        # One parse block, one thread: a block must hold whole lines, and other blocks have the other threads.
        read_options=pa_json.ReadOptions(block_size=len(lines) + 1, use_threads=False),
        parse_options=pa_json.ParseOptions(explicit_schema=LINE_SCHEMA, unexpected_field_behavior="ignore"),
    )
    published = read["published"]
    moment = pc.if_else(pc.greater(pc.binary_length(published), _DATE_LENGTH), published, _NO_TEXT)
    source, warc, extractor = read["source"], read["warc"], read["extractor"]
    previous = read["previous_sha1"]
    columns = {
        **{name: read[name] for name in LINE_SCHEMA.names if name not in ("source", "warc", "extractor")},
        "published_date": _within_years(pc.utf8_slice_codeunits(published, 0, 10).cast(pa.date32())),
        "published_at": _utc_moments(moment),
        "source_name": pc.struct_field(source, "name"),
        "source_raw": pc.struct_field(source, "raw"),
        "fetched_at": _utc_moments(read["fetched_at"]),
        "warc_file": pc.struct_field(warc, "file"),
        "warc_offset": pc.struct_field(warc, "offset"),
        "warc_length": pc.struct_field(warc, "length"),
        "warc_record_id": pc.struct_field(warc, "record_id"),
        "extractor_name": pc.struct_field(extractor, "name"),
        "extractor_version": pc.struct_field(extractor, "version"),
        "extractor_trafilatura": pc.struct_field(extractor, "trafilatura"),
        # lines written before versioning are first versions; a first version's line says "" (see the JSON schema)
        "version": pc.fill_null(read["version"], _FIRST_VERSION),
        "previous_sha1": pc.if_else(pc.greater(pc.binary_length(previous), _NOTHING), previous, _NO_TEXT),
    }
    return pa.table([columns[name] for name in EXPORT_SCHEMA.names], schema=EXPORT_SCHEMA)


_PARSED_TIMESTAMP = pa.timestamp("us", tz="UTC")  # the finest unit whose range holds every year (ns: 1677-2262)
_BEYOND_MICROSECONDS = r"(\.[0-9]{6})[0-9]+"


def _within_years(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Dates or timestamps of years 1 to 9999, null otherwise: Python's (and so pandas' and the JSON Lines
    writer's) dates hold no other, and "0001-01-01T00:30:00+03:00", a valid line, is in year 0 in UTC."""
    first, last = _YEAR_BOUNDS[values.type]
    within = pc.and_(pc.greater_equal(values, first), pc.less_equal(values, last))
    return pc.if_else(within, values, pa.nulls(1, values.type)[0])


def _utc_moments(iso_texts: pa.ChunkedArray) -> pa.ChunkedArray:
    """ISO 8601 strings with a UTC offset or Z as UTC timestamps, to the millisecond (finer digits dropped),
    null outside years 1 to 9999."""
    try:
        moments = iso_texts.cast(_PARSED_TIMESTAMP)
    except pa.ArrowInvalid:  # perhaps more than 6 decimals of a second, which ISO 8601 and the JSON schema allow
        moments = pc.replace_substring_regex(iso_texts, _BEYOND_MICROSECONDS, r"\1").cast(_PARSED_TIMESTAMP)
    return _within_years(moments.cast(_TIMESTAMP, safe=False))


# A language as a file name (--split) and in the dataset card: a code as the crawl writes them (ar, ru,
# zh-cn). Any other value (a damaged or hand-edited line: "../x", "EN") is filed under und, never a path.
LANGUAGE_CODE = r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$"


def language_keys(table: pa.Table) -> pa.ChunkedArray:
    """Each row's language as a file name: its code, or ``und`` when it has none or is no language code."""
    languages = table["language"]
    is_code = pc.fill_null(pc.match_substring_regex(languages, LANGUAGE_CODE), _FALSE)
    return pc.if_else(is_code, languages, _UNKNOWN_LANGUAGE)


def languages_of(table: pa.Table) -> list[str]:
    """The languages of ``table``'s rows (:func:`language_keys`), sorted."""
    return sorted(pc.unique(language_keys(table)).to_pylist())


def odd_languages(table: pa.Table) -> set[str]:
    """The values of ``language`` in ``table`` that are no language code (their rows are filed under ``und``)."""
    languages = table["language"].drop_null()
    return set(pc.unique(languages.filter(pc.invert(pc.match_substring_regex(languages, LANGUAGE_CODE)))).to_pylist())


def split_by_language(table: pa.Table) -> Iterator[tuple[str, pa.Table]]:
    """``(language, rows)`` for each language of ``table`` (:func:`language_keys`)."""
    keys = language_keys(table)
    for language in sorted(pc.unique(keys).to_pylist()):
        yield language, table.filter(pc.equal(keys, _texts([language])[0]))


# --- writers ------------------------------------------------------------------------------------


# Columns whose values repeat from row to row (dictionary-encoded in Parquet), and those worth min/max
# statistics for readers' row-group skipping (not the texts: a body's min and max say nothing).
_REPEATED_COLUMNS = ["site", "language", "language_declared", "source_name", "source_raw", "author", "http_status",
                     "warc_file", "extractor_name", "extractor_version", "extractor_trafilatura"]
_ORDERED_COLUMNS = ["id", "site", "language", "published_date", "published_at", "fetched_at", "http_status",
                    "version"]


class TableWriter:
    """Writes tables of :data:`EXPORT_SCHEMA` to a stream in one format; as a context manager, it is
    closed on leaving (after a failure too, so nothing is left to finish when the stream is gone)."""

    def write(self, table: pa.Table) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Finish the output (a Parquet footer...)."""

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if error is None:
            self.close()
            return
        try:  # the output is discarded: finishing it only keeps the library from finishing it later, noisily
            self.close()
        except Exception:  # noqa: BLE001 - the failure that stopped the export is the one to report
            pass


class ParquetTableWriter(TableWriter):
    """Parquet, zstd-compressed: each table written becomes a row group (nothing is held back)."""

    def __init__(self, stream: BinaryIO):
        self._writer = pq.ParquetWriter(stream, EXPORT_SCHEMA, compression="zstd", use_dictionary=_REPEATED_COLUMNS,
                                        write_statistics=_ORDERED_COLUMNS)

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self._writer.write_table(table, row_group_size=table.num_rows)

    def close(self) -> None:
        self._writer.close()


class CsvTableWriter(TableWriter):
    """CSV with a header row (pyarrow's writer does the quoting); lists as JSON arrays."""

    def __init__(self, stream: BinaryIO):
        self._writer = pa_csv.CSVWriter(stream, CSV_SCHEMA)

    def write(self, table: pa.Table) -> None:
        for name in _LIST_COLUMNS:
            index = table.schema.get_field_index(name)
            as_json = pa.chunked_array([_json_arrays(chunk) for chunk in table[name].chunks], pa.string())
            table = table.set_column(index, CSV_SCHEMA.field(name), as_json)
        self._writer.write_table(table)

    def close(self) -> None:
        self._writer.close()


def _json_arrays(lists: pa.ListArray) -> pa.Array:
    """Each list (of strings, or of structs of strings) as compact JSON text, null for null, built by
    pyarrow (three times as fast as ``json.dumps`` row by row). An item holding a control character
    (JSON writes it as a \\u escape) sends the whole array to ``json.dumps``."""
    values = lists.flatten()  # the items of these rows (a sliced array's offsets do not start at 0)
    offsets = int64_numpy(lists.offsets)
    offsets = pa.py_buffer((offsets - offsets[0]).astype(np.int32))
    members = [pc.struct_field(values, index) for index in range(values.type.num_fields)] \
        if pa.types.is_struct(values.type) else [values]
    if any(pc.any(pc.match_substring_regex(member, r"[\x00-\x1f]")).as_py() for member in members):
        return pa.array([None if items is None else json.dumps(items, ensure_ascii=False, separators=(",", ":"))
                         for items in lists.to_pylist()], pa.string())
    if pa.types.is_struct(values.type):  # {"name":"value",...}
        parts = []
        for index, member in enumerate(members):
            opening = ("{" if index == 0 else ",") + json.dumps(values.type.field(index).name) + ":"
            parts += [_texts([opening])[0], _json_strings(member)]
        items = pc.binary_join_element_wise(*parts, _CLOSE_OBJECT, _NOTHING_TEXT)
    else:
        items = _json_strings(values)
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.Array.from_buffers(pa.int32(), len(lists) + 1, [None, offsets]),
                                                     items, mask=lists.is_null()), _COMMA)
    return pc.binary_join_element_wise(_OPEN_LIST, joined, _CLOSE_LIST, _NOTHING_TEXT)


def _json_strings(strings: pa.Array) -> pa.Array:
    """JSON string literals (quotes and backslashes escaped; no control characters), ``null`` for null."""
    escaped = pc.replace_substring(pc.replace_substring(strings, "\\", "\\\\"), '"', '\\"')
    return pc.coalesce(pc.binary_join_element_wise(_QUOTE, escaped, _QUOTE, _NOTHING_TEXT), _JSON_NULL)


class JsonLinesTableWriter(TableWriter):
    """One JSON object per row, the columns in schema order; dates as YYYY-MM-DD, timestamps as ...Z
    (orjson: several times faster than ``json.dumps`` on long texts, the same output). Rows become Python
    values ``ROWS`` at a time: a whole 8 MB table of them took the export to 227 MB peak RSS."""

    ROWS = 1024

    def __init__(self, stream: BinaryIO):
        self._stream = stream

    def write(self, table: pa.Table) -> None:
        options = orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE
        for batch in table.to_batches(max_chunksize=self.ROWS):
            self._stream.write(b"".join(orjson.dumps(row, option=options) for row in batch.to_pylist()))


WRITERS = {"parquet": ParquetTableWriter, "csv": CsvTableWriter, "jsonl": JsonLinesTableWriter}


# --- dataset card ---------------------------------------------------------------------------------

CARD_MARKER = "<!-- rusislam-archive export: dataset card -->"
SPLIT_MARKER = "<!-- rusislam-archive export --split language: one file per language -->"


def is_dataset_card(path: Path) -> bool:
    """Whether ``path`` is a card written by :func:`dataset_card` (which an export may replace)."""
    try:
        with open(path, encoding="utf-8") as stream:
            return CARD_MARKER in stream.read(64 * 1024)
    except (OSError, UnicodeDecodeError):
        return False


def _feature_yaml(name: str, kind: pa.DataType, indent: str = "  ") -> list[str]:
    """One entry of the Hugging Face ``dataset_info.features`` list (the YAML ``datasets`` writes)."""
    if pa.types.is_list(kind) and pa.types.is_struct(kind.value_type):
        members = [line for member in kind.value_type for line in _feature_yaml(member.name, member.type, indent + "  ")]
        return [f"{indent}- name: {name}", f"{indent}  list:", *members]
    if pa.types.is_list(kind):
        return [f"{indent}- name: {name}", f"{indent}  list: {_hf_dtype(kind.value_type)}"]
    return [f"{indent}- name: {name}", f"{indent}  dtype: {_hf_dtype(kind)}"]


def _hf_dtype(kind: pa.DataType) -> str:
    if pa.types.is_timestamp(kind):
        return f"timestamp[{kind.unit}, tz={kind.tz}]" if kind.tz else f"timestamp[{kind.unit}]"
    return {pa.string(): "string", pa.int32(): "int32", pa.int64(): "int64", pa.date32(): "date32"}[kind]


def split_card_files(path: Path) -> list[str]:
    """The data files a card of a ``--split`` export lists (none when ``path`` is no such card): the files
    a later split into the same directory may replace or remove."""
    if not is_dataset_card(path):
        return []
    text = path.read_text("utf-8", errors="replace")
    if SPLIT_MARKER not in text:
        return []
    import yaml  # here: 15 ms that only a split into a directory with a card needs

    try:  # the YAML front matter dataset_card wrote: configs[0].data_files[0].path
        listed = yaml.safe_load(text.split("---\n", 2)[1])["configs"][0]["data_files"][0]["path"]
    except (IndexError, KeyError, TypeError, yaml.YAMLError):  # edited by hand: no file of it is known
        return []
    return [name for name in listed if isinstance(name, str)] if isinstance(listed, list) else []


def dataset_card(data_files: list[str], *, rows: int, languages: list[str], all_versions: bool,
                 selection: Selection, split: bool = False) -> str:
    """README.md for the Hugging Face ``datasets`` library: YAML front matter (``configs`` naming the
    data files, ``dataset_info`` with the features of :data:`EXPORT_SCHEMA`) and the fields described."""
    chosen = ["every version of each article" if all_versions else "the latest version of each article"]
    if selection.languages:
        chosen.append("languages " + ", ".join(sorted(selection.languages)))
    if selection.since or selection.until:
        chosen.append(f"printed dates {selection.since or '…'} to {selection.until or '…'}")
    lines = ["---", "language:", *[f"- {code}" for code in languages if code != UNKNOWN_LANGUAGE],
             "configs:", "- config_name: default", "  data_files:", "  - split: train", "    path:",
             *[f"    - {json.dumps(name)}" for name in data_files],
             "dataset_info:", "  features:"]
    for name, kind, _ in EXPORT_FIELDS:
        lines += _feature_yaml(name, kind, "  ")
    lines += ["---", CARD_MARKER, *([SPLIT_MARKER] if split else []), "",
              "# News articles (rusislam-archive export)", "",
              f"{rows} articles: {'; '.join(chosen)}. Written by `rusislam-archive export`; "
              "one row per article record, with these fields:", "",
              "| field | type | meaning |", "| --- | --- | --- |"]
    lines += [f"| `{name}` | {kind} | {text} |" for name, kind, text in EXPORT_FIELDS]
    lines += ["", "`published_date` is the date as printed on the page (local calendar date); "
              "`published_at` is the printed moment in UTC, so it can fall on the previous day.", ""]
    return "\n".join(lines)
