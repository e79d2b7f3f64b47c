"""Shared fixtures: the site mirror on 127.0.0.1 and a helper that runs the real crawl."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.mirror import MirrorServer

ROOT = Path(__file__).resolve().parents[1]

# Fast settings for crawling the local mirror; politeness is tested separately.
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "0",
    "RETRY_BACKOFF_BASE": "0.05",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "4",
    "LOG_LEVEL": "INFO",
}


@dataclass
class CrawlResult:
    returncode: int
    log: str
    archive_dir: Path

    @property
    def warc_files(self) -> list[Path]:
        return sorted((self.archive_dir / "warc").glob("*.warc.gz"))

    @property
    def jsonl_files(self) -> list[Path]:
        return sorted((self.archive_dir / "articles").glob("*.jsonl"))


def run_crawl(archive_dir: Path, *args: str, spider: str = "rusislam", settings: dict | None = None,
              timeout: float = 240) -> CrawlResult:
    """`scrapy crawl SPIDER ARGS -s ARCHIVE_DIR=...` in a subprocess, as a user runs it."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider, *args, "-s", f"ARCHIVE_DIR={archive_dir}"]
    for name, value in {**FAST, **(settings or {})}.items():
        command += ["-s", f"{name}={value}"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    return CrawlResult(proc.returncode, proc.stdout + proc.stderr, archive_dir)


@pytest.fixture(scope="module")
def mirror():
    with MirrorServer() as server:
        yield server


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MB file system (tmpfs), when this machine lets the tests mount one (root); skipped otherwise.
    (A whole crawl of the mirror, page requisites included, must fit once the test frees it.)"""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount_point)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode(errors='replace').strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=True)
