"""One archive run as cron starts it: lock, recover, crawl (resuming a killed crawl), index, summarise.

Used by ``rusislam-archive run`` (and by anything else that runs a site's crawl the same way).
Exit codes: ``crawler.commands.EXIT_CODES`` (the crawl's own code is passed on: it has already
said why on stderr, in one line). In short: 0 ok, 1 failed, 2 usage, 3 too many failed requests,
4 stopped by a signal (the next run resumes), 69 site unreachable, 75 archive locked.

The crawl runs as a child process (``python -m crawler.cli crawl``) so that a crash of the crawl
cannot take the lock handling or the run summary with it. The child shares the run's lock: it gets
the descriptor (``RunLock.adopt``) and so keeps the archive locked even if this process dies.
A SIGTERM, SIGINT or SIGHUP sent to this process is passed on to the crawl once (as SIGTERM or
SIGINT: Scrapy stops gracefully); a second one is not passed on, so the crawl is never forced to stop
uncleanly by the wrapper.
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
from typing import Callable, Sequence

from archive.atomic import write_json_atomically
from archive.cdxj import CdxjIndexError, update_index
from archive.recovery import recover_leftovers
from archive.runlock import LOCK_FD_ENV, ArchiveLocked, RunLock
from crawler.commands import EXIT_CODES, EXIT_FAILED, EXIT_LOCKED, EXIT_OK, EXIT_STOPPED

from .logfiles import drop_write_errors

log = logging.getLogger(__name__)
_OUR_LOGGERS = ("archive", "crawler")

# Codes with which the crawl exits after printing its own line.
_REPORTED_BY_THE_CRAWL = frozenset(EXIT_CODES) - {EXIT_OK}

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
    """The crawl's command line (``rusislam-archive crawl``; absolute paths)."""
    command = [python, "-m", "crawler.cli", "crawl", "--spider", options.spider]
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
                                     "revisits": int, "not_modified": int}   (page requisites not included)
        requisites                  {"requested", "fetched", "revisits", "not_modified", "bytes", "too_large": int,
                                     "by_status": {...}}   images, stylesheets, scripts, fonts of the pages
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


def _log_tail(log_file: Path) -> str:
    try:
        with open(log_file, "rb") as stream:
            stream.seek(max(0, stream.seek(0, os.SEEK_END) - _LOG_TAIL_BYTES))
            return stream.read().decode("utf-8", "replace")
    except OSError:
        return ""


def finish_reason_from_log(log_file: Path) -> str | None:
    """The last ``'finish_reason': '...'`` of Scrapy's stats dump in the run's log."""
    reasons = _STATS_FINISH_REASON.findall(_log_tail(log_file))
    return reasons[-1] if reasons else None


def run_crawl(
    command: list[str],
    *,
    cwd: Path | None,
    env: dict[str, str],
    keep_fds: Sequence[int],
    on_start: Callable[[int], None] | None = None,
) -> int:
    """Run the crawl and wait; the first SIGTERM/SIGINT/SIGHUP sent to this process is passed on, once.

    The child gets its own session, so a terminal's Ctrl-C is not delivered twice (Scrapy takes
    a second signal as "stop now, uncleanly"); later signals are not passed on either. SIGHUP,
    which Scrapy does not handle, is passed on as SIGTERM. A child killed by a signal returns -signum.
    """
    child = subprocess.Popen(command, cwd=cwd, env=env, pass_fds=tuple(keep_fds), start_new_session=True)
    if on_start is not None:
        on_start(child.pid)
    forwarded = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    previous = {signum: signal.getsignal(signum) for signum in forwarded}
    passed_on: list[int] = []

    def forward(signum, _frame):
        if not passed_on and child.poll() is None:
            passed_on.append(signum)
            child.send_signal(signal.SIGTERM if signum == signal.SIGHUP else signum)

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


def run_exit(crawl_exit: int, reason: str | None) -> tuple[int, str | None]:
    """The run's exit code from the crawl's, and the line to print when the crawl printed none."""
    if crawl_exit == 0:
        if reason == "shutdown":
            return EXIT_STOPPED, "the crawl was stopped by a signal; the next run resumes"
        return EXIT_OK, None
    if crawl_exit in _REPORTED_BY_THE_CRAWL:
        return crawl_exit, None  # the crawl has said why, in one line on stderr
    if crawl_exit < 0:
        try:
            name = signal.Signals(-crawl_exit).name
        except ValueError:
            name = str(-crawl_exit)
        return EXIT_FAILED, f"the crawl was killed by signal {name}; the next run resumes"
    return EXIT_FAILED, f"the crawl failed (exit {crawl_exit}, finish reason {reason})"


@dataclass
class _RunLog:
    """The cli's own lines go to the run's log file (Scrapy appends to it) and warnings to stderr."""

    path: Path
    handler: logging.Handler | None = field(default=None)

    def __enter__(self) -> "_RunLog":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handler = logging.FileHandler(self.path, encoding="utf-8")
        drop_write_errors(self.handler)
        self.handler.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s"))
        for name in _OUR_LOGGERS:
            logging.getLogger(name).addHandler(self.handler)
            logging.getLogger(name).setLevel(logging.INFO)
        return self

    def __exit__(self, *exc_info) -> None:
        for name in _OUR_LOGGERS:
            logging.getLogger(name).removeHandler(self.handler)
        try:
            self.handler.close()
        except OSError:  # its last lines cannot be written (disk full): stderr has the run's ERROR line
            pass


def _update_index(archive_dir: Path) -> dict | None:
    """Keep the CDXJ index in step with the WARC files after every run (new files only)."""
    if not (archive_dir / "warc").is_dir():
        return None  # nothing archived yet (the crawl did not start): no index to keep
    try:
        update = update_index(archive_dir)
    except (OSError, CdxjIndexError) as error:
        log.error("could not update the CDXJ index: %s", error)
        return None
    return {"file": os.path.relpath(update.index_path, archive_dir), "files_indexed": len(update.indexed_files),
            "lines": update.line_count}


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


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
                    command, cwd=project_root(), env={**crawl_environment(), LOCK_FD_ENV: str(lock.fileno())},
                    # The crawl shares the lock: it keeps the archive locked even if this process dies.
                    keep_fds=[lock.fileno()], on_start=lambda pid: lock.annotate(f"crawl pid {pid}"),
                )
            except OSError as error:
                log.error("could not start the crawl: %s", error)
                crawl_exit = 127
            crawl = read_crawl_summary(paths, started)
            reason = (crawl or {}).get("finish_reason") or finish_reason_from_log(paths.log_file)
            # A crawl stopped by a write error (disk full, read-only) leaves the index to the next run,
            # and no JOBDIR: its queue may be half-written (the next run walks every listing page).
            write_failed = reason in ("archive_write_failed", "state_store_unusable", None)
            if (crawl_exit == 0 and reason == "finished") or write_failed:
                # A finished crawl's JOBDIR would make the next run skip every URL it has seen.
                shutil.rmtree(paths.job_dir, ignore_errors=True)
            summary["index"] = None if write_failed else _update_index(archive_dir)
            exit_code, message = run_exit(crawl_exit, reason)
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
            try:
                write_json_atomically(paths.summary_file, summary)
            except OSError as error:
                message = "; ".join(filter(None, (message, f"run summary not written ({error})")))
                exit_code = exit_code or EXIT_FAILED
            if message:
                log.error("%s; log: %s", message, paths.log_file)
            elif exit_code != EXIT_OK:
                log.info("crawl ended with exit code %s (finish reason %s)", exit_code, reason)
            else:
                log.info("run finished; summary: %s", paths.summary_file)
    return exit_code
