"""``rusislam-archive export``: the article corpus as Parquet, CSV or JSON Lines, typed and filtered."""

from __future__ import annotations

import argparse
import logging
import os
import re
from contextlib import ExitStack, nullcontext
from datetime import date
from pathlib import Path

from archive.atomic import atomic_files
from archive.latest import ARTICLES_DIR_NAME

from . import EXIT_OK, ArchiveCommand, UsageError, add_archive_dir, add_output, atomic_output, check_output, \
    existing_archive_dir, existing_article_files

log = logging.getLogger(__name__)

# archive.export (pyarrow) is imported when an export runs, not when the command line is built
FORMATS = ("parquet", "csv", "jsonl")  # archive.export.WRITERS
CARD_FORMATS = ("parquet", "jsonl")  # the exports with a dataset card beside them
CARD_NAME = "README.md"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Command(ArchiveCommand):
    help = "export the articles as Parquet, CSV or JSON Lines with a fixed schema (language and date filters)"
    description = (
        "Write the archive's articles as one typed table: the JSON line's fields plus published_date (the date "
        "the page prints) and published_at (UTC), the same columns in every format. By default the latest "
        "version of each article. Parquet and JSON Lines exports get a dataset card (README.md) beside them, "
        "so that datasets.load_dataset(DIRECTORY) reads the right types."
    )
    epilog = (
        "examples:\n"
        "  rusislam-archive export archive -o corpus/articles.parquet\n"
        "  rusislam-archive export archive -o ar-2024.csv --language ar --since 2024-01-01 --until 2024-12-31\n"
        "  rusislam-archive export archive -o corpus --split language --format parquet\n"
        "  rusislam-archive export archive -o - --format jsonl --language ru | head"
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_archive_dir(parser)
        add_output(parser, what="the file to write (with --split language: the directory)")
        parser.add_argument("--format", choices=FORMATS,
                            help="output format (default: PATH's suffix; jsonl for '-', parquet for --split)")
        parser.add_argument("--language", metavar="CODES", type=_languages, default=frozenset(),
                            help="keep the articles in these detected languages, comma-separated (e.g. ar,ru)")
        parser.add_argument("--since", metavar="YYYY-MM-DD", type=_date,
                            help="keep articles printed on or after this date (the date the page prints)")
        parser.add_argument("--until", metavar="YYYY-MM-DD", type=_date,
                            help="keep articles printed on or before this date")
        parser.add_argument("--all-versions", action="store_true",
                            help="every version of each article (default: the latest only)")
        parser.add_argument("--split", choices=("language",),
                            help="one file per language (ar.parquet, ru.parquet...; und for articles without a language code) "
                                 "in the directory PATH")

    def run(self, args: argparse.Namespace) -> int:
        # numpy, which pyarrow imports, starts OpenBLAS threads that spin for a while (0.1 CPU s on the cores the
        # export's threads need); the export does no linear algebra
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        from archive.export import Selection, dataset_card, split_card_files, use_system_allocator

        use_system_allocator()
        archive_dir = existing_archive_dir(args.archive_dir)
        if args.since and args.until and args.since > args.until:
            raise UsageError(f"--since {args.since} is after --until {args.until}")
        selection = Selection(args.language, args.since, args.until)
        if args.output != "-":
            _check_outside_articles(Path(args.output), archive_dir)
        if args.split:
            output_format = args.format or "parquet"
            directory = _split_directory(args.output, args.overwrite, output_format)
            card_dir, path = directory, None
        else:
            output_format = _format(args.output, args.format)
            path = check_output(args.output, args.overwrite)
            if path is None and output_format == "parquet":
                raise UsageError("-o -: Parquet cannot be written to standard output (use jsonl or csv)")
            card_dir = path.parent if path is not None and output_format in CARD_FORMATS else None
            if card_dir is not None and path.name == CARD_NAME:
                raise UsageError(f"-o {path}: the dataset card is written there; name the data otherwise")
            if card_dir is not None:
                _check_card(card_dir)
        files = existing_article_files(archive_dir)
        listed = []  # the files of the previous split into the directory, which this one replaces
        if args.split:
            directory.mkdir(exist_ok=True)
            listed = split_card_files(directory / CARD_NAME)
        # The data and its card are renamed into place together, once all are whole: a failure (disk full in
        # the last language, in the card) leaves the previous export as it was.
        with atomic_files(suffix=".open") as outputs:
            if args.split:
                rows, names, languages = self._export_split(files, args, selection, directory, output_format, outputs)
            else:
                stream = outputs.open(path) if path is not None else None
                rows, languages = self._export_file(files, args, selection, stream, output_format)
                names = [path.name] if path is not None else []
            if rows == 0:
                log.warning("no article matched; the export is empty")
            if card_dir is not None and output_format in CARD_FORMATS and names:
                card = dataset_card(names, rows=rows, languages=languages, all_versions=args.all_versions,
                                    selection=selection, split=bool(args.split))
                outputs.open(card_dir / CARD_NAME).write(card.encode("utf-8"))
        if args.split:
            _remove_stale_split_files(directory, output_format, kept=names, listed=listed)
        return EXIT_OK

    def _export_file(self, files, args, selection, stream, output_format) -> tuple[int, list[str]]:
        """Write the export to ``stream`` (None: standard output); returns its rows and languages."""
        from archive.export import WRITERS, export_tables, languages_of

        rows, languages = 0, set()
        with (nullcontext(stream) if stream is not None else atomic_output(None)) as output, \
                WRITERS[output_format](output) as writer:
            for table in export_tables(files, all_versions=args.all_versions, selection=selection):
                rows += table.num_rows  # counted first: a reader that stops early (| head) ends the writing
                languages.update(languages_of(table))
                writer.write(table)
        return rows, sorted(languages)

    def _export_split(self, files, args, selection, directory, output_format, outputs
                      ) -> tuple[int, list[str], list[str]]:
        from archive.export import (GROUP_BYTES, UNKNOWN_LANGUAGE, WRITERS, export_tables, odd_languages,
                                    split_by_language)

        rows, writers, odd = 0, {}, set()
        # Each table is copied again, one part per language: half-size tables keep the peak RSS of the split
        # of 200,000 lines at 183 MB (204 MB with full ones, against 163 MB for one file).
        tables = export_tables(files, all_versions=args.all_versions, selection=selection, group_bytes=GROUP_BYTES // 2)
        with ExitStack() as closing:  # each writer is closed (a Parquet footer written) before the files are kept
            for table in tables:
                odd |= odd_languages(table)
                for language, part in split_by_language(table):
                    if language not in writers:
                        stream = outputs.open(directory / f"{language}.{output_format}")
                        writers[language] = closing.enter_context(WRITERS[output_format](stream))
                    writers[language].write(part)
                    rows += part.num_rows
        if odd:
            shown = ", ".join(repr(value) for value in sorted(odd)[:5])
            log.warning("articles whose language is no language code (%s) are in %s.%s", shown, UNKNOWN_LANGUAGE,
                        output_format)
        return rows, [f"{language}.{output_format}" for language in sorted(writers)], sorted(writers)


def _remove_stale_split_files(directory: Path, output_format: str, kept: list[str], listed: list[str]) -> None:
    """After a --split export: the files of languages the previous split wrote (``listed`` by its card) and
    this one has none of are removed, else ``*.parquet`` readers would take them as this export's (and the
    card, when this one wrote none). Other files named like a language's are left as they are, and named (a
    CSV split has no card)."""
    from archive.export import LANGUAGE_CODE

    if listed and not kept:  # nothing exported: no card listing the old files
        (directory / CARD_NAME).unlink(missing_ok=True)
    for path in sorted(directory.glob(f"*.{output_format}")):
        if path.name in kept or not re.match(LANGUAGE_CODE, path.stem):
            continue
        if path.name in listed and path.is_file():
            path.unlink()
            log.info("removed %s: no article of this language in this export", path)
        else:
            log.warning("%s is not part of this export (no article of this language); left as it was", path)


def _check_outside_articles(output: Path, archive_dir: Path) -> None:
    """An export written among the crawl's article files would be read as article lines by the next export
    (and by every reader of the archive)."""
    articles = (archive_dir / ARTICLES_DIR_NAME).resolve()
    if articles in (output.resolve(), output.resolve().parent):
        raise UsageError(f"-o {output}: inside {articles}, among the crawl's article files; write it elsewhere")


def _languages(text: str) -> frozenset[str]:
    from archive.export import LANGUAGE_CODE  # codes as the crawl writes them (ar, ru, zh-cn), as --split names files

    codes = frozenset(code.strip() for code in text.split(",") if code.strip())
    bad = sorted(code for code in codes if not re.match(LANGUAGE_CODE, code))
    if bad or not codes:
        raise argparse.ArgumentTypeError(f"not language codes (ISO 639-1, e.g. ar,ru): {text!r}")
    return codes


def _date(text: str) -> date:
    try:
        if not _DATE.match(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def _format(output: str, given: str | None) -> str:
    """The format: --format, else PATH's suffix (jsonl for standard output)."""
    if output == "-":
        return given or "jsonl"
    suffix = Path(output).suffix.lstrip(".").lower()
    if given is not None:
        if suffix in FORMATS and suffix != given:
            raise UsageError(f"{output} has the suffix of {suffix}, not of --format {given}")
        return given
    if suffix not in FORMATS:
        raise UsageError(f"{output}: cannot tell the format from the suffix; give --format or name the file "
                         f"*.parquet, *.csv or *.jsonl")
    return suffix


def _split_directory(output: str, overwrite: bool, output_format: str) -> Path:
    """The directory of a --split export (created later, if missing); files of the format in it need --overwrite."""
    if output == "-":
        raise UsageError("--split writes files into a directory; -o - is not one")
    directory = Path(output)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} is not a directory (--split writes one file per language into it)")
    if not directory.parent.is_dir():
        raise UsageError(f"{directory.parent}: no such directory")
    existing = sorted(directory.glob(f"*.{output_format}")) if directory.is_dir() else []
    if existing and not overwrite:
        raise UsageError(f"{existing[0]} exists; pass --overwrite to replace the files of {directory}")
    if output_format in CARD_FORMATS:
        _check_card(directory)
    return directory


def _check_card(directory: Path) -> None:
    """The card is written as README.md beside the data: never over a README.md that is not a card."""
    from archive.export import is_dataset_card

    card = directory / CARD_NAME
    if card.exists() and not is_dataset_card(card):
        raise UsageError(f"{card} exists and is not an export's dataset card; export into a directory of its own "
                         f"(the card is written as {CARD_NAME} beside the data)")
