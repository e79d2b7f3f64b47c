"""JSON Lines files cut into blocks of whole lines, worked on by threads, their results in order.

The export and the latest-version choice read every line of every article file. Python code per
line would be their cost, so they work on blocks of about 2 MB of whole lines instead: the newlines
of a block are found once (:func:`line_ends`), its lines are one Arrow array over the block's own
bytes (:func:`lines_array`, no copy), and pyarrow's compute functions and JSON reader, which run
without the GIL, do the rest, several blocks at once (:func:`ordered_map`). Only a line that is not
as the crawl writes it is looked at in Python.

A block is planned as a byte range of its file (:func:`block_ranges`) and holds the lines that
*start* in it, the way Hadoop splits text files: each thread reads its own block (:func:`read_lines`:
from the byte before the range, to the end of the last line starting in it) without waiting for the
block before. So a block does not know its first line's number; the caller, which gets the blocks'
results in order, counts lines and names them in messages (:class:`LineNumbers`).

Pure: no Scrapy, no ``crawler`` imports.
"""

from __future__ import annotations

import codecs
import logging
import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable, Iterator, NamedTuple, TypeVar

import numpy as np
import pyarrow as pa

log = logging.getLogger(__name__)

BLOCK_BYTES = 2 * 1024 * 1024  # a block's range; it holds the lines that start in it
THREADS = 2  # blocks worked on at once (the caller, the export's writer, is another thread)
# Blocks queued for the threads beyond those they work on: a block's work takes from a few to tens of
# milliseconds, and the queue keeps every thread busy meanwhile. Each queued block holds ~4 MB (its
# bytes and what it became).
AHEAD = 2
_SLACK = 64 * 1024  # read past a block's range for the rest of its last line (a longer line: read on)

Result = TypeVar("Result")
Note = tuple[int, str]  # (line of a block, from 0; what is wrong with it): logged by LineNumbers


class BlockRange(NamedTuple):
    """Where a block is: its file (index in the list read, and path) and the byte range its lines start in."""

    file_index: int
    path: Path
    start: int
    stop: int


class Lines(NamedTuple):
    """The whole lines of a block: where the first starts in the file, their bytes, and the offset in
    ``data`` just after each line's newline (line i is ``data[ends[i-1]:ends[i]]``)."""

    offset: int
    data: memoryview
    ends: np.ndarray

    def starts(self) -> np.ndarray:
        """The offset in ``data`` of each line's first byte."""
        return np.concatenate(([0], self.ends))[:-1].astype(np.int64)

    def rows_starting_at(self, offsets: np.ndarray) -> np.ndarray:
        """The rows (from 0, sorted) of the lines that start at a file offset in ``offsets`` (sorted)."""
        starts = self.starts() + self.offset
        inside = offsets[np.searchsorted(offsets, self.offset):np.searchsorted(offsets, self.offset + len(self.data))]
        rows = np.searchsorted(starts, inside)
        return rows[starts[np.minimum(rows, len(starts) - 1)] == inside]  # an offset that is no line start: none


def block_ranges(files: list[Path], size: int = BLOCK_BYTES, *,
                 skip: Callable[[int], bool] = lambda file_index: False) -> Iterator[BlockRange]:
    """The blocks of every file, in order, planned from the files' sizes now (lines written later are
    not read); the files for which ``skip(file_index)`` is true are left out."""
    for file_index, path in enumerate(files):
        if skip(file_index):
            continue
        length = path.stat().st_size
        for start in range(0, length, size):
            yield BlockRange(file_index, path, start, min(start + size, length))


def read_lines(path: Path, start: int, stop: int, *, warn_partial: bool = True) -> Lines:
    """The whole lines of ``path`` that start at a byte in ``[start, stop)``.

    Read into a buffer of their own (``data`` may be kept and handed to other threads). A partial last
    line (no newline at the end of the file: a crash leftover, or a line being written) is left out,
    and logged when ``warn_partial``; a last line that ends as a JSON object does (a file written by
    another tool) is kept, given its newline. A UTF-8 byte order mark before the first line is not
    part of it."""
    head = max(start - 1, 0)  # the byte before start says whether a line starts at start
    with open(path, "rb", buffering=0) as stream:
        chunk = _read_at(stream.fileno(), stop - head + _SLACK, head)
        ended = len(chunk) < stop - head + _SLACK
        first = len(codecs.BOM_UTF8) if not start and chunk.startswith(codecs.BOM_UTF8) else 0
        if start:
            first = chunk.find(b"\n", 0, stop - head) + 1
            if not 0 < first < stop - head:  # no line starts in [start, stop)
                return Lines(stop, memoryview(b""), np.zeros(0, np.int64))
        # the end of the last line that starts before stop: the first newline from stop - 1 on
        end = chunk.find(b"\n", max(stop - head - 1, first)) + 1
        while not end and not ended:  # a line longer than _SLACK: read on, twice as much each time
            wanted = max(_SLACK, len(chunk))
            more = _read_at(stream.fileno(), wanted, head + len(chunk))
            ended = len(more) < wanted
            searched = len(chunk)
            chunk += more
            end = chunk.find(b"\n", searched) + 1
    if not end:  # the end of the file, in a line without a newline
        end = max(chunk.rfind(b"\n", first) + 1, first)
        if chunk[end:].rstrip().endswith(b"}"):  # whole (it may not parse; then it is named as such)
            chunk += b"\n"
            end = len(chunk)
        elif chunk[end:].strip() and warn_partial:
            log.warning("%s: skipping a partial last line of %d bytes (a crash leftover)", path, len(chunk) - end)
    return Lines(head + first, memoryview(chunk)[first:end], line_ends(chunk, first, end))


def _read_at(fd: int, size: int, offset: int) -> bytes:
    """``size`` bytes of the file from ``offset``, fewer only at its end."""
    data = os.pread(fd, size, offset)
    while 0 < len(data) < size:  # a short read before the end (rare): read on
        more = os.pread(fd, size - len(data), offset + len(data))
        if not more:
            break
        data += more
    return data


class LineNumbers:
    """Line numbers of blocks whose results come in file order: each block's notes are logged as
    ``FILE:LINE: note``."""

    def __init__(self) -> None:
        self._next: dict[int, int] = {}

    def count(self, block: BlockRange, lines: int, notes: Iterable[Note] = ()) -> int:
        """The next block of its file has ``lines`` lines: log its notes, count on, and return the
        number of its first line."""
        first = self._next.get(block.file_index, 1)
        for row, note in notes:
            log.warning("%s:%d: %s", block.path, first + row, note)
        self._next[block.file_index] = first + lines
        return first


def line_ends(data: bytes, start: int = 0, end: int | None = None) -> np.ndarray:
    """The offset from ``start`` just after each newline of ``data[start:end]`` (int64): line i is
    ``data[start + ends[i-1]:start + ends[i]]``. (A loop of ``bytes.find``, which is memchr: twice as
    fast as numpy's compare and nonzero over the whole block.)"""
    end = len(data) if end is None else end
    ends, find = [], data.find
    newline = find(b"\n", start, end)
    while newline >= 0:
        ends.append(newline + 1 - start)
        newline = find(b"\n", newline + 1, end)
    return np.array(ends, np.int64)


def lines_array(block: memoryview | bytes, ends: np.ndarray) -> pa.LargeBinaryArray:
    """The block's lines (each with its newline) as one Arrow array over the block's bytes, not copied."""
    offsets = np.zeros(len(ends) + 1, np.int64)
    offsets[1:] = ends
    return pa.LargeBinaryArray.from_buffers(pa.large_binary(), len(ends),
                                            [None, pa.py_buffer(offsets), pa.py_buffer(block)])


def int64_array(values: np.ndarray) -> pa.Int64Array:
    """Integers from numpy as an Arrow array sharing their memory. ``pa.array`` would copy them, and the
    first time in a process it imports pandas (a third of a second) to ask whether they are pandas'."""
    values = np.ascontiguousarray(values, np.int64)
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


def int64_numpy(values: pa.Array) -> np.ndarray:
    """An Arrow integer array without nulls as int64 numpy, sharing its memory when it is int64
    (``to_numpy`` asks pandas first, see :func:`int64_array`)."""
    values = values.cast(pa.int64())
    return np.frombuffer(values.buffers()[1], np.int64, len(values), values.offset * 8)


def ordered_map(function: Callable[..., Result], jobs: Iterable[tuple], threads: int = THREADS,
                ahead: int = AHEAD) -> Iterator[Result]:
    """``function(*job)`` for each job, in the jobs' order, run by ``threads`` threads at most ``threads +
    ahead`` jobs ahead of the caller (not all at once, as ``Executor.map`` would: memory stays flat).
    pyarrow and numpy release the GIL while they work on a block, and the export's writer while it
    compresses and writes: every core works."""
    with ThreadPoolExecutor(threads, thread_name_prefix="archive-blocks") as pool:
        running: deque[Future] = deque()
        try:
            for job in jobs:
                running.append(pool.submit(function, *job))
                if len(running) >= threads + ahead:
                    yield running.popleft().result()
            while running:
                yield running.popleft().result()
        finally:  # the caller stopped early, or a job failed: drop the jobs not started
            pool.shutdown(cancel_futures=True)
