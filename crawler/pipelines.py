"""Item pipelines: article records to JSON Lines."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from scrapy.exceptions import DropItem

from archive.jsonl import JsonLinesWriter
from archive.state import WarcRecordRef

from .extensions import ARCHIVE_WRITE_ERRORS, archive_dir, archive_state, stop_crawl_on_write_error
from .extract.record import next_version_fields

logger = logging.getLogger(__name__)


class ArticleJsonLinesPipeline:
    """Appends each article record to ``ARCHIVE_DIR/articles/{site}-{run start}.jsonl``.

    One file per crawl run, each line written whole. An article reached twice in a
    run (an alias URL naming the same canonical page) is written once. Across runs the
    state store keeps each article's version: an unchanged article writes no line, a
    changed one a line with the same ``id``, ``version`` + 1 and ``previous_sha1``.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.directory = archive_dir(crawler.settings) / "articles"
        self.writer: JsonLinesWriter | None = None
        self.state = None
        self.ids: set[str] = set()
        self.run_started = datetime.now(timezone.utc)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _open_writer(self) -> JsonLinesWriter:
        if self.writer is None:
            name = f"{self.crawler.spider.name}-{self.run_started:%Y%m%dT%H%M%SZ}.jsonl"
            self.directory.mkdir(parents=True, exist_ok=True)
            self.writer = JsonLinesWriter(self.directory / name)
            logger.info("Writing article records to %s", self.directory / name)
        return self.writer

    def open_spider(self):
        self.state = archive_state(self.crawler)

    def process_item(self, item):
        record = dict(item)
        if record["id"] in self.ids:
            self.stats.inc_value("articles/duplicate")
            raise DropItem(f"article {record['id']} already written in this run ({record['url']})", log_level="INFO")
        self.ids.add(record["id"])
        # without a state store there is no history: every article is a first version
        record = self._versioned(record) if self.state is not None else {**record, **next_version_fields(None)}
        # The line first, then the state: a crash in between leaves a line the state lacks,
        # which the next run reconciles; the other order could lose the article.
        try:
            self._open_writer().write(record)
            if self.state is not None:
                self._remember_version(record)
        except ARCHIVE_WRITE_ERRORS as error:
            stop_crawl_on_write_error(self.crawler, f"article records in {self.directory}", error)
            # The page is archived: the next run extracts its article from the WARC (pages_without_article).
            raise DropItem(f"article {record['id']} not written: {error}", log_level="WARNING") from error
        self.stats.inc_value("articles/written")
        return item

    def _versioned(self, record: dict) -> dict:
        """The record with its ``version`` and ``previous_sha1``; DropItem when nothing changed."""
        current = self.state.article(record["id"])
        if current is not None and current.content_sha1 == record["content_sha1"]:
            self.stats.inc_value("articles/unchanged")
            raise DropItem(f"article {record['id']} unchanged since version {current.version}", log_level="DEBUG")
        record.update(next_version_fields(None if current is None else (current.version, current.content_sha1)))
        return record

    def _remember_version(self, record: dict) -> None:
        warc = record.get("warc")
        pointer = WarcRecordRef.from_dict(warc, warc_date=record["fetched_at"], target_uri=record["url"]) if warc else None
        self.state.record_article_version(record["id"], record["content_sha1"], record["canonical_url"], pointer,
                                          published=record.get("published"))
        self.stats.inc_value("articles/new" if record["version"] == 1 else "articles/changed")

    def close_spider(self):
        if self.writer is not None:
            self.writer.close()
