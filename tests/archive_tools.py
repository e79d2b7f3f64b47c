"""Helpers of the web-archive tests: the external tools, and private copies of a crawl's archive.

pywb and py-wacz live in their own virtual environments (``.ci/install-pywb.sh`` makes them), so
they are run as commands; ReplayWeb.page and Chromium are installed by ``.ci/install-replaywebpage.sh``
and ``.ci/run``. Missing outside CI: the test is skipped with the install command; in CI
(``CI=true``) a missing tool fails the test, so a broken install step cannot pass unnoticed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import CrawlResult

INSTALL_SCRIPT = ".ci/install-pywb.sh"


def _cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rusislam-archive"


def tool_command(venv_variable: str, venv_name: str, command: str) -> Path:
    """Path of ``command`` in the tool's virtual environment (``$VENV_VARIABLE`` or the default one)."""
    venv = Path(os.environ.get(venv_variable) or _cache_dir() / venv_name)
    path = venv / "bin" / command
    if path.exists():
        return path
    missing_tool(f"{command} not installed in {venv} (${venv_variable}); run `bash {INSTALL_SCRIPT}` first")


def missing_tool(reason: str):
    """A tool the test needs is not installed: skip with the reason, or fail in CI (``CI=true``)."""
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        pytest.fail(reason)
    pytest.skip(reason)


def copy_archive(crawl: CrawlResult, destination: Path) -> Path:
    """A private copy of the crawl's ARCHIVE_DIR (warc/ and articles/), for tests that write into it."""
    for name in ("warc", "articles"):
        shutil.copytree(crawl.archive_dir / name, destination / name)
    return destination


def leave_killed_crawl_leftovers(archive: Path, scratch: Path) -> tuple[Path, Path]:
    """What ``kill -9`` leaves: a WARC file still ``.open`` (of a dead writer on another host, its last
    record cut) and a JSON lines file ending in a partial line. Returns (the .open file, the lines file)."""
    from datetime import datetime, timezone

    from archive.jsonl import JsonLinesWriter
    from archive.warc import HttpExchange, WarcArchiveWriter

    writer = WarcArchiveWriter(scratch, "rusislam", hostname="h")
    for n in range(2):
        writer.write_exchange(HttpExchange(
            url=f"http://127.0.0.1/{n}", method="GET", request_headers=[("Host", "127.0.0.1")], request_body=b"",
            protocol="HTTP/1.1", status=200, reason="OK", response_headers=[("Content-Type", "text/html")],
            body=b"<html>%d</html>" % n * 50, captured_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        ))
    writer.close()
    (finished,) = scratch.glob("*.warc.gz")
    (archive / "warc").mkdir(parents=True)
    left_open = archive / "warc" / "rusislam-20260101000000000-00000-deadhost-99999.warc.gz.open"
    left_open.write_bytes(finished.read_bytes()[:-10])
    lines = archive / "articles" / "rusislam-20260101T000000Z.jsonl"
    with JsonLinesWriter(lines) as out:
        out.write({"id": "a1", "version": 1, "content_sha1": "s1", "url": "http://x/1"})
    with open(lines, "ab") as out:
        out.write(b'{"id": "a2", "vers')
    return left_open, lines
