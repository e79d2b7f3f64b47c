"""Where a running crawl is: ``ARCHIVE_DIR/runs/current.json``, written by the crawl, read by anyone.

The crawl (``crawler.progress.ProgressFileExtension``) rewrites the file every few seconds from its
stats, always whole (a temporary name, then a rename), and removes it when it ends: the file exists
while a crawl runs, or after a crawl that was killed (then its ``pid`` is gone). Its keys:

    spider, pid, started, updated     the crawl; UTC ISO times
    pages                             {"fetched": int, "by_status": {"200": int, ...}, ...}
    requisites                        {"fetched": int, ...}: stylesheets, images... of the pages
    requests                          {"queued": int (scheduler), "in_progress": int (downloader),
                                       "done": int (pages and requisites fetched)}
    sitemap_entries                   {"known": int (listed by the sitemaps read so far), "waiting": int
                                       (not yet turned into requests)}
    articles                          {"new": int, "changed": int, "unchanged": int}
    bytes_archived                    int, WARC bytes written by this crawl
    errors                            {"count": int, "by_reason": {reason: int}}
    pages_per_minute                  fetched per minute (page requisites included: the queues hold both) over the last
                                      minutes, null before there is a rate
    remaining                         int, the work known to be left: queued + in progress + waiting
    eta_seconds, eta                  remaining / rate (and the UTC time it gives), null without a rate

The estimate only knows the work seen so far: listing pages and links still unread add more.
"""

from __future__ import annotations

import json
import os
from collections import deque
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Mapping

from archive.state import utc_iso

PROGRESS_FILE = Path("runs") / "current.json"
RATE_WINDOW_SECONDS = 300.0  # the "recent" of the recent rate: long enough to smooth a download delay


def progress_path(archive_dir: str | os.PathLike) -> Path:
    return Path(archive_dir) / PROGRESS_FILE


class RecentRate:
    """Pages per second over the last ``window`` seconds, from (time, pages fetched so far) samples."""

    def __init__(self, window: float = RATE_WINDOW_SECONDS) -> None:
        self.window = window
        self._samples: deque[tuple[float, int]] = deque()

    def add(self, moment: float, pages: int) -> None:
        self._samples.append((moment, pages))
        while len(self._samples) > 2 and moment - self._samples[1][0] >= self.window:
            self._samples.popleft()

    def per_second(self) -> float | None:
        """None until two samples some time apart exist, or while nothing was fetched in the window."""
        if len(self._samples) < 2:
            return None
        (first_time, first_pages), (last_time, last_pages) = self._samples[0], self._samples[-1]
        if last_time <= first_time or last_pages <= first_pages:
            return None
        return (last_pages - first_pages) / (last_time - first_time)


def with_estimate(progress: dict[str, Any], rate: float | None, now: datetime) -> dict[str, Any]:
    """``progress`` with pages_per_minute, remaining and the ETA (remaining work / recent rate)."""
    requests = progress.get("requests", {})
    remaining = (requests.get("queued", 0) + requests.get("in_progress", 0)
                 + progress.get("sitemap_entries", {}).get("waiting", 0))
    eta_seconds = round(remaining / rate, 1) if rate else None
    return {
        **progress,
        "pages_per_minute": round(rate * 60, 2) if rate else None,
        "remaining": remaining,
        "eta_seconds": eta_seconds,
        "eta": utc_iso(now + timedelta(seconds=eta_seconds)) if eta_seconds is not None else None,
    }


def write_progress(archive_dir: str | os.PathLike, progress: Mapping[str, Any]) -> Path:
    """Replace ``runs/current.json`` at once: a reader sees the previous snapshot or this one."""
    path = progress_path(archive_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".open")
    temporary.write_text(json.dumps(progress, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    return path


def remove_progress(archive_dir: str | os.PathLike) -> None:
    progress_path(archive_dir).unlink(missing_ok=True)


def read_progress(archive_dir: str | os.PathLike) -> dict[str, Any] | None:
    """The last snapshot written, or None (no crawl wrote one, or the file is not a JSON object)."""
    try:
        progress = json.loads(progress_path(archive_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return progress if isinstance(progress, dict) else None


def crawl_process_alive(progress: Mapping[str, Any]) -> bool:
    """Whether the process that wrote the snapshot still runs (a killed crawl leaves its file)."""
    pid = progress.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def describe_progress(progress: Mapping[str, Any]) -> str:
    """One line for people: ``1,204 pages fetched, 380 queued, 2,950 sitemap entries waiting, 41.5 pages/min, ETA 1h 14m``."""
    pages = progress.get("pages", {}).get("fetched", 0)
    parts = [f"{pages:,} pages fetched", f"{progress.get('requests', {}).get('queued', 0):,} queued"]
    waiting = progress.get("sitemap_entries", {}).get("waiting", 0)
    if waiting:
        parts.append(f"{waiting:,} sitemap entries waiting")
    articles = progress.get("articles", {})
    parts.append(f"articles {articles.get('new', 0):,} new, {articles.get('changed', 0):,} changed")
    errors = progress.get("errors", {}).get("count", 0)
    if errors:
        parts.append(f"{errors:,} errors")
    rate = progress.get("pages_per_minute")
    if rate:
        parts.append(f"{rate:.1f} pages/min")
    eta = progress.get("eta_seconds")
    parts.append(f"ETA {format_duration(eta)}" if eta is not None else "ETA unknown")
    return ", ".join(parts)


def format_duration(seconds: float) -> str:
    """``45s``, ``12m 5s``, ``3h 20m``, ``2d 4h``."""
    seconds = int(round(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"
