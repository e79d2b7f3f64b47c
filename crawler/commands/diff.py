"""``rusislam-archive diff``: what changed between two versions of an article, as text or one HTML page."""

from __future__ import annotations

import argparse
import os
import sys
from urllib.parse import unquote

from archive.diff import diff_articles, render_html, render_text
from archive.versions import ArticleNotFound, pick_versions

from . import EXIT_OK, ArchiveCommand, CommandError, UsageError, add_archive_dir, add_output, atomic_output, check_output
from .history import add_article_argument, history_of


def _describe(record: dict) -> str:
    return f"version {record.get('version', 1)}, fetched {record.get('fetched_at')}, sha1 {record.get('content_sha1')}"


class Command(ArchiveCommand):
    help = "show what changed between two versions of an article (default: the last two)"
    epilog = ("Text marks inside a changed sentence: [-removed words-]{+added words+} (colours on a terminal).\n"
              "--html writes one self-contained page (right-to-left for Arabic); it needs -o.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_archive_dir(parser)
        add_article_argument(parser)
        parser.add_argument("--from", dest="old", type=int, metavar="N", help="the older version (default: the one before --to)")
        parser.add_argument("--to", dest="new", type=int, metavar="M", help="the newer version (default: the last)")
        parser.add_argument("--html", action="store_true", help="write an HTML page instead of text")
        parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                            help="colour the text diff: auto (a terminal, NO_COLOR unset), always, never")
        add_output(parser, required=False, what="the file to write (default: standard output)")

    def run(self, args: argparse.Namespace) -> int:
        history = history_of(args)
        if args.html and args.output in (None, "-"):
            raise UsageError("--html needs -o PATH (the page to write)")
        output = check_output(args.output, args.overwrite)
        try:
            old, new = pick_versions(history, args.old, args.new)
        except ArticleNotFound as error:
            raise CommandError(str(error)) from None
        diff = diff_articles(old, new)
        header = [f"article {new['id']}  {unquote(new.get('canonical_url') or new.get('url') or '')}",
                  f"--- {_describe(old)}", f"+++ {_describe(new)}"]
        if args.html:
            text = render_html(diff, title=new.get("title") or new["id"], meta=header, language=new.get("language"))
        else:
            colour = args.color == "always" or (
                args.color == "auto" and output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
            text = render_text(diff, header, colour=colour)
        with atomic_output(output) as stream:
            stream.write(text.encode("utf-8"))
        return EXIT_OK
