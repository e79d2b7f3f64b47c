"""``rusislam-archive report``: one self-contained HTML page with charts about the archive."""

from __future__ import annotations

import argparse

from archive.report import render_report

from . import EXIT_OK, ArchiveCommand, add_archive_dir, add_output, atomic_output, check_output, existing_archive_dir


class Command(ArchiveCommand):
    help = "write an HTML report of the archive (articles per month and language, gaps, sources, edits, runs)"
    description = (
        "Write one self-contained HTML file (inline SVG charts; nothing fetched when it is opened): articles "
        "per month per language with possible gaps, sources per language, edits over time, the run history, "
        "the largest and the failing pages. Reads only: safe while a run holds the archive."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_archive_dir(parser)
        add_output(parser, what="the HTML file to write")

    def run(self, args: argparse.Namespace) -> int:
        archive_dir = existing_archive_dir(args.archive_dir)
        output = check_output(args.output, args.overwrite)
        html = render_report(archive_dir)
        with atomic_output(output) as stream:
            stream.write(html.encode("utf-8"))
        return EXIT_OK
