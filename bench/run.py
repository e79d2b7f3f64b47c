"""The benchmark of issue 7, one command: ours against bare Scrapy and Scrapy + trafilatura.

    python -m bench.run                         # N = 1,000 per language, 3 pairs, writes docs/benchmarks.md
    python -m bench.run --sizes 1000,10000      # also N = 10,000 (30,000 article pages: long)
    python -m bench.run --sizes 10000 --cases 1,2,3,4 --pairs 1   # add one size; stored sizes are kept
    python -m bench.run --quick                 # N = 200, 1 pair, to bench/results/quick.md (sanity)
    python -m bench.run --profile 300           # cProfile of case 3 over 300 articles per language

For each size a synthetic mirror (``bench.synthetic_site``) is served by a separate process on
127.0.0.1, every page rendered before the clock starts. Each case runs in its own subprocess:

1. reference A: bare Scrapy fetching the article pages (``bench.reference_spiders --mode A``);
2. reference B: the same plus ``trafilatura.bare_extraction`` per article (``--mode B``);
3. ours: ``scrapy crawl rusislam`` with delays and AutoThrottle off, robots.txt obeyed;
4. ours again over the unchanged mirror and the same ARCHIVE_DIR (incremental run);
5. offline re-extraction of case 3's WARC files with ``rusislam-archive extract --jobs 1`` and
   ``--jobs 2``, against trafilatura alone over the same pages (``bench.warc_trafilatura``).

Cases 1-4 are interleaved A B ours ours-again, pair after pair; case 5 runs its three commands
interleaved the same way. Measured per run: CPU seconds (user + sys of the process and all its
descendants: ``getrusage(RUSAGE_CHILDREN)`` deltas), wall seconds, article pages fetched (counted by
the server), pages per second, and peak RSS of the process tree (``/proc/PID/status`` VmRSS of the
process and its descendants summed, sampled every 50 ms, and each process's VmHWM; psutil is not
used). Ratios ours/reference are taken pair by pair and their median is quoted.

Raw results are kept in ``bench/results/results.json`` (one entry per size; a run replaces the sizes
it measured), and ``docs/benchmarks.md`` is written from all stored sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"
RESULTS_FILE = RESULTS_DIR / "results.json"
REVISITS_FILE = RESULTS_DIR / "revisits.json"  # written by bench.revisits
DOC_FILE = ROOT / "docs" / "benchmarks.md"
CASE_TIMEOUT = 4 * 3600  # seconds; a case running longer is killed and reported as failed
SAMPLE_SECONDS = 0.05

# Targets of issue 7.
CPU_RATIO_MAX = 1.15  # case 3 CPU per article page / reference B
THROUGHPUT_RATIO_MIN = 1.0  # case 3 pages/s / reference B
INCREMENTAL_TIME_SHARE_MAX = 0.05  # case 4 wall / case 3 wall
RSS_GROWTH_MAX, RSS_MAX_MB = 1.5, 300
OFFLINE_SPEEDUP_MIN, OFFLINE_COST_MAX = 1.7, 1.1
LANGUAGES = 3


# --- measuring a subprocess -----------------------------------------------------------------


@dataclass
class Run:
    """One measured subprocess."""

    case: str
    size: int
    pair: int
    returncode: int
    cpu_s: float
    wall_s: float
    peak_rss_mb: float
    pages: int = 0  # article pages the case handled (fetched, or read from WARC for case 5)
    requests: int = 0
    counts: dict = field(default_factory=dict)  # server counts by "kind status"
    extra: dict = field(default_factory=dict)

    @property
    def cpu_ms_per_page(self) -> float | None:
        return 1000 * self.cpu_s / self.pages if self.pages else None

    @property
    def pages_per_s(self) -> float | None:
        return self.pages / self.wall_s if self.pages and self.wall_s else None


def _descendants(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    stack += [int(child) for child in handle.read().split()]
        except OSError:
            continue
    return found


def _status_kb(pid: int, *fields: str) -> dict[str, int]:
    values = {}
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                name, _, rest = line.partition(":")
                if name in fields:
                    values[name] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return values


class RssSampler(threading.Thread):
    """Peak memory of a process tree: max over samples of summed VmRSS, and the largest VmHWM seen."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_tree_kb = 0
        self.hwm_kb: dict[int, int] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            total = 0
            for pid in _descendants(self.pid):
                status = _status_kb(pid, "VmRSS", "VmHWM")
                total += status.get("VmRSS", 0)
                if "VmHWM" in status:
                    self.hwm_kb[pid] = max(self.hwm_kb.get(pid, 0), status["VmHWM"])
            self.peak_tree_kb = max(self.peak_tree_kb, total)
            self.stopping.wait(SAMPLE_SECONDS)

    @property
    def peak_mb(self) -> float:
        # A single process's high-water mark can exceed every sample (a short spike between two).
        return max(self.peak_tree_kb, max(self.hwm_kb.values(), default=0)) / 1024


def busy_cpu_s() -> float:
    """CPU seconds the whole machine has spent busy since boot (/proc/stat), to spot other load."""
    try:
        with open("/proc/stat") as handle:
            fields = [int(x) for x in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int | None) -> float:
    """user + sys CPU seconds of one live process (/proc/PID/stat)."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def run_measured(case: str, size: int, pair: int, command: list[str], log_file: Path,
                 server_pid: int | None = None) -> Run:
    """Run ``command`` in the project root; CPU of it and all its descendants, wall, peak RSS.

    Also notes the mirror's CPU and the CPU the rest of the machine used meanwhile
    (``other_cpu_s``): other load on the machine makes wall times (not CPU times) unreliable.
    """
    machine_before, server_before = busy_cpu_s(), process_cpu_s(server_pid)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open(log_file, "w") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        sampler = RssSampler(proc.pid)
        sampler.start()
        try:
            returncode = proc.wait(timeout=CASE_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            returncode = proc.wait()
            log.write(f"\n[bench] killed after {CASE_TIMEOUT} s\n")
    wall = time.perf_counter() - started
    sampler.stopping.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    server_cpu = process_cpu_s(server_pid) - server_before
    other = busy_cpu_s() - machine_before - cpu - server_cpu
    return Run(case, size, pair, returncode, round(cpu, 3), round(wall, 3), round(sampler.peak_mb, 1),
               extra={"mirror_cpu_s": round(server_cpu, 2), "other_cpu_s": round(max(other, 0.0), 2),
                      "main_process_peak_rss_mb": round(sampler.hwm_kb.get(proc.pid, 0) / 1024, 1),
                      "processes": len(sampler.hwm_kb)})


# --- the synthetic mirror in its own process ---------------------------------------------------


class MirrorProcess:
    """``python -m bench.synthetic_site`` as a child process, controlled over HTTP."""

    def __init__(self, articles: int, log_file: Path):
        self.articles, self.log_file = articles, log_file
        self.proc: subprocess.Popen | None = None
        self.base_url = ""

    def __enter__(self) -> MirrorProcess:
        self.log = open(self.log_file, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.synthetic_site", "--articles", str(self.articles), "--prewarm"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=self.log, text=True, start_new_session=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http://"):
            self.__exit__()
            raise RuntimeError(f"synthetic mirror did not start: see {self.log_file}")
        self.base_url = line
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def control(self, command: str) -> dict:
        with urllib.request.urlopen(f"{self.base_url}/__bench__/{command}", timeout=30) as response:
            return json.loads(response.read())


# --- the cases ---------------------------------------------------------------------------------


def ours_command(base_url: str, archive_dir: Path, concurrency: int | None) -> list[str]:
    command = [sys.executable, "-m", "scrapy", "crawl", "rusislam", "-a", f"base_url={base_url}",
               "-s", f"ARCHIVE_DIR={archive_dir}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
               "-s", "ROBOTSTXT_OBEY=1", "-s", "LOG_LEVEL=INFO"]
    if concurrency:
        command += ["-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}"]
    return command


def reference_command(mode: str, base_url: str, stats_file: Path, concurrency: int | None) -> list[str]:
    command = [sys.executable, "-m", "bench.reference_spiders", "--mode", mode, "--base-url", base_url,
               "--stats-file", str(stats_file)]
    return command + (["--concurrency", str(concurrency)] if concurrency else [])


def jsonl_lines(archive_dir: Path) -> int:
    return sum(sum(1 for _ in open(path, "rb")) for path in (archive_dir / "articles").glob("*.jsonl"))


# Case 5 runs the command users run: ``rusislam-archive extract`` (as ``python -m crawler.cli``,
# so the checkout is measured even when another copy is installed).
OFFLINE_EXTRACT_COMMAND = [sys.executable, "-m", "crawler.cli", "extract"]


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path):
        self.args, self.work = args, work
        self.runs: list[Run] = []
        self.notes: list[str] = []

    def measure(self, mirror: MirrorProcess | None, case: str, size: int, pair: int, command: list[str]) -> Run:
        if mirror is not None:
            mirror.control("reset")
        log = self.work / f"{case}-{size}-{pair}.log"
        run = run_measured(case, size, pair, command, log, mirror.proc.pid if mirror is not None else None)
        if mirror is not None:
            stats = mirror.control("stats")
            run.counts, run.requests = stats["counts"], stats["requests"]
            run.pages = stats["counts"].get("article 200", 0)
        if run.returncode != 0:
            self.notes.append(f"N={size} pair {pair}: case {case} exited with {run.returncode} (log: {log})")
        self.runs.append(run)
        print(f"  {case:>9} N={size} pair {pair}: cpu {run.cpu_s:.1f} s, wall {run.wall_s:.1f} s, "
              f"{run.pages} article pages, {run.requests} requests, peak RSS {run.peak_rss_mb:.0f} MB, "
              f"mirror {run.extra['mirror_cpu_s']:.1f} s, other load {run.extra['other_cpu_s']:.1f} s CPU",
              flush=True)
        return run

    def crawl_cases(self, size: int) -> Path | None:
        """Cases 1-4 interleaved; returns the ARCHIVE_DIR of the last case 3 run (for case 5)."""
        cases, concurrency = self.args.cases, self.args.concurrency
        last_archive = None
        with MirrorProcess(size, self.work / f"mirror-{size}.log") as mirror:
            print(f"N={size} per language: mirror at {mirror.base_url}", flush=True)
            for pair in range(1, self.args.pairs + 1):
                if "1" in cases:
                    self.measure(mirror, "A", size, pair,
                                 reference_command("A", mirror.base_url, self.work / "a.json", concurrency))
                if "2" in cases:
                    self.measure(mirror, "B", size, pair,
                                 reference_command("B", mirror.base_url, self.work / "b.json", concurrency))
                if "3" not in cases:
                    if "5" in cases and last_archive is None:  # case 5 needs an archive: build it unmeasured
                        last_archive = self.work / f"archive-{size}-offline"
                        shutil.rmtree(last_archive, ignore_errors=True)
                        print("  crawling once (not measured) to give case 5 an archive", flush=True)
                        subprocess.run(ours_command(mirror.base_url, last_archive, concurrency), cwd=ROOT,
                                       env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True)
                    continue
                archive = self.work / f"archive-{size}-{pair}"
                shutil.rmtree(archive, ignore_errors=True)
                ours = self.measure(mirror, "ours", size, pair, ours_command(mirror.base_url, archive, concurrency))
                ours.extra["articles_written"] = jsonl_lines(archive)
                if last_archive is not None and last_archive != archive:
                    shutil.rmtree(last_archive, ignore_errors=True)  # keep one archive on disk
                last_archive = archive
                if "4" in cases:
                    self.incremental(mirror, size, pair, archive, ours)
        return last_archive

    def incremental(self, mirror: MirrorProcess, size: int, pair: int, archive: Path, first: Run) -> None:
        if not (archive / "state.sqlite3").exists():
            self.skip_once("Case 4 skipped: case 3 left no ARCHIVE_DIR/state.sqlite3 (incremental runs not there yet).")
            return
        lines_before = jsonl_lines(archive)
        again = self.measure(mirror, "ours-again", size, pair,
                             ours_command(mirror.base_url, archive, self.args.concurrency))
        again.extra["articles_written"] = jsonl_lines(archive) - lines_before
        again.extra["time_share"] = round(again.wall_s / first.wall_s, 4) if first.wall_s else None

    def offline_cases(self, size: int, archive: Path | None) -> None:
        if "5" not in self.args.cases:
            return
        if archive is None:
            self.skip_once("Case 5 skipped: it needs the archive of case 3 (add 3 to --cases).")
            return
        warcs = sorted(str(p) for p in (archive / "warc").glob("*.warc.gz"))
        print(f"N={size} per language: offline re-extraction of {len(warcs)} WARC file(s)", flush=True)
        for pair in range(1, self.args.pairs + 1):
            stats_file = self.work / "traf.json"
            alone = self.measure(None, "trafilatura-warc", size, pair,
                                 [sys.executable, "-m", "bench.warc_trafilatura", *warcs, "--stats-file", str(stats_file)])
            alone.pages = json.loads(stats_file.read_text())["pages"] if stats_file.exists() else 0
            stats_file.unlink(missing_ok=True)
            for jobs in (1, 2):
                out = self.work / f"extract-{jobs}.jsonl"
                out.unlink(missing_ok=True)
                run = self.measure(None, f"extract-{jobs}", size, pair,
                                   [*OFFLINE_EXTRACT_COMMAND, *warcs, "-o", str(out), "--jobs", str(jobs)])
                run.pages = alone.pages  # the same article pages, read from the same files
                run.extra["records"] = sum(1 for _ in open(out, "rb")) if out.exists() else 0
        shutil.rmtree(archive, ignore_errors=True)

    def skip_once(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)
            print("  " + note, flush=True)


# --- profile -------------------------------------------------------------------------------------


def profile_case3(articles: int, work: Path) -> str:
    """cProfile of ``scrapy crawl rusislam`` over ``articles`` per language, extraction in-process."""
    out = work / "case3.prof"
    with MirrorProcess(articles, work / "mirror-profile.log") as mirror:
        # Extraction inline (EXTRACT_WORKERS=0) so that the profile of one process shows all the work.
        command = ours_command(mirror.base_url, work / "archive-profile", None) + ["-s", "EXTRACT_WORKERS=0"]
        command[1:3] = ["-m", "cProfile", "-o", str(out), "-m", "scrapy"]
        run = run_measured("profile", articles, 1, command, work / "profile.log")
    if run.returncode != 0 or not out.exists():
        raise RuntimeError(f"profiled crawl failed: see {work / 'profile.log'}")
    header = (f"cProfile of case 3, N={articles} per language, extraction in the crawl process "
              f"({run.cpu_s:.1f} s CPU, {run.wall_s:.1f} s wall with the profiler on)")
    return profile_report(out, header)


# Where cumulative time is worth reading: our code and the libraries it calls, not Scrapy's plumbing.
PROFILE_FOCUS = ("/crawler/", "/archive/", "langdetect/", "trafilatura/", "dateparser/", "htmldate/", "warcio/",
                 "urllib/parse.py", "lxml/", "sqlite3")


def profile_report(prof: Path, header: str, top: int = 25) -> str:
    """Top functions by own time, then by cumulative time within ``PROFILE_FOCUS``."""
    import pstats

    stats = pstats.Stats(str(prof))
    rows = []
    for (path, line, name), (_, calls, own, cumulative, _) in stats.stats.items():
        where = path.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        label = f"{where}:{line}({name})" if line else name
        rows.append((own, cumulative, calls, label, path))
    total = stats.total_tt or 1.0

    def table(selected) -> list[str]:
        return [f"{'own s':>8} {'cum s':>8} {'cum %':>6} {'calls':>9}  function"] + [
            f"{own:8.2f} {cum:8.2f} {100 * cum / total:5.1f}% {calls:9d}  {label}" for own, cum, calls, label, _ in selected]

    by_own = sorted(rows, key=lambda r: r[0], reverse=True)[:top]
    focused = sorted((r for r in rows if any(key in r[4] or key in r[3] for key in PROFILE_FOCUS)),
                     key=lambda r: r[1], reverse=True)[:top * 2]
    return "\n".join([header, f"total {total:.1f} s", "", "by own time:", *table(by_own), "",
                      "by cumulative time, our code and the libraries it calls:", *table(focused)])


# --- report --------------------------------------------------------------------------------------


def machine() -> dict:
    def cpu_model() -> str:
        try:
            for line in open("/proc/cpuinfo"):
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return platform.processor() or "unknown"

    def mem_gb() -> float:
        try:
            for line in open("/proc/meminfo"):
                if line.startswith("MemTotal"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
        except OSError:
            pass
        return 0.0

    versions = {}
    for name in ("scrapy", "trafilatura", "warcio", "lxml", "langdetect", "dateparser"):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:  # noqa: BLE001 - a missing package is just not listed
            versions[name] = "not installed"
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "ram_gb": mem_gb(), "os": platform.platform(),
            "python": platform.python_version(), "versions": versions}


def _median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def _pairwise(runs: list[Run], case: str, reference: str, metric: str) -> list[float]:
    """metric(case) / metric(reference) for each pair where both ran."""
    by_pair = {(r.case, r.pair): getattr(r, metric) for r in runs}
    ratios = []
    for pair in sorted({r.pair for r in runs}):
        ours, ref = by_pair.get((case, pair)), by_pair.get((reference, pair))
        if ours and ref:
            ratios.append(ours / ref)
    return ratios


def summarize(runs: list[Run]) -> dict:
    """Medians and pair-by-pair ratio medians of one size."""
    cases = {}
    for case in dict.fromkeys(r.case for r in runs):
        mine = [r for r in runs if r.case == case]
        cases[case] = {
            "runs": len(mine),
            "cpu_s": _median([r.cpu_s for r in mine]),
            "wall_s": _median([r.wall_s for r in mine]),
            "pages": _median([r.pages for r in mine]),
            "requests": _median([r.requests for r in mine]),
            "cpu_ms_per_page": _median([r.cpu_ms_per_page for r in mine]),
            "pages_per_s": _median([r.pages_per_s for r in mine]),
            "peak_rss_mb": _median([r.peak_rss_mb for r in mine]),
            "max_peak_rss_mb": max(r.peak_rss_mb for r in mine),
            "failed": sum(r.returncode != 0 for r in mine),
            "other_cpu_s": _median([r.extra.get("other_cpu_s") for r in mine]),
            "main_process_peak_rss_mb": _median([r.extra.get("main_process_peak_rss_mb") for r in mine]),
        }
    ratios = {
        "cpu_ours_over_B": _pairwise(runs, "ours", "B", "cpu_ms_per_page"),
        "cpu_ours_over_A": _pairwise(runs, "ours", "A", "cpu_ms_per_page"),
        "cpu_B_over_A": _pairwise(runs, "B", "A", "cpu_ms_per_page"),
        "throughput_ours_over_B": _pairwise(runs, "ours", "B", "pages_per_s"),
        "incremental_time_share": [r.extra["time_share"] for r in runs
                                   if r.case == "ours-again" and r.extra.get("time_share")],
        "offline_speedup_2_over_1": _pairwise(runs, "extract-1", "extract-2", "wall_s"),
        "offline_cpu_1_over_trafilatura": _pairwise(runs, "extract-1", "trafilatura-warc", "cpu_ms_per_page"),
        "offline_cpu_2_over_trafilatura": _pairwise(runs, "extract-2", "trafilatura-warc", "cpu_ms_per_page"),
    }
    again = [r for r in runs if r.case == "ours-again"]
    incremental = None
    if again:
        worst = max(again, key=lambda r: r.requests)
        incremental = {"max_requests": worst.requests, "counts": worst.counts,
                       "articles_written": max(r.extra.get("articles_written", 0) for r in again)}
    return {"cases": cases, "ratios": {k: [round(v, 3) for v in vs] for k, vs in ratios.items()},
            "medians": {k: _median(vs) for k, vs in ratios.items()}, "incremental": incremental}


# Requests an incremental run may make over an unchanged mirror: robots.txt, the sitemap index and
# one urlset per language, the first listing page of each language.
ALLOWED_INCREMENTAL_REQUESTS = 1 + 1 + LANGUAGES + LANGUAGES


def targets(results: dict) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) rows."""
    rows = []
    sizes = sorted(results["sizes"], key=int)

    def verdict(ok: bool | None) -> str:
        return "n/a" if ok is None else ("**pass**" if ok else "**FAIL**")

    for size in sizes:
        s = results["sizes"][size]["summary"]
        m = s["medians"]
        label = f"N={int(size):,}"
        cpu = m["cpu_ours_over_B"]
        rows.append((f"{label}: CPU per article page, ours / B <= {CPU_RATIO_MAX}",
                     f"{cpu:.2f}x" if cpu else "not measured", verdict(cpu <= CPU_RATIO_MAX if cpu else None)))
        thr = m["throughput_ours_over_B"]
        rows.append((f"{label}: pages/s, ours / B >= {THROUGHPUT_RATIO_MIN}",
                     f"{thr:.2f}x" if thr else "not measured", verdict(thr >= THROUGHPUT_RATIO_MIN if thr else None)))
        inc = s["incremental"]
        share = m["incremental_time_share"]
        if inc:
            ok = inc["max_requests"] <= ALLOWED_INCREMENTAL_REQUESTS and share is not None \
                and share < INCREMENTAL_TIME_SHARE_MAX
            rows.append((f"{label}: second run <= {ALLOWED_INCREMENTAL_REQUESTS} requests and < "
                         f"{INCREMENTAL_TIME_SHARE_MAX:.0%} of case 3's time",
                         f"{inc['max_requests']} requests, {share:.1%} of the time, "
                         f"{inc['articles_written']} articles written", verdict(ok)))
        else:
            rows.append((f"{label}: second run (case 4)", "not measured", "n/a"))
        rss = s["cases"].get("ours", {}).get("max_peak_rss_mb")
        rows.append((f"{label}: peak RSS of case 3 < {RSS_MAX_MB} MB", f"{rss:.0f} MB" if rss else "not measured",
                     verdict(rss < RSS_MAX_MB if rss else None)))
        speedup, cost = m["offline_speedup_2_over_1"], m["offline_cpu_2_over_trafilatura"]
        rows.append((f"{label}: re-extraction, 2 processes >= {OFFLINE_SPEEDUP_MIN}x faster than 1",
                     f"{speedup:.2f}x" if speedup else "not measured",
                     verdict(speedup >= OFFLINE_SPEEDUP_MIN if speedup else None)))
        rows.append((f"{label}: re-extraction CPU per page (2 processes) / trafilatura alone <= {OFFLINE_COST_MAX}",
                     f"{cost:.2f}x" if cost else "not measured", verdict(cost <= OFFLINE_COST_MAX if cost else None)))
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        a = results["sizes"][small]["summary"]["cases"].get("ours", {}).get("max_peak_rss_mb")
        b = results["sizes"][large]["summary"]["cases"].get("ours", {}).get("max_peak_rss_mb")
        growth = b / a if a and b else None
        rows.append((f"peak RSS of case 3 grows < {RSS_GROWTH_MAX}x from N={int(small):,} to N={int(large):,}",
                     f"{growth:.2f}x" if growth else "not measured",
                     verdict(growth < RSS_GROWTH_MAX if growth else None)))
    else:
        rows.append((f"peak RSS of case 3 grows < {RSS_GROWTH_MAX}x from N=1,000 to N=10,000",
                     "only one size measured", "n/a"))
    return rows


CASE_LABEL = {
    "A": "1 reference A: bare Scrapy",
    "B": "2 reference B: Scrapy + trafilatura",
    "ours": "3 ours: scrapy crawl rusislam",
    "ours-again": "4 ours, second run (unchanged mirror)",
    "trafilatura-warc": "5 trafilatura alone over the WARC",
    "extract-1": "5 ours: extract --jobs 1",
    "extract-2": "5 ours: extract --jobs 2",
}


def _fmt(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def render_markdown(results: dict, profile: str | None) -> str:
    mach = results["machine"]
    v = mach["versions"]
    out = [
        "# Benchmarks",
        "",
        "What a crawl costs the machine, what a scheduled run costs the site, and how fast the archive",
        "can be re-processed, measured against the bare tools the crawler is built on (issue 7).",
        "Regenerate this page with one command (about 7 minutes at N=1,000 per language with 3 pairs on",
        "the machine below; N=10,000 takes about 9 minutes per pair of cases 1-4):",
        "",
        "```sh",
        "python -m bench.run                      # N=1,000 per language, 3 interleaved pairs",
        "python -m bench.run --sizes 10000 --cases 1,2,3,4 --pairs 1   # add N=10,000 (kept next to N=1,000)",
        "python -m bench.run --quick              # N=200, 1 pair, to bench/results/quick.md",
        "python -m bench.run --profile 300        # cProfile of case 3 (extraction in-process), kept below",
        "python -m bench.run --report-only        # rewrite this page from bench/results/results.json",
        "python -m bench.revisits                 # revisit policies on a simulated clock (seconds; issue 15)",
        "```",
        "",
        "How it measures: a synthetic mirror of the site (`bench/synthetic_site.py`: same URL shapes, 20",
        "articles per listing page with `?PAGEN_1`, robots.txt, sitemaps, pages of 30–120 KB with menus,",
        "sidebars, inline styles and scripts, real sentences in each language, gzip, ETag/Last-Modified",
        "and 304s) is served by a separate process, every page rendered before the clock starts. Each case",
        "runs in its own subprocess; CPU is user + sys of the process and all its descendants",
        "(`getrusage(RUSAGE_CHILDREN)` deltas), wall time includes interpreter start-up, peak RSS is the",
        "largest sum of VmRSS over the process tree (sampled every 50 ms) or VmHWM of one process, from",
        "`/proc` (psutil is not used). Article pages are counted by the server. References A and B walk the",
        "listings to the articles like ours, with the same concurrency (8 total, site's per-domain value),",
        "timeouts, User-Agent and robots.txt, delays and AutoThrottle off (`bench/reference_spiders.py`);",
        "B calls `trafilatura.bare_extraction(response.text, url=...)` with trafilatura's defaults.",
        "Cases run interleaved A, B, ours, ours-again, pair after pair; ratios are taken pair by pair and",
        "the median is quoted. \"Other load\" is the CPU the rest of the machine (neither the case nor the",
        "mirror) used during a run, from `/proc/stat`: when it is large, wall times and pages/s are",
        "disturbed (CPU per page much less so).",
        "",
        "## Machine",
        "",
        f"- CPU: {mach['cpu']}, {mach['cores']} cores; RAM {mach['ram_gb']} GB; {mach['os']}",
        f"- Python {mach['python']}, Scrapy {v['scrapy']}, trafilatura {v['trafilatura']}, warcio {v['warcio']}, "
        f"lxml {v['lxml']}, langdetect {v['langdetect']}, dateparser {v['dateparser']}",
        f"- measured {results['updated']}",
        "",
        "## Targets",
        "",
        "| target | measured (median) | verdict |",
        "| --- | --- | --- |",
    ]
    out += [f"| {t} | {m} | {ok} |" for t, m, ok in targets(results)]
    for size in sorted(results["sizes"], key=int):
        entry = results["sizes"][size]
        s = entry["summary"]
        out += ["", f"## N = {int(size):,} articles per language ({3 * int(size):,} article pages), "
                    f"{entry['pairs']} pair(s), measured {entry['measured']}", "",
                "| case | runs | CPU s | wall s | article pages | requests | CPU ms / page | pages / s | peak RSS MB "
                "| other load, CPU s |",
                "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for case, c in s["cases"].items():
            failed = f" ({c['failed']} failed)" if c["failed"] else ""
            out.append(f"| {CASE_LABEL.get(case, case)}{failed} | {c['runs']} | {_fmt(c['cpu_s'])} | {_fmt(c['wall_s'])} | "
                       f"{_fmt(c['pages'], 0)} | {_fmt(c['requests'], 0)} | {_fmt(c['cpu_ms_per_page'], 2)} | "
                       f"{_fmt(c['pages_per_s'])} | {_fmt(c['peak_rss_mb'], 0)} | {_fmt(c.get('other_cpu_s'))} |")
        out += ["", "Ratios, pair by pair (median first):", ""]
        for name, values in s["ratios"].items():
            if values:
                out.append(f"- {name.replace('_', ' ')}: **{s['medians'][name]:.3f}** "
                           f"({', '.join(f'{x:.3f}' for x in values)})")
        main_rss = s["cases"].get("ours", {}).get("main_process_peak_rss_mb")
        if main_rss:
            out.append(f"- case 3 peak RSS of the crawl process alone (the table counts its extraction worker too): "
                       f"{main_rss:.0f} MB")
        if s["incremental"]:
            counts = ", ".join(f"{k}: {n}" for k, n in sorted(s["incremental"]["counts"].items()))
            out.append(f"- second run requests by kind and status: {counts}")
        for note in entry.get("notes", []):
            out.append(f"- note: {note}")
    sizes = sorted(results["sizes"], key=int)
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        out += ["", f"## Growth from N = {int(small):,} to N = {int(large):,} per language", "",
                "| case | CPU ms / page | pages / s | peak RSS MB |", "| --- | --- | --- | --- |"]
        for case in results["sizes"][large]["summary"]["cases"]:
            a = results["sizes"][small]["summary"]["cases"].get(case)
            b = results["sizes"][large]["summary"]["cases"][case]
            if not a:
                continue

            def growth(key: str) -> str:
                return f"{_fmt(a[key], 2)} → {_fmt(b[key], 2)} ({b[key] / a[key]:.2f}x)" if a[key] and b[key] else "–"

            out.append(f"| {CASE_LABEL.get(case, case)} | {growth('cpu_ms_per_page')} | {growth('pages_per_s')} | "
                       f"{growth('max_peak_rss_mb')} |")
    if results.get("estimates"):
        out += ["", "## Estimates", ""] + [f"- {line}" for line in results["estimates"]]
    if REVISITS_FILE.exists():  # issue 15's simulation, measured by bench.revisits
        from bench.revisits import render_section

        out += [""] + render_section(json.loads(REVISITS_FILE.read_text(encoding="utf-8")))
    for written_apart in ("analysis.md", "extraction-eval.md"):  # by hand; by bench.extraction_eval --section
        if (RESULTS_DIR / written_apart).exists():
            out += ["", (RESULTS_DIR / written_apart).read_text().strip()]
    if profile:
        out += ["", "## Profile of case 3", "", "```", profile, "```"]
    return "\n".join(out) + "\n"


def write_doc() -> None:
    """Rewrite docs/benchmarks.md from the stored results (and the stored profile of case 3)."""
    results = load_results()
    if not results["sizes"]:
        raise SystemExit(f"no stored results in {RESULTS_FILE}: run the benchmark first")
    profile_file = RESULTS_DIR / "profile-case3.txt"
    DOC_FILE.write_text(render_markdown(results, profile_file.read_text() if profile_file.exists() else None))
    print(f"wrote {DOC_FILE}")


def load_results() -> dict:
    if RESULTS_FILE.exists():
        return json.loads(RESULTS_FILE.read_text())
    return {"sizes": {}}


def estimate_lines(results: dict) -> list[str]:
    """Expected duration of N=10,000 per language from the largest size measured, if it was not run."""
    sizes = sorted(results["sizes"], key=int)
    if not sizes or "10000" in results["sizes"]:
        return []
    size = sizes[-1]
    cases = results["sizes"][size]["summary"]["cases"]
    factor = 10_000 / int(size)
    per_pair = sum(c["wall_s"] or 0 for c in cases.values()) * factor
    return [f"N=10,000 per language was not run: from N={int(size):,}, one pair of every case would take about "
            f"{per_pair / 60:.0f} minutes (wall times scaled linearly), 3 pairs about {3 * per_pair / 60:.0f} minutes."]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--sizes", default="1000", help="articles per language, comma-separated (default 1000)")
    parser.add_argument("--pairs", type=int, default=3, help="interleaved rounds of the cases (default 3)")
    parser.add_argument("--cases", default="1,2,3,4,5", help="which cases to run (default all: 1,2,3,4,5)")
    parser.add_argument("--concurrency", type=int, help="CONCURRENT_REQUESTS_PER_DOMAIN for every crawl "
                        "(default: the site's own value, for ours and the references alike)")
    parser.add_argument("--quick", action="store_true", help="N=200, 1 pair, report to bench/results/quick.md")
    parser.add_argument("--profile", type=int, metavar="N", help="only profile case 3 at N articles per language")
    parser.add_argument("--work-dir", type=Path, help="keep logs and archives here (default: a temporary directory)")
    parser.add_argument("--no-doc", action="store_true", help="store results but do not rewrite docs/benchmarks.md")
    parser.add_argument("--report-only", action="store_true",
                        help="measure nothing: rewrite docs/benchmarks.md from bench/results/results.json")
    args = parser.parse_args(argv)
    args.cases = set(args.cases.replace(" ", "").split(","))
    if args.quick:
        args.sizes, args.pairs = "200", 1
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    if args.report_only:
        write_doc()
        return 0

    work = args.work_dir or Path(tempfile.mkdtemp(prefix="rusislam-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"logs and archives in {work}", flush=True)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)

    if args.profile:
        text = profile_case3(args.profile, work)
        (RESULTS_DIR / "profile-case3.txt").write_text(text)
        print(text)
        return 0

    results = {"sizes": {}} if args.quick else load_results()
    failed = False
    for size in sizes:
        bench = Bench(args, work)
        archive = bench.crawl_cases(size)
        bench.offline_cases(size, archive)
        failed |= any(r.returncode != 0 for r in bench.runs)
        runs, notes = bench.runs, bench.notes
        stored = results["sizes"].get(str(size))
        if stored:  # a run of some cases keeps the stored runs (and notes) of the other cases
            measured = {r.case for r in runs}
            kept = [Run(**{k: v for k, v in r.items() if k in Run.__dataclass_fields__})
                    for r in stored["runs"] if r["case"] not in measured]
            runs = kept + runs
            notes = [n for n in stored.get("notes", []) if not any(n.startswith(f"Case {c}") for c in args.cases)] + notes
        results["sizes"][str(size)] = {
            "pairs": max([args.pairs, *(r.pair for r in runs)]),
            "measured": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "runs": [{**asdict(r), "cpu_ms_per_page": r.cpu_ms_per_page, "pages_per_s": r.pages_per_s}
                     for r in runs],
            "summary": summarize(runs),
            "notes": notes,
        }
    results["machine"] = machine()
    results["updated"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    results["estimates"] = estimate_lines(results)
    profile_file = RESULTS_DIR / "profile-case3.txt"
    profile = profile_file.read_text() if profile_file.exists() and not args.quick else None
    markdown = render_markdown(results, profile)
    if args.quick:
        (RESULTS_DIR / "quick.md").write_text(markdown)
        print(f"wrote {RESULTS_DIR / 'quick.md'}")
    else:
        RESULTS_FILE.write_text(json.dumps(results, indent=1, ensure_ascii=False))
        if not args.no_doc:
            DOC_FILE.write_text(markdown)
            print(f"wrote {DOC_FILE}")
    for target, measured, verdict in targets(results):
        print(f"  {verdict:>10}  {target}: {measured}")
    if not args.work_dir:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
