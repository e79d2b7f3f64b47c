"""Files others read, written whole or not at all: a temporary name, fsync, rename over the file (or over
several files together)."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator


class AtomicFiles:
    """Files written together: each to ``path + suffix``, all renamed over their paths only once every
    one is whole (flushed, fsynced, closed), in the order they were opened. A failure before that (disk
    full in the last of them, an exception in the caller) leaves every path as it was. Use
    :func:`atomic_files`."""

    def __init__(self, suffix: str):
        self.suffix = suffix
        self._opened: list[tuple[Path, Path, IO]] = []  # (temporary, path, stream)

    def open(self, path: str | os.PathLike, mode: str = "wb", **open_args) -> IO:
        """A stream writing ``path``'s temporary file (a crash's leftover there is replaced, never
        followed if it is a link)."""
        path = Path(path)
        temporary = path.with_name(path.name + self.suffix)
        temporary.unlink(missing_ok=True)
        stream = open(temporary, mode.replace("w", "x"), **open_args)
        self._opened.append((temporary, path, stream))
        return stream

    def _commit(self) -> None:
        for _temporary, path, _stream in self._opened:  # what would stop a rename, before any is done
            if path.is_dir():
                raise IsADirectoryError(f"{path} is a directory; cannot write the file there")
        for _temporary, _path, stream in self._opened:
            stream.flush()
            os.fsync(stream.fileno())
            stream.close()
        for temporary, path, _stream in self._opened:
            os.replace(temporary, path)

    def _discard(self) -> None:
        for temporary, _path, stream in self._opened:
            try:
                stream.close()
            except OSError:  # its last write failed too (disk full): the file goes anyway
                pass
            temporary.unlink(missing_ok=True)


@contextmanager
def atomic_files(suffix: str = ".tmp") -> Iterator[AtomicFiles]:
    """:class:`AtomicFiles` committed when the block ends, discarded if it raises."""
    files = AtomicFiles(suffix)
    try:
        yield files
        files._commit()
    except BaseException:
        files._discard()
        raise


@contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "wb", *, suffix: str = ".tmp", **open_args) -> Iterator[IO]:
    """A stream writing ``path + suffix``, renamed to ``path`` once whole; a failure (disk full,
    read-only, an exception in the caller) leaves ``path`` as it was and no temporary file behind."""
    with atomic_files(suffix) as files:
        yield files.open(path, mode, **open_args)


def write_json_atomically(path: str | os.PathLike, value: Any, *, indent: int = 2) -> None:
    """``value`` as JSON in ``path`` (through ``atomic_file``)."""
    with atomic_file(path, "w", encoding="utf-8") as stream:
        json.dump(value, stream, ensure_ascii=False, indent=indent)
        stream.write("\n")
