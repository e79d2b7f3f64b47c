"""rusislam-archive: the `run` wrapper (command line, lock, recovery, summary, exit codes) and `articles`."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from crawler import runner
from crawler.cli import main
from crawler.runner import CrawlOptions, RunPaths, crawl_command
from archive.state import StateStore, state_path
from tests.archive_tools import leave_killed_crawl_leftovers

PROJECT_ROOT = Path(__file__).resolve().parent.parent


# -- the crawl's command line -----------------------------------------------------------------


def test_crawl_command_carries_options_and_run_paths(tmp_path):
    archive = tmp_path / "arch"
    started = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    paths = RunPaths.for_run(archive, "rusislam", started)
    options = CrawlOptions(
        languages="ar,en", base_url="http://127.0.0.1:8765", full=True, revisit_after="30d",
        spider_args=(("site", "other.yaml"),), settings=(("DOWNLOAD_DELAY", "0"), ("CLOSESPIDER_PAGECOUNT", "5")),
    )
    assert crawl_command(options, paths, python="/usr/bin/python3") == [
        "/usr/bin/python3", "-m", "crawler.cli", "crawl", "--spider", "rusislam",
        "-a", "languages=ar,en", "-a", "base_url=http://127.0.0.1:8765", "-a", "full=1", "-a", "revisit_after=30d",
        "-a", "site=other.yaml",
        "-s", f"ARCHIVE_DIR={archive}",
        "-s", f"JOBDIR={archive}/job",
        "-s", f"LOG_FILE={archive}/logs/rusislam-20260102T030405Z.log",
        "-s", "LOG_FILE_APPEND=True",
        "-s", f"CRAWL_SUMMARY_FILE={archive}/runs/rusislam-20260102T030405Z.crawl.json",
        "-s", "DOWNLOAD_DELAY=0", "-s", "CLOSESPIDER_PAGECOUNT=5",
    ]
    # Defaults: no spider arguments at all.
    assert crawl_command(CrawlOptions(), paths, python="py")[:7] == ["py", "-m", "crawler.cli", "crawl", "--spider", "rusislam", "-s"]


def test_run_paths_of_two_runs_in_one_second_differ(tmp_path):
    started = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    first = RunPaths.for_run(tmp_path, "rusislam", started)
    first.log_file.parent.mkdir(parents=True)
    first.log_file.write_text("")
    second = RunPaths.for_run(tmp_path, "rusislam", started)
    assert second.log_file.name == "rusislam-20260102T030405Z-1.log"
    assert second.summary_file.name == "rusislam-20260102T030405Z-1.json"


def test_crawl_runs_from_the_project_root_with_its_settings():
    assert (runner.project_root() / "scrapy.cfg").is_file()
    env = runner.crawl_environment({"PATH": "/bin"})
    assert env["SCRAPY_SETTINGS_MODULE"] == "crawler.settings"
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(PROJECT_ROOT)
    assert runner.crawl_environment({"SCRAPY_SETTINGS_MODULE": "mine"})["SCRAPY_SETTINGS_MODULE"] == "mine"


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["-s", "JOBDIR=/elsewhere"], "set by `run` itself"),
        (["-s", "ARCHIVE_DIR=/elsewhere"], "set by `run` itself"),
        (["-s", "DOWNLOAD_DELAY"], "NAME=VALUE"),
        (["--revisit-after", "30 days"], "--revisit-after"),
        (["--languages", "arabic"], "--languages"),
        (["--base-url", "127.0.0.1:8765"], "--base-url"),
        (["-a", "full=1"], "--full"),
        (["--spider", "../x"], "--spider"),
    ],
)
def test_bad_run_options_exit_2_before_touching_the_archive(tmp_path, capsys, arguments, message):
    archive = tmp_path / "arch"
    assert main(["run", str(archive), *arguments]) == 2
    assert message in capsys.readouterr().err
    assert not archive.exists()


# -- run, with a stand-in for Scrapy ------------------------------------------------------------

# Takes the place of `python -m crawler.cli crawl ...`: records how it was called, appends to the log,
# writes the crawl summary it is told to write, and exits as FAKE_EXIT says.
_FAKE_CRAWL = textwrap.dedent(
    """
    import json, os, sys
    argv = sys.argv[1:]
    settings = dict(argv[i + 1].split("=", 1) for i, flag in enumerate(argv) if flag == "-s")
    spider_args = dict(argv[i + 1].split("=", 1) for i, flag in enumerate(argv) if flag == "-a")
    calls = os.path.join(settings["ARCHIVE_DIR"], "fake-calls.jsonl")
    with open(calls, "a") as out:
        out.write(json.dumps({"argv": argv, "cwd": os.getcwd(), "settings_module": os.environ.get("SCRAPY_SETTINGS_MODULE"),
                              "job_existed": os.path.exists(os.path.join(settings["JOBDIR"], "requests.seen"))}) + "\\n")
    os.makedirs(settings["JOBDIR"], exist_ok=True)
    open(os.path.join(settings["JOBDIR"], "requests.seen"), "a").close()
    with open(settings["LOG_FILE"], "a") as log:
        log.write("fake crawl ran\\n")
    reason = os.environ.get("FAKE_REASON", "finished")
    if reason != "-":
        with open(settings["CRAWL_SUMMARY_FILE"], "w") as out:
            json.dump({"finish_reason": reason, "pages": {"fetched": 7, "by_status": {"200": 6, "304": 1}},
                       "articles": {"new": 3, "changed": 1, "unchanged": 2}, "bytes_archived": 12345,
                       "errors": {"count": 0, "by_reason": {}}}, out)
    else:
        with open(settings["LOG_FILE"], "a") as log:
            log.write("[scrapy.statscollectors] INFO: Dumping Scrapy stats:\\n{'finish_reason': 'shutdown',\\n 'x': 1}\\n")
    sys.exit(int(os.environ.get("FAKE_EXIT", "0")))
    """
)


@pytest.fixture
def fake_crawl(tmp_path, monkeypatch):
    script = tmp_path / "fake_scrapy.py"
    script.write_text(_FAKE_CRAWL)
    real = runner.crawl_command
    monkeypatch.setattr(runner, "crawl_command", lambda options, paths: [sys.executable, str(script), *real(options, paths)[2:]])
    return script


def fake_calls(archive: Path) -> list[dict]:
    return [json.loads(line) for line in (archive / "fake-calls.jsonl").read_text().splitlines()]


def only_summary(archive: Path) -> dict:
    (summary,) = [p for p in (archive / "runs").glob("*.json") if not p.name.endswith(".crawl.json")]
    return json.loads(summary.read_text())


def test_run_writes_summary_log_and_drops_finished_job(tmp_path, fake_crawl):
    archive = tmp_path / "arch"
    assert main(["run", str(archive), "--base-url", "http://127.0.0.1:1", "--languages", "ar, en", "-s", "DOWNLOAD_DELAY=0"]) == 0
    (call,) = fake_calls(archive)
    assert call["argv"][:6] == ["crawler.cli", "crawl", "--spider", "rusislam", "-a", "languages=ar,en"]
    assert f"ARCHIVE_DIR={archive}" in call["argv"] and "DOWNLOAD_DELAY=0" in call["argv"]
    assert call["cwd"] == str(PROJECT_ROOT) and call["settings_module"] == "crawler.settings"
    summary = only_summary(archive)
    assert summary["exit_code"] == 0 and summary["crawl_exit_code"] == 0 and summary["finish_reason"] == "finished"
    assert summary["crawl"]["articles"] == {"new": 3, "changed": 1, "unchanged": 2}
    assert summary["crawl"]["bytes_archived"] == 12345
    assert summary["started"] <= summary["finished"] and summary["resumed"] is False
    log_text = (archive / summary["log_file"]).read_text()
    assert "crawl:" in log_text and log_text.rstrip().endswith("run finished; summary: " + str(archive / "runs" / (Path(summary["log_file"]).stem + ".json")))
    assert not (archive / "job").exists()  # a finished crawl's dupefilter must not stop the next run


def test_interrupted_run_exits_4_and_the_next_one_resumes(tmp_path, fake_crawl, monkeypatch, capsys):
    archive = tmp_path / "arch"
    monkeypatch.setenv("FAKE_REASON", "-")  # no summary file: the reason comes from Scrapy's stats in the log
    assert main(["run", str(archive), "--full"]) == 4
    err = capsys.readouterr().err
    assert err.splitlines() == ["rusislam-archive: ERROR: the crawl was stopped by a signal; the next run resumes; "
                                f"log: {next((archive / 'logs').glob('*.log'))}"]
    assert (archive / "job" / "requests.seen").exists()
    summary = only_summary(archive)
    assert (summary["exit_code"], summary["finish_reason"], summary["crawl"]) == (4, "shutdown", None)

    monkeypatch.setenv("FAKE_REASON", "finished")
    time.sleep(1.05)  # another run stamp
    assert main(["run", str(archive), "--full"]) == 0
    assert [call["job_existed"] for call in fake_calls(archive)] == [False, True]
    assert not (archive / "job").exists()


def test_job_of_a_run_with_other_arguments_is_not_resumed(tmp_path, fake_crawl, monkeypatch):
    archive = tmp_path / "arch"
    monkeypatch.setenv("FAKE_EXIT", "1")
    assert main(["run", str(archive), "--languages", "ar"]) == 1
    assert (archive / "job").exists()
    monkeypatch.setenv("FAKE_EXIT", "0")
    time.sleep(1.05)
    assert main(["run", str(archive), "--languages", "en"]) == 0
    assert [call["job_existed"] for call in fake_calls(archive)] == [False, False]


def test_run_recovers_what_a_killed_run_left(tmp_path, fake_crawl):
    archive = tmp_path / "arch"
    left_open, lines = leave_killed_crawl_leftovers(archive, tmp_path / "scratch")
    # ... and a state store whose session never closed.
    store = StateStore(state_path(archive))
    store.commit()
    store._db.close()  # as if killed: no clean close

    assert main(["run", str(archive)]) == 0
    summary = only_summary(archive)
    assert summary["recovered"] == {
        "warc_files": ["warc/rusislam-20260101000000000-00000-deadhost-99999.warc.gz"],
        "jsonl_bytes_removed": {"articles/rusislam-20260101T000000Z.jsonl": len(b'{"id": "a2", "vers')},
        "articles_reconciled": 1,
    }
    assert not left_open.exists()
    check = subprocess.run([sys.executable, "-c", "from warcio.cli import main; main()", "check", "-v", str(archive / summary["recovered"]["warc_files"][0])],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert lines.read_bytes().endswith(b"}\n")
    with StateStore(state_path(archive)) as store:
        assert store.record_article_version("a1", "s1", "http://x/1", None).changed is False


_RUN_HOLDING_LOCK = textwrap.dedent(
    """
    import sys, time
    from archive.runlock import RunLock
    lock = RunLock(sys.argv[1]).acquire()
    print("locked", flush=True)
    time.sleep(60)
    """
)


def test_second_run_exits_75_at_once_without_touching_the_archive(tmp_path):
    archive = tmp_path / "arch"
    holder = subprocess.Popen([sys.executable, "-c", _RUN_HOLDING_LOCK, str(archive)], stdout=subprocess.PIPE,
                              text=True, cwd=PROJECT_ROOT)
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = {p: p.stat().st_mtime_ns for p in archive.rglob("*")}
        lock_text = (archive / ".lock").read_text()
        second = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "run", str(archive), "--base-url", "http://127.0.0.1:9"],
            capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=30,
        )
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert second.returncode == 75, second.stderr  # at once: no crawl started (no log, no file touched)
    assert f"pid {holder.pid} started" in second.stderr and "not starting" in second.stderr
    assert {p: p.stat().st_mtime_ns for p in archive.rglob("*")} == before
    assert (archive / ".lock").read_text() == lock_text


def test_version_and_help(capsys):
    from archive import __version__
    from crawler.extract.record import EXTRACTOR_VERSION

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"rusislam-archive {__version__}\n"
    assert EXTRACTOR_VERSION == __version__  # the articles' extractor field and the WARC warcinfo agree
    assert main([]) == 0  # alone: help, not a usage error
    shown = capsys.readouterr().out
    assert shown.startswith("usage: rusislam-archive") and "crawl" in shown and "run" in shown
    assert "69  the site could not be reached at all" in shown and "4   stopped by a signal (SIGTERM, SIGINT, SIGHUP): a crawl resumes" in shown


def test_installed_console_script_is_this_main():
    script = shutil.which("rusislam-archive")
    if script is None:
        pytest.skip("console script not installed (pip install -e .)")
    result = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and "run" in result.stdout and "articles" in result.stdout


# -- articles -------------------------------------------------------------------------------------


def write_lines(path: Path, records: list, tail: bytes = b"") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = b"".join(
        (r if isinstance(r, bytes) else json.dumps(r, ensure_ascii=False).encode("utf-8")) + b"\n" for r in records
    )
    path.write_bytes(data + tail)


def test_articles_prints_the_latest_version_of_each_article(tmp_path, capsys):
    articles = tmp_path / "articles"
    write_lines(articles / "rusislam-20260101T000000Z.jsonl", [
        {"id": "a", "version": 1, "title": "أولى"},
        {"id": "b", "version": 1, "title": "b1"},
        {"id": "c", "title": "c without version"},
        b"not json",
        {"id": "d", "version": 2, "title": "d2"},
    ])
    write_lines(articles / "rusislam-20260102T000000Z.jsonl", [
        {"id": "a", "version": 2, "title": "вторая"},
        {"id": "d", "version": 1, "title": "d1 seen later but older"},
        {"id": "b", "version": 1, "title": "b1 again: a tie, the later line wins"},
        {"version": 3, "title": "no id"},
    ], tail=b'{"id": "a", "version": 9, "tit')  # a crash's partial last line does not count
    (articles / "notes.txt").write_text("ignored")

    out = tmp_path / "latest.jsonl"
    assert main(["articles", str(tmp_path), "-o", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r.get("version"), r["title"]) for r in records] == [
        ("c", None, "c without version"),
        ("d", 2, "d2"),
        ("a", 2, "вторая"),
        ("b", 1, "b1 again: a tie, the later line wins"),
    ]
    warnings = capsys.readouterr().err
    assert "not JSON" in warnings and "partial last line" in warnings and "without a string id" in warnings

    # stdout: the same bytes, streamed.
    shown = subprocess.run([sys.executable, "-m", "crawler.cli", "articles", str(tmp_path)], capture_output=True,
                           cwd=PROJECT_ROOT, timeout=30)
    assert shown.returncode == 0 and shown.stdout == out.read_bytes()


def test_articles_of_a_missing_directory_or_of_no_article_files_is_an_error(tmp_path, capsys):
    assert main(["articles", str(tmp_path / "nope")]) == 2
    assert "no such archive directory" in capsys.readouterr().err
    assert main(["articles", str(tmp_path)]) == 1
    assert capsys.readouterr() == ("", f"rusislam-archive articles: no article files in {tmp_path / 'articles'}: "
                                       f"nothing to read (is {tmp_path} an archive directory?)\n")


def test_every_command_and_argument_has_help():
    from crawler.cli import build_parser, load_commands

    available = load_commands()
    parser = build_parser(available)
    (subparsers,) = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    assert {choice.dest for choice in subparsers._choices_actions} == set(available)
    for choice in subparsers._choices_actions:
        assert choice.help, f"{choice.dest}: no help"
    for name, subparser in subparsers.choices.items():
        for action in subparser._actions:
            assert action.help, f"{name} {action.option_strings or action.dest}: no help"


def test_a_dropped_article_is_named_not_dumped():
    from scrapy.exceptions import DropItem

    from crawler.logformatter import ArchiveLogFormatter

    item = {"id": "a1", "url": "http://x/1", "body": "نص المقال " * 500}
    spider = type("Spider", (), {"crawler": type("Crawler", (), {"settings": {"DEFAULT_DROPITEM_LOG_LEVEL": "INFO"}})})
    entry = ArchiveLogFormatter().dropped(item, DropItem("article a1 already written in this run (http://x/1)"),
                                          None, spider)
    text = entry["msg"] % entry["args"]
    assert text == "Dropped: article a1 already written in this run (http://x/1)"
