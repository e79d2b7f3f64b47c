"""Log files on a disk that may fill up."""

from __future__ import annotations

import logging


def drop_write_errors(handler: logging.Handler) -> None:
    """Make a log file that cannot be written (disk full, read-only) lose lines silently instead of
    printing a traceback to stderr for each of them: cron would mail hundreds, while the run's one
    ERROR line on stderr already names the cause."""
    handler.handleError = lambda record: None
