"""``rusislam-archive queue``: the shared queue of site runs: waiting, running, last outcome per site."""

from __future__ import annotations

import argparse
import json

from . import EXIT_OK, ArchiveCommand
from ._redis_args import add_redis_argument, redis_connection


class Command(ArchiveCommand):
    help = "show the shared queue (Redis): site runs waiting, running (worker, since, progress), last outcomes"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_redis_argument(parser)
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def run(self, args: argparse.Namespace) -> int:
        from crawler.sitequeue import queue_status

        status = queue_status(redis_connection(args.redis))
        if args.json:
            print(json.dumps(status, ensure_ascii=False, indent=2, sort_keys=True))
            return EXIT_OK
        print(f"waiting: {len(status['pending'])}")
        for job in status["pending"]:
            print(f"  {job['site']}  queued {job['enqueued']}")
        print(f"running: {len(status['running'])}")
        for site, run in sorted(status["running"].items()):
            progress = run.get("progress") or {}
            fetched, eta = progress.get("pages_fetched"), progress.get("eta_seconds")
            extra = f", {fetched} pages fetched" if fetched is not None else ""
            extra += f", ETA {round(eta)} s" if isinstance(eta, (int, float)) else ""
            print(f"  {site}  on {run.get('worker')} since {run.get('started')}{extra}")
        print(f"workers: {len(status['workers'])}")
        for worker in status["workers"]:
            print(f"  {worker['name']}  {worker['state']}" + (f"  job {worker['job']}" if worker["job"] else ""))
        print("last runs:")
        for site, last in sorted(status["last"].items()):
            print(f"  {site}  {last.get('outcome')} (exit {last.get('exit_code')}) on {last.get('worker')}, "
                  f"finished {last.get('finished')}")
        return EXIT_OK
