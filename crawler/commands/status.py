"""``rusislam-archive status``: whether a run is going and where it is, and what the archive holds."""

from __future__ import annotations

import argparse
import json

from archive.status import archive_status, format_status

from . import EXIT_OK, ArchiveCommand, add_archive_dir, atomic_output, existing_archive_dir


class Command(ArchiveCommand):
    help = "show whether a run is going (with its progress and ETA) and what the archive holds"
    description = (
        "Show whether a run is going and its progress (pages fetched, queued, ETA), articles per language "
        "with their oldest and newest publication dates, WARC files, the last runs and the URLs failing "
        "repeatedly. Reads only: safe while a run holds the archive."
    )
    epilog = (
        "--json prints one object; it always has running (bool), pages_fetched (int, this run; 0 when none), "
        "pages_queued (int), eta_seconds (number or null) and articles (language -> distinct articles)."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_archive_dir(parser)
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
        parser.add_argument("--runs", type=int, default=5, metavar="N", help="how many of the last runs to show (default 5)")

    def run(self, args: argparse.Namespace) -> int:
        status = archive_status(existing_archive_dir(args.archive_dir), last_runs=max(args.runs, 0))
        if args.json:
            text = json.dumps(status, ensure_ascii=False, indent=2) + "\n"
        else:
            text = "".join(line + "\n" for line in format_status(status))
        with atomic_output(None) as stream:  # standard output, quiet when a reader stops early (| head)
            stream.write(text.encode("utf-8"))
        return EXIT_OK
