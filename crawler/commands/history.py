"""``rusislam-archive history``: the archived versions of one article, one per line."""

from __future__ import annotations

import argparse

from archive.versions import ArticleNotFound, article_history

from . import EXIT_OK, ArchiveCommand, CommandError, add_archive_dir, existing_archive_dir

COLUMNS = ("version", "fetched_at", "content_sha1", "title", "warc_file", "warc_offset")


def add_article_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("article", metavar="ID_OR_URL", help="the article's id, or its URL or canonical URL")


def history_of(args: argparse.Namespace) -> list[dict]:
    """The article's versions, oldest first; CommandError (exit 1) when the archive lacks it."""
    try:
        return article_history(existing_archive_dir(args.archive_dir), args.article)
    except ArticleNotFound as error:
        raise CommandError(str(error)) from None


class Command(ArchiveCommand):
    help = "list the archived versions of an article (version, fetched_at, content_sha1, title, WARC file, offset)"
    epilog = "Output: one tab-separated line per version, oldest first, after a header line starting with '#'."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_archive_dir(parser)
        add_article_argument(parser)

    def run(self, args: argparse.Namespace) -> int:
        history = history_of(args)
        print("#" + "\t".join(COLUMNS))
        for record in history:
            warc = record.get("warc") or {}
            values = (record.get("version", 1), record.get("fetched_at"), record.get("content_sha1"),
                      " ".join(str(record.get("title") or "").split()), warc.get("file"), warc.get("offset"))
            print("\t".join("" if value is None else str(value) for value in values))
        return EXIT_OK
