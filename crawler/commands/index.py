"""``rusislam-archive index``: the archive's CDXJ index (as pywb and ReplayWeb.page read it)."""

from __future__ import annotations

import argparse
import sys

from archive.cdxj import CdxjIndexError, update_index

from . import EXIT_FAILED, EXIT_OK, ArchiveCommand, CommandError, add_archive_dir


class Command(ArchiveCommand):
    help = "update ARCHIVE_DIR/indexes/index.cdxj (CDXJ, as pywb reads it) with new WARC files"
    description = ("Write or update ARCHIVE_DIR/indexes/index.cdxj, the CDXJ index of the archive's "
                   "WARC files (pywb, ReplayWeb.page). Only WARC files not indexed yet are read.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_archive_dir(parser)
        parser.add_argument("--rebuild", action="store_true", help="index every WARC file again")

    def run(self, args: argparse.Namespace) -> int:
        try:
            update = update_index(args.archive_dir, rebuild=args.rebuild)
        except (CdxjIndexError, OSError) as error:
            raise CommandError(str(error), exit_code=2) from None
        if update.rebuilt_because == "no index yet":
            print("created the index")
        elif update.rebuilt_because:
            print(f"rebuilt the index ({update.rebuilt_because})")
        print(f"{update.index_path}: {update.line_count} lines; "
              f"{len(update.indexed_files)} WARC file(s) indexed now, {len(update.failed_files)} failed")
        for name in update.failed_files:
            print(f"not indexed (damaged?): {name}", file=sys.stderr)
        return EXIT_FAILED if update.failed_files else EXIT_OK
