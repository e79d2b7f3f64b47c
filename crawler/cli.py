"""``rusislam-archive``: the archive's command line (cron runs, corpus exports).

Each subcommand is a module of ``crawler.commands`` (see there); this module only finds them,
builds the parser and turns their failures into one line on stderr and an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Iterator, Sequence

from archive.state import StateError

from . import commands
from archive import __version__

from .commands import EXIT_CODES, EXIT_FAILED, EXIT_OK, EXIT_STOPPED, EXIT_USAGE, ArchiveCommand, CommandError, \
    UsageError

PROG = "rusislam-archive"


def command_modules() -> list[str]:
    """Names of the modules in ``crawler/commands/`` that may define a command (``_`` modules are helpers)."""
    return sorted(info.name for info in pkgutil.iter_modules(commands.__path__) if not info.name.startswith("_"))


def load_commands(only: str | None = None) -> dict[str, ArchiveCommand]:
    """Every ``crawler/commands/NAME.py`` that defines ``Command``, by NAME; with ``only``, that
    command alone, so that running one command does not import what every other one needs
    (pyarrow, trafilatura, rq...)."""
    found: dict[str, ArchiveCommand] = {}
    for name in command_modules():
        if only is not None and name.replace("_", "-") != only:
            continue
        module = importlib.import_module(f"{commands.__name__}.{name}")
        command_class = getattr(module, "Command", None)
        if isinstance(command_class, type) and issubclass(command_class, ArchiveCommand):
            command = command_class()
            command.name = name.replace("_", "-")
            found[command.name] = command
    return found


def _exit_code_table() -> str:
    return "exit codes:\n" + "\n".join(f"  {code:<4}{meaning}" for code, meaning in EXIT_CODES.items())


def build_parser(available: dict[str, ArchiveCommand]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Web archive (WARC) and article corpus (JSON Lines) of a news site.",
        epilog=_exit_code_table(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, command in available.items():
        subparser = subparsers.add_parser(
            name, help=command.help, description=command.description or command.help,
            epilog=command.epilog, formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_arguments(subparser)
    return parser


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (it may be replaced after set-up)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _log_warnings_to_stderr() -> None:
    """Cron mails whatever a job prints: only warnings and errors go to stderr (the rest to the run log)."""
    root = logging.getLogger()
    if not any(isinstance(handler, _StderrHandler) for handler in root.handlers):
        handler = _StderrHandler()
        handler.setLevel(logging.WARNING)
        handler.setFormatter(logging.Formatter(f"{PROG}: %(levelname)s: %(message)s"))
        root.addHandler(handler)


class Stopped(BaseException):
    """A signal asked the command to stop. Raised in the main thread, like KeyboardInterrupt for SIGINT, so
    that what the command has open unwinds (an unfinished ``*.open`` output is removed, a lock released)."""


def _stop(signum: int, _frame) -> None:
    raise Stopped(signal.Signals(signum).name)


@contextmanager
def _stopped_by_signals(command: ArchiveCommand) -> Iterator[None]:
    """SIGTERM (cron's timeout, systemd, ``kill``) and SIGHUP stop the command as Ctrl-C does, instead of
    killing the process where it stands (unless the command has handlers of its own)."""
    if not command.stopped_by_signals or threading.current_thread() is not threading.main_thread():
        yield
        return
    stopping = (signal.SIGTERM, signal.SIGHUP)
    previous = {signum: signal.signal(signum, _stop) for signum in stopping}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # One command named: only its module is imported (the full list for help and errors).
    available = (argv and load_commands(only=argv[0])) or load_commands()
    parser = build_parser(available)
    if not argv:
        parser.print_help()
        return EXIT_OK
    args = parser.parse_args(argv)
    command = available[args.command]
    if command.warnings_to_stderr:
        _log_warnings_to_stderr()
    try:
        with _stopped_by_signals(command):
            return command.run(args)
    except (KeyboardInterrupt, Stopped) as stop:
        print(f"{PROG} {command.name}: stopped by {str(stop) or 'SIGINT'}", file=sys.stderr)
        return EXIT_STOPPED
    except UsageError as error:
        print(f"{PROG} {command.name}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except CommandError as error:
        print(f"{PROG} {command.name}: {error}", file=sys.stderr)
        return error.exit_code
    except (StateError, OSError) as error:
        print(f"{PROG} {command.name}: {error}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
