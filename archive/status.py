"""What an archive holds and whether a run is going: ``rusislam-archive status`` (and the report's data).

Only reads, and works while a run holds the lock: the lock is tested without being taken
(``runlock.lock_holder``), the state store is opened read-only (SQLite ``mode=ro``: the crawl's WAL
transactions go on), article lines are read up to their last whole line.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote

from archive.census import ArticleCensus, article_census
from archive.latest import article_files
from archive.progress import PROGRESS_FILE, crawl_process_alive, describe_progress, read_progress
from archive.runlock import lock_holder
from archive.state import state_path

log = logging.getLogger(__name__)

RUNS_DIR_NAME = "runs"
WARC_DIR_NAME = "warc"
CRAWL_SUMMARY_SUFFIX = ".crawl.json"
REPEATED_FAILURES = 2  # a page failing in this many runs in a row is shown as failing repeatedly


# -- the pieces -------------------------------------------------------------------------------


def live_progress(archive_dir: Path) -> dict[str, Any] | None:
    """The progress file of a crawl that is still running (a killed crawl's file is ignored)."""
    progress = read_progress(archive_dir)
    return progress if progress is not None and crawl_process_alive(progress) else None


def warc_files(archive_dir: Path) -> dict[str, int]:
    """Closed WARC files (``*.warc.gz``), their total size, and files being written (``*.open``)."""
    directory = archive_dir / WARC_DIR_NAME
    closed = sorted(directory.glob("*.warc.gz")) if directory.is_dir() else []
    being_written = sorted(directory.glob("*.warc.gz.open")) if directory.is_dir() else []
    return {
        "files": len(closed),
        "bytes": sum(_size(path) for path in closed),
        "open_files": len(being_written),
        "open_bytes": sum(_size(path) for path in being_written),
    }


def run_history(archive_dir: Path) -> list[dict[str, Any]]:
    """Every finished run, oldest first: ``runs/NAME.json`` written by ``rusislam-archive run``, and
    ``runs/NAME.crawl.json`` of crawls started without it (a run's own crawl summary is inside its file)."""
    directory = archive_dir / RUNS_DIR_NAME
    if not directory.is_dir():
        return []
    history = []
    for path in sorted(directory.glob("*.json")):
        if path.name == PROGRESS_FILE.name:
            continue
        if path.name.endswith(CRAWL_SUMMARY_SUFFIX):
            if path.with_name(path.name[: -len(CRAWL_SUMMARY_SUFFIX)] + ".json").exists():
                continue
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            log.warning("run summary %s unreadable: %s", path, error)
            continue
        if isinstance(summary, dict):
            history.append(_run_entry(path, summary))
    return sorted(history, key=lambda run: run["started"] or "")


def _run_entry(path: Path, summary: dict) -> dict[str, Any]:
    """One run as the overviews show it; a run's summary carries its crawl's under ``crawl``."""
    is_run = not path.name.endswith(CRAWL_SUMMARY_SUFFIX)
    crawl = (summary.get("crawl") if is_run else summary) or {}
    reason = summary.get("finish_reason") or crawl.get("finish_reason")
    if is_run:
        exit_code = summary.get("exit_code")
        outcome = "ok" if exit_code == 0 else f"failed (exit {exit_code}, {reason or 'no finish reason'})"
    else:
        outcome = "ok" if reason == "finished" else f"failed ({reason or 'no finish reason'})"
    pages, articles = crawl.get("pages") or {}, crawl.get("articles") or {}
    return {
        "file": path.name,
        "started": summary.get("started") or crawl.get("started"),
        "finished": summary.get("finished") or crawl.get("finished"),
        "outcome": outcome,
        "ok": outcome == "ok",
        "fetched": pages.get("fetched", 0),
        "new": articles.get("new", 0),
        "changed": articles.get("changed", 0),
        "errors": (crawl.get("errors") or {}).get("count", 0),
        "bytes_archived": crawl.get("bytes_archived", 0),
    }


def open_state_read_only(archive_dir: Path) -> sqlite3.Connection | None:
    """The state store for reading only, or None when the archive has none yet. ``mode=ro`` never
    writes the file nor takes a write lock: a crawl using the store goes on undisturbed."""
    path = state_path(archive_dir)
    if not path.is_file():
        return None
    db = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=10.0)
    db.row_factory = sqlite3.Row
    return db


def failing_pages(db: sqlite3.Connection, min_failures: int, limit: int | None = None) -> list[dict[str, Any]]:
    """Pages whose last ``min_failures`` or more attempts failed, most failures first."""
    rows = db.execute(
        "SELECT url, kind, failures, last_error, failed_at, status FROM pages WHERE failures >= ?"
        " ORDER BY failures DESC, failed_at DESC, url LIMIT ?",
        (min_failures, -1 if limit is None else limit),
    )
    return [dict(row) for row in rows]


def largest_pages(db: sqlite3.Connection, limit: int) -> list[dict[str, Any]]:
    """The pages with the largest WARC records (their last full copy)."""
    rows = db.execute(
        "SELECT url, kind, status, warc_length AS bytes FROM pages WHERE warc_length IS NOT NULL"
        " ORDER BY warc_length DESC, url LIMIT ?",
        (limit,),
    )
    return [dict(row) for row in rows]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # renamed from .open meanwhile
        return 0


# -- status -----------------------------------------------------------------------------------


def archive_status(archive_dir: Path, *, last_runs: int = 5, census: ArticleCensus | None = None) -> dict[str, Any]:
    """The status object (``status --json``). Always has ``running``, ``pages_fetched`` (this run;
    0 when none), ``pages_queued``, ``eta_seconds`` (null when unknown) and ``articles``
    (language -> distinct articles)."""
    holder = lock_holder(archive_dir)
    progress = live_progress(archive_dir)
    census = census if census is not None else article_census(article_files(archive_dir))
    failing = []
    db = open_state_read_only(archive_dir)
    if db is not None:
        with closing(db):
            failing = failing_pages(db, REPEATED_FAILURES)
    return {
        "archive_dir": str(archive_dir),
        "running": holder is not None or progress is not None,
        "lock_holder": holder,
        "pages_fetched": (progress or {}).get("pages", {}).get("fetched", 0),
        "pages_queued": (progress or {}).get("requests", {}).get("queued", 0),
        "eta_seconds": (progress or {}).get("eta_seconds"),
        "progress": progress,
        "articles": census.count_by_language(),
        "published": census.published_range(),
        "warc": warc_files(archive_dir),
        "last_runs": run_history(archive_dir)[-last_runs:] if last_runs else [],
        "failing_repeatedly": failing,
    }


def format_status(status: dict[str, Any]) -> Iterator[str]:
    """The status object as lines for people."""
    yield f"archive {status['archive_dir']}"
    if status["running"]:
        yield f"  running: yes ({status['lock_holder'] or 'crawl without a run lock'})"
        progress = status["progress"]
        yield "  progress: " + (describe_progress(progress) if progress else "none reported (the crawl is starting, or the run is finishing)")
        if progress:
            by_status = ", ".join(f"{code}: {count:,}" for code, count in sorted(progress["pages"]["by_status"].items()))
            yield f"            by status {by_status or 'none yet'}; {progress['bytes_archived']:,} bytes archived"
    else:
        yield "  running: no"
    yield f"  articles: {sum(status['articles'].values()):,}"
    for language, count in status["articles"].items():
        span = status["published"].get(language, {})
        dates = f"published {span['oldest']} .. {span['newest']}" if span.get("oldest") else "no publication dates"
        yield f"    {language:<4}{count:>8,}   {dates}"
    warc = status["warc"]
    being_written = f" (+{warc['open_files']} being written, {warc['open_bytes']:,} bytes)" if warc["open_files"] else ""
    yield f"  WARC files: {warc['files']:,}, {warc['bytes']:,} bytes{being_written}"
    runs = status["last_runs"]
    yield f"  last runs: {'none' if not runs else ''}".rstrip()
    for run in runs:
        yield (f"    {run['started']}  {run['outcome']:<10} {run['fetched']:>7,} fetched {run['new']:>6,} new"
               f" {run['changed']:>5,} changed {run['errors']:>5,} errors")
    failing = status["failing_repeatedly"]
    yield f"  failing repeatedly ({REPEATED_FAILURES}+ runs in a row): {len(failing):,}"
    for page in failing[:20]:
        yield f"    {page['failures']:>3}x  {page['url']}  ({page['last_error']})"
    if len(failing) > 20:
        yield f"    ... and {len(failing) - 20:,} more (--json lists them all)"
