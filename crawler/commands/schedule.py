"""``rusislam-archive schedule``: put the site runs that are due on the shared queue (Redis).

Run it from cron (every few minutes) or with ``--loop``: a site is put on the queue when its
interval has passed since it was last put there and no run of it is waiting or going.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import yaml

from crawler.extract.siteconfig import ConfigError
from crawler.options import parse_duration

from . import EXIT_OK, ArchiveCommand, UsageError
from ._redis_args import add_redis_argument, redis_connection

LOOP_SECONDS = 60


class Command(ArchiveCommand):
    help = "put the site runs that are due on the shared queue (Redis); see `worker`"
    description = __doc__.split("\n\n", 1)[1].replace("\n", " ").strip()
    epilog = ("schedule file (YAML), paths relative to it:\n"
              "  sites:\n    - file: sites/gulfwire.yaml\n      every: 6h\n    - file: sites/other.yaml\n"
              "      every: 1d\n      languages: ar")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_redis_argument(parser)
        parser.add_argument("sites", nargs="*", metavar="SITE_YAML", help="site files, each run --every")
        parser.add_argument("--every", default="6h", metavar="INTERVAL",
                            help="how often each SITE_YAML is run: 6h, 1d, 30m (default 6h)")
        parser.add_argument("--schedule", metavar="FILE", help="a schedule file: sites with their own intervals")
        parser.add_argument("--loop", action="store_true",
                            help=f"keep running, looking for due sites every {LOOP_SECONDS} s (default: once, for cron)")

    def run(self, args: argparse.Namespace) -> int:
        from crawler.sitequeue import enqueue_due

        runs = self._runs(args)
        connection = redis_connection(args.redis)
        while True:
            for name in enqueue_due(connection, runs):
                print(f"queued: {name}") if args.loop else None
            if not args.loop:
                return EXIT_OK
            time.sleep(LOOP_SECONDS)

    def _runs(self, args: argparse.Namespace) -> list:
        from crawler.sitequeue import SiteRun

        if bool(args.sites) == bool(args.schedule):
            raise UsageError("give site files (with --every) or --schedule FILE, not both or neither")
        entries = ([{"file": site, "every": args.every} for site in args.sites] if args.sites
                   else _schedule_entries(Path(args.schedule)))
        runs = []
        for entry in entries:
            try:
                every = parse_duration(entry["every"], "every").total_seconds()
                run = SiteRun.from_file(entry["file"], languages=entry.get("languages"))
            except (ConfigError, ValueError) as error:
                raise UsageError(str(error)) from None
            runs.append((run, every))
        return runs


def _schedule_entries(path: Path) -> list[dict]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise UsageError(f"{path}: {error}") from None
    sites = data.get("sites") if isinstance(data, dict) else None
    if not isinstance(sites, list) or not sites:
        raise UsageError(f"{path}: sites: must list the sites, each with file and every")
    entries = []
    for index, entry in enumerate(sites):
        if not isinstance(entry, dict) or not entry.get("file") or not entry.get("every"):
            raise UsageError(f"{path}: sites[{index}]: needs file and every (e.g. every: 6h)")
        unknown = sorted(set(entry) - {"file", "every", "languages"})
        if unknown:
            raise UsageError(f"{path}: sites[{index}].{unknown[0]}: unknown key (known keys: file, every, languages)")
        entries.append({**entry, "file": str(path.parent / str(entry["file"]))})
    return entries
