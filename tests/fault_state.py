"""State store writes that fail on demand, for crawl tests (a full disk, a lock, an I/O error).

Enable with ``-s EXTENSIONS=...`` naming ``tests.fault_state.FailingStateWrites`` beside the
project's extensions (``extensions_with_failing_state_writes()`` builds the value). The
``FAULT_STATE_FAIL_ARTICLE`` setting (N) makes the N-th article version recorded in the state raise
``sqlite3.OperationalError``, after the pipeline has written the article's JSON line.
"""

from __future__ import annotations

import json
import sqlite3

from scrapy import signals

from crawler import settings as project_settings
from crawler.extensions import archive_state


def extensions_with_failing_state_writes() -> str:
    return json.dumps({**project_settings.EXTENSIONS, "tests.fault_state.FailingStateWrites": 900})


class FailingStateWrites:
    def __init__(self, crawler):
        self.crawler = crawler
        self.fail_at = crawler.settings.getint("FAULT_STATE_FAIL_ARTICLE")
        self.calls = 0
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider):
        store = archive_state(self.crawler)
        record = store.record_article_version

        def failing(*args, **kwargs):
            self.calls += 1
            if self.calls == self.fail_at:
                raise sqlite3.OperationalError("database or disk is full (tests.fault_state)")
            return record(*args, **kwargs)

        store.record_article_version = failing
