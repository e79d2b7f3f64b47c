"""One archive run as cron starts it: lock, recover, crawl (resuming a killed crawl), index, summarise.

Used by ``rusislam-archive run`` (and by anything else that runs a site's crawl the same way).
Exit codes of a run (``sysexits`` where one fits, so cron mail says what happened):

    0   the run finished (crawl finish reason ``finished``)
    1   the crawl failed: non-zero Scrapy exit, killed, or a finish reason other than ``finished``
    2   usage error
    75  EX_TEMPFAIL: another run holds the archive's lock; nothing was touched, try later

The crawl runs as a child process (``python -m scrapy crawl``) so that a crash of the crawl cannot
take the lock handling or the run summary with it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Sequence

from archive.cdxj import CdxjIndexError, update_index
from archive.jsonl import JsonLinesError, read_jsonl, repair_jsonl
from archive.latest import article_files
from archive.runlock import ArchiveLocked, RunLock
from archive.state import StateStore, state_path
from archive.warc import recover_open_files

log = logging.getLogger(__name__)
_OUR_LOGGERS = ("archive", "crawler")

EXIT_OK = 0
EXIT_CRAWL_FAILED = 1
EXIT_LOCKED = 75  # EX_TEMPFAIL

DEFAULT_ARCHIVE_DIR = "archive-data"
DEFAULT_SPIDER = "rusislam"
# Settings `run` decides itself; a -s for one of them would split the run's files across two places.
MANAGED_SETTINGS = frozenset({"ARCHIVE_DIR", "JOBDIR", "LOG_FILE", "LOG_FILE_APPEND", "CRAWL_SUMMARY_FILE"})
JOB_ARGS_FILE = "rusislam-archive-job.json"
_STATS_FINISH_REASON = re.compile(r"'finish_reason':\s*'([^']*)'")
_LOG_TAIL_BYTES = 256 * 1024  # Scrapy dumps its stats at the very end of the log


# -- run: the pieces --------------------------------------------------------------------------


@dataclass(frozen=True)
class CrawlOptions:
    """What to crawl: becomes ``-a`` spider arguments and user ``-s`` settings."""

    spider: str = DEFAULT_SPIDER
    site: str | None = None  # absolute path of a site YAML file (spider news)
    languages: str | None = None
    base_url: str | None = None
    full: bool = False
    revisit_after: str | None = None
    spider_args: tuple[tuple[str, str], ...] = ()
    settings: tuple[tuple[str, str], ...] = ()

    def spider_arguments(self) -> list[tuple[str, str]]:
        arguments = []
        if self.site:
            arguments.append(("site", self.site))
        if self.languages:
            arguments.append(("languages", self.languages))
        if self.base_url:
            arguments.append(("base_url", self.base_url))
        if self.full:
            arguments.append(("full", "1"))
        if self.revisit_after:
            arguments.append(("revisit_after", self.revisit_after))
        return arguments + list(self.spider_args)


@dataclass(frozen=True)
class RunPaths:
    """Where one run's files go, all below the archive directory."""

    archive_dir: Path
    stamp: str
    spider: str

    @classmethod
    def for_run(cls, archive_dir: Path, spider: str, started: datetime) -> "RunPaths":
        """Paths named after the start time; a suffix keeps two runs of one second apart."""
        base = started.strftime("%Y%m%dT%H%M%SZ")
        stamp, serial = base, 1
        while (
            (archive_dir / "runs" / f"{spider}-{stamp}.json").exists()
            or (archive_dir / "logs" / f"{spider}-{stamp}.log").exists()
        ):
            stamp, serial = f"{base}-{serial}", serial + 1
        return cls(archive_dir, stamp, spider)

    @property
    def job_dir(self) -> Path:
        return self.archive_dir / "job"

    @property
    def log_file(self) -> Path:
        return self.archive_dir / "logs" / f"{self.spider}-{self.stamp}.log"

    @property
    def summary_file(self) -> Path:
        return self.archive_dir / "runs" / f"{self.spider}-{self.stamp}.json"

    @property
    def crawl_summary_file(self) -> Path:
        return self.archive_dir / "runs" / f"{self.spider}-{self.stamp}.crawl.json"


def crawl_command(options: CrawlOptions, paths: RunPaths, python: str = sys.executable) -> list[str]:
    """The Scrapy command line of a run (absolute paths: the crawl runs in the project root)."""
    command = [python, "-m", "scrapy", "crawl", options.spider]
    for name, value in options.spider_arguments():
        command += ["-a", f"{name}={value}"]
    managed = {
        "ARCHIVE_DIR": paths.archive_dir,
        "JOBDIR": paths.job_dir,
        "LOG_FILE": paths.log_file,
        "LOG_FILE_APPEND": "True",  # the lines written before the crawl stay in the run's log
        "CRAWL_SUMMARY_FILE": paths.crawl_summary_file,
    }
    for name, value in managed.items():
        command += ["-s", f"{name}={value}"]
    for name, value in options.settings:
        command += ["-s", f"{name}={value}"]
    return command


def project_root() -> Path | None:
    """The directory holding scrapy.cfg (a source checkout or editable install), if there is one."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "scrapy.cfg").is_file() else None


def crawl_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The crawl's environment: the caller's, with the project's settings module as a fallback."""
    env = dict(os.environ if base is None else base)
    env.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    root = project_root()
    if root is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    return env


def recover_leftovers(archive_dir: Path) -> dict:
    """Finish what a killed run left: ``*.warc.gz.open`` files, partial JSON lines, lost state.

    Runs under the lock, before the crawl, so nothing else writes these files meanwhile.
    """
    report: dict = {"warc_files": [], "jsonl_bytes_removed": {}, "articles_reconciled": 0}
    warc_dir = archive_dir / "warc"
    if warc_dir.is_dir():
        report["warc_files"] = [os.path.relpath(path, archive_dir) for path in recover_open_files(warc_dir)]
    files = article_files(archive_dir)
    for path in files:
        removed = repair_jsonl(path)
        if removed:
            report["jsonl_bytes_removed"][os.path.relpath(path, archive_dir)] = removed
    if state_path(archive_dir).exists():
        with StateStore(state_path(archive_dir)) as store:
            if store.previous_session_crashed:
                report["articles_reconciled"] = store.reconcile_articles(_article_records(files))
    for name in report["warc_files"]:
        log.warning("recovered WARC file left open by a killed run: %s", name)
    if report["articles_reconciled"]:
        log.warning("state: restored %d article versions found in the JSON lines", report["articles_reconciled"])
    return report


def _article_records(files: list[Path]) -> Iterator[dict]:
    for path in files:
        try:
            yield from (record for record in read_jsonl(path) if isinstance(record, dict))
        except JsonLinesError as error:
            log.warning("state reconciliation: rest of %s skipped: %s", path, error)


def prepare_job_dir(job_dir: Path, options: CrawlOptions) -> bool:
    """Keep a killed run's JOBDIR only when it was started with the same spider and arguments.

    Returns True when the crawl will resume. Another set of arguments is another crawl: its queue
    is dropped rather than mixed in.
    """
    wanted = {"spider": options.spider, "arguments": [list(pair) for pair in options.spider_arguments()]}
    args_file = job_dir / JOB_ARGS_FILE
    if job_dir.exists():
        try:
            previous = json.loads(args_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = None
        if previous == wanted:
            log.info("resuming the interrupted crawl kept in %s", job_dir)
            return True
        log.warning("discarding %s: left by a crawl with other arguments (%s)", job_dir, previous)
        shutil.rmtree(job_dir)
    job_dir.mkdir(parents=True)
    args_file.write_text(json.dumps(wanted, ensure_ascii=False), encoding="utf-8")
    return False


def read_crawl_summary(paths: RunPaths, started: datetime) -> dict | None:
    """The crawl's own summary: the file it was told to write, else the newest written since ``started``.

    Expected keys (written by the crawl; all optional here, kept as given):
        spider, started, finished   names and UTC ISO times
        finish_reason               Scrapy's: "finished", "shutdown", "closespider_pagecount", ...
        pages                       {"fetched": int, "by_status": {"200": int, "304": int, ...},
                                     "revisits": int, "not_modified": int}
        revisits                    {"due": int, "checked": int, "changed": int}: known pages the
                                    revisit policy found due, those checked (REVISIT_MAX_REQUESTS
                                    bounds them) and those whose payload changed
        articles                    {"new": int, "changed": int, "unchanged": int}
        bytes_archived              int, bytes added to WARC files
        errors                      {"count": int, "by_reason": {reason: int}}
    """
    candidates = [paths.crawl_summary_file] if paths.crawl_summary_file.is_file() else []
    if not candidates:
        since = started.timestamp() - 1
        written = [p for p in (paths.archive_dir / "runs").glob("*.crawl.json") if p.stat().st_mtime >= since]
        candidates = sorted(written, key=lambda p: p.stat().st_mtime, reverse=True)[:1]
    for path in candidates:
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            log.warning("crawl summary %s unreadable: %s", path, error)
            return None
        if isinstance(summary, dict):
            summary.setdefault("file", os.path.relpath(path, paths.archive_dir))
            return summary
        log.warning("crawl summary %s is not a JSON object", path)
    return None


def finish_reason_from_log(log_file: Path) -> str | None:
    """The last ``'finish_reason': '...'`` of Scrapy's stats dump in the run's log."""
    try:
        with open(log_file, "rb") as stream:
            stream.seek(max(0, stream.seek(0, os.SEEK_END) - _LOG_TAIL_BYTES))
            tail = stream.read().decode("utf-8", "replace")
    except OSError:
        return None
    reasons = _STATS_FINISH_REASON.findall(tail)
    return reasons[-1] if reasons else None


def run_crawl(
    command: list[str],
    *,
    cwd: Path | None,
    env: dict[str, str],
    keep_fds: Sequence[int],
    on_start: Callable[[int], None] | None = None,
) -> int:
    """Run the crawl and wait; SIGTERM/SIGINT/SIGHUP sent to this process are passed on once each.

    The child gets its own session, so a terminal's Ctrl-C is not delivered twice (Scrapy takes
    a second signal as "stop now, uncleanly"). A child killed by a signal returns -signum.
    """
    child = subprocess.Popen(command, cwd=cwd, env=env, pass_fds=tuple(keep_fds), start_new_session=True)
    if on_start is not None:
        on_start(child.pid)
    forwarded = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    previous = {signum: signal.getsignal(signum) for signum in forwarded}

    def forward(signum, _frame):
        if child.poll() is None:
            child.send_signal(signum)

    in_main_thread = threading.current_thread() is threading.main_thread()
    try:
        if in_main_thread:  # signal handlers can only be set there
            for signum in forwarded:
                signal.signal(signum, forward)
        return child.wait()
    finally:
        if in_main_thread:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if child.poll() is None:  # only reached if wait() itself raised
            child.terminate()


@dataclass
class _RunLog:
    """The cli's own lines go to the run's log file (Scrapy appends to it) and warnings to stderr."""

    path: Path
    handler: logging.Handler | None = field(default=None)

    def __enter__(self) -> "_RunLog":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handler = logging.FileHandler(self.path, encoding="utf-8")
        self.handler.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s"))
        for name in _OUR_LOGGERS:
            logging.getLogger(name).addHandler(self.handler)
            logging.getLogger(name).setLevel(logging.INFO)
        return self

    def __exit__(self, *exc_info) -> None:
        for name in _OUR_LOGGERS:
            logging.getLogger(name).removeHandler(self.handler)
        self.handler.close()


def _update_index(archive_dir: Path) -> dict | None:
    """Keep the CDXJ index in step with the WARC files after every run (new files only)."""
    try:
        update = update_index(archive_dir)
    except (OSError, CdxjIndexError) as error:
        log.error("could not update the CDXJ index: %s", error)
        return None
    return {"file": os.path.relpath(update.index_path, archive_dir), "files_indexed": len(update.indexed_files),
            "lines": update.line_count}


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_json_atomically(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w", encoding="utf-8") as stream:
        json.dump(data, stream, ensure_ascii=False, indent=2)
        stream.write("\n")
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)


def run_archive(options: CrawlOptions, archive_dir: Path) -> int:
    """Lock, recover, crawl (resuming a killed crawl), summarise. See the module docstring for exit codes."""
    archive_dir = archive_dir.expanduser().resolve()
    lock = RunLock(archive_dir)
    try:
        lock.acquire()
    except ArchiveLocked as error:
        print(f"rusislam-archive run: {error}; not starting", file=sys.stderr)
        return EXIT_LOCKED
    with lock:
        started = datetime.now(timezone.utc)
        paths = RunPaths.for_run(archive_dir, options.spider, started)
        paths.summary_file.parent.mkdir(parents=True, exist_ok=True)  # the crawl writes its summary there too
        with _RunLog(paths.log_file):
            summary: dict = {"spider": options.spider, "archive_dir": str(archive_dir), "started": _utc(started)}
            summary["recovered"] = recover_leftovers(archive_dir)
            summary["resumed"] = prepare_job_dir(paths.job_dir, options)
            command = crawl_command(options, paths)
            summary["command"] = command
            log.info("crawl: %s", subprocess.list2cmdline(command))
            try:
                crawl_exit = run_crawl(
                    command, cwd=project_root(), env=crawl_environment(), keep_fds=[lock.fileno()],
                    # The crawl shares the lock: it keeps the archive locked even if this process dies.
                    on_start=lambda pid: lock.annotate(f"crawl pid {pid}"),
                )
            except OSError as error:
                log.error("could not start the crawl: %s", error)
                crawl_exit = 127
            crawl = read_crawl_summary(paths, started)
            reason = (crawl or {}).get("finish_reason") or finish_reason_from_log(paths.log_file)
            finished = crawl_exit == 0 and reason in ("finished", None)
            if finished:
                # A finished crawl's JOBDIR would make the next run skip every URL it has seen.
                shutil.rmtree(paths.job_dir, ignore_errors=True)
            summary["index"] = _update_index(archive_dir)
            exit_code = EXIT_OK if finished else EXIT_CRAWL_FAILED
            ended = datetime.now(timezone.utc)
            summary.update(
                finished=_utc(ended),
                duration_seconds=round((ended - started).total_seconds(), 3),
                exit_code=exit_code,
                crawl_exit_code=crawl_exit,
                finish_reason=reason,
                log_file=os.path.relpath(paths.log_file, archive_dir),
                crawl=crawl,
            )
            _write_json_atomically(paths.summary_file, summary)
            if exit_code != EXIT_OK:
                log.error("crawl failed (exit %s, finish reason %s); log: %s", crawl_exit, reason, paths.log_file)
            else:
                log.info("run finished; summary: %s", paths.summary_file)
    return exit_code
