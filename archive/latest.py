"""The archive's article files, and the latest version of each article in them.

Runs append a line per new or changed article, so a corpus tool that wants one record per article
needs the line with the highest ``version`` of each ``id`` (ties: the later line; files are read in
name order, which is run order since names carry the run's start time). Two passes over the files
keep memory proportional to the number of articles, not lines: the first notes where each id's best
line is (``archive.identities``), the second reads those lines (by byte offset) byte for byte, in
the order they appear in the archive.

This module is imported by the crawl (for ``article_files``): numpy and pyarrow, which the first
pass uses, are imported only when latest lines are read.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO, Iterator

ARTICLES_DIR_NAME = "articles"


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
    from .blocks import LineNumbers, block_ranges, read_lines
    from .identities import latest_line_offsets

    wanted, numbers = latest_line_offsets(files), LineNumbers()
    for block in block_ranges(files, skip=lambda file_index: not len(wanted[file_index])):
        lines = read_lines(block.path, block.start, block.stop, warn_partial=False)  # the choice warned
        first = numbers.count(block, len(lines.ends))
        starts = lines.starts()
        for row in lines.rows_starting_at(wanted[block.file_index]).tolist():
            yield block.path, first + row, bytes(lines.data[starts[row]:lines.ends[row]])
