"""``rusislam-archive worker``: take site runs from the shared queue and run them, as `run` does.

Each site gets its own archive directory under ARCHIVE_ROOT (a filesystem every worker mounts):
the same lock, recovery, resume and run summaries as ``rusislam-archive run``. One run per site
at a time across all workers (a lock in Redis renewed by a heartbeat, and the archive's own lock).
A run whose worker died is run again by another worker once its heartbeat is older than
--abandon-after; it resumes from the archive's job directory.
"""

from __future__ import annotations

import argparse
import os
import socket
from pathlib import Path

from . import EXIT_OK, ArchiveCommand, UsageError
from ._redis_args import add_redis_argument, redis_connection


class Command(ArchiveCommand):
    help = "take site runs from the shared queue (Redis) and run them, as `run` does"
    description = __doc__.split("\n\n", 1)[1].replace("\n", " ").strip()
    stopped_by_signals = False  # rq's own: SIGINT or SIGTERM lets the site run in hand finish, then stops

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        from crawler.sitequeue import DEFAULT_ABANDON_SECONDS, DEFAULT_LOCK_SECONDS

        add_redis_argument(parser)
        parser.add_argument("--archive-root", required=True, type=Path, metavar="DIR",
                            help="where each site's archive directory is (DIR/SITE_NAME)")
        parser.add_argument("--name", help="this worker's name in `queue` (default: host and process id)")
        parser.add_argument("--burst", action="store_true", help="stop when the queue is empty (default: wait for runs)")
        parser.add_argument("--lock-seconds", type=int, default=DEFAULT_LOCK_SECONDS,
                            help=f"a dead worker's site lock expires after this (default {DEFAULT_LOCK_SECONDS})")
        parser.add_argument("--abandon-after", type=int, default=DEFAULT_ABANDON_SECONDS, metavar="SECONDS",
                            help="a run whose worker has not been heard of for this long is run again "
                                 f"(default {DEFAULT_ABANDON_SECONDS})")

    def run(self, args: argparse.Namespace) -> int:
        from crawler.sitequeue import SiteRunWorker, site_queue

        if args.lock_seconds < 3 or args.abandon_after < args.lock_seconds:
            raise UsageError("--lock-seconds must be at least 3 and --abandon-after at least --lock-seconds")
        root = args.archive_root.expanduser().resolve()
        if not root.is_dir():
            raise UsageError(f"--archive-root {root}: no such directory")
        connection = redis_connection(args.redis)
        name = args.name or f"{socket.gethostname()}.{os.getpid()}"
        # The job runs in a forked work horse: it reads these.
        os.environ.update(RUSISLAM_ARCHIVE_ROOT=str(root), RUSISLAM_ARCHIVE_WORKER=name,
                          RUSISLAM_ARCHIVE_LOCK_SECONDS=str(args.lock_seconds))
        # Heartbeats, and the look for abandoned runs, come a few times per --abandon-after.
        interval = max(1, args.abandon_after // 3)
        worker = SiteRunWorker([site_queue(connection)], connection=connection, name=name,
                               job_monitoring_interval=interval, maintenance_interval=interval,
                               worker_ttl=max(20, args.abandon_after))
        worker.abandon_seconds = args.abandon_after
        worker.work(burst=args.burst, logging_level="WARNING")
        return EXIT_OK
