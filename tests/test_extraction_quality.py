"""Extraction quality over every page of the test mirror, with and without the site's selectors.

Each article page must give exactly the expected title, date, source and language, a body
with token F1 >= 0.95 against the expected body and none of the page's boilerplate strings,
and a record valid against article.schema.json. Non-article pages give None.

The pages come from ``MirrorSite.respond`` (bytes + headers as the server would send them),
so no server is needed. ``pytest -s tests/test_extraction_quality.py`` prints the per-page
F1 table (test_f1_summary).
"""

from __future__ import annotations

import functools
from collections import Counter
from datetime import datetime, timezone

import jsonschema
import pytest

from crawler.extract.article import extract_article
from crawler.extract.record import Capture, article_record, load_schema, next_version_fields
from crawler.extract.siteconfig import load_site_config
from crawler.extract.urls import SiteUrls
from tests.mirror import build_site

BASE = "http://127.0.0.1:8765"
MIN_F1 = 0.95
SITE_MODEL = build_site()
ARTICLES = SITE_MODEL.articles
MODES = {"selectors": True, "generic": False}
CONFIG = load_site_config("rusislam").with_origin(BASE)


def token_f1(extracted: str, expected: str) -> float:
    """Token-level F1 (whitespace tokens, multiset overlap) of two texts."""
    got, want = Counter(extracted.split()), Counter(expected.split())
    overlap = sum((got & want).values())
    if not overlap:
        return 1.0 if not got and not want else 0.0
    precision, recall = overlap / sum(got.values()), overlap / sum(want.values())
    return 2 * precision * recall / (precision + recall)


@pytest.fixture(scope="module")
def config():
    return CONFIG


@pytest.fixture(scope="module")
def schema():
    return load_schema()


def fetch(path: str):
    """A page as the mirror serves it; the crawl fixtures' planned failures are served first."""
    for _ in range(10):
        page = SITE_MODEL.respond("GET", path, BASE)
        if page.status < 500 and page.status != 429:
            break
    headers = [("Content-Type", page.content_type), *page.headers]
    return page, headers


@functools.lru_cache(maxsize=None)
def evaluate(article_id: int, mode: str):
    """(article or None, body F1, leaked boilerplate, names of the fields that are wrong)."""
    expected = SITE_MODEL.article_by_id(article_id)
    site = CONFIG if MODES[mode] else CONFIG.without_selectors()
    page, headers = fetch(expected.path)
    assert page.status == 200
    article = extract_article(page.body, expected.url(BASE), headers, site)
    if article is None:
        return None, 0.0, [], ["not extracted"]
    score = token_f1(article.body, expected.body)
    leaked = [b for b in expected.boilerplate if b in article.body and b not in expected.body]
    problems = [name for name, ok in (
        ("title", article.title == expected.title),
        ("published", article.published == expected.published),
        ("published_raw", article.published_raw == expected.published_raw),
        ("source", article.source == expected.source),
        ("language", article.language == expected.language),
        ("boilerplate", not leaked),
    ) if not ok]
    return article, score, leaked, problems


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("expected", ARTICLES, ids=[f"{a.language}-{a.layout}-{a.id}" for a in ARTICLES])
def test_article_page(config, schema, expected, mode):
    article, score, leaked, _ = evaluate(expected.id, mode)
    assert article is not None, "article page taken for a non-article"
    assert article.title == expected.title
    assert article.published == expected.published
    assert article.published_raw == expected.published_raw
    assert article.source == expected.source
    assert article.language == expected.language
    assert article.language_declared == expected.language
    assert score >= MIN_F1, f"body F1 {score:.3f}\n--- got:\n{article.body}\n--- expected:\n{expected.body}"
    assert not leaked, f"boilerplate in body: {leaked}"
    if expected.author:
        assert article.author == expected.author
    assert article.tags == list(expected.tags)
    assert article.canonical_url == expected.real_url
    assert article.id == SiteUrls(config).article_id(expected.real_url)

    capture = Capture(url=expected.url(BASE), fetched_at=datetime.now(timezone.utc), http_status=200, warc=None)
    line = {**article_record(article, capture), **next_version_fields(None)}
    jsonschema.validate(line, schema, cls=jsonschema.Draft202012Validator)


def _non_article_paths() -> list[str]:
    paths = list(SITE_MODEL.non_article_paths)
    for language in ("ru", "ar", "en"):
        paths += SITE_MODEL.listing_paths(language)
    # Not-found pages, one of them at a URL shaped like an article's.
    paths += ["/novosti/takoj-novosti-net-2020-01-01-1", "/en/no-such-page", "/ar/novosti//x-2021-01-01-2"]
    return paths


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", _non_article_paths())
def test_non_article_page_gives_none(config, path, mode):
    site = config if MODES[mode] else config.without_selectors()
    page, headers = fetch(path)
    assert extract_article(page.body, BASE + path, headers, site) is None


@pytest.mark.parametrize("mode", MODES)
def test_alias_urls_are_their_articles(config, mode):
    site = config if MODES[mode] else config.without_selectors()
    assert SITE_MODEL.canonical_aliases, "the mirror should serve alias URLs"
    for alias, article_path in SITE_MODEL.canonical_aliases.items():
        page, headers = fetch(alias)
        article = extract_article(page.body, BASE + alias, headers, site)
        expected = SITE_MODEL.article_by_path(article_path)
        assert article is not None, alias
        assert article.id == SiteUrls(config).article_id(expected.real_url)
        assert article.title == expected.title


def test_f1_summary():
    """Prints the per-page table (run with -s); fails if any page missed a target."""
    lines = [f"{'mode':<10} {'id':>6} {'lang':<4} {'layout':<7} {'F1':>6} {'chars':>6}  problems"]
    failures = 0
    for mode in MODES:
        scores, exact = [], 0
        for a in sorted(ARTICLES, key=lambda a: (a.language, a.layout, a.id)):
            article, score, _, problems = evaluate(a.id, mode)
            scores.append(score)
            exact += not problems
            failures += bool(problems) or score < MIN_F1
            chars = len(article.body) if article else 0
            lines.append(f"{mode:<10} {a.id:>6} {a.language:<4} {a.layout:<7} {score:6.3f} {chars:>6}  "
                         f"{', '.join(problems) or '-'}")
        lines.append(f"{mode}: {len(scores)} pages, mean F1 {sum(scores) / len(scores):.4f}, "
                     f"min {min(scores):.4f}, all fields exact on {exact}/{len(scores)}")
    print("\n" + "\n".join(lines))
    assert failures == 0
