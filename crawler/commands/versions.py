"""``rusislam-archive versions``: one JSON line per pair of consecutive versions of every edited article."""

from __future__ import annotations

import argparse

from archive.jsonl import encode_line
from archive.versions import edit_records

from . import EXIT_OK, ArchiveCommand, add_archive_dir, add_output, atomic_output, check_output, existing_archive_dir


class Command(ArchiveCommand):
    help = "write the edits of every article as JSON lines (one per pair of consecutive versions)"
    epilog = ("Each line: id, language, url, from/to version, fetched_at and sha1, sentences_added/_removed/_changed,\n"
              "paragraphs_added/_removed/_changed, title_changed (old_title, new_title) and the sentences themselves.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_archive_dir(parser)
        add_output(parser, required=False, what="the JSON Lines file to write (default: standard output)")

    def run(self, args: argparse.Namespace) -> int:
        archive_dir = existing_archive_dir(args.archive_dir)
        output = check_output(args.output, args.overwrite)
        with atomic_output(output) as stream:
            for record in edit_records(archive_dir):
                stream.write(encode_line(record))
        return EXIT_OK
