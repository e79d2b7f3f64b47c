"""Revisits come from the state store: an edited article that no page of the run links is checked
and archived as version 2; the policy, `revisit_after`, `revisit=off` and the budget decide which."""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from archive.state import state_path
from crawler.extract.siteconfig import load_site_config
from crawler.extract.urls import SiteUrls
from tests.mirror import MirrorServer
from tests.test_incremental import NEW_ARTICLES, lines_of, run_cli
from tests.test_versions import cli

EDIT = "A correction the editors added two days after publication."


@pytest.fixture(scope="module")
def edited_site(tmp_path_factory):
    """Run 1 archives the English side of the mirror; then a new article tops the listing and an
    article on the second listing page, in no sitemap, is edited: nothing a run fetches links it."""
    archive = tmp_path_factory.mktemp("revisits") / "archive"
    with MirrorServer() as mirror:
        urls = SiteUrls(load_site_config("rusislam").with_origin(mirror.base_url))
        first = run_cli(archive, mirror.base_url, "--languages", "en")
        assert first.returncode == 0, first.stdout + first.stderr
        mirror.site.add_article(**next(fields for fields in NEW_ARTICLES if fields["language"] == "en"))
        listing = mirror.site.articles_in("en")
        edited = next(a for a in listing[5:8] if not a.in_sitemap)
        others = [a for a in listing[5:] if a is not edited]
        assert edited.path not in mirror.site.sitemap_paths()
        mirror.site.edit_article(edited.path, edited.paragraphs + [EDIT])
        yield mirror, urls, archive, edited, others


def payload(served) -> bytes:
    body = served.body
    return gzip.decompress(body) if (served.header("Content-Encoding") or "").lower() == "gzip" else body


def age_pages(archive: Path, urls: SiteUrls, base_url: str, ages: dict[str, timedelta]) -> None:
    """Make the state say these pages (by path) were last checked that long ago (the simulated clock)."""
    db = sqlite3.connect(state_path(archive))
    with db:
        for path, age in ages.items():
            moment = (datetime.now(timezone.utc) - age).strftime("%Y-%m-%dT%H:%M:%SZ")
            changed = db.execute("UPDATE pages SET fetched_at = ?, first_fetched = ? WHERE key = ?",
                                 (moment, moment, urls.canonical_key(base_url + path))).rowcount
            assert changed == 1, path
    db.close()


def second_run(edited_site, tmp_path, *extra, ages=None, settings=None):
    mirror, urls, archive, edited, _ = edited_site
    copy = tmp_path / "archive"
    shutil.copytree(archive, copy)
    age_pages(copy, urls, mirror.base_url, ages or {})
    mirror.clear_logs()
    result = run_cli(copy, mirror.base_url, "--languages", "en", *extra, settings=settings)
    assert result.returncode == 0, result.stdout + result.stderr
    runs = sorted((copy / "runs").glob("*.crawl.json"), key=lambda p: p.stat().st_mtime)
    crawl = json.loads(runs[-1].read_text())
    articles = [p for p in mirror.requested_paths() if urls.is_article(mirror.base_url + p)]
    before = {path.name for path in (archive / "articles").glob("*.jsonl")}
    lines = lines_of(sorted(p for p in (copy / "articles").glob("*.jsonl") if p.name not in before))
    return crawl, articles, lines, copy


def test_the_edited_article_is_due_by_the_default_policy_and_archived_as_version_2(edited_site, tmp_path):
    mirror, urls, archive, edited, _ = edited_site
    # the edited article was last checked 40 days ago (past the 30-day maximum); the rest just now
    crawl, articles, lines, copy = second_run(edited_site, tmp_path, ages={edited.path: timedelta(days=40)})
    assert sorted(articles) == sorted([edited.path, mirror.site.article_by_id(90003).path])
    # of the pages this run fetched, only the second listing page links the edited article (a link
    # to a known page fetches nothing: test_off_checks_nothing_even_when_due); no sitemap lists it
    slug = edited.path.rsplit("/", 1)[1].encode()
    assert [s.path for s in mirror.served if s.path != edited.path and slug in payload(s)] == ["/en/novosti/?PAGEN_1=2"]
    assert crawl["revisits"] == {"due": 1, "checked": 1, "changed": 1}
    assert crawl["articles"]["changed"] == 1
    version2 = next(line for line in lines if line["version"] == 2)
    assert version2["url"].endswith(edited.path.rsplit("-", 1)[1])
    assert version2["body"].endswith(EDIT)
    request = next(r for r in mirror.requests if r.path == edited.path)
    assert request.header("If-None-Match") or request.header("If-Modified-Since")
    # its history and its diff, found by the URL as linked
    shown = cli("history", str(copy), mirror.base_url + edited.path)
    assert [row.split("\t")[0] for row in shown.stdout.splitlines()[1:]] == ["1", "2"], shown.stderr
    diff = cli("diff", str(copy), mirror.base_url + edited.path)
    assert diff.stdout.splitlines()[-3:] == [f"paragraph {len(edited.body_paragraphs)} added:", f"  + {EDIT}",
                                             "1 sentence added, 0 removed, 0 changed"], diff.stdout


def test_revisit_after_checks_every_known_page_including_the_unlinked_edit(edited_site, tmp_path):
    mirror, urls, archive, edited, _ = edited_site
    crawl, articles, lines, copy = second_run(edited_site, tmp_path, "--revisit-after", "0s")
    known = [a for a in mirror.site.articles_in("en") if a.id != 90003]
    keys = lambda paths: {urls.canonical_key(mirror.base_url + p) for p in paths}  # noqa: E731
    assert keys(articles) == keys([a.path for a in known] + [mirror.site.article_by_id(90003).path])
    assert crawl["revisits"]["due"] == crawl["revisits"]["checked"] >= len(known)
    assert [line["id"] for line in lines if line["version"] == 2] == [
        next(line["id"] for line in lines if line["body"].endswith(EDIT))]
    assert crawl["articles"]["changed"] == 1


def test_off_checks_nothing_even_when_due(edited_site, tmp_path):
    mirror, urls, archive, edited, _ = edited_site
    crawl, articles, lines, _ = second_run(edited_site, tmp_path, "-a", "revisit=off",
                                           ages={edited.path: timedelta(days=40)})
    assert articles == [mirror.site.article_by_id(90003).path]
    assert crawl["revisits"] == {"due": 0, "checked": 0, "changed": 0}
    assert crawl["articles"] == {"new": 1, "changed": 0, "unchanged": 0}, crawl
    assert [line["version"] for line in lines] == [1]


def test_the_budget_checks_the_most_overdue_first(edited_site, tmp_path):
    mirror, urls, archive, edited, others = edited_site
    ages = {edited.path: timedelta(days=70), others[0].path: timedelta(days=40), others[1].path: timedelta(days=35)}
    crawl, articles, lines, _ = second_run(edited_site, tmp_path, ages=ages, settings={"REVISIT_MAX_REQUESTS": "1"})
    assert sorted(articles) == sorted([edited.path, mirror.site.article_by_id(90003).path])
    assert crawl["revisits"] == {"due": 3, "checked": 1, "changed": 1}
