"""Item pipelines: article records to JSON Lines."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from scrapy.exceptions import DropItem

from archive.jsonl import JsonLinesWriter

from .middlewares import archive_dir

logger = logging.getLogger(__name__)


class ArticleJsonLinesPipeline:
    """Appends each article record to ``ARCHIVE_DIR/articles/{site}-{run start}.jsonl``.

    One file per crawl run, each line written whole. An article reached twice in a
    run (an alias URL naming the same canonical page) is written once.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.directory = archive_dir(crawler.settings) / "articles"
        self.writer: JsonLinesWriter | None = None
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

    def process_item(self, item):
        record = dict(item)
        if record["id"] in self.ids:
            self.stats.inc_value("articles/duplicate")
            raise DropItem(f"article {record['id']} already written in this run ({record['url']})")
        self._open_writer().write(record)
        self.ids.add(record["id"])
        self.stats.inc_value("articles/written")
        return item

    def close_spider(self):
        if self.writer is not None:
            self.writer.close()
