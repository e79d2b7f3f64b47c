"""CPU per page of ``extract_article`` alone, next to ``trafilatura.bare_extraction`` on the same pages.

The crawl benchmark (``bench.run``) measures whole processes; this one isolates the pure
extraction code so a change to it can be measured in seconds, and checks that the change does
not alter any output: ``--save FILE`` writes every extracted record, ``--check FILE`` compares
against it field by field.

Two figures per set: the *first pass* (a fresh process; another set's pages extracted first to
load the libraries, then every page timed once: memoised dates, links and labels are only those
of earlier pages, as in a crawl) and *warm* (the minimum over several passes over the same pages, every
memo filled: the floor). CPU is ``time.process_time`` of the extracting process.

Page sets:
- ``mirror``: every article page of the test mirror (tests/mirror), with and without selectors;
- ``real``: the 17 real Arabic/Russian news pages of tests/data/htmldate-ar-ru (other sites);
- ``synthetic``: article pages of the benchmark's synthetic site (bench/synthetic_site.py).

    python -m bench.extract_speed                       # all sets: first pass and warm, ours and trafilatura
    python -m bench.extract_speed --profile mirror      # cProfile of one set
    python -m bench.extract_speed --save before.json    # outputs, to --check after a change
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import json
import pstats
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from crawler.extract.article import extract_article  # noqa: E402
from crawler.extract.siteconfig import load_site_config  # noqa: E402

BASE = "http://127.0.0.1:8765"
REAL_PAGES = ROOT / "tests" / "data" / "htmldate-ar-ru"
SETS = ("mirror", "real", "synthetic")


@dataclasses.dataclass
class Page:
    name: str
    body: bytes
    url: str
    headers: list
    site: object


def mirror_pages() -> list[Page]:
    from tests.mirror import build_site

    model = build_site()
    config = load_site_config("rusislam").with_origin(BASE)
    modes = (("selectors", config), ("generic", config.without_selectors()))
    pages = []
    for article in model.articles:
        for _ in range(10):  # the mirror's planned failures are served first
            served = model.respond("GET", article.path, BASE)
            if served.status < 500 and served.status != 429:
                break
        headers = [("Content-Type", served.content_type), *served.headers]
        for mode, site in modes:
            pages.append(Page(f"{mode}:{article.path}", served.body, article.url(BASE), headers, site))
    return pages


def real_pages() -> list[Page]:
    config = load_site_config("rusislam")
    pages = []
    for line in (REAL_PAGES / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        gold = json.loads(line)
        body = (REAL_PAGES / gold["file"]).read_bytes()
        pages.append(Page(gold["file"], body, gold["url"], [("Content-Type", "text/html")], config))
    return pages


def synthetic_pages(count: int = 150) -> list[Page]:
    from bench.synthetic_site import SyntheticSite

    site = SyntheticSite(count // 3 + 1)
    config = load_site_config("rusislam").with_origin(BASE)
    pages = []
    for path in site.article_paths()[:count]:
        kind, _, what = site.resolve(path)
        _, content_type, text, _ = site.render(kind, what, BASE)
        pages.append(Page(path, text.encode("utf-8"), BASE + path, [("Content-Type", content_type)], config))
    return pages


def load(name: str) -> list[Page]:
    return {"mirror": mirror_pages, "real": real_pages, "synthetic": synthetic_pages}[name]()


def run_ours(pages: list[Page]) -> list:
    return [extract_article(p.body, p.url, p.headers, p.site) for p in pages]


def run_trafilatura(pages: list[Page]) -> list:
    import trafilatura

    return [trafilatura.bare_extraction(p.body.decode("utf-8", "replace"), url=p.url) for p in pages]


def cpu_ms_per_page(fn, pages: list[Page], rounds: int) -> float:
    """Minimum over ``rounds`` of the process CPU time of one pass, per page (after a warm-up)."""
    fn(pages[:3])
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        fn(pages)
        best = min(best, time.process_time() - start)
    return 1000 * best / len(pages)


def first_pass_ms(name: str, reference: bool) -> float:
    """CPU ms per page of one pass in a fresh process (see the module docstring)."""
    command = [sys.executable, "-m", "bench.extract_speed", "--one-pass", name]
    if reference:
        command.append("--trafilatura")
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


# The set extracted first in the fresh process: another site's pages, so that one-time costs
# (imports of trafilatura, htmldate, dateparser's locale data...) are paid before the clock
# starts, but nothing of the measured pages is memoised yet.
WARM_UP_SET = {"mirror": "real", "synthetic": "real", "real": "mirror"}


def _one_pass(name: str, reference: bool) -> float:
    pages = load(name)
    run = run_trafilatura if reference else run_ours
    run(load(WARM_UP_SET[name]))
    if not reference:
        # dateparser loads a language's data (about half a second) the first time it parses
        # in it: once per process, whichever page comes first.
        import dateparser

        for text, languages in (("الأربعاء 22 يوليو 2020 10:00 PM", ["ar", "en"]), ("22 июня 2021", ["ru"]),
                                ("Wed, July 22, 2020", ["en"])):
            dateparser.parse(text, languages=languages)
    start = time.process_time()
    run(pages)
    return 1000 * (time.process_time() - start) / len(pages)


def outputs(pages: list[Page]) -> dict:
    """Every record as its JSON reads back (tuples become lists), so --check compares like with like."""
    records = {p.name: (dataclasses.asdict(a) if a else None) for p, a in zip(pages, run_ours(pages))}
    return json.loads(json.dumps(records, ensure_ascii=False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated: " + ", ".join(SETS))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-trafilatura", action="store_true", help="skip the trafilatura reference")
    parser.add_argument("--profile", metavar="SET", help="print a cProfile of extract_article over SET")
    parser.add_argument("--save", metavar="FILE", help="write every extracted record to FILE (JSON)")
    parser.add_argument("--check", metavar="FILE", help="compare every extracted record with FILE")
    parser.add_argument("--one-pass", metavar="SET", help=argparse.SUPPRESS)  # the fresh-process child
    parser.add_argument("--trafilatura", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one_pass:
        print(f"{_one_pass(args.one_pass, args.trafilatura):.4f}")
        return 0
    names = [n for n in args.sets.split(",") if n]
    page_sets = {name: load(name) for name in names}

    if args.profile:
        pages = page_sets.get(args.profile) or load(args.profile)
        run_ours(pages[:3])
        profiler = cProfile.Profile()
        profiler.runcall(run_ours, pages)
        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)
        return 0

    if args.save or args.check:
        got = {name: outputs(pages) for name, pages in page_sets.items()}
        if args.save:
            Path(args.save).write_text(json.dumps(got, ensure_ascii=False, indent=1), encoding="utf-8")
            print(f"saved {sum(len(v) for v in got.values())} outputs to {args.save}")
        if args.check:
            want = json.loads(Path(args.check).read_text(encoding="utf-8"))
            differences = [(s, page, field) for s in got for page, record in got[s].items()
                           for field in sorted(set(record or {}) | set(want[s][page] or {}))
                           if (record or {}).get(field) != (want[s][page] or {}).get(field)]
            differences += [(s, page, "extracted or not") for s in got for page in got[s]
                            if (got[s][page] is None) != (want[s][page] is None)]
            for difference in differences:
                print("DIFFERS:", *difference)
            print(f"checked {sum(len(v) for v in got.values())} outputs: {len(differences)} differences")
            return 1 if differences else 0
        return 0

    print("CPU ms per page of extract_article (ours) and trafilatura.bare_extraction (trafilatura)")
    print(f"{'set':10} {'pages':>5} {'ours first':>11} {'ours warm':>10} {'traf. first':>12} {'traf. warm':>11}"
          f" {'ratio first':>12}")
    for name, pages in page_sets.items():
        ours_first, ours_warm = first_pass_ms(name, False), cpu_ms_per_page(run_ours, pages, args.rounds)
        if args.no_trafilatura:
            print(f"{name:10} {len(pages):5d} {ours_first:11.2f} {ours_warm:10.2f}")
            continue
        ref_first, ref_warm = first_pass_ms(name, True), cpu_ms_per_page(run_trafilatura, pages, args.rounds)
        print(f"{name:10} {len(pages):5d} {ours_first:11.2f} {ours_warm:10.2f} {ref_first:12.2f} {ref_warm:11.2f}"
              f" {ours_first / ref_first:12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
