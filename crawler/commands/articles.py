"""``rusislam-archive articles``: the latest version of each article as JSON lines."""

from __future__ import annotations

import argparse

from archive.latest import write_latest_articles

from . import EXIT_OK, ArchiveCommand, add_archive_dir, add_output, atomic_output, check_output, existing_archive_dir, \
    existing_article_files


class Command(ArchiveCommand):
    help = "print the latest version of each article as JSON lines"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_archive_dir(parser)
        add_output(parser, required=False, what="the JSON Lines file to write (default: standard output)")

    def run(self, args: argparse.Namespace) -> int:
        archive_dir = existing_archive_dir(args.archive_dir)
        output = check_output(args.output, args.overwrite)
        files = existing_article_files(archive_dir)
        with atomic_output(output) as stream:
            write_latest_articles(files, stream)
        return EXIT_OK
