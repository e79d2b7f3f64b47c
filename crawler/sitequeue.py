"""Site runs shared by many machines: a queue of site runs on Redis (RQ), one run per site at a time.

The unit of distribution is the site run, exactly what ``rusislam-archive run`` does for one site
(lock, recovery, resumable crawl, index, summary): more machines archive more sites at once, none
of them faster than its politeness allows. RQ (a small, well-kept job queue on Redis) holds the
queue, runs jobs in its workers and retries a job whose worker died; this module adds what a
site run needs on top:

- ``schedule``: a site is put on the queue when it is due (its interval since it was last put
  there) and no run of it is already waiting or going: one job id per site (``site-run:NAME``).
- a per-site lock in Redis (``SET NX`` with an expiry, renewed by a heartbeat thread while the run
  goes): two workers never crawl one site at once, and a lock whose machine is gone expires. The
  archive's own lock (``archive.runlock``) stays the last guard on a shared filesystem.
- a worker killed mid-run (kill -9, machine loss): RQ finds the job abandoned once its heartbeat
  is older than the grace period and requeues it (``Retry``); the next worker takes the site lock
  after it expired and ``run_archive`` resumes from the archive's job directory.
- the status the ``queue`` command shows: waiting jobs, running sites (worker, since, progress from
  the run's ``runs/current.json``), the last outcome per site.

Keys (prefix ``rusislam-archive:``): ``site-lock:NAME`` (string, owner token), ``running:NAME``
(hash: worker, started, archive_dir, progress), ``last:NAME`` (hash: outcome of the last run),
``scheduled:NAME`` (last time the site was put on the queue), plus RQ's own keys for the queue
``rusislam-archive``.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from redis import Redis
from rq import Queue, Retry, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from archive.progress import read_progress
from archive.status import RUNS_DIR_NAME, run_history
from crawler.extract.siteconfig import load_site_config
from crawler.runner import CrawlOptions, run_archive

log = logging.getLogger(__name__)

QUEUE_NAME = "rusislam-archive"
KEY_PREFIX = "rusislam-archive:"
SITE_SPIDER = "news"
# A crashed worker's site lock expires after this many seconds without a heartbeat (the heartbeat
# renews it every third of it).
DEFAULT_LOCK_SECONDS = 120
# A job whose worker has not heartbeaten for this long is taken for abandoned and run again.
DEFAULT_ABANDON_SECONDS = 180
# How many times a run abandoned by a dead worker is run again before it counts as failed (a run
# that ends with an error is not retried: its outcome is recorded, and the next schedule runs it).
ABANDONED_RUN_RETRIES = 3
JOB_TIMEOUT = -1  # a first crawl of a large site takes days: no limit (RQ: -1)


@dataclass(frozen=True)
class SiteRun:
    """One site's run as the queue carries it: the site file and the crawl's options."""

    site_file: str  # absolute path, readable by every worker (a shared filesystem)
    name: str
    languages: str | None = None
    full: bool = False
    settings: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_file(cls, site_file: str | Path, **options) -> "SiteRun":
        path = Path(site_file).expanduser().resolve()
        return cls(str(path), load_site_config(path).name, **options)

    @property
    def job_id(self) -> str:
        return f"site-run-{self.name}"

    def crawl_options(self) -> CrawlOptions:
        return CrawlOptions(spider=SITE_SPIDER, site=self.site_file, languages=self.languages, full=self.full,
                            settings=self.settings)


def connect(url: str) -> Redis:
    """A Redis connection, checked now so that a bad URL or a server down fails with one line."""
    connection = Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)
    connection.ping()
    return connection


def site_queue(connection: Redis) -> Queue:
    return Queue(QUEUE_NAME, connection=connection)


# --- scheduling --------------------------------------------------------------------------------


def enqueue_due(connection: Redis, runs: list[tuple[SiteRun, float]], now: float | None = None) -> list[str]:
    """Put each site run whose interval (seconds) has passed since it was last put on the queue,
    and which is neither waiting nor running, on the queue; returns the names put there."""
    now = time.time() if now is None else now
    queue = site_queue(connection)
    enqueued = []
    for run, every in runs:
        if _job_active(connection, run.job_id) or connection.exists(_key("site-lock", run.name)):
            log.info("%s: a run is waiting or going; not put on the queue again", run.name)
            continue
        last = connection.get(_key("scheduled", run.name))
        if last is not None and now - float(last) < every:
            continue
        queue.enqueue(execute_site_run, run, job_id=run.job_id, job_timeout=JOB_TIMEOUT, result_ttl=7 * 86400,
                      failure_ttl=30 * 86400, retry=Retry(max=ABANDONED_RUN_RETRIES),
                      description=f"site run {run.name} ({run.site_file})")
        connection.set(_key("scheduled", run.name), now)
        enqueued.append(run.name)
    return enqueued


def _job_active(connection: Redis, job_id: str) -> bool:
    try:
        status = Job.fetch(job_id, connection=connection).get_status()
    except NoSuchJobError:
        return False
    return status in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED)


# --- running -------------------------------------------------------------------------------------


class SiteLock:
    """The site's lock in Redis: taken with SET NX and an expiry, renewed by a heartbeat thread,
    released only by its owner (a token), so an expired lock taken over elsewhere is not freed."""

    def __init__(self, connection: Redis, name: str, seconds: int = DEFAULT_LOCK_SECONDS):
        self.connection, self.name, self.seconds = connection, name, seconds
        self.key = _key("site-lock", name)
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> bool:
        if not self.connection.set(self.key, self.token, nx=True, ex=self.seconds):
            return False
        self._thread = threading.Thread(target=self._beat, name=f"site-lock-{self.name}", daemon=True)
        self._thread.start()
        return True

    def holder(self) -> str | None:
        value = self.connection.get(self.key)
        return value.decode() if value else None

    def _beat(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            # Renew only while it is still ours (compare and set in one script).
            self.connection.eval(_RENEW, 1, self.key, self.token, self.seconds)

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.connection.eval(_RELEASE, 1, self.key, self.token)


_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def execute_site_run(run: SiteRun) -> dict:
    """The job: take the site's lock, run the site as ``rusislam-archive run`` does, record the outcome.

    Runs in an RQ worker; the archive root comes from the worker (``ARCHIVE_ROOT`` in its
    environment, set by ``rusislam-archive worker``), so every machine may mount it elsewhere.
    """
    from rq import get_current_job

    connection = get_current_job().connection
    archive_dir = Path(os.environ["RUSISLAM_ARCHIVE_ROOT"]) / run.name
    worker = os.environ.get("RUSISLAM_ARCHIVE_WORKER", socket.gethostname())
    lock = SiteLock(connection, run.name, int(os.environ.get("RUSISLAM_ARCHIVE_LOCK_SECONDS", DEFAULT_LOCK_SECONDS)))
    if not lock.acquire():
        outcome = {"outcome": "skipped", "reason": f"another run holds the site lock ({lock.holder()})"}
        log.warning("%s: %s", run.name, outcome["reason"])
        return outcome
    started = _utc_now()
    running_key = _key("running", run.name)
    connection.hset(running_key, mapping={"worker": worker, "started": started, "archive_dir": str(archive_dir)})
    done = threading.Event()
    threading.Thread(target=_report_progress, args=(connection, running_key, archive_dir, done), daemon=True).start()
    try:
        exit_code = run_archive(run.crawl_options(), archive_dir)
    finally:
        done.set()
        connection.delete(running_key)
        lock.release()
    outcome = {"outcome": "ok" if exit_code == 0 else "failed", "exit_code": exit_code, "worker": worker,
               "started": started, "finished": _utc_now(), "archive_dir": str(archive_dir),
               "summary": _last_summary(archive_dir)}
    connection.hset(_key("last", run.name), mapping={k: json.dumps(v) for k, v in outcome.items()})
    if exit_code != 0:  # recorded, not raised: RQ's retries are for runs whose worker died
        log.error("%s: run exited %s; see %s", run.name, exit_code, outcome["summary"] or archive_dir / "logs")
    return outcome


def _report_progress(connection: Redis, key: str, archive_dir: Path, done: threading.Event) -> None:
    """Copy the run's progress file (``runs/current.json``, written by the crawl) into Redis."""
    while not done.wait(5):
        progress = read_progress(archive_dir)
        if progress is not None:
            connection.hset(key, "progress", json.dumps(progress))


def _last_summary(archive_dir: Path) -> str | None:
    """The newest run summary of the archive (the run that just ended)."""
    history = run_history(archive_dir)
    return str(archive_dir / RUNS_DIR_NAME / history[-1]["file"]) if history else None


class SiteRunWorker(Worker):
    """An RQ worker whose jobs count as abandoned after ``abandon_seconds`` without a heartbeat
    (RQ's own grace is a minute past its monitoring interval)."""

    abandon_seconds = DEFAULT_ABANDON_SECONDS

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return int(self.abandon_seconds)


# --- status --------------------------------------------------------------------------------------


def queue_status(connection: Redis) -> dict:
    """What ``rusislam-archive queue`` shows: waiting runs, running sites, last outcome per site."""
    queue = site_queue(connection)
    pending = []
    for job in queue.get_jobs():
        run = job.args[0] if job.args else None
        pending.append({"site": getattr(run, "name", None), "job": job.id,
                        "enqueued": job.enqueued_at.isoformat() if job.enqueued_at else None})
    running = {}
    for key in connection.scan_iter(_key("running", "*")):
        name = key.decode().split(":", 2)[2]
        fields = {k.decode(): v.decode() for k, v in connection.hgetall(key).items()}
        if "progress" in fields:
            fields["progress"] = json.loads(fields["progress"])
        running[name] = fields
    last = {}
    for key in connection.scan_iter(_key("last", "*")):
        name = key.decode().split(":", 2)[2]
        last[name] = {k.decode(): json.loads(v) for k, v in connection.hgetall(key).items()}
    workers = [{"name": w.name, "state": w.get_state(), "job": w.get_current_job_id()}
               for w in Worker.all(queue=queue)]
    return {"pending": pending, "running": running, "last": last, "workers": workers}


def _key(kind: str, name: str) -> str:
    return f"{KEY_PREFIX}{kind}:{name}"


def _utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
