"""The revisit policy on a simulated clock: which pages are due when, the budget, off, revisit_after;
and the state store rows it reads (published date, first capture, schema upgrade)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from archive.revisit import RevisitPolicy, plan_revisits
from archive.state import RevisitCandidate, StateStore, state_path

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
DEFAULT = RevisitPolicy(0.2, timedelta(hours=6), timedelta(days=30))  # diffengine's ratio, 6 h to 30 d apart


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def page(key: str, checked: datetime, *, published: datetime | None = None, first: datetime | None = None,
         kind: str = "article") -> RevisitCandidate:
    return RevisitCandidate(key, f"https://example.org/{key}", kind, iso(checked), iso(first or checked),
                            iso(published) if published else None)


def due_keys(pages, now, policy=DEFAULT, budget=None) -> list[str]:
    return [p.key for p in plan_revisits(pages, policy, now, budget).pages]


def test_a_young_article_is_due_after_the_minimum_interval_an_old_one_after_a_fifth_of_its_age():
    young = page("young", T0 + timedelta(hours=2), published=T0)  # captured 2 h after publication
    old = page("old", T0, published=T0 - timedelta(days=50))  # 50 days old when checked
    # 5 h 59 after the check: nothing; 6 h: the young one (0.2 x 8 h < 6 h minimum)
    assert due_keys([young, old], T0 + timedelta(hours=7, minutes=59)) == []
    assert due_keys([young, old], T0 + timedelta(hours=8)) == ["young"]
    # the old one: due once the wait reaches 0.2 x its age then, i.e. after 12.5 days (0.2 x 62.5 d)
    assert "old" not in due_keys([old], T0 + timedelta(days=12, hours=11))
    assert due_keys([old], T0 + timedelta(days=12, hours=12)) == ["old"]


def test_the_age_runs_from_the_first_capture_when_the_published_date_is_unknown():
    undated = page("undated", T0 + timedelta(days=10), first=T0)  # first captured 10 days before the check
    # interval = 0.2 x age: due when wait >= 0.2 x (10 d + wait) -> wait >= 2.5 d
    assert due_keys([undated], T0 + timedelta(days=12, hours=11)) == []
    assert due_keys([undated], T0 + timedelta(days=12, hours=12)) == ["undated"]


def test_a_date_only_published_value_counts_from_its_midnight_and_bad_values_fall_back():
    dated = RevisitCandidate("d", "u", "article", iso(T0), iso(T0), "2026-10-02")  # 30 days before T0
    broken = RevisitCandidate("b", "u", "article", iso(T0), iso(T0), "not a date")  # age from first capture (0)
    now = T0 + timedelta(days=7, hours=12)  # 0.2 x 37.5 d = 7.5 d
    # b: 7.5 d waited for an interval of 0.2 x 7.5 d (5 intervals overdue) comes before d (just due)
    assert due_keys([dated, broken], now) == ["b", "d"]
    assert due_keys([dated], now - timedelta(minutes=1)) == []


def test_the_maximum_interval_bounds_the_wait_of_very_old_pages():
    ancient = page("ancient", T0, published=T0 - timedelta(days=3000))
    assert due_keys([ancient], T0 + timedelta(days=29, hours=23)) == []
    assert due_keys([ancient], T0 + timedelta(days=30)) == ["ancient"]


def test_the_budget_takes_the_most_overdue_first_and_counts_every_due_page():
    now = T0 + timedelta(days=40)
    pages = [
        page("a-twice-overdue", now - timedelta(days=60), published=T0 - timedelta(days=900)),  # 60 d / 30 d = 2
        page("b-young", now - timedelta(hours=18), published=now - timedelta(days=1)),  # 18 h / 6 h = 3
        page("c-just-due", now - timedelta(days=31), published=T0 - timedelta(days=900)),  # 31 / 30
        page("d-not-due", now - timedelta(hours=1), published=now - timedelta(days=1)),
    ]
    plan = plan_revisits(pages, DEFAULT, now, budget=2)
    assert plan.due == 3
    assert [p.key for p in plan.pages] == ["b-young", "a-twice-overdue"]
    assert due_keys(pages, now) == ["b-young", "a-twice-overdue", "c-just-due"]


def test_revisit_after_makes_every_page_last_checked_that_long_ago_due_whatever_its_age():
    every_day = RevisitPolicy.every(timedelta(days=1))
    now = T0 + timedelta(days=5)
    pages = [page("checked-25h-ago", now - timedelta(hours=25), published=T0 - timedelta(days=999)),
             page("checked-23h-ago", now - timedelta(hours=23), published=now - timedelta(hours=30))]
    assert due_keys(pages, now, every_day) == ["checked-25h-ago"]
    assert due_keys(pages, now, RevisitPolicy.every(timedelta(0))) == ["checked-25h-ago", "checked-23h-ago"]


def test_off_is_no_policy_and_plans_nothing():
    plan = plan_revisits([page("x", T0 - timedelta(days=365))], None, T0)
    assert plan == (0, [])


def test_a_policy_that_would_never_fire_is_refused():
    with pytest.raises(ValueError, match="below 1"):
        RevisitPolicy(1.0, timedelta(hours=6), timedelta(days=30))
    with pytest.raises(ValueError, match="min"):
        RevisitPolicy(0.2, timedelta(days=2), timedelta(days=1))


def test_the_store_gives_dated_candidates_of_good_copies_only(tmp_path):
    with StateStore(state_path(tmp_path)) as store:
        def fetch(key, kind="article", status=200, when="2026-11-01T00:00:00Z"):
            store.record_fetch(key, f"https://example.org/{key}", status=status, fetched_at=when, etag=None,
                               last_modified=None, payload_digest="sha1:X", kind=kind)
        fetch("a1", when="2026-11-01T00:00:00Z")
        fetch("a1", status=304, when="2026-11-02T00:00:00Z")  # a check: first capture stays
        fetch("about", kind="other")
        fetch("list", kind="listing")  # fetched every run anyway
        store.record_gone("gone", "https://example.org/gone", 404, "article")
        store.record_failure("failing", "https://example.org/failing", "HTTP 503", "article")
        store.record_article_version("id-a1", "s1", "https://example.org/a1", None, seen_at="2026-11-01T00:00:00Z",
                                     published="2026-10-30")
        store.record_article_version("id-a1", "s2", "https://example.org/a1", None)  # a version without a date keeps it
        candidates = sorted(store.revisit_candidates(lambda key: f"id-{key}"))
    assert candidates == [
        RevisitCandidate("a1", "https://example.org/a1", "article", "2026-11-02T00:00:00Z", "2026-11-01T00:00:00Z", "2026-10-30"),
        RevisitCandidate("about", "https://example.org/about", "other", "2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z", None),
    ]


def test_a_version_1_store_is_upgraded_in_place(tmp_path):
    path = state_path(tmp_path)
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE pages (key TEXT PRIMARY KEY, url TEXT NOT NULL, kind TEXT NOT NULL, fetched_at TEXT, status INTEGER,"
        " etag TEXT, last_modified TEXT, payload_digest TEXT, warc_file TEXT, warc_offset INTEGER, warc_length INTEGER,"
        " warc_record_id TEXT, warc_date TEXT, warc_target_uri TEXT, failures INTEGER NOT NULL DEFAULT 0, last_error TEXT,"
        " failed_at TEXT) WITHOUT ROWID;"
        "CREATE TABLE articles (id TEXT PRIMARY KEY, version INTEGER NOT NULL, content_sha1 TEXT NOT NULL,"
        " canonical_url TEXT NOT NULL, first_seen TEXT NOT NULL, last_changed TEXT NOT NULL, warc_file TEXT,"
        " warc_offset INTEGER, warc_length INTEGER, warc_record_id TEXT, warc_date TEXT, warc_target_uri TEXT) WITHOUT ROWID;"
        "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
        "INSERT INTO pages (key, url, kind, fetched_at, status) VALUES ('k', 'https://example.org/k', 'article', '2026-11-05T00:00:00Z', 200);"
        "INSERT INTO articles VALUES ('id-k', 1, 's', 'https://example.org/k', '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z',"
        " NULL, NULL, NULL, NULL, NULL, NULL);"
        "PRAGMA user_version = 1;"
    )
    db.close()
    with StateStore(path) as store:
        # no first capture recorded before the upgrade: the article's first sighting stands for it
        assert list(store.revisit_candidates(lambda key: f"id-{key}")) == [
            RevisitCandidate("k", "https://example.org/k", "article", "2026-11-05T00:00:00Z", "2026-11-01T00:00:00Z", None)]
        store.record_fetch("k", "https://example.org/k", status=200, fetched_at="2026-11-09T00:00:00Z", etag=None,
                           last_modified=None, payload_digest=None, kind="article")
        assert store.page("k").first_fetched == "2026-11-05T00:00:00Z"


def test_the_site_yaml_gives_the_default_policy_and_bad_rules_stop_at_load(tmp_path):
    from crawler.extract.siteconfig import ConfigError, load_site_config, site_config_path

    site = load_site_config("rusislam")
    assert RevisitPolicy.of_site(site.revisit) == RevisitPolicy(0.5, timedelta(hours=12), timedelta(days=30))
    text = site_config_path("rusislam").read_text(encoding="utf-8")
    for bad, key in (("ratio: 1.5", "revisit.ratio"), ("min_interval_hours: 1000", "revisit.min_interval_hours"),
                     ("every: 3", "revisit.every")):
        path = tmp_path / "site.yaml"
        path.write_text(text.replace("  ratio: 0.5", "  ratio: 0.5\n  " + bad) if bad.startswith("every")
                        else text.replace("  " + bad.split(":")[0] + ": " + ("0.5" if "ratio" in bad else "12"), "  " + bad),
                        encoding="utf-8")
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            load_site_config(path)
