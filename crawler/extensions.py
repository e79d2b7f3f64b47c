"""Extensions: the archive's lock and crash recovery, its state store for the crawl, the crawl's run
summary, and start-up objects kept out of the garbage collector's walks."""

from __future__ import annotations

import gc
import logging
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import CloseSpider
from scrapy.utils.defer import deferred_from_coro

from archive.atomic import write_json_atomically
from archive.latest import article_files
from archive.recovery import recover_leftovers
from archive.runlock import LOCK_FD_ENV, RunLock
from archive.state import RetryPolicy, StateError, StateStore

from .logfiles import drop_write_errors
from .outcome import STOP_CAUSE

logger = logging.getLogger(__name__)


def archive_dir(settings) -> Path:
    """ARCHIVE_DIR: everything a crawl writes goes below it."""
    return Path(settings.get("ARCHIVE_DIR") or "archive-data")


class ArchiveLockExtension:
    """One crawl at a time per archive, and a killed crawl's leftovers finished before anything is written.

    Built first (lowest EXTENSIONS order), when the crawler applies its settings, before the state
    store, the WARC writer and the JSON lines writer open anything: it takes ``ARCHIVE_DIR/.lock``
    (or adopts the one ``rusislam-archive run`` holds and passes down, see ``RunLock.adopt``), then
    recovers ``*.warc.gz.open`` files of dead writers, cuts a partial last JSON line and reconciles
    the state store (``archive.recovery``). So a plain ``scrapy crawl`` is as safe as ``run``.
    A lock held by another live crawl raises ``ArchiveLocked``: this crawl does not start.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        directory = archive_dir(crawler.settings)
        self.lock = RunLock(directory)
        inherited = os.environ.get(LOCK_FD_ENV, "")
        if not (inherited.isdigit() and self.lock.adopt(int(inherited))):
            self.lock.acquire()
        self.recovered = recover_leftovers(directory)
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def engine_started(self):
        # Connected now, after every other component's engine_stopped handler (the state store's
        # close among them): the lock is released last.
        self.crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    def engine_stopped(self):
        self.lock.release()


class ArchiveStateExtension:
    """Opens ``ARCHIVE_DIR/state.sqlite3`` for the crawl; closed once the engine has stopped.

    Other components reach it with ``archive_state(crawler)``: the spider asks what is
    known, the WARC middleware records each fetch, the pipeline records article versions.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        directory = archive_dir(crawler.settings)
        try:
            self.store: StateStore | None = StateStore.in_archive(directory, commit_every=1)
        except StateError as error:
            # One line naming the cause (corrupt, disk full, read-only, locked); the crawl closes
            # before its first request, with finish reason "state_store_unusable".
            logger.error("Cannot use the state store, not crawling: %s", error)
            crawler.stats.set_value(STOP_CAUSE, str(error))
            self.store = None
            crawler.signals.connect(self.refuse_to_crawl, signal=signals.spider_opened)
            return
        if self.store.previous_session_crashed:
            logger.warning("The previous crawl of %s did not close its state store; unsaved pages are fetched again",
                           directory)
        # The JSON lines are the truth for versions: a version whose state write failed is restored
        # here, so it is not written again as a new article.
        restored = self.store.reconcile_with_lines(article_files(directory))
        if restored:
            logger.warning("State: restored %d article versions found in the JSON lines of %s", restored, directory)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def refuse_to_crawl(self):
        raise CloseSpider("state_store_unusable")

    def engine_stopped(self):
        try:
            self.store.close()
        except ARCHIVE_WRITE_ERRORS as error:
            report_write_error(self.crawler, f"the state store {self.store.path}", error)


class _AtEngineStart:
    """An extension whose one job runs when the engine starts (``engine_started``)."""

    def __init__(self, crawler):
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def engine_started(self):
        raise NotImplementedError


class GcFreezeExtension(_AtEngineStart):
    """Hides what is alive when the engine starts from the garbage collector (``gc.freeze``).

    Modules, settings, components and caches built at start-up live as long as the process;
    every full collection of a crawl, and the last one at exit, would walk them all again
    (about 0.15 s of a run that has nothing new to fetch). Objects made later are collected as usual.
    """

    def engine_started(self):
        gc.collect()  # what start-up left as garbage goes now, not into the frozen generation
        gc.freeze()


class LogFileErrorsExtension(_AtEngineStart):
    """A ``LOG_FILE`` that cannot be written (disk full) loses lines instead of printing a traceback
    to stderr for each (Scrapy installs its file handler after the extensions: done at engine start)."""

    def engine_started(self):
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.FileHandler):
                drop_write_errors(handler)


# What a full disk, a quota or a read-only file system raise from our writers.
ARCHIVE_WRITE_ERRORS = (OSError, sqlite3.OperationalError)


def report_write_error(crawler, what: str, error: Exception) -> bool:
    """Count a failed archive write; only the first of a crawl is an ERROR line (a full disk fails
    every later write too, and one line must say so, not hundreds). Returns whether it was the first."""
    crawler.stats.inc_value("errors/archive_write")
    first = crawler.stats.get_value("errors/archive_write") == 1
    if first:
        logger.error("Cannot write %s (%s); stopping the crawl: pages fetched now could not be archived", what, error)
        crawler.stats.set_value(STOP_CAUSE, f"cannot write {what} ({error})")
    else:
        logger.debug("Cannot write %s either (%s)", what, error)
    return first


def stop_crawl_on_write_error(crawler, what: str, error: Exception) -> None:
    """The archive cannot be written (disk full, read-only, quota): stop fetching what cannot be stored.

    Files stay valid: the writers cut a failed write back to the last whole record or
    line, and the engine closes them on the way out.
    """
    if report_write_error(crawler, what, error):
        deferred_from_coro(crawler.engine.close_spider_async(reason="archive_write_failed"))


def retry_policy(settings) -> RetryPolicy:
    """When pages whose last answer was not usable are asked for again (see ``RetryPolicy``)."""
    return RetryPolicy(
        backoff_base=settings.getfloat("FAILED_PAGE_BACKOFF_BASE"),
        backoff_max=settings.getfloat("FAILED_PAGE_BACKOFF_MAX"),
        gone_after=settings.getfloat("GONE_PAGE_RETRY_AFTER"),
    )


def archive_state(crawler) -> StateStore | None:
    extension = crawler.get_extension(ArchiveStateExtension)
    return extension.store if extension else None


FAILING_PAGES_LISTED = 100


class CrawlSummaryExtension:
    """Writes what the crawl did as JSON, for ``rusislam-archive run`` and for people.

    The file is ``CRAWL_SUMMARY_FILE`` when set, else ``ARCHIVE_DIR/runs/{spider}-{start}.crawl.json``;
    it is written to a temporary name and renamed, so a reader never sees half of it.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.started = datetime.now(timezone.utc)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def path(self, spider) -> Path:
        configured = self.crawler.settings.get("CRAWL_SUMMARY_FILE")
        if configured:
            return Path(configured)
        return archive_dir(self.crawler.settings) / "runs" / f"{spider.name}-{self.started:%Y%m%dT%H%M%SZ}.crawl.json"

    def summary(self, spider, reason: str) -> dict:
        return {
            "spider": spider.name,
            "started": _iso(self.started),
            "finished": _iso(datetime.now(timezone.utc)),
            "finish_reason": reason,
            **crawl_counts(self.crawler.stats.get_stats()),
            "archive": self._archive_counts(),
            "failing_pages": self._failing_pages(),
        }

    def _archive_counts(self) -> dict | None:
        """Size of the whole archive after this run: pages known, pages failing, articles."""
        state = archive_state(self.crawler)
        return state.counts() if state is not None else None

    def _failing_pages(self) -> list[dict] | None:
        """Pages whose last answer was not usable, most failures first (at most FAILING_PAGES_LISTED):
        how often they failed, why, and when a run asks for them again (``RetryPolicy``)."""
        state = archive_state(self.crawler)
        if state is None:
            return None
        policy = retry_policy(self.crawler.settings)
        pages = sorted(state.failed_pages(), key=lambda page: (-page.failures, page.key))[:FAILING_PAGES_LISTED]
        return [{"url": page.url, "kind": page.kind, "failures": page.failures, "last_error": page.last_error,
                 "failed_at": page.failed_at, "next_attempt": policy.next_attempt(page)} for page in pages]

    def spider_closed(self, spider, reason):
        path = self.path(spider)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_json_atomically(path, self.summary(spider, reason))
        except ARCHIVE_WRITE_ERRORS as error:
            report_write_error(self.crawler, f"the crawl summary {path}", error)
            return
        logger.info("Crawl summary written to %s", path)


def crawl_counts(stats: dict) -> dict:
    """What a crawl did so far, from its stats: pages, page requisites, articles, bytes archived,
    errors (the counts of the crawl summary and of the progress file)."""
    errors = {key.split("/", 1)[1]: value for key, value in stats.items() if key.startswith("errors/")}
    # warc/* counts every exchange, requisites/* those of page requisites: pages are the difference.
    warc, requisites = _exchange_counts(stats, "warc"), _exchange_counts(stats, "requisites")
    pages = {name: warc[name] - requisites[name] for name in ("fetched", "revisits", "not_modified")}
    by_status = {status: count - requisites["by_status"].get(status, 0) for status, count in warc["by_status"].items()}
    return {
        "pages": {
            "fetched": pages["fetched"],
            "by_status": {status: count for status, count in by_status.items() if count},
            "revisits": pages["revisits"],
            "not_modified": pages["not_modified"],
            "skipped_known": stats.get("incremental/skipped_known", 0),
            "sitemaps_unchanged": stats.get("incremental/sitemap_unchanged", 0),
        },
        "revisits": {
            "due": stats.get("revisit/due", 0),
            "checked": stats.get("revisit/checked", 0),
            "changed": stats.get("revisit/changed", 0),
        },
        "requisites": {
            "requested": stats.get("requisites/requested", 0),
            "fetched": requisites["fetched"],
            "by_status": requisites["by_status"],
            "revisits": requisites["revisits"],
            "not_modified": requisites["not_modified"],
            "bytes": requisites["bytes"],
            "too_large": stats.get("requisites/too_large", 0),
        },
        "articles": {
            "new": stats.get("articles/new", 0),
            "changed": stats.get("articles/changed", 0),
            "unchanged": stats.get("articles/unchanged", 0),
        },
        "bytes_archived": stats.get("warc/bytes_written", 0),
        "errors": {"count": sum(errors.values()), "by_reason": errors},
    }


def _exchange_counts(stats: dict, prefix: str) -> dict:
    """What the WARC middleware counted under ``prefix`` (``warc``: every exchange; ``requisites``)."""
    return {
        "fetched": stats.get(f"{prefix}/exchanges", 0),
        "by_status": {key.rsplit("/", 1)[1]: value for key, value in stats.items() if key.startswith(f"{prefix}/status/")},
        "revisits": stats.get(f"{prefix}/revisits", 0),
        "not_modified": stats.get(f"{prefix}/status/304", 0),
        "bytes": stats.get(f"{prefix}/bytes_written", 0),
    }


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
