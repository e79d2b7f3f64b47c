"""Extraction quality on real pages of other publishers, ours next to trafilatura's.

The pages (tests/data/extraction-eval: SOURCES.md says where each comes from and under which
licence) are read with the generic path only: each publisher has a minimal site YAML (name,
origin, one language, an article URL pattern; no selectors, no title, no boilerplate texts), as
a new site would have before anyone tuned it.

Per page: token-level body F1 against the gold text (word tokens; one token per character in
scripts written without spaces), the title exactly as printed (whitespace normalised) and the
publication date (day). trafilatura runs with its defaults (``bare_extraction``, metadata on).

    python -m bench.extraction_eval              # summary per language, ours and trafilatura
    python -m bench.extraction_eval --pages      # and one line per page
    python -m bench.extraction_eval --no-trafilatura
    python -m bench.extraction_eval --section    # write bench/results/extraction-eval.md (docs/benchmarks.md
                                                 # shows it: python -m bench.run --report-only)
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from crawler.extract.article import extract_article  # noqa: E402
from crawler.extract.siteconfig import load_site_config  # noqa: E402

DATA = ROOT / "tests" / "data" / "extraction-eval"
RESULTS = ROOT / "bench" / "results"
SECTION_FILE = RESULTS / "extraction-eval.md"
# Per-page scores of ours before issue 19's changes (commit named inside), for the section's table.
BEFORE_FILE = RESULTS / "extraction-eval-before.json"

# Scripts written without spaces between words: each character is a token.
_TOKEN = re.compile(r"[\u0e00-\u0e7f\u1000-\u109f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|\w+")


@dataclasses.dataclass
class EvalPage:
    name: str
    url: str
    language: str
    site: object
    html: bytes
    title: str
    published: str | None
    body: str


@dataclasses.dataclass
class Reading:
    """What an extractor gave for one page."""
    title: str | None
    published: str | None
    body: str


@dataclasses.dataclass
class Score:
    page: str
    language: str
    body_f1: float
    title_ok: bool
    date_ok: bool | None  # None: the page has no gold date


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


def token_f1(extracted: str, expected: str) -> float:
    """Token-level F1 (multiset overlap of ``tokens``) of two texts."""
    got, want = Counter(tokens(extracted)), Counter(tokens(expected))
    overlap = sum((got & want).values())
    if not overlap:
        return 1.0 if not got and not want else 0.0
    precision, recall = overlap / sum(got.values()), overlap / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def same_title(got: str | None, want: str) -> bool:
    return got is not None and " ".join(got.split()) == " ".join(want.split())


def load_pages(data: Path = DATA) -> list[EvalPage]:
    pages = []
    for line in (data / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        gold = json.loads(line)
        raw = (data / gold["file"]).read_bytes()  # pages/*.html.gz, or a page another test set holds
        html = gzip.decompress(raw) if gold["file"].endswith(".gz") else raw
        site = load_site_config(data / "sites" / f"{gold['site']}.yaml")
        name = Path(gold["file"]).name.split(".html")[0]
        pages.append(EvalPage(name, gold["url"], gold["language"], site, html,
                              gold["title"], gold.get("published"), gold["body"]))
    return pages


def read_ours(page: EvalPage) -> Reading:
    article = extract_article(page.html, page.url, [("Content-Type", "text/html")], page.site)
    if article is None:
        return Reading(None, None, "")
    return Reading(article.title, article.published, article.body)


def read_trafilatura(page: EvalPage) -> Reading:
    import trafilatura

    document = trafilatura.bare_extraction(page.html, url=page.url, with_metadata=True)
    if document is None:
        return Reading(None, None, "")
    return Reading(document.title, document.date, document.text or "")


def score(page: EvalPage, reading: Reading) -> Score:
    date_ok = None
    if page.published:
        date_ok = (reading.published or "")[:10] == page.published[:10]
    return Score(page.name, page.language, token_f1(reading.body, page.body), same_title(reading.title, page.title),
                 date_ok)


def evaluate(pages: list[EvalPage], read: Callable[[EvalPage], Reading]) -> tuple[list[Score], float]:
    """Scores of every page and the CPU seconds the readings took."""
    scores, cpu = [], 0.0
    for page in pages:
        start = time.process_time()
        reading = read(page)
        cpu += time.process_time() - start
        scores.append(score(page, reading))
    return scores, cpu


@dataclasses.dataclass
class Summary:
    pages: int
    body_f1_mean: float
    body_f1_min: float
    title: float
    date: float

    def row(self, label: str) -> str:
        return (f"| {label} | {self.pages} | {self.body_f1_mean:.3f} | {self.body_f1_min:.3f} | "
                f"{self.title:.3f} | {self.date:.3f} |")


def summarise(scores: list[Score]) -> Summary:
    dated = [s.date_ok for s in scores if s.date_ok is not None]
    f1 = [s.body_f1 for s in scores]
    return Summary(len(scores), sum(f1) / len(f1), min(f1), sum(s.title_ok for s in scores) / len(scores),
                   sum(dated) / len(dated) if dated else 1.0)


def by_language(scores: list[Score]) -> dict[str, Summary]:
    groups: dict[str, list[Score]] = {}
    for s in scores:
        groups.setdefault(s.language if s.language in ("ar", "ru", "en") else "other", []).append(s)
    return {"all": summarise(scores), **{lang: summarise(group) for lang, group in sorted(groups.items())}}


HEADER = "| extractor, language | pages | body F1 mean | body F1 min | title | date |\n|---|---|---|---|---|---|"


def report(results: dict[str, list[Score]]) -> str:
    lines = [HEADER]
    for name, scores in results.items():
        for lang, summary in by_language(scores).items():
            lines.append(summary.row(f"{name}, {lang}"))
    return "\n".join(lines)


def section(results: dict[str, list[Score]], cpu: dict[str, float], pages: int) -> str:
    """The docs/benchmarks.md section: figures per language, ours before and after, trafilatura."""
    import trafilatura

    rows = dict(results)
    if BEFORE_FILE.exists():
        before = json.loads(BEFORE_FILE.read_text(encoding="utf-8"))
        rows = {f"ours before ({before['commit']})": [Score(**s) for s in before["ours"]], **rows}
    cpu_text = ", ".join(f"{name} {1000 * seconds / pages:.0f} ms" for name, seconds in cpu.items())
    return "\n".join([
        "## Extraction quality on other publishers' pages",
        "",
        f"{pages} real article pages of 30 publishers (Arabic, Russian, English, Spanish, Latvian, Chinese,",
        "Japanese, Thai, Burmese; `tests/data/extraction-eval/SOURCES.md` says where each comes from), read by the",
        "generic path (a minimal site YAML per publisher: no selectors, no site title). Body: token-level F1",
        "against the gold text; title: the printed headline exactly; date: the day. trafilatura",
        f"{trafilatura.__version__} with its defaults (`bare_extraction`, metadata on) on the same pages.",
        f"Regenerate with `python -m bench.extraction_eval --section`; measured "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; CPU per page: {cpu_text}.",
        "`tests/test_extraction_eval.py` asserts every page's F1 and the set's figures in CI.",
        "",
        report(rows),
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", action="store_true", help="one line per page")
    parser.add_argument("--no-trafilatura", action="store_true", help="ours only")
    parser.add_argument("--json", metavar="FILE", help="write the per-page scores to FILE")
    parser.add_argument("--section", action="store_true", help=f"write {SECTION_FILE.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    if args.section and args.no_trafilatura:
        parser.error("--section compares with trafilatura: drop --no-trafilatura")
    pages = load_pages()
    readers = {"ours": read_ours} if args.no_trafilatura else {"ours": read_ours, "trafilatura": read_trafilatura}
    results, cpu = {}, {}
    for name, read in readers.items():
        read(pages[0])  # imports and first-use costs before the clock
        results[name], cpu[name] = evaluate(pages, read)
    if args.pages:
        print(f"{'page':28} {'lang':4} " + " ".join(f"{n + ' F1':>16} {'title':>5} {'date':>5}" for n in results))
        for i, page in enumerate(pages):
            cells = []
            for scores in results.values():
                s = scores[i]
                cells.append(f"{s.body_f1:16.3f} {'ok' if s.title_ok else 'NO':>5} "
                             f"{'-' if s.date_ok is None else 'ok' if s.date_ok else 'NO':>5}")
            print(f"{page.name[:28]:28} {page.language:4} " + " ".join(cells))
    print(report(results))
    print("CPU per page: " + ", ".join(f"{n} {1000 * c / len(pages):.1f} ms" for n, c in cpu.items()))
    if args.section:
        text = section(results, cpu, len(pages))
        SECTION_FILE.with_suffix(".open").write_text(text, encoding="utf-8")
        SECTION_FILE.with_suffix(".open").replace(SECTION_FILE)
        print(f"wrote {SECTION_FILE}")
    if args.json:
        Path(args.json).write_text(json.dumps({n: [dataclasses.asdict(s) for s in v] for n, v in results.items()},
                                              indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
