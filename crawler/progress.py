"""Where the crawl is, while it runs: ``ARCHIVE_DIR/runs/current.json`` and a live line in a terminal.

A first crawl of the site is about 90,000 pages at a request a second (more than a day); Scrapy's
once-a-minute "Crawled N pages" line gives no total and no end. Two extensions read the crawl's own
stats and queues (``CrawlMeter``): one rewrites the progress file for ``rusislam-archive status``
and for a second run that finds the archive locked; the other draws a progress line (tqdm) when
standard error is a terminal, never in cron's mail.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from contextlib import ExitStack
from datetime import datetime, timezone

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from tqdm import tqdm
from tqdm.contrib import DummyTqdmFile

from archive.progress import RecentRate, format_duration, remove_progress, with_estimate, write_progress
from archive.state import utc_iso

from .extensions import ARCHIVE_WRITE_ERRORS, archive_dir, crawl_counts

logger = logging.getLogger(__name__)

LINE_REFRESH_SECONDS = 1.0


class CrawlMeter:
    """A snapshot of the crawl: its counts (as in the crawl summary), its queues, rate and ETA."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.started = datetime.now(timezone.utc)
        self.rate = RecentRate()

    def snapshot(self) -> dict:
        stats = self.crawler.stats.get_stats()
        engine = self.crawler.engine
        scheduler = getattr(engine, "scheduler", None)
        downloader = getattr(engine, "downloader", None)
        progress = {
            "spider": self.crawler.spider.name if self.crawler.spider else None,
            "pid": os.getpid(),
            "started": utc_iso(self.started),
            "updated": utc_iso(),
            **crawl_counts(stats),
            "requests": {
                "queued": len(scheduler) if scheduler is not None else 0,
                "in_progress": len(downloader.active) if downloader is not None else 0,
            },
            "sitemap_entries": {
                "known": stats.get("sitemaps/entries", 0),
                "waiting": stats.get("sitemaps/entries_waiting", 0),
            },
        }
        # The queues hold page requisites too: the rate that empties them counts every exchange.
        progress["requests"]["done"] = progress["pages"]["fetched"] + progress["requisites"]["fetched"]
        self.rate.add(time.monotonic(), progress["requests"]["done"])
        return with_estimate(progress, self.rate.per_second(), datetime.now(timezone.utc))


class ProgressFileExtension:
    """Rewrites ``ARCHIVE_DIR/runs/current.json`` every ``PROGRESS_INTERVAL`` seconds (0: never), and
    removes it when the crawl ends (the run summary then says what the crawl did)."""

    def __init__(self, crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.directory = archive_dir(crawler.settings)
        self.meter = CrawlMeter(crawler)
        self.task = None
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        return cls(crawler, interval)

    def engine_started(self):
        self.task = create_looping_call(self.write)
        self.task.start(self.interval, now=True)

    def write(self):
        try:
            write_progress(self.directory, self.meter.snapshot())
        except ARCHIVE_WRITE_ERRORS as error:  # progress is a convenience: the crawl goes on
            logger.warning("Cannot write the progress file in %s: %s", self.directory, error)

    def spider_closed(self, spider, reason):
        if self.task is not None and self.task.running:
            self.task.stop()
        remove_progress(self.directory)


class ProgressLineExtension:
    """A live progress line on standard error (tqdm), only where a person watches: ``PROGRESS_LINE``
    ``auto`` (default) draws it when standard error is a terminal, ``True``/``False`` force it.
    Log lines printed on that terminal meanwhile go above the line instead of through it."""

    def __init__(self, crawler):
        self.meter = CrawlMeter(crawler)
        self.bar = None
        self.task = None
        self._restore = ExitStack()
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        wanted = crawler.settings.get("PROGRESS_LINE", "auto")
        if str(wanted).lower() == "auto":
            wanted = sys.stderr.isatty()
        elif not crawler.settings.getbool("PROGRESS_LINE"):
            wanted = False
        if not wanted:
            raise NotConfigured
        return cls(crawler)

    def engine_started(self):
        self.bar = tqdm(total=0, unit="request", file=sys.stderr, dynamic_ncols=True, leave=True,
                        bar_format="{desc} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} requests{postfix}")
        for handler in logging.root.handlers:
            if _on_terminal(handler):  # log lines go above the bar (tqdm.write) instead of through it
                original = handler.setStream(DummyTqdmFile(handler.stream))
                self._restore.callback(handler.setStream, original)
        self.task = create_looping_call(self.refresh)
        self.task.start(LINE_REFRESH_SECONDS, now=True)

    def refresh(self):
        progress = self.meter.snapshot()
        done = progress["requests"]["done"]
        self.bar.total = done + progress["remaining"]
        self.bar.n = done
        articles = progress["articles"]
        eta = progress["eta_seconds"]
        self.bar.set_description_str("crawl", refresh=False)
        self.bar.set_postfix_str(
            f"{progress['pages']['fetched']} pages, {articles['new']} new/{articles['changed']} changed articles, "
            f"{progress['errors']['count']} errors, "
            f"{progress['pages_per_minute'] or 0:.1f}/min, ETA {format_duration(eta) if eta is not None else '?'}",
            refresh=False,
        )
        self.bar.refresh()

    def spider_closed(self, spider, reason):
        if self.task is not None and self.task.running:
            self.task.stop()
        if self.bar is not None:
            self.refresh()
            self.bar.close()
        self._restore.close()


def _on_terminal(handler: logging.Handler) -> bool:
    return isinstance(handler, logging.StreamHandler) and getattr(handler, "stream", None) in (sys.stderr, sys.stdout)
