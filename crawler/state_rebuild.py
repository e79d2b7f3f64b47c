"""A new state store from the archive's files: the WARC files (pages) and the JSON lines (articles).

The state store (``ARCHIVE_DIR/state.sqlite3``) is a cache of what the archive holds, so that a run
costs what is new; the WARC and JSON lines files are the archive. When the store is damaged (a
flipped byte, a disk that failed) ``rusislam-archive rebuild-state ARCHIVE_DIR`` makes a new one:

- pages: every response and revisit record, oldest first (WARC files in name order, which is run
  order), read as the crawl read the answer when it came (``answer_problem``): a usable answer
  makes the page known with that record as its good copy, a 404/410 gone, anything else failed.
  An article page is known only when the JSON lines hold its article (otherwise the next run asks
  for it again, as the crawl would have had it not read an article from the answer);
- articles: the versions of the JSON lines (``StateStore.reconcile_with_lines``).

What the rebuilt store does not have: the failure counts of earlier runs (a failed page is asked
again by the next run), pages that never answered (timeouts, DNS; nothing archived), the sitemap
marks and the "listing walk completed" mark (the next run reads every sitemap and walks every
listing page, fetching only what the archive lacks).

The new store is written beside the old one and renamed over it; the old file is kept as
``state.sqlite3.broken-STAMP`` for inspection.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from archive.latest import article_files
from archive.jsonl import JsonLinesError, read_jsonl
from archive.reader import WarcReadError, iter_responses
from archive.state import StateStore, WarcRecordRef, state_path
from crawler.extract.candidates import GONE_STATUSES, answer_problem
from crawler.extract.urls import article_id_of_key, parse_clean_params
from crawler.offline import OfflineExtractor

log = logging.getLogger(__name__)

_SIDE_FILES = ("-wal", "-shm")


@dataclass
class RebuildReport:
    records: int = 0
    pages: dict[str, int] = field(default_factory=dict)  # condition -> count
    articles: int = 0
    kept_as: Path | None = None


def rebuild_state(archive_dir: Path, site: str = "rusislam", base_url: str | None = None) -> RebuildReport:
    """Write ``ARCHIVE_DIR/state.sqlite3`` anew from the WARC and JSON lines files (see the module
    docstring); the caller holds the archive's run lock."""
    extractor = OfflineExtractor(site, base_url)  # the crawl's site config and canonical keys, mirrors included
    lines = article_files(archive_dir)
    article_ids = _article_ids(lines)
    target = state_path(archive_dir)
    scratch = target.with_name(target.name + ".rebuilding")
    for path in _with_side_files(scratch):
        path.unlink(missing_ok=True)
    report = RebuildReport()
    with StateStore(scratch, commit_every=5000, commit_seconds=3600) as store:
        clean_params: tuple[str, ...] = ()
        for record, pointer in iter_responses(archive_dir / "warc", record_types=("response", "revisit")):
            url, status = record.target_uri, record.status
            if not url or status is None or not record.warc_date:
                continue
            report.records += 1
            _, urls = extractor.for_url(url)
            path = urlsplit(url).path
            if path == "/robots.txt" and record.record_type == "response" and status == 200:
                try:
                    clean_params = tuple(parse_clean_params(record.content(max_size=1024 * 1024).decode("utf-8", "replace")))
                except WarcReadError:
                    pass
            urls.add_clean_params(clean_params)
            if not urls.is_own(url):
                continue
            key = urls.canonical_key(url)
            kind = "sitemap" if path.endswith((".xml", ".xml.gz")) else urls.page_kind(url)
            _replay(store, record, pointer, key, kind, article_ids)
        report.articles = store.reconcile_with_lines(lines)
        counts = store.counts()
        report.pages = {"all": counts["pages"], "failed": counts["failed_pages"], "gone": counts["gone_pages"]}
    report.kept_as = _swap_in(scratch, target)
    return report


def _replay(store: StateStore, record, pointer, key: str, kind: str, article_ids: set[str]) -> None:
    """What the crawl recorded when this answer came (``WarcCaptureMiddleware`` and ``settle_fetch``)."""
    url, status, fetched_at = record.target_uri, record.status, record.warc_date
    headers = record.http_headers
    if status in GONE_STATUSES:
        store.record_gone(key, url, status, kind, gone_at=fetched_at)
        return
    if record.record_type == "revisit":  # the crawl wrote one for a genuine 304 or an unchanged body
        known = store.page(key)
        if known is not None and known.has_good_copy:
            store.record_fetch(key, url, status=status, fetched_at=fetched_at, etag=headers.get_header("ETag"),
                               last_modified=headers.get_header("Last-Modified"),
                               payload_digest=record.warc_headers.get_header("WARC-Payload-Digest"), warc=None,
                               kind=kind)
        return
    problem = answer_problem(status, record.payload, truncated=bool(record.truncated), genuine_304=False)
    if problem is None and kind == "article" and 200 <= status < 300 and article_id_of_key(key) not in article_ids:
        problem = "no article recorded from this answer (state rebuilt from the archive)"
    if problem is not None:
        store.record_failure(key, url, problem, kind, failed_at=fetched_at)
        return
    store.record_fetch(
        key, url, status=status, fetched_at=fetched_at, etag=headers.get_header("ETag"),
        last_modified=headers.get_header("Last-Modified"),
        payload_digest=record.warc_headers.get_header("WARC-Payload-Digest"),
        warc=WarcRecordRef.of(pointer, warc_date=fetched_at, target_uri=url), kind=kind,
    )


def _article_ids(files: list[Path]) -> set[str]:
    ids: set[str] = set()
    for path in files:
        try:
            ids.update(str(line.get("id")) for line in read_jsonl(path) if isinstance(line, dict))
        except (JsonLinesError, OSError) as error:
            log.warning("%s: rest of the file skipped: %s", path, error)
    return ids


def _with_side_files(path: Path) -> list[Path]:
    return [path, *(path.with_name(path.name + suffix) for suffix in _SIDE_FILES)]


def _swap_in(new: Path, target: Path) -> Path | None:
    """Rename the rebuilt store over ``target``; the old one (and its WAL) is kept aside, not deleted."""
    kept = None
    if target.exists():
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        kept = target.with_name(f"{target.name}.broken-{stamp}")
        for old, aside in zip(_with_side_files(target), _with_side_files(kept)):
            if old.exists():
                os.replace(old, aside)
    for leftover in _with_side_files(new)[1:]:
        leftover.unlink(missing_ok=True)  # closed cleanly: the WAL was checkpointed into the file
    os.replace(new, target)
    return kept
