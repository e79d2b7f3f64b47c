"""Many sites on many machines: the shared queue of site runs on a real Redis server (RQ).

Three copies of the second mirror on their own ports are three sites; workers are real
``rusislam-archive worker`` processes. Redis is Debian's redis-server on 127.0.0.1 (CI installs it).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.conftest import ROOT
from tests.mirror.server import free_port
from tests.wpmirror import SITE_FILE, WpMirrorServer

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None and not os.environ.get("CI"),
    reason="redis-server not installed (apt-get install redis-server); CI installs it and runs these tests")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    port = free_port()
    server = subprocess.Popen([REDIS_SERVER or "redis-server", "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no", "--dir", str(tmp_path_factory.mktemp("redis"))],
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    from redis import Redis

    client = Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except Exception:
            time.sleep(0.05)
    yield url
    server.terminate()
    server.wait(10)


@pytest.fixture
def redis(redis_url):
    from redis import Redis

    client = Redis.from_url(redis_url)
    client.flushall()
    return client


def site_file(directory: Path, name: str, mirror, delay: float) -> Path:
    """The mirror's site file with its own name and origin (a site of its own)."""
    text = SITE_FILE.read_text(encoding="utf-8").replace("origin: https://www.gulfwire.example", (
        f"origin: {mirror.base_url}\nname: {name}\n"
        f"politeness: {{download_delay: {delay}, autothrottle: false, concurrent_requests_per_domain: 1}}"))
    path = directory / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=kwargs.pop("timeout", 120), **kwargs)


def start_worker(redis_url: str, root: Path, name: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "worker", "--redis", redis_url, "--archive-root", str(root),
         "--name", name, "--lock-seconds", "3", "--abandon-after", "6", *extra],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def article_lines(archive: Path) -> list[dict]:
    return [json.loads(line) for path in sorted((archive / "articles").glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]


def assert_warcs_valid(archive: Path) -> None:
    assert not list((archive / "warc").glob("*.open"))
    for path in (archive / "warc").glob("*.warc.gz"):
        with open(path, "rb") as stream:
            for _record in ArchiveIterator(stream):
                pass


def last_outcomes(redis) -> dict:
    from crawler.sitequeue import queue_status

    return queue_status(redis)["last"]


def test_two_workers_archive_three_sites_each_once(redis_url, redis, tmp_path):
    mirrors = [WpMirrorServer().start() for _ in range(3)]
    try:
        sites = [site_file(tmp_path, f"gulf{i}", mirror, 0.05) for i, mirror in enumerate(mirrors)]
        scheduled = cli("schedule", "--redis", redis_url, "--every", "6h", *map(str, sites))
        assert (scheduled.returncode, scheduled.stdout, scheduled.stderr) == (0, "", "")
        again = cli("schedule", "--redis", redis_url, "--every", "6h", *map(str, sites))
        assert again.returncode == 0
        shown = cli("queue", "--redis", redis_url, "--json")
        assert len(json.loads(shown.stdout)["pending"]) == 3  # due once: not queued twice
        root = tmp_path / "archives"
        root.mkdir()
        workers = [start_worker(redis_url, root, f"w{i}", "--burst") for i in (1, 2)]
        for worker in workers:
            _out, err = worker.communicate(timeout=300)
            assert worker.returncode == 0, err
        outcomes = last_outcomes(redis)
        assert sorted(outcomes) == ["gulf0", "gulf1", "gulf2"]
        assert {outcome["outcome"] for outcome in outcomes.values()} == {"ok"}
        assert {outcome["worker"] for outcome in outcomes.values()} <= {"w1", "w2"}
        for i, mirror in enumerate(mirrors):
            archive = root / f"gulf{i}"
            lines = article_lines(archive)
            assert len(lines) == len({line["id"] for line in lines}) == len(mirror.site.articles)
            assert_warcs_valid(archive)
            paths = [unquote(path) for path in mirror.requested_paths()]
            articles = [path for path in paths if mirror.site.by_path(path.split("?")[0])]
            assert sorted(set(articles)) == sorted(a.path for a in mirror.site.articles)
            assert len(articles) == len(set(articles))  # each page fetched once: by one worker
            # No two runs of one site overlapped: one run summary per site.
            summaries = [p for p in (archive / "runs").glob("*.json")
                         if not p.name.endswith(".crawl.json") and p.name != "current.json"]
            assert len(summaries) == 1
        pages = {}
        for outcome in outcomes.values():
            summary = json.loads(Path(outcome["summary"]).read_text(encoding="utf-8"))
            pages[outcome["worker"]] = pages.get(outcome["worker"], 0) + summary["crawl"]["pages"]["fetched"]
        print(f"pages fetched per worker: {pages}")
        shown = cli("queue", "--redis", redis_url)
        assert "last runs:" in shown.stdout and "gulf1  ok (exit 0)" in shown.stdout
    finally:
        for mirror in mirrors:
            mirror.stop()


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (the crawl runs in a session of its own: not in the group)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def test_a_worker_killed_mid_run_is_finished_by_another(redis_url, redis, tmp_path):
    with WpMirrorServer() as mirror:
        site = site_file(tmp_path, "gulfkill", mirror, 0.4)
        assert cli("schedule", "--redis", redis_url, "--every", "1h", str(site)).returncode == 0
        root = tmp_path / "archives"
        root.mkdir()
        first = start_worker(redis_url, root, "doomed")
        deadline = time.monotonic() + 120
        while len([p for p in mirror.requested_paths() if "/20" in p]) < 4:  # a few articles fetched
            assert time.monotonic() < deadline and first.poll() is None, "the first worker never got going"
            time.sleep(0.2)
        for pid in [first.pid, *descendants(first.pid)]:  # the machine is lost: everything on it dies
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        first.wait(10)
        killed_at = time.monotonic()
        second = start_worker(redis_url, root, "survivor")
        try:
            while last_outcomes(redis).get("gulfkill", {}).get("outcome") != "ok":
                assert time.monotonic() - killed_at < 180, "the killed run was never finished"
                time.sleep(0.5)
            recovery = time.monotonic() - killed_at
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(30)
        outcome = last_outcomes(redis)["gulfkill"]
        assert outcome["worker"] == "survivor"
        archive = root / "gulfkill"
        lines = article_lines(archive)
        assert sorted(line["id"] for line in lines) == sorted({line["id"] for line in lines})  # each once
        assert len(lines) == len(mirror.site.articles)
        assert_warcs_valid(archive)
        print(f"recovered in {recovery:.1f} s after the kill")


def test_commands_fail_with_one_line_when_redis_is_down(tmp_path):
    port = free_port()  # nobody listens there
    done = cli("queue", "--redis", f"redis://127.0.0.1:{port}/0")
    assert done.returncode == 1
    assert done.stderr.startswith(f"rusislam-archive queue: Redis at redis://127.0.0.1:{port}/0:")
    assert len(done.stderr.strip().splitlines()) == 1


def test_schedule_file_and_bad_entries(redis_url, redis, tmp_path):
    with WpMirrorServer() as mirror:
        site_file(tmp_path, "gulfa", mirror, 0)
        schedule = tmp_path / "schedule.yaml"
        schedule.write_text("sites:\n  - file: gulfa.yaml\n    every: 2h\n    languages: ar\n", encoding="utf-8")
        assert cli("schedule", "--redis", redis_url, "--schedule", str(schedule)).returncode == 0
        (job,) = json.loads(cli("queue", "--redis", redis_url, "--json").stdout)["pending"]
        assert job["site"] == "gulfa"
        schedule.write_text("sites:\n  - file: gulfa.yaml\n    evry: 2h\n", encoding="utf-8")
        bad = cli("schedule", "--redis", redis_url, "--schedule", str(schedule))
        assert bad.returncode == 2 and "sites[0]: needs file and every" in bad.stderr
