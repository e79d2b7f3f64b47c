"""``rusislam-archive wacz``: the archive packaged as one WACZ file for ReplayWeb.page."""

from __future__ import annotations

import argparse

from archive.wacz import WaczError, build_wacz

from . import EXIT_OK, ArchiveCommand, CommandError, UsageError, add_archive_dir, add_output, check_output


class Command(ArchiveCommand):
    help = "package the archive as a WACZ file (WARCs, CDXJ index, pages, datapackage)"
    description = ("Package ARCHIVE_DIR as a WACZ file (WARCs, CDXJ index, article pages) for "
                   "ReplayWeb.page and other WACZ readers.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_archive_dir(parser)
        add_output(parser, stdout=False, what="the .wacz file to write")
        parser.add_argument("--title", help="title shown by WACZ readers (default: from the directory name)")

    def run(self, args: argparse.Namespace) -> int:
        output = check_output(args.output, args.overwrite, stdout=False)
        if output.suffix != ".wacz":
            raise UsageError(f"{output}: the output name must end in .wacz")
        try:
            summary = build_wacz(args.archive_dir, output, title=args.title)
        except (WaczError, OSError) as error:
            raise CommandError(str(error), exit_code=2) from None
        print(f"{summary.path}: {len(summary.warc_files)} WARC file(s), {summary.index_lines} index lines, "
              f"{summary.pages} article pages")
        return EXIT_OK
