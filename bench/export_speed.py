"""Speed and memory of ``rusislam-archive export`` on a large synthetic archive (issue 16).

    python -m bench.export_speed                  # 200,000 lines, writes bench/results/export.md
    python -m bench.export_speed --lines 20000    # smaller, for a sanity check

An archive of N article lines is written first (not timed): four run files, each article's first
version in the run that found it and about 5% of the articles changed in a later run (a version-2
line), bodies of 6-14 real sentences (``bench.synthetic_site.sentence_pools``, ~2-4 KB a line as
on the mirror), one in three dates printed with a time. Then each export runs as its own process,
as a user starts it (``python -m crawler.cli export ...``): wall time including interpreter start,
lines per second = archive lines read / wall time (and per CPU second), and peak RSS = the
process's ``ru_maxrss`` (``os.wait4``). The archives are written by a child process too: Linux
carries a parent's peak RSS into a child it starts, so the measuring process stays small. Each
export runs ``--runs`` times (3), round after round, and the report shows the median run and the
highest peak RSS, all from this one bench run: the machine is shared, and one run can be slowed by
other work. The same export of a quarter of the archive shows whether memory depends on the
archive's size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from hashlib import sha1
from pathlib import Path

from bench.synthetic_site import LANGUAGES, sentence_pools

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "export.md"
RUNS = 4
CHANGED_SHARE = 0.05
MOSCOW = timezone(timedelta(hours=3))
TARGET_LINES_PER_S = 50_000
TARGET_RSS_MB = 200


def write_archive(directory: Path, lines: int, seed: int = 16) -> int:
    """``lines`` article lines in RUNS files under ``directory/articles``; returns the bytes written.

    The first versions are spread over the runs; each later run also changes ``changed / (RUNS - 1)``
    articles of the runs before it (the first run's remainder takes up the rounding)."""
    rng = random.Random(seed)
    pools = sentence_pools()
    articles = directory / "articles"
    articles.mkdir(parents=True)
    edits_per_run = int(lines * CHANGED_SHARE) // (RUNS - 1)
    firsts = lines - edits_per_run * (RUNS - 1)
    per_run = -(-firsts // RUNS)
    first_of_run: list[list[dict]] = [[] for _ in range(RUNS)]
    total = 0
    for number in range(firsts):
        first_of_run[min(number // per_run, RUNS - 1)].append(_line(number, rng, pools))
    for run in range(RUNS):
        later = [line for earlier in first_of_run[:run] for line in earlier] if run else []
        edits = rng.sample(later, edits_per_run) if run else []
        path = articles / f"rusislam-2026010{run + 1}T000000Z.jsonl"
        with open(path, "wb") as stream:
            for line in first_of_run[run]:
                total += stream.write(_encode(line))
            for line in edits:
                edited = dict(line, body=line["body"] + "\n" + rng.choice(pools[line["language"]]))
                edited["content_sha1"] = sha1(edited["body"].encode()).hexdigest()
                edited.update(version=line["version"] + 1, previous_sha1=line["content_sha1"])
                total += stream.write(_encode(edited))
    return total


def _line(number: int, rng: random.Random, pools: dict[str, list[str]]) -> dict:
    language = LANGUAGES[number % len(LANGUAGES)]
    moment = datetime(2018, 1, 1, tzinfo=MOSCOW) + timedelta(minutes=rng.randrange(9 * 365 * 24 * 60))
    published = moment.isoformat(timespec="seconds") if rng.random() < 0.33 else moment.date().isoformat()
    body = "\n".join(rng.choice(pools[language]) for _ in range(rng.randint(6, 14)))
    article_id = sha1(str(number).encode()).hexdigest()[:20]
    url = f"https://russia-islworld.ru/{language}/novosti/article-{number}"
    return {
        "id": article_id, "url": url, "canonical_url": url, "site": "rusislam", "language": language,
        "language_declared": language, "title": rng.choice(pools[language])[:120], "published": published,
        "published_date": published[:10], "published_raw": published, "body": body,
        "source": {"name": "TASS", "raw": "ТАСС"} if rng.random() < 0.2 else None,
        "author": None, "categories": [], "tags": rng.sample(["ОИС", "KazanForum", "إيران", "science"], 2),
        "fetched_at": "2026-01-01T00:00:00Z", "http_status": 200, "content_sha1": sha1(body.encode()).hexdigest(),
        "warc": {"file": "rusislam-20260101000000000-00000-bench-1.warc.gz", "offset": number * 5000,
                 "length": 4000, "record_id": f"<urn:uuid:{number}>"},
        "extractor": {"name": "rusislam-archive", "version": "1.0.0", "trafilatura": "2.0.0"},
        "version": 1, "previous_sha1": "",
    }


def _encode(line: dict) -> bytes:
    return (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def measure(archive: Path, output: Path, *options: str) -> dict:
    """One export as its own process: wall seconds, CPU seconds and the process's peak RSS."""
    result = run_measured(["export", str(archive), "-o", str(output), "--overwrite", *options])
    written = [path for path in output.iterdir() if path.suffix != ".md"] if output.is_dir() else [output]  # --split
    return {**result, "output_mb": sum(path.stat().st_size for path in written) / 1e6}


def run_measured(arguments: list[str], module: str = "crawler.cli") -> dict:
    """``python -m MODULE ARGUMENTS`` as its own process, measured by ``os.wait4``."""
    command = [sys.executable, "-m", module, *arguments]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                               stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {process.returncode}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--report", type=Path, default=RESULTS)
    parser.add_argument("--runs", type=int, default=3, help="runs of each export (the table shows the median)")
    parser.add_argument("--write-archive", type=Path, metavar="DIR", help=argparse.SUPPRESS)  # the child's job
    parser.add_argument("--parse-only", type=Path, metavar="DIR", help=argparse.SUPPRESS)  # the child's job
    args = parser.parse_args(argv)
    if args.parse_only:
        parse_only(args.parse_only)
        return
    if args.write_archive:
        megabytes = write_archive(args.write_archive, args.lines) / 1e6
        print(f"{args.write_archive.name}: {args.lines} lines, {megabytes:.0f} MB of JSON lines", file=sys.stderr)
        return
    rows = []
    with tempfile.TemporaryDirectory(prefix="export-bench-") as scratch:
        scratch = Path(scratch)
        sizes = {"full": args.lines, "quarter": args.lines // 4}
        archives = {}
        for name, lines in sizes.items():
            archives[name] = scratch / name
            subprocess.run([sys.executable, "-m", "bench.export_speed", "--write-archive", str(archives[name]),
                            "--lines", str(lines)], cwd=ROOT, check=True)
        cases = [
            ("full", "latest.parquet", ()), ("full", "all.parquet", ("--all-versions",)),
            ("full", "all.csv", ("--all-versions",)), ("full", "all.jsonl", ("--all-versions",)),
            ("full", "ar-2020.parquet", ("--language", "ar", "--since", "2020-01-01", "--until", "2020-12-31")),
            ("full", "by-language", ("--split", "language")),
            ("quarter", "latest-quarter.parquet", ()),
        ]
        runs: dict[str, list[dict]] = {output_name: [] for _, output_name, _ in cases}
        for _ in range(args.runs):  # round after round, so that other work on the machine falls on every case
            for archive_name, output_name, options in cases:
                # each export into a directory of its own: the dataset card is README.md beside the data
                output = scratch / output_name.replace(".", "-") / output_name
                output.parent.mkdir(exist_ok=True)
                result = measure(archives[archive_name], output, *options)
                runs[output_name].append(result)
                print(f"{output_name:22} {sizes[archive_name] / result['wall']:9,.0f} lines/s  "
                      f"{result['rss_mb']:6.1f} MB", file=sys.stderr)
        for archive_name, output_name, options in cases:
            measured = sorted(runs[output_name], key=lambda result: result["wall"])
            result = dict(measured[len(measured) // 2], rss_mb=max(result["rss_mb"] for result in measured),
                          fastest=measured[0]["wall"], slowest=measured[-1]["wall"])
            result.update(lines=sizes[archive_name], output=output_name, options=" ".join(options) or "(latest)")
            result["lines_per_s"] = result["lines"] / result["wall"]
            result["lines_per_cpu_s"] = result["lines"] / result["cpu"]
            rows.append(result)
        baseline = run_measured(["export", "--help"])  # the command line and the export command's module
        floor = run_measured(["--parse-only", str(archives["full"])], module="bench.export_speed")
        floor.update(lines=sizes["full"], lines_per_s=sizes["full"] / floor["wall"],
                     lines_per_cpu_s=sizes["full"] / floor["cpu"])
    write_report(args.report, rows, baseline, floor, args.runs)


def parse_only(archive: Path) -> None:
    """What the export's threads do to every line, alone and in one thread: read the blocks and type
    them with pyarrow (``to_export_table``), nothing chosen, filtered or written."""
    from archive.blocks import block_ranges, read_lines
    from archive.export import to_export_table, use_system_allocator
    from archive.latest import article_files

    use_system_allocator()
    rows = sum(to_export_table(read_lines(block.path, block.start, block.stop).data).num_rows
               for block in block_ranges(article_files(archive)))
    print(f"parsed {rows} lines", file=sys.stderr)


def write_report(path: Path, rows: list[dict], baseline: dict, floor: dict, runs: int) -> None:
    lines = [
        "# Export speed and memory (`python -m bench.export_speed`)", "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} CPUs "
        f"(shared with other work), Python {platform.python_version()}; {runs} runs of each export, each as its own "
        "process (interpreter start included), round after round; the table shows the run of median wall time "
        "(its CPU time) and the highest peak RSS of the runs. Targets (issue 16): peak RSS under 200 MB and at "
        "least 50,000 lines/s on 200,000 lines.", "",
        "Ratios: lines/s over the 50,000 target (above 1 meets it), peak RSS over 200 MB (below 1 meets it), "
        "lines/s over that of reading alone in one thread (below).", "",
        "| archive lines | export | options | wall s (fastest-slowest) | lines/s | / target | / reading alone | CPU s "
        "| lines/CPU s | peak RSS MB | / 200 MB | output MB |",
        "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        lines.append(f"| {row['lines']:,} | {row['output']} | {row['options']} | {row['wall']:.2f} "
                     f"({row['fastest']:.2f}-{row['slowest']:.2f}) | "
                     f"{row['lines_per_s']:,.0f} | {row['lines_per_s'] / TARGET_LINES_PER_S:.2f} | "
                     f"{row['lines_per_s'] / floor['lines_per_s']:.2f} | {row['cpu']:.2f} | "
                     f"{row['lines_per_cpu_s']:,.0f} | {row['rss_mb']:.0f} | {row['rss_mb'] / TARGET_RSS_MB:.2f} | "
                     f"{row['output_mb']:.1f} |")
    lines += ["", f"Reading alone (`--parse-only`: every block of the {floor['lines']:,} lines read and typed by "
              f"pyarrow in one thread, nothing chosen or written): {floor['wall']:.2f} s, {floor['lines_per_s']:,.0f} "
              f"lines/s, {floor['lines_per_cpu_s']:,.0f} lines/CPU s, peak RSS {floor['rss_mb']:.0f} MB. The export "
              "reads and parses two blocks at once and writes meanwhile; the latest-version exports also read every "
              "line's two ends first, to choose.",
              "", f"`rusislam-archive export --help` alone (the command line and the export command's module): "
              f"peak RSS {baseline['rss_mb']:.0f} MB, {baseline['cpu']:.2f} CPU s."]
    load = os.getloadavg()
    lines += ["", "Lines/s counts the archive's lines read (every version is read to choose the latest); CPU s is "
              "user + system time of the export process (its threads included), the figure least disturbed by "
              f"other work. Load average at the end: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}.", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
