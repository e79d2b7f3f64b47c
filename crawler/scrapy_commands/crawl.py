"""``scrapy crawl SPIDER``: Scrapy's command, with the checks, messages and exit codes of ``rusislam-archive crawl``."""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from crawler.commands.crawl import crawl, warn_unknown_settings


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one spider name: scrapy crawl SPIDER")
        assert self.settings is not None and self.crawler_process is not None
        warn_unknown_settings([pair.split("=", 1)[0] for pair in opts.set])
        self.exitcode = crawl(self.settings, args[0], opts.spargs, prog="scrapy crawl", process=self.crawler_process)
