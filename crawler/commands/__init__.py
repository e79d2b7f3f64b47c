"""The ``rusislam-archive`` subcommands: one module each, laid out as Scrapy's own ``scrapy/commands/``.

A command is a module of this package that defines ``Command``, a subclass of :class:`ArchiveCommand`;
``crawler.cli`` finds every such module (no list to edit): adding a command is adding a file.
Options shared by several commands (the archive directory, ``-o``/``--overwrite``) are defined
once here, so every command reads them, checks them and reports their errors the same way.

Exit codes shared by every command (``sysexits`` where one fits, so cron mail says what happened):
see :data:`EXIT_CODES` (the crawl's are decided by ``crawler.outcome``).
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

from archive.atomic import atomic_file
from archive.latest import ARTICLES_DIR_NAME, article_files

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_FAILED_REQUESTS = 3
EXIT_STOPPED = 4
EXIT_UNREACHABLE = 69  # EX_UNAVAILABLE
EXIT_LOCKED = 75  # EX_TEMPFAIL

# Shown by `rusislam-archive --help` and documented in the README; one table for every command.
EXIT_CODES: dict[int, str] = {
    EXIT_OK: "the command did its job (a crawl: finished; nothing printed)",
    EXIT_FAILED: "the command failed, or the crawl stopped early (the line on stderr says why)",
    EXIT_USAGE: "bad arguments or configuration (unknown spider, argument, language, invalid site YAML); "
                "nothing was created",
    EXIT_FAILED_REQUESTS: "the crawl finished but more requests failed than CRAWL_MAX_FAILED_SHARE allows",
    EXIT_STOPPED: "stopped by a signal (SIGTERM, SIGINT, SIGHUP): a crawl resumes at the next run; an export or "
                  "another command leaves no partial output",
    EXIT_UNREACHABLE: "the site could not be reached at all (DNS, refused, timeouts, 5xx everywhere)",
    EXIT_LOCKED: "another run holds the archive's lock; nothing was touched, try later",
}


class UsageError(ValueError):
    """Bad command-line value or configuration: one line on stderr, exit code 2, nothing written."""


class CommandError(RuntimeError):
    """The command could not do its job: one line on stderr, exit code 1 (or ``exit_code``)."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED):
        super().__init__(message)
        self.exit_code = exit_code


class ArchiveCommand:
    """One subcommand: its help, its arguments and what it does.

    ``name`` is the module's name (``crawler/commands/export.py`` is ``rusislam-archive export``).
    ``run`` returns the exit code; it raises :class:`UsageError` or :class:`CommandError` for the
    one-line failures, which ``crawler.cli`` prints as ``rusislam-archive NAME: message``.
    """

    name: str = ""
    help: str = ""
    description: str | None = None  # longer text for ``NAME --help``; ``help`` when None
    epilog: str | None = None
    # Warnings of our loggers go to stderr (cron mails them); a command whose logging Scrapy
    # configures (``crawl``: stderr or LOG_FILE) says False.
    warnings_to_stderr: bool = True
    # SIGTERM and SIGHUP stop the command as Ctrl-C does (``crawler.cli``); a command that runs something
    # with its own handlers (Scrapy's reactor, an rq worker) says False.
    stopped_by_signals: bool = True

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Declare the command's arguments (every one with a help text)."""

    def run(self, args: argparse.Namespace) -> int:
        raise NotImplementedError


# -- shared options ---------------------------------------------------------------------------


def add_archive_dir(parser: argparse.ArgumentParser, *, default: str | None = None) -> None:
    """The positional ARCHIVE_DIR every archive command takes."""
    if default is None:
        parser.add_argument("archive_dir", metavar="ARCHIVE_DIR", type=Path,
                            help="the archive directory (holding warc/, articles/, state.sqlite3)")
    else:
        parser.add_argument("archive_dir", metavar="ARCHIVE_DIR", type=Path, nargs="?", default=Path(default),
                            help=f"the archive directory (default: ./{default})")


def existing_archive_dir(path: Path) -> Path:
    """ARCHIVE_DIR of a command that reads an archive: it must exist."""
    if not path.is_dir():
        raise UsageError(f"{path}: no such archive directory")
    return path


def existing_article_files(archive_dir: Path) -> list[Path]:
    """The article files of a command that reads them: none is a failure (an ARCHIVE_DIR that is not an
    archive, or no crawl has kept an article yet), not an empty output written over a good one."""
    files = article_files(archive_dir)
    if not files:
        raise CommandError(f"no article files in {archive_dir / ARTICLES_DIR_NAME}: nothing to read "
                           f"(is {archive_dir} an archive directory?)")
    return files


def add_output(parser: argparse.ArgumentParser, *, required: bool = True, stdout: bool = True,
               what: str = "the file to write") -> None:
    """``-o PATH`` (``-`` for stdout where the command can stream) and ``--overwrite``: one rule for all."""
    help_text = what + (" ('-' for standard output)" if stdout else "")
    parser.add_argument("-o", "--output", metavar="PATH", required=required, help=help_text)
    parser.add_argument("--overwrite", action="store_true", help="replace PATH if it exists (refused otherwise)")


def check_output(output: str | None, overwrite: bool, *, stdout: bool = True) -> Path | None:
    """The output path, or None for stdout; refuses to replace a file without ``--overwrite``."""
    if output is None or output == "-":
        if not stdout:
            raise UsageError("-o: this command cannot write to standard output")
        return None
    path = Path(output)
    if path.is_dir():
        raise UsageError(f"{path} is a directory")
    if path.exists() and not path.is_file():  # a device or a pipe: replacing it would not write to it
        raise UsageError(f"{path} is not a regular file; write to standard output (-o -) and redirect it")
    if path.exists() and not overwrite:
        raise UsageError(f"{path} exists; pass --overwrite to replace it")
    if not path.parent.is_dir():
        raise UsageError(f"{path.parent}: no such directory")
    return path


@contextmanager
def atomic_output(path: Path | None) -> Iterator[BinaryIO]:
    """A binary stream for the output: stdout, or ``PATH.open`` renamed to PATH once whole.

    A failure leaves no half-written PATH (the ``.open`` file is removed); a reader that closes
    stdout early (``| head``) is not an error.
    """
    if path is None:
        try:
            yield sys.stdout.buffer
            sys.stdout.buffer.flush()
        except BrokenPipeError:  # `| head`: the reader has all it wants
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return
    with atomic_file(path, "wb", suffix=".open") as stream:
        yield stream
