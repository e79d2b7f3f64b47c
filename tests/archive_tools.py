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
