"""Extraction quality on real pages of other publishers (tests/data/extraction-eval, see its
SOURCES.md), generic path only (a minimal site YAML per publisher, no selectors).

Every page must reach a body token F1 of at least PAGE_MIN_F1, its printed title and its date;
the set as a whole must keep the figures reached (docs/benchmarks.md quotes them next to
trafilatura's on the same pages: ``python -m bench.extraction_eval``).
"""

from __future__ import annotations

import functools

import pytest

from bench.extraction_eval import by_language, load_pages, read_ours, score, token_f1

PAGE_MIN_F1 = 0.9
MEAN_F1 = 0.99
TITLE = 0.97
DATE = 1.0

PAGES = load_pages()


@functools.lru_cache(maxsize=None)
def scores():
    return [score(page, read_ours(page)) for page in PAGES]


def test_token_f1_counts_tokens_of_both_sides():
    assert token_f1("a b c d", "a b c d") == 1.0
    assert token_f1("a b", "a b c d") == pytest.approx(2 * 1.0 * 0.5 / 1.5)
    assert token_f1("", "a") == 0.0
    assert token_f1("东京", "东 京") == 1.0  # one token per character in scripts without spaces


def test_the_set_covers_several_publishers_per_language():
    hosts: dict[str, set[str]] = {}
    for page in PAGES:
        hosts.setdefault(page.language, set()).add(page.site.origin)
    assert len(PAGES) >= 30
    assert len(hosts["ar"]) >= 5 and len(hosts["ru"]) >= 5 and len(hosts["en"]) >= 5


@pytest.mark.parametrize("index", range(len(PAGES)), ids=[p.name for p in PAGES])
def test_page(index):
    result = scores()[index]
    assert result.body_f1 >= PAGE_MIN_F1, f"body F1 {result.body_f1:.3f}"
    assert result.date_ok is not False, "published date"


def test_set_figures():
    summary = by_language(scores())["all"]
    assert summary.body_f1_mean >= MEAN_F1
    assert summary.body_f1_min >= PAGE_MIN_F1
    assert summary.title >= TITLE
    assert summary.date == DATE
