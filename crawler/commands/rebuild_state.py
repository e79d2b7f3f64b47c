"""``rusislam-archive rebuild-state``: a new state store from the archive's WARC and JSON lines files."""

from __future__ import annotations

import argparse

from archive.runlock import ArchiveLocked, RunLock
from crawler.extract.siteconfig import ConfigError
from crawler.offline import DEFAULT_SITE
from crawler.state_rebuild import rebuild_state

from . import EXIT_LOCKED, EXIT_OK, ArchiveCommand, CommandError, UsageError, add_archive_dir, existing_archive_dir


class Command(ArchiveCommand):
    help = "rebuild ARCHIVE_DIR/state.sqlite3 from the WARC and JSON lines files (after damage)"
    description = ("Write a new state store (ARCHIVE_DIR/state.sqlite3) from the archive itself: pages from the "
                   "WARC files, article versions from the JSON lines. Use it when a run says the state store is "
                   "corrupt. The old file is kept as state.sqlite3.broken-STAMP. The next run asks again for "
                   "pages that failed and walks every listing page once.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_archive_dir(parser)
        parser.add_argument("--site", default=DEFAULT_SITE, help="site name (config/sites/NAME.yaml) or YAML path")
        parser.add_argument("--base-url", help="the mirror origin the archive was crawled from "
                                               "(default: inferred from each record's URL)")

    def run(self, args: argparse.Namespace) -> int:
        archive_dir = existing_archive_dir(args.archive_dir)
        if not (archive_dir / "warc").is_dir():
            raise UsageError(f"{archive_dir}: no warc/ directory to rebuild the state from")
        lock = RunLock(archive_dir)
        try:
            lock.acquire()
        except ArchiveLocked as error:
            raise CommandError(f"{error}; not rebuilding", exit_code=EXIT_LOCKED) from None
        with lock:
            try:
                report = rebuild_state(archive_dir, args.site, args.base_url)
            except (ConfigError, ValueError) as error:
                raise UsageError(str(error)) from None
        kept = f"; the old store kept as {report.kept_as.name}" if report.kept_as else ""
        print(f"{archive_dir / 'state.sqlite3'}: rebuilt from {report.records} WARC records: "
              f"{report.pages['all']} pages ({report.pages['failed']} failed, {report.pages['gone']} gone), "
              f"{report.articles} articles{kept}")
        return EXIT_OK
