"""Files others read, written whole or not at all: a temporary name, fsync, rename over the file."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator


@contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "wb", *, suffix: str = ".tmp", **open_args) -> Iterator[IO]:
    """A stream writing ``path + suffix``, renamed to ``path`` once whole; a failure (disk full,
    read-only, an exception in the caller) leaves ``path`` as it was and no temporary file behind."""
    path = Path(path)
    temporary = path.with_name(path.name + suffix)
    temporary.unlink(missing_ok=True)  # a crash's leftover; created anew below, never followed if a link
    try:
        with open(temporary, mode.replace("w", "x"), **open_args) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_json_atomically(path: str | os.PathLike, value: Any, *, indent: int = 2) -> None:
    """``value`` as JSON in ``path`` (through ``atomic_file``)."""
    with atomic_file(path, "w", encoding="utf-8") as stream:
        json.dump(value, stream, ensure_ascii=False, indent=indent)
        stream.write("\n")
