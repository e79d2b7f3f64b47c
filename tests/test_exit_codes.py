"""What cron hears: exit codes and the one stderr line of `run`, `crawl` and `scrapy crawl`.

Every crawl here runs as a user runs it, in a subprocess, against servers on 127.0.0.1 started by
the tests (the mirror, a port nobody listens on, a server answering 503 to everything); the
host name that does not resolve is simulated in-process (tests.fault_resolver), never looked up.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from archive.runlock import RunLock
from tests.archive_tools import leave_killed_crawl_leftovers
from tests.conftest import FAST, ROOT
from tests.mirror.server import free_port

CRAWL = [sys.executable, "-m", "crawler.cli", "crawl"]
SCRAPY_CRAWL = [sys.executable, "-m", "scrapy", "crawl"]
QUICK_FAIL = {**FAST, "RETRY_TIMES": "1", "RETRY_BACKOFF_BASE": "0", "DOWNLOAD_TIMEOUT": "5"}


def settings_args(archive: Path, extra: dict | None = None) -> list[str]:
    """-s for a crawl whose log goes to a file, so that stderr holds only what cron would get."""
    args = ["-s", f"ARCHIVE_DIR={archive}", "-s", f"LOG_FILE={archive.parent / (archive.name + '.log')}"]
    for name, value in {**QUICK_FAIL, **(extra or {})}.items():
        args += ["-s", f"{name}={value}"]
    return args


def run(command: list[str], cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def crawl_summary(archive: Path) -> dict:
    (path,) = (archive / "runs").glob("*.crawl.json")
    return json.loads(path.read_text())


class _AnswerEverything(BaseHTTPRequestHandler):
    """robots.txt as ``robots`` says (None: 503 like the rest), every other path ``status``."""

    status = 503
    robots: str | None = None

    def do_GET(self):
        if self.path == "/robots.txt" and self.robots is not None:
            body, status = self.robots.encode(), 200
        else:
            body, status = b"<html><body>Service Unavailable</body></html>", self.status
        self.send_response(status)
        self.send_header("Content-Type", "text/html" if status != 200 else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def answering_server():
    servers = []

    def start(status: int, robots: str | None = None) -> str:
        handler = type("Handler", (_AnswerEverything,), {"status": status, "robots": robots})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


# -- the site cannot be reached ---------------------------------------------------------------


def test_refused_connections_end_the_crawl_at_once_with_69(tmp_path):
    origin = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    archive = tmp_path / "arch"
    result = run([*CRAWL, "-a", f"base_url={origin}", *settings_args(archive, {"RETRY_TIMES": "3"})], cwd=tmp_path)
    assert result.returncode == 69, result.stderr
    assert result.stderr.splitlines() == [f"rusislam-archive crawl: site {origin} unreachable: connection refused"]
    summary = crawl_summary(archive)
    assert summary["finish_reason"] == "site_unreachable"
    # Not retried page by page: robots.txt was tried once, and the pages waiting for it were never sent.
    log = (tmp_path / "arch.log").read_text()
    assert "Retrying" not in log and "Gave up retrying" not in log
    assert log.count("No response for") == 1 and f"No response for {origin}/robots.txt" in log
    assert summary["errors"] == {"count": 1, "by_reason": {"DownloadConnectionRefusedError": 1}}


def test_a_host_name_that_does_not_resolve_exits_69(tmp_path, mirror):
    origin = f"http://rusislam-mirror.invalid:{mirror.port}"
    archive = tmp_path / "arch"
    result = run([*CRAWL, "-a", f"base_url={origin}",
                  *settings_args(archive, {"TWISTED_DNS_RESOLVER": "tests.fault_resolver.FaultResolver"})], cwd=tmp_path)
    assert result.returncode == 69, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"rusislam-archive crawl: site {origin} unreachable: host name does not resolve")
    assert mirror.requested_paths() == [] or all("invalid" not in p for p in mirror.requested_paths())
    assert "Gave up retrying" not in (tmp_path / "arch.log").read_text()


def test_a_server_answering_503_to_everything_exits_69(tmp_path, answering_server):
    origin = answering_server(503)
    archive = tmp_path / "arch"
    result = run([*CRAWL, "-a", f"base_url={origin}", *settings_args(archive)], cwd=tmp_path)
    assert result.returncode == 69, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"rusislam-archive crawl: site {origin} unreachable: ") and "503" in line


def test_too_many_failed_requests_exit_3_with_the_count(tmp_path, answering_server):
    origin = answering_server(503, robots="User-agent: *\nAllow: /\n")  # robots.txt answers, nothing else does
    archive = tmp_path / "arch"
    result = run([*CRAWL, "-a", f"base_url={origin}", *settings_args(archive)], cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    (line,) = result.stderr.splitlines()
    # robots.txt, 3 listings and the sitemap: 4 of 5 pages failed after their retry.
    assert line.startswith(f"rusislam-archive crawl: 4 of 5 requests to {origin} failed after retries (80% > "
                           "CRAWL_MAX_FAILED_SHARE 0.1): "), line
    assert "503" in line


def test_failed_share_threshold_is_a_setting(tmp_path, answering_server):
    origin = answering_server(503, robots="User-agent: *\nAllow: /\n")
    archive = tmp_path / "arch"
    result = run([*CRAWL, "-a", f"base_url={origin}", *settings_args(archive, {"CRAWL_MAX_FAILED_SHARE": "0.9"})],
                 cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")


def test_run_passes_the_crawls_code_and_line_on(tmp_path):
    origin = f"http://127.0.0.1:{free_port()}"
    archive = tmp_path / "arch"
    settings = [arg for name, value in QUICK_FAIL.items() for arg in ("-s", f"{name}={value}")]
    result = run([sys.executable, "-m", "crawler.cli", "run", str(archive), "--base-url", origin, *settings],
                 cwd=tmp_path)
    assert result.returncode == 69, result.stderr
    assert result.stderr.splitlines() == [f"rusislam-archive crawl: site {origin} unreachable: connection refused"]
    (summary,) = [p for p in (archive / "runs").glob("*.json") if not p.name.endswith(".crawl.json")]
    assert json.loads(summary.read_text())["exit_code"] == 69


# -- a normal crawl, and one stopped by a signal ------------------------------------------------


def test_a_normal_crawl_prints_nothing_and_exits_0(tmp_path, mirror):
    archive = tmp_path / "arch"
    result = run([*CRAWL, "-a", f"base_url={mirror.base_url}", "-a", "languages=en", *settings_args(archive)],
                 cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert crawl_summary(archive)["articles"]["new"] > 0


def _crawl_until_first_record(archive: Path, mirror, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [*CRAWL, "-a", f"base_url={mirror.base_url}", *settings_args(archive, {"DOWNLOAD_DELAY": "0.4"})]
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list((archive / "warc").glob("*.open")) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # a few exchanges in
    return process


def test_sigterm_stops_the_crawl_with_4_and_says_the_next_run_resumes(tmp_path, mirror):
    archive = tmp_path / "arch"
    process = _crawl_until_first_record(archive, mirror, tmp_path)
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=120)
    assert process.returncode == 4, err
    assert err.splitlines() == ["rusislam-archive crawl: stopped by signal SIGTERM; the next run resumes"]
    assert not list((archive / "warc").glob("*.open"))


def test_a_second_sigterm_still_leaves_valid_files_and_exits_4(tmp_path, mirror):
    archive = tmp_path / "arch"
    process = _crawl_until_first_record(archive, mirror, tmp_path)
    process.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=120)
    assert process.returncode == 4, err
    assert err.splitlines() == ["rusislam-archive crawl: stopped by signal SIGTERM (sent twice: in-flight requests "
                                "abandoned); the next run resumes"]
    assert not list((archive / "warc").glob("*.open"))
    warcs = sorted((archive / "warc").glob("*.warc.gz"))
    assert warcs
    check = run([sys.executable, "-m", "warcio.cli", "check", *map(str, warcs)], cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    for lines in (archive / "articles").glob("*.jsonl"):
        assert lines.read_bytes().endswith(b"\n")
    assert crawl_summary(archive)["finish_reason"] == "shutdown"


def test_run_passes_a_signal_on_once(tmp_path, mirror):
    archive = tmp_path / "arch"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    settings = [arg for name, value in {**FAST, "DOWNLOAD_DELAY": "0.4"}.items() for arg in ("-s", f"{name}={value}")]
    process = subprocess.Popen([sys.executable, "-m", "crawler.cli", "run", str(archive), "--base-url",
                                mirror.base_url, *settings], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list((archive / "warc").glob("*.open")) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    process.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    process.send_signal(signal.SIGTERM)  # not passed on: the crawl stops gracefully, not "forced"
    _out, err = process.communicate(timeout=120)
    assert process.returncode == 4, err
    assert err.splitlines() == ["rusislam-archive crawl: stopped by signal SIGTERM; the next run resumes"]
    assert (archive / "job").is_dir()  # kept for the next run to resume
    assert not list((archive / "warc").glob("*.open"))


# -- start-up errors: exit 2, one line, nothing created ----------------------------------------

BAD_SITE = textwrap.dedent(
    """
    name: broken
    origin: https://example.org
    languages: {en: {prefix: /en/, start_urls: [/en/]}}
    article_url_pattern: "^/en/news/"
    colour: blue
    """
)


def _startup_cases(tmp_path: Path) -> list[tuple[list[str], list[str], str]]:
    """(run arguments, crawl arguments, the line's text) for each kind of start-up error."""
    site = tmp_path / "broken.yaml"
    site.write_text(BAD_SITE)
    return [
        (["--languages", "xx"], ["-a", "languages=xx"],
         "unknown language xx"),
        (["--spider", "nosuch"], ["--spider", "nosuch"],
         "unknown spider 'nosuch' (spiders: news, rusislam)"),
        (["--site", str(site)], ["--spider", "news", "-a", f"site={site}"],
         f"{site}: colour: unknown key"),
        (["-a", "langauges=ar"], ["-a", "langauges=ar"],
         "-a langauges: not an argument of spider 'rusislam' (its arguments: base_url, full, languages, name, "
         "revisit, revisit_after, site)"),
        (["--revisit-after", "soon"], ["-a", "revisit_after=soon"], "soon"),
    ]


@pytest.mark.parametrize("case", range(5))
def test_startup_errors_exit_2_with_one_line_and_create_nothing(tmp_path, case):
    run_args, crawl_args, text = _startup_cases(tmp_path)[case]
    archive = tmp_path / "arch"
    results = {
        "rusislam-archive run": run([sys.executable, "-m", "crawler.cli", "run", str(archive), *run_args], cwd=tmp_path),
        "rusislam-archive crawl": run([*CRAWL, *crawl_args, "-s", f"ARCHIVE_DIR={archive}"], cwd=tmp_path),
    }
    scrapy_args = crawl_args[2:] if crawl_args[0] == "--spider" else crawl_args
    spider = crawl_args[1] if crawl_args[0] == "--spider" else "rusislam"
    results["scrapy crawl"] = run([*SCRAPY_CRAWL, spider, *scrapy_args, "-s", f"ARCHIVE_DIR={archive}",
                                   "-s", "LOG_LEVEL=ERROR"], cwd=ROOT)
    for prog, result in results.items():
        assert result.returncode == 2, (prog, result.stderr)
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"{prog}: ") and text in lines[0], (prog, result.stderr)
        assert "Traceback" not in result.stderr
        assert not archive.exists(), prog


def test_a_setting_name_close_to_a_known_one_gets_a_warning(tmp_path):
    archive = tmp_path / "arch"
    result = run([sys.executable, "-m", "crawler.cli", "run", str(archive), "--spider", "nosuch",
                  "-s", "DOWNLAOD_DELAY=0"], cwd=tmp_path)
    assert "-s DOWNLAOD_DELAY: not a known setting; did you mean DOWNLOAD_DELAY?" in result.stderr


# -- the archive's lock and crash recovery in the crawl itself (issue 14, B6) --------------------


def test_plain_scrapy_crawl_refuses_a_locked_archive_with_75(tmp_path):
    archive = tmp_path / "arch"
    lock = RunLock(archive).acquire()
    try:
        result = run([*SCRAPY_CRAWL, "rusislam", "-a", "base_url=http://127.0.0.1:9", "-s", f"ARCHIVE_DIR={archive}",
                      "-s", "LOG_LEVEL=ERROR"], cwd=ROOT)
    finally:
        lock.release()
    assert result.returncode == 75, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"scrapy crawl: archive {archive} is in use by another run (pid {os.getpid()} started")
    assert sorted(p.name for p in archive.iterdir()) == [".lock"]


def test_plain_scrapy_crawl_recovers_what_a_killed_crawl_left(tmp_path, mirror):
    archive = tmp_path / "arch"
    left_open, lines = leave_killed_crawl_leftovers(archive, tmp_path / "scratch")
    (archive / "warc" / "odd.warc.gz.open").mkdir()  # a directory of that name: reported, skipped
    result = run([*SCRAPY_CRAWL, "rusislam", "-a", f"base_url={mirror.base_url}", "-a", "languages=en",
                  *settings_args(archive)], cwd=ROOT)
    assert result.returncode == 0, result.stderr
    recovered = left_open.with_name(left_open.name[: -len(".open")])
    assert recovered.is_file() and not left_open.exists()
    check = run([sys.executable, "-m", "warcio.cli", "check", str(recovered)], cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert lines.read_bytes().endswith(b'"http://x/1"}\n')
    log = (tmp_path / "arch.log").read_text()
    assert "recovered WARC file left open by a killed run: warc/" + recovered.name in log
    assert "odd.warc.gz.open is not a regular file" in log
    assert (archive / "warc" / "odd.warc.gz.open").is_dir()
    # The next run is not blocked by it either.
    again = run([*SCRAPY_CRAWL, "rusislam", "-a", f"base_url={mirror.base_url}", "-a", "languages=en",
                 *settings_args(archive)], cwd=ROOT)
    assert again.returncode == 0, again.stderr


def test_no_multiprocessing_warning_after_a_killed_crawl(tmp_path, mirror):
    archive = tmp_path / "arch"
    process = _crawl_until_first_record(archive, mirror, tmp_path)  # EXTRACT_WORKERS=1: a worker pool runs
    process.send_signal(signal.SIGKILL)
    # communicate() returns once every holder of the stderr pipe is gone: the worker, the resource tracker.
    _out, err = process.communicate(timeout=120)
    assert process.returncode == -signal.SIGKILL
    assert "resource_tracker" not in err and "leaked" not in err, err
