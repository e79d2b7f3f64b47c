"""One run at a time per archive: an exclusive ``flock`` on ``ARCHIVE_DIR/.lock``.

The kernel drops the lock when the holder's last descriptor closes, a killed process included, so
there is no stale lock to clean up after a crash. The file keeps the holder's pid and start time for
the message of a run that finds it taken. The file itself is never removed: unlinking a lock file
while another process waits on it would let two runs lock two different files.
"""

from __future__ import annotations

import fcntl
import os
from datetime import datetime, timezone
from pathlib import Path

from archive.progress import crawl_process_alive, describe_progress, read_progress

LOCK_FILE_NAME = ".lock"
# Set by a parent that holds the lock and passes its descriptor to the crawl (see RunLock.adopt).
LOCK_FD_ENV = "RUSISLAM_ARCHIVE_LOCK_FD"


class ArchiveLocked(RuntimeError):
    """Another process holds the archive's run lock; the message says where its crawl is."""

    def __init__(self, lock_path: Path, holder: str, progress: str | None = None) -> None:
        self.lock_path = lock_path
        self.holder = holder
        self.progress = progress
        where = f"; its crawl: {progress}" if progress else ""
        super().__init__(f"archive {lock_path.parent} is in use by another run ({holder}{where}); lock file {lock_path}")


class RunLock:
    """``RunLock(archive_dir).acquire()`` … ``release()``, or ``with RunLock(archive_dir):``.

    Non-blocking: ``acquire`` raises ``ArchiveLocked`` at once when the lock is held. The lock
    belongs to the open file description, so a child given ``fileno()`` (``subprocess`` ``pass_fds``)
    keeps the archive locked for as long as it runs, even if this process dies first.
    """

    def __init__(self, archive_dir: str | os.PathLike) -> None:
        self.archive_dir = Path(archive_dir)
        self.path = self.archive_dir / LOCK_FILE_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def fileno(self) -> int:
        if self._fd is None:
            raise RuntimeError(f"{self.path}: lock not held")
        return self._fd

    def acquire(self) -> "RunLock":
        if self._fd is not None:
            raise RuntimeError(f"{self.path}: already held by this object")
        self.archive_dir.mkdir(parents=True, exist_ok=True)
        # No O_TRUNC: the holder's pid must stay readable until the lock is ours.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise ArchiveLocked(self.path, holder, _running_crawl(self.archive_dir)) from None
        except BaseException:
            os.close(fd)
            raise
        started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} started {started}\n".encode("ascii"), 0)
        self._fd = fd
        return self

    def adopt(self, fd: int) -> bool:
        """Use a descriptor of this lock file inherited from a parent that holds the lock.

        ``rusislam-archive run`` locks the archive and passes the descriptor to its crawl (the
        environment variable ``LOCK_FD_ENV``): the crawl then holds the same lock instead of failing
        to take it again. Returns False (and keeps nothing) when ``fd`` is not this archive's lock
        file or does not hold the lock.
        """
        if self._fd is not None:
            raise RuntimeError(f"{self.path}: already held by this object")
        try:
            inherited, ours = os.fstat(fd), os.stat(self.path)
            if (inherited.st_dev, inherited.st_ino) != (ours.st_dev, ours.st_ino):
                return False
            # Same open file description as the holder's: succeeds at once if it is the one holding it.
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        self._fd = fd
        return True

    def annotate(self, note: str) -> None:
        """Add to the holder line, e.g. the pid of a child that shares the lock."""
        line = os.pread(self.fileno(), 500, 0).decode("ascii", "replace").rstrip("\n")
        text = f"{line}; {note}\n".encode("ascii", "replace")
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, text, 0)

    def release(self) -> None:
        """Unlock (the holder line stays in the file; it is only read while the lock is held)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the last descriptor releases the flock

    def __enter__(self) -> "RunLock":
        if self._fd is None:
            self.acquire()
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()


def lock_holder(archive_dir: str | os.PathLike) -> str | None:
    """The holder line when a run holds the archive's lock, else None; the lock file is not changed.

    Tested by taking a shared lock for an instant: a run starting in that very instant would find
    the archive in use (exit 75, "try later"), nothing worse.
    """
    try:
        fd = os.open(Path(archive_dir) / LOCK_FILE_NAME, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _read_holder(fd)
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _running_crawl(archive_dir: Path) -> str | None:
    """Where the crawl of the run holding the lock is, from its progress file (None before it writes one)."""
    progress = read_progress(archive_dir)
    return describe_progress(progress) if progress is not None and crawl_process_alive(progress) else None


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode("ascii", "replace").strip()
    except OSError:
        text = ""
    return text or "holder unknown"
