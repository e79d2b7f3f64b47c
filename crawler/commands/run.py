"""``rusislam-archive run``: update the archive, one locked, resumable crawl (what cron runs)."""

from __future__ import annotations

import argparse

from crawler.runner import DEFAULT_ARCHIVE_DIR, run_archive

from . import ArchiveCommand, add_archive_dir
from ._crawl_args import add_crawl_arguments, crawl_options


class Command(ArchiveCommand):
    help = "update the archive: one locked, resumable crawl, for cron"
    epilog = "exit codes: 0 ok, 1 crawl failed, 2 usage, 75 archive locked by another run"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_archive_dir(parser, default=DEFAULT_ARCHIVE_DIR)
        add_crawl_arguments(parser)

    def run(self, args: argparse.Namespace) -> int:
        return run_archive(crawl_options(args), args.archive_dir)
