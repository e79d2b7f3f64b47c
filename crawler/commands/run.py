"""``rusislam-archive run``: update the archive, one locked, resumable crawl (what cron runs)."""

from __future__ import annotations

import argparse

from crawler.runner import DEFAULT_ARCHIVE_DIR, run_archive

from . import ArchiveCommand, add_archive_dir
from ._crawl_args import add_crawl_arguments, crawl_options
from .crawl import check_crawl, project_settings, warn_unknown_settings


class Command(ArchiveCommand):
    help = "update the archive: one locked, resumable crawl, for cron"
    description = ("Update ARCHIVE_DIR: take its lock, crawl (resuming a killed crawl), write the run's "
                   "log and summary and bring the CDXJ index up to date. Silent when all went well.")
    epilog = "exit codes: see `rusislam-archive --help`"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_archive_dir(parser, default=DEFAULT_ARCHIVE_DIR)
        add_crawl_arguments(parser)

    def run(self, args: argparse.Namespace) -> int:
        options = crawl_options(args)
        # Checked here, before the lock, the log or anything else is created in ARCHIVE_DIR.
        settings = project_settings(dict(options.settings))
        warn_unknown_settings(dict(options.settings))
        check_crawl(settings, options.spider, dict(options.spider_arguments()))
        return run_archive(options, args.archive_dir)
