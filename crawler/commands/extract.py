"""``rusislam-archive extract``: re-extract articles from WARC files offline, with the crawl's extractor."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from archive.reader import warc_files
from crawler.extract.siteconfig import ConfigError
from crawler.offline import DEFAULT_SITE, EXTRACT_MAXSIZE, OfflineExtractor, extract_to_jsonl

from . import EXIT_OK, ArchiveCommand, CommandError, UsageError, add_output, atomic_output, check_output


class Command(ArchiveCommand):
    help = "re-extract articles from WARC files offline, with the crawl's own extractor"
    description = ("Re-extract article records from WARC files with the crawl's extraction code, "
                   "without fetching anything.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("warcs", nargs="+", type=Path, metavar="WARC",
                            help="WARC files, or directories whose *.warc.gz files are read (e.g. ARCHIVE_DIR/warc)")
        add_output(parser, what="the JSON Lines file to write")
        parser.add_argument("--jobs", "-j", type=int, default=1, help="extraction processes (default 1)")
        parser.add_argument("--site", default=DEFAULT_SITE, help="site name (crawler/config/sites/NAME.yaml, shipped with the package) or the path of a site YAML file")
        parser.add_argument("--base-url", help="the mirror origin the WARC files were crawled from "
                                               "(default: inferred from each record's URL)")
        parser.add_argument("--max-size", type=int, default=EXTRACT_MAXSIZE,
                            help="pages larger than this many bytes (decoded) are not extracted; the crawl's "
                                 f"EXTRACT_MAXSIZE, {EXTRACT_MAXSIZE} unless the crawl was given another (0: no limit)")

    def run(self, args: argparse.Namespace) -> int:
        if args.jobs < 1:
            raise UsageError(f"--jobs must be at least 1, got {args.jobs}")
        if args.max_size < 0:
            raise UsageError(f"--max-size must be 0 or more, got {args.max_size}")
        missing = [str(path) for path in args.warcs if not path.exists()]
        if missing:
            raise UsageError(f"no such WARC file or directory: {', '.join(missing)}")
        output = check_output(args.output, args.overwrite)
        try:
            extractor = OfflineExtractor(args.site, args.base_url)  # fail early on a bad config or base URL
        except (ConfigError, OSError, ValueError) as error:
            raise UsageError(str(error)) from None
        files = list(warc_files(args.warcs))
        with atomic_output(output) as stream:
            summary = extract_to_jsonl(files, stream, extractor.site, base_url=args.base_url, jobs=args.jobs,
                                       max_size=args.max_size)
        print(f"{output or 'standard output'}: {summary.articles} article records from {summary.responses} "
              f"responses in {len(files)} WARC file(s); {summary.duplicates} duplicate(s) in a run and "
              f"{summary.unchanged} unchanged article(s) dropped, "
              f"{summary.failed} extraction failure(s)", file=sys.stderr)
        if not summary.files:
            raise CommandError("no WARC records read (are these WARC files?)", exit_code=2)
        return EXIT_OK
