"""``rusislam-archive wacz``: the archive packaged as one WACZ file for ReplayWeb.page."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from archive.wacz import WaczError, build_wacz

from . import (EXIT_OK, ArchiveCommand, CommandError, UsageError, add_archive_dir, add_output, atomic_output,
               check_output)


class Command(ArchiveCommand):
    help = "package the archive as a WACZ file (WARCs, CDXJ index, pages, datapackage)"
    description = ("Package ARCHIVE_DIR as a WACZ file (WARCs, CDXJ index, article pages) for "
                   "ReplayWeb.page and other WACZ readers.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_archive_dir(parser)
        add_output(parser, what="the .wacz file to write")
        parser.add_argument("--title", help="title shown by WACZ readers (default: from the directory name)")

    def run(self, args: argparse.Namespace) -> int:
        output = check_output(args.output, args.overwrite)
        if output is not None and output.suffix != ".wacz":
            raise UsageError(f"{output}: the output name must end in .wacz")
        with tempfile.TemporaryDirectory(prefix="rusislam-wacz-") as scratch:
            # A zip is written with seeks: to standard output it is built aside, then copied.
            target = output or Path(scratch) / "archive.wacz"
            try:
                summary = build_wacz(args.archive_dir, target, title=args.title)
            except (WaczError, OSError) as error:
                raise CommandError(str(error), exit_code=2) from None
            if output is None:
                with atomic_output(None) as stream, open(target, "rb") as package:
                    shutil.copyfileobj(package, stream)
        print(f"{output or 'standard output'}: {len(summary.warc_files)} WARC file(s), {summary.index_lines} "
              f"index lines, {summary.pages} article pages", file=sys.stderr)
        return EXIT_OK
