"""A wheel installs and works from any directory: the README's quick start on a fresh machine.

The wheel is built from the package's own files, installed into a new virtual environment (on top
of this interpreter's packages, so Scrapy and the rest are not downloaded again: ``--no-deps``; the
project itself comes from the wheel only) and run from a temporary directory outside the checkout:
``run`` and ``crawl`` against the test mirror, then ``extract`` on the result.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin/ directory of a fresh venv holding the project as a wheel."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in ("crawler", "archive"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    wheels = base / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = wheels.glob("rusislam_archive-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=300)
    install = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps",
                              "--ignore-installed", str(wheel)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stdout + install.stderr
    return venv / "bin"


def _env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "SCRAPY_SETTINGS_MODULE")}
    return env


def _run(command: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout)


def test_the_project_comes_from_the_wheel(installed, tmp_path):
    where = _run([str(installed / "python"), "-c", "import crawler, archive; print(crawler.__file__, archive.__file__)"],
                 cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    assert all(path.startswith(str(installed.parent)) for path in where.stdout.split())
    version = _run([str(installed / "rusislam-archive"), "--version"], cwd=tmp_path)
    from archive import __version__

    assert (version.returncode, version.stdout.strip()) == (0, f"rusislam-archive {__version__}")


def test_run_crawl_and_extract_from_the_wheel_outside_the_checkout(installed, tmp_path, mirror):
    tool = str(installed / "rusislam-archive")
    run = _run([tool, "run", "archive-data", "--base-url", mirror.base_url, "--languages", "en", *FAST], cwd=tmp_path)
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")
    lines = [json.loads(line) for path in sorted((tmp_path / "archive-data" / "articles").glob("*.jsonl"))
             for line in path.read_text(encoding="utf-8").splitlines()]
    assert lines and all(record["language_declared"] == "en" for record in lines)
    assert (tmp_path / "archive-data" / "indexes" / "index.cdxj").is_file()

    crawl = _run([tool, "crawl", "-a", f"base_url={mirror.base_url}", "-a", "languages=en",
                  "-s", "ARCHIVE_DIR=crawled", "-s", "LOG_FILE=crawl.log", *FAST], cwd=tmp_path)
    assert (crawl.returncode, crawl.stderr) == (0, "")
    assert list((tmp_path / "crawled" / "warc").glob("*.warc.gz"))

    extract = _run([tool, "extract", "archive-data/warc", "-o", "extracted.jsonl"], cwd=tmp_path)
    assert extract.returncode == 0, extract.stderr
    extracted = [json.loads(line) for line in (tmp_path / "extracted.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(r["id"] for r in extracted) == sorted(r["id"] for r in lines)
    assert {r["extractor"]["version"] for r in extracted} == {r["extractor"]["version"] for r in lines}
