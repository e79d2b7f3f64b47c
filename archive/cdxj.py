"""The CDXJ index of an archive (``ARCHIVE_DIR/indexes/index.cdxj``), kept up to date incrementally.

One line per response, revisit, resource and metadata record, in the format pywb and ReplayWeb.page
read: ``SURT-key 14-digit-timestamp {"url", "mime", "status", "digest", "length", "offset",
"filename"}``, sorted bytewise so that readers can binary-search it. Lines are made by webrecorder's
``cdxj-indexer`` (the indexer pywb's own tooling uses), so our index and pywb's agree line for line.

Incremental: ``indexes/index-state.json`` remembers each indexed WARC file's name and size. An update
reads only the finished WARC files not listed there, sorts their lines and merges them with the
existing index (a streaming merge: memory stays flat). A listed file that disappeared or changed size
means the index no longer describes the archive, so it is rebuilt from every file. The index and the
state are replaced atomically, index first; a crash in between only makes the next update read some
files again, and identical lines are merged into one, so that is harmless.
"""

from __future__ import annotations

import fcntl
import heapq
import json
import logging
import os
import tempfile
import zlib
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from cdxj_indexer.main import CDXJIndexer
from warcio.exceptions import ArchiveLoadFailed

from archive.atomic import write_json_atomically

log = logging.getLogger(__name__)

INDEX_DIR_NAME = "indexes"
INDEX_FILE_NAME = "index.cdxj"
STATE_FILE_NAME = "index-state.json"
LOCK_FILE_NAME = ".index.lock"
WARC_DIR_NAME = "warc"
STATE_FORMAT = "rusislam-archive-cdxj-state/1"
_WARC_SUFFIXES = (".warc.gz", ".warc")


class CdxjIndexError(RuntimeError):
    """Not an archive directory, or the index cannot be written."""


@dataclass(frozen=True)
class IndexUpdate:
    """What one update did: the files read this time, lines now in the index, and why it rebuilt."""

    index_path: Path
    indexed_files: tuple[str, ...]
    failed_files: tuple[str, ...]
    line_count: int
    rebuilt_because: str | None


def finished_warc_files(warc_dir: str | os.PathLike) -> list[Path]:
    """The WARC files a crawl has closed (``*.open`` files are still being written), sorted by name."""
    directory = Path(warc_dir)
    return sorted(p for p in directory.iterdir() if p.is_file() and p.name.endswith(_WARC_SUFFIXES))


def write_sorted_index(warc_path: str | os.PathLike, output) -> None:
    """CDXJ lines of one WARC file, sorted, to a text stream. Raises on a damaged file."""
    indexer = CDXJIndexer(output, [str(warc_path)], sort=True)
    indexer.process_all()


def merge_sorted_lines(sources: Iterable[Iterable[str]], output) -> int:
    """Merge sorted line streams into ``output``, writing identical lines once; returns lines written."""
    written = 0
    previous = None
    for line in heapq.merge(*sources):
        if line != previous:
            output.write(line)
            written += 1
        previous = line
    return written


def update_index(archive_dir: str | os.PathLike, *, rebuild: bool = False) -> IndexUpdate:
    """Bring ``ARCHIVE_DIR/indexes/index.cdxj`` up to date with ``ARCHIVE_DIR/warc``.

    A damaged WARC file is logged and left out (and not remembered, so the next update tries it
    again); the other files are still indexed.
    """
    archive_dir = Path(archive_dir)
    warc_dir = archive_dir / WARC_DIR_NAME
    if not warc_dir.is_dir():
        raise CdxjIndexError(f"{archive_dir} is not an archive directory: it has no {WARC_DIR_NAME}/ folder")
    index_dir = archive_dir / INDEX_DIR_NAME
    index_dir.mkdir(exist_ok=True)
    index_path = index_dir / INDEX_FILE_NAME
    state_path = index_dir / STATE_FILE_NAME

    with _index_lock(index_dir / LOCK_FILE_NAME):
        files = {path.name: path for path in finished_warc_files(warc_dir)}
        sizes = {name: path.stat().st_size for name, path in files.items()}
        known = {} if rebuild else _read_state(state_path)
        reason = "asked to" if rebuild else _rebuild_reason(index_path, state_path, known, sizes)
        if reason:
            log.info("Rebuilding %s: %s", index_path, reason)
            known = {}
        new_names = [name for name in sorted(files) if name not in known]

        if not new_names and not reason:
            return IndexUpdate(index_path, (), (), _count_lines(index_path), None)

        indexed, failed = [], []
        with tempfile.TemporaryDirectory(dir=index_dir, prefix=".new-") as scratch, ExitStack() as stack:
            sources = []
            if not reason:
                sources.append(stack.enter_context(open(index_path, encoding="utf-8", newline="\n")))
            for name in new_names:
                part = Path(scratch) / f"{name}.cdxj"
                try:
                    with open(part, "w", encoding="utf-8", newline="\n") as out:
                        write_sorted_index(files[name], out)
                except (ArchiveLoadFailed, OSError, EOFError, ValueError, zlib.error) as error:
                    log.error("%s: cannot index this WARC file, left out of the index: %s", files[name], error)
                    failed.append(name)
                    continue
                sources.append(stack.enter_context(open(part, encoding="utf-8", newline="\n")))
                indexed.append(name)
            merged = Path(scratch) / INDEX_FILE_NAME
            with open(merged, "w", encoding="utf-8", newline="\n") as out:
                line_count = merge_sorted_lines(sources, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(merged, index_path)

        known.update({name: sizes[name] for name in indexed})
        write_json_atomically(state_path, {"format": STATE_FORMAT, "files": dict(sorted(known.items()))}, indent=1)
        return IndexUpdate(index_path, tuple(indexed), tuple(failed), line_count, reason)


def iter_index(index_path: str | os.PathLike) -> Iterator[tuple[str, str, dict]]:
    """(SURT key, timestamp, fields) of each line of a CDXJ file."""
    with open(index_path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                key, timestamp, fields = line.rstrip("\n").split(" ", 2)
                yield key, timestamp, json.loads(fields)
            except ValueError as error:
                raise CdxjIndexError(f"{index_path}:{number}: not a CDXJ line ({error})") from None


def _rebuild_reason(index_path: Path, state_path: Path, known: dict[str, int], sizes: dict[str, int]) -> str | None:
    if not index_path.exists():
        return "no index yet" if not state_path.exists() else "the index file is missing"
    if not state_path.exists():
        return f"no {STATE_FILE_NAME} says which WARC files the index covers"
    if not known and sizes and _count_lines(index_path):
        return f"{STATE_FILE_NAME} is unreadable"
    for name, size in known.items():
        if name not in sizes:
            return f"{name} was indexed but is gone"
        if sizes[name] != size:
            return f"{name} changed size since it was indexed ({size} -> {sizes[name]} bytes)"
    return None


def _read_state(state_path: Path) -> dict[str, int]:
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        log.warning("%s: unreadable (%s); the index will be rebuilt", state_path, error)
        return {}
    files = state.get("files") if isinstance(state, dict) and state.get("format") == STATE_FORMAT else None
    if not isinstance(files, dict) or not all(isinstance(v, int) for v in files.values()):
        log.warning("%s: not an index state file of this version; the index will be rebuilt", state_path)
        return {}
    return dict(files)


def _count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with open(path, "rb") as stream:
        return sum(1 for line in stream if line.strip())


@contextmanager
def _index_lock(lock_path: Path):
    """One index update at a time per archive (a crawl run may update it while a user does)."""
    with open(lock_path, "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
