"""Progress of a running crawl: runs/current.json, `rusislam-archive status`, the locked run's message,
the live line in a terminal (and never in cron's output)."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from archive.progress import RecentRate, progress_path, with_estimate, write_progress
from archive.status import archive_status
from tests.conftest import FAST, ROOT

SLOW = {"DOWNLOAD_DELAY": "0.5", "AUTOTHROTTLE_ENABLED": "0", "CONCURRENT_REQUESTS_PER_DOMAIN": "1",
        "RETRY_BACKOFF_BASE": "0.05", "PROGRESS_INTERVAL": "0.5"}
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], cwd=ROOT, env=ENV, capture_output=True,
                          text=True, timeout=timeout)


def _status(archive: Path) -> dict:
    shown = _cli("status", str(archive), "--json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def _articles_in_json_lines(archive: Path) -> dict[str, int]:
    """Distinct article ids per language, as the JSON lines say (latest version's language)."""
    latest: dict[str, tuple[int, str]] = {}
    for path in sorted((archive / "articles").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            version = record.get("version", 1)
            if record["id"] not in latest or version >= latest[record["id"]][0]:
                latest[record["id"]] = (version, record["language"] or record["language_declared"] or "und")
    return dict(Counter(language for _, language in latest.values()))


def test_status_follows_a_slowed_run_and_a_second_run_names_its_progress(mirror, tmp_path):
    archive = tmp_path / "archive"
    command = [sys.executable, "-m", "crawler.cli", "run", str(archive), "--base-url", mirror.base_url]
    for name, value in SLOW.items():
        command += ["-s", f"{name}={value}"]
    run = subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen, locked = [], None
    try:
        deadline = time.monotonic() + 120
        while not (archive / ".lock").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        while run.poll() is None and time.monotonic() < deadline:
            status = _status(archive)
            if run.poll() is not None:
                break  # the run may have ended while status read: that answer says nothing
            seen.append(status)
            if locked is None and status["pages_fetched"] >= 5:
                locked = _cli("run", str(archive), "--base-url", mirror.base_url)
            time.sleep(0.3)
        out, err = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, err
    assert out == "" and err == ""  # cron's mail stays empty: no progress line without a terminal

    # The run releases its lock after writing its summary, an instant before its process ends: a status
    # read in that instant says "not running" and already lists the finished run. Any earlier one is wrong.
    assert all(status["running"] is True or status["last_runs"] for status in seen), seen
    assert [status["running"] for status in seen] == sorted((status["running"] for status in seen), reverse=True)
    # Before the crawl's first report and after its end (the run still indexes) there is no progress.
    assert all(status["pages_fetched"] == 0 for status in seen if status["progress"] is None)
    fetched = [status["pages_fetched"] for status in seen if status["progress"] is not None]
    assert fetched == sorted(fetched) and len(set(fetched)) >= 3, fetched
    assert all(isinstance(status["pages_queued"], int) for status in seen)
    estimated = [status["eta_seconds"] for status in seen if status["eta_seconds"] is not None]
    assert estimated and all(eta >= 0 for eta in estimated), seen[-1]
    progress = next(status["progress"] for status in reversed(seen) if status["progress"])
    assert progress["pages"]["by_status"]["200"] >= 1 and progress["sitemap_entries"]["known"] >= 1
    assert progress["articles"]["new"] >= 1 and progress["bytes_archived"] > 0 and progress["pages_per_minute"] > 0

    assert locked is not None and locked.returncode == 75, (locked and locked.stderr)
    (line,) = locked.stderr.splitlines()
    assert "is in use by another run" in line and "pages fetched" in line and "queued" in line and "ETA" in line

    after = _status(archive)
    assert after["running"] is False and after["pages_fetched"] == 0 and after["pages_queued"] == 0
    assert after["eta_seconds"] is None
    assert after["articles"] == _articles_in_json_lines(archive) and sum(after["articles"].values()) >= 20
    assert not progress_path(archive).exists()  # the run summary says what the crawl did
    assert after["last_runs"][-1]["outcome"] == "ok" and after["last_runs"][-1]["fetched"] >= fetched[-1]
    assert after["warc"]["files"] >= 1 and after["warc"]["bytes"] > 0

    text = _cli("status", str(archive))
    assert text.returncode == 0 and "running: no" in text.stdout
    for language, count in after["articles"].items():
        assert any(line.split()[:2] == [language, f"{count:,}"] for line in text.stdout.splitlines()), text.stdout


def test_progress_line_is_drawn_in_a_terminal(mirror, tmp_path):
    archive = tmp_path / "archive"
    command = [sys.executable, "-m", "scrapy", "crawl", "rusislam", "-a", f"base_url={mirror.base_url}",
               "-s", f"ARCHIVE_DIR={archive}", "-s", f"LOG_FILE={tmp_path / 'crawl.log'}"]
    for name, value in FAST.items():
        command += ["-s", f"{name}={value}"]
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 200, 0, 0))  # 40 rows, 200 columns
    crawl = subprocess.Popen(command, cwd=ROOT, env=ENV, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=terminal)
    os.close(terminal)
    shown = bytearray()

    def drain():  # a terminal nobody reads would block the crawl's writes
        while True:
            try:
                data = os.read(controller, 4096)
            except OSError:  # the crawl closed its end
                return
            if not data:
                return
            shown.extend(data)

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        assert crawl.wait(timeout=120) == 0
    finally:
        reader.join(timeout=10)
        os.close(controller)
    text = shown.decode("utf-8", "replace")
    assert "crawl" in text and "requests" in text and "new/" in text and "ETA" in text, text[-2000:]
    summary = json.loads(next((archive / "runs").glob("*.crawl.json")).read_text())
    done = summary["pages"]["fetched"] + summary["requisites"]["fetched"]
    assert f"{done}/{done} requests" in text and f"{summary['pages']['fetched']} pages" in text  # the last refresh


def test_eta_is_known_work_divided_by_the_recent_rate():
    rate = RecentRate(window=60)
    rate.add(0.0, 0)
    assert rate.per_second() is None  # one sample: no rate yet
    rate.add(10.0, 20)
    rate.add(100.0, 200)  # the window keeps the samples of the last minute (and one before)
    assert rate.per_second() == (200 - 20) / (100 - 10)
    progress = {"requests": {"queued": 150, "in_progress": 10}, "sitemap_entries": {"waiting": 40}}
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    estimated = with_estimate(progress, 2.0, now)
    assert estimated["remaining"] == 200 and estimated["eta_seconds"] == 100.0
    assert estimated["pages_per_minute"] == 120.0 and estimated["eta"] == "2026-01-01T00:01:40Z"
    unknown = with_estimate(progress, None, now)
    assert unknown["eta_seconds"] is None and unknown["eta"] is None and unknown["pages_per_minute"] is None


def test_a_killed_crawls_progress_file_is_not_a_running_crawl(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    write_progress(tmp_path, {"pid": gone.pid, "pages": {"fetched": 7}, "requests": {"queued": 3}, "eta_seconds": 5.0})
    status = archive_status(tmp_path)
    assert status["running"] is False and status["pages_fetched"] == 0 and status["eta_seconds"] is None
    write_progress(tmp_path, {"pid": os.getpid(), "pages": {"fetched": 7}, "requests": {"queued": 3}, "eta_seconds": 5.0})
    status = archive_status(tmp_path)
    assert status["running"] is True and status["pages_fetched"] == 7 and status["pages_queued"] == 3
    assert status["eta_seconds"] == 5.0 and status["articles"] == {}
