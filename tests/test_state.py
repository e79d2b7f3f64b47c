"""StateStore: persistence, conditional-fetch data, article versions, failures, crash safety; RunLock."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from archive.runlock import ArchiveLocked, RunLock
from archive.state import (
    PageState,
    SCHEMA_VERSION,
    StateError,
    StateStore,
    WarcRecordRef,
    state_path,
)
from archive.warc import WarcPointer

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ARTICLE_URL = "https://russia-islworld.ru/ar/novosti//wfd-2025-12-04-53208"
FULL_COPY = WarcRecordRef(
    file="rusislam-20251204120000000-00000-host-1.warc.gz",
    offset=1234,
    length=5678,
    record_id="<urn:uuid:6b1e2f7a-0000-4000-8000-000000000001>",
    warc_date="2025-12-04T12:00:00.123Z",
    target_uri=ARTICLE_URL,
)
DIGEST = "sha1:2NWYKXUJLUMFZ6JNLXOKNC5XBRH3AKZD"


def fetch(store: StateStore, key: str = "ar/53208", **changes) -> None:
    fields = dict(
        status=200, fetched_at="2025-12-04T12:00:00Z", etag='"abc"', last_modified="Thu, 04 Dec 2025 11:00:00 GMT",
        payload_digest=DIGEST, warc=FULL_COPY, kind="article",
    )
    fields.update(changes)
    store.record_fetch(key, ARTICLE_URL, **fields)


def test_new_store_is_created_with_schema_version_and_wal(tmp_path):
    path = state_path(tmp_path)
    with StateStore(path):
        pass
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")} >= {"pages", "articles"}


def test_page_and_article_survive_reopen(tmp_path):
    path = state_path(tmp_path)
    with StateStore(path) as store:
        fetch(store, fetched_at="2025-12-04T15:00:00+03:00")
        store.record_article_version("ar-53208", "c" * 40, ARTICLE_URL, FULL_COPY, seen_at="2025-12-04T12:00:00Z")
    with StateStore(path) as store:
        assert store.page("ar/53208") == PageState(
            key="ar/53208", url=ARTICLE_URL, kind="article", fetched_at="2025-12-04T12:00:00Z", status=200,
            etag='"abc"', last_modified="Thu, 04 Dec 2025 11:00:00 GMT", payload_digest=DIGEST, warc=FULL_COPY,
            failures=0, last_error=None, failed_at=None, first_fetched="2025-12-04T12:00:00Z",
        )
        article = store.article("ar-53208")
        assert (article.version, article.content_sha1, article.canonical_url, article.warc) == (1, "c" * 40, ARTICLE_URL, FULL_COPY)
        assert article.first_seen == article.last_changed == "2025-12-04T12:00:00Z"
        assert store.page("missing") is None and store.article("missing") is None
        # the page's article is recorded: nothing left to extract from the archive
        assert store.pages_without_article({"ar/53208": "ar-53208"}.get) == []
        assert [p.key for p in store.pages_without_article(lambda key: "another id")] == ["ar/53208"]
        store.record_gone("gone", ARTICLE_URL, 404, "article")  # no article to make: an error page
        fetch(store, key="listing", kind="listing")
        fetch(store, key="no-copy", warc=None)  # nothing archived whole to read it from
        assert [p.key for p in store.pages_without_article(lambda key: "another id")] == ["ar/53208"]
        assert not store.previous_session_crashed


def test_revisit_keeps_full_copy_pointer_and_304_keeps_validators(tmp_path):
    with StateStore(state_path(tmp_path)) as store:
        fetch(store)
        # 200 with an identical payload, archived as a revisit: new validators, same full copy.
        fetch(store, fetched_at="2025-12-05T00:00:00Z", etag='"def"', warc=None)
        page = store.page("ar/53208")
        assert (page.etag, page.warc, page.fetched_at) == ('"def"', FULL_COPY, "2025-12-05T00:00:00Z")
        # 304 without validators: what is held is still current.
        fetch(store, status=304, fetched_at="2025-12-06T00:00:00Z", etag=None, last_modified=None,
              payload_digest=None, warc=None)
        page = store.page("ar/53208")
        assert (page.status, page.etag, page.last_modified, page.payload_digest, page.warc) == (
            304, '"def"', "Thu, 04 Dec 2025 11:00:00 GMT", DIGEST, FULL_COPY)
        # A 200 without an ETag drops the old one (it must not be sent as If-None-Match again).
        new_copy = WarcRecordRef.of(WarcPointer("other.warc.gz", 0, 10, "<urn:uuid:x>"),
                                    warc_date="2025-12-07T00:00:00.000Z", target_uri=ARTICLE_URL)
        fetch(store, fetched_at="2025-12-07T00:00:00Z", etag=None, payload_digest="sha1:NEW", warc=new_copy)
        page = store.page("ar/53208")
        assert (page.status, page.etag, page.payload_digest, page.warc) == (200, None, "sha1:NEW", new_copy)


def test_article_versions_new_unchanged_changed(tmp_path):
    path = state_path(tmp_path)
    with StateStore(path) as store:
        assert store.record_article_version("a1", "s" * 40, ARTICLE_URL, FULL_COPY, seen_at="2025-01-01T00:00:00Z") == (1, None, True)
        assert store.record_article_version("a1", "s" * 40, ARTICLE_URL, None, seen_at="2025-01-02T00:00:00Z") == (1, None, False)
        # Unchanged content writes nothing: the version's record and dates stay.
        assert store.article("a1").warc == FULL_COPY and store.article("a1").last_changed == "2025-01-01T00:00:00Z"
    with StateStore(path) as store:
        version, previous, changed = store.record_article_version("a1", "t" * 40, ARTICLE_URL, None, seen_at="2025-01-03T00:00:00Z")
        assert (version, previous, changed) == (2, "s" * 40, True)
        assert store.record_article_version("a1", "u" * 40, ARTICLE_URL, None) == (3, "t" * 40, True)
        assert store.record_article_version("a1", "u" * 40, ARTICLE_URL, None) == (3, None, False)
        article = store.article("a1")
        assert (article.first_seen, article.content_sha1, article.warc) == ("2025-01-01T00:00:00Z", "u" * 40, None)
        assert store.record_article_version("a2", "s" * 40, ARTICLE_URL, None).version == 1
        assert store.counts()["articles"] == 2


def test_failures_count_up_then_clear(tmp_path):
    with StateStore(state_path(tmp_path)) as store:
        fetch(store, key="good")
        listing_url = "https://x/ar/novosti/?PAGEN_1=2"
        assert store.record_failure("listing/ar/2", listing_url, "HTTP 503", "listing", failed_at="2025-01-01T00:00:00Z") == 1
        # the retries of one crawl (one session of the store) count once: the backoff counts runs
        assert store.record_failure("listing/ar/2", listing_url, "HTTP 503", "listing", failed_at="2025-01-01T00:00:00Z") == 1
    with StateStore(state_path(tmp_path)) as store:
        assert store.record_failure("listing/ar/2", listing_url, "timeout", "listing", failed_at="2025-01-01T00:00:01Z") == 2
        assert store.record_failure("ar/1", "https://x/ar/1", "DNS lookup failed", "article", failed_at="2025-01-01T00:00:02Z") == 1
        fetch(store, key="ar/53208")
        store.record_failure("ar/53208", ARTICLE_URL, "connection refused", "article", failed_at="2025-01-01T00:00:03Z")
        assert [p.key for p in store.failed_pages()] == ["listing/ar/2", "ar/1", "ar/53208"]
        assert [p.key for p in store.failed_pages("article")] == ["ar/1", "ar/53208"]
        listing = store.failed_pages("listing")
        assert [(p.key, p.failures, p.last_error) for p in listing] == [("listing/ar/2", 2, "timeout")]
        # A failure keeps what an earlier fetch learned (validators, full copy).
        failed = store.page("ar/53208")
        assert (failed.failures, failed.etag, failed.warc) == (1, '"abc"', FULL_COPY)
        fetch(store, key="ar/53208")  # an answer clears the failure
        assert [p.key for p in store.failed_pages()] == ["listing/ar/2", "ar/1"]
        assert store.page("ar/53208").last_error is None
        assert store.counts() == {"pages": 4, "requisites": 0, "failed_pages": 2, "gone_pages": 0, "articles": 0}


def test_bad_arguments_are_refused(tmp_path):
    with StateStore(state_path(tmp_path)) as store:
        with pytest.raises(StateError, match="kind"):
            fetch(store, kind="page")
        with pytest.raises(StateError, match="status"):
            fetch(store, status="200")
        with pytest.raises(StateError, match="ISO 8601"):
            fetch(store, fetched_at="yesterday")
        with pytest.raises(StateError, match="content_sha1"):
            store.record_article_version("a1", "", ARTICLE_URL, None)
        assert store.page("ar/53208") is None


def test_foreign_or_newer_files_are_refused(tmp_path):
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database, just bytes" * 100)
    with pytest.raises(StateError, match="state store corrupt \\(not an SQLite database\\)"):
        StateStore(garbage)
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE things (x)")
    with pytest.raises(StateError, match="not a state store"):
        StateStore(foreign)
    newer = tmp_path / "newer.sqlite3"
    StateStore(newer).close()
    with sqlite3.connect(newer) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StateError, match="newer"):
        StateStore(newer)


def test_updates_are_batched_and_committed_every_n(tmp_path):
    path = state_path(tmp_path)
    store = StateStore(path, commit_every=3, commit_seconds=3600)
    reader = sqlite3.connect(path)
    count = lambda: reader.execute("SELECT count(*) FROM pages").fetchone()[0]  # noqa: E731
    fetch(store, key="p1")
    fetch(store, key="p2")
    assert count() == 0  # still in the open batch
    fetch(store, key="p3")
    assert count() == 3
    fetch(store, key="p4")
    store.close()
    assert count() == 4
    reader.close()


_WRITER = textwrap.dedent(
    """
    import sys
    from archive.state import StateStore, WarcRecordRef
    store = StateStore(sys.argv[1], commit_every=2, commit_seconds=3600)
    i = 0
    while True:
        ref = WarcRecordRef("f.warc.gz", i * 100, 100, f"<urn:uuid:{i}>", "2025-01-01T00:00:00.000Z", f"http://x/{i}")
        store.record_fetch(f"k{i}", f"http://x/{i}", status=200 + i % 3, fetched_at="2025-01-01T00:00:00Z",
                           etag=f'"e{i}"', last_modified=None, payload_digest=f"sha1:{i}", warc=ref, kind="article")
        store.record_article_version(f"a{i % 50}", f"sha{i}", f"http://x/{i}", ref)  # 2nd update: commits
        i += 1
        print(i, flush=True)
    """
)


def test_killed_writer_leaves_a_consistent_database(tmp_path):
    path = state_path(tmp_path)
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT,
    )
    committed = 0
    try:
        deadline = time.monotonic() + 20
        while committed < 300 and time.monotonic() < deadline:
            line = writer.stdout.readline()
            if not line:
                break
            committed = int(line)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert committed >= 300, f"writer stopped early (exit {writer.returncode})"

    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    with StateStore(path) as store:
        assert store.previous_session_crashed
        pages = store.counts()["pages"]
        assert pages >= committed  # every reported commit survived
        for i in (0, committed // 2, pages - 1):
            page = store.page(f"k{i}")
            assert (page.status, page.etag, page.warc.offset) == (200 + i % 3, f'"e{i}"', i * 100)
        # Page and article of one iteration share a transaction: the versions match the pages exactly.
        for j in range(50):
            indexes = [i for i in range(pages) if i % 50 == j]
            article = store.article(f"a{j}")
            assert (article.version, article.content_sha1) == (len(indexes), f"sha{indexes[-1]}")
    with StateStore(path) as store:
        assert not store.previous_session_crashed  # the last session closed cleanly


def test_reconcile_restores_versions_the_state_lost(tmp_path):
    with StateStore(state_path(tmp_path)) as store:
        store.record_article_version("a1", "s1", "http://x/1", None)
        records = [
            {"id": "a1", "version": 1, "content_sha1": "s1", "url": "http://x/1"},          # already known
            {"id": "a1", "version": 2, "content_sha1": "s2", "url": "http://x/1",
             "warc": {"file": "f.warc.gz", "offset": 5, "length": 9, "record_id": "<urn:uuid:r>"}},
            {"id": "a2", "content_sha1": "t1", "canonical_url": "http://x/2", "fetched_at": "2025-05-05T05:05:05Z"},
            {"id": "a3", "version": 1},                                                   # no hash: skipped
            {"id": "a4", "version": "2", "content_sha1": "u"},                            # bad version: skipped
        ]
        assert store.reconcile_articles(records) == 2
        assert store.record_article_version("a1", "s2", "http://x/1", None) == (2, None, False)
        assert store.record_article_version("a2", "t1", "http://x/2", None) == (1, None, False)
        assert store.article("a1").warc.offset == 5 and store.article("a1").warc.target_uri == "http://x/1"
        assert store.article("a2").first_seen == "2025-05-05T05:05:05Z"
        assert store.counts()["articles"] == 2 and store.article("a3") is None and store.article("a4") is None


# -- RunLock ------------------------------------------------------------------------------------

_HOLDER = textwrap.dedent(
    """
    import sys, time
    from archive.runlock import RunLock
    lock = RunLock(sys.argv[1]).acquire()
    print("locked", flush=True)
    time.sleep(60)
    """
)


def hold_lock(archive_dir: Path) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(archive_dir)], stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT,
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_lock_is_exclusive_names_holder_and_dies_with_it(tmp_path):
    holder = hold_lock(tmp_path)
    try:
        with pytest.raises(ArchiveLocked) as caught:
            RunLock(tmp_path).acquire()
        assert f"pid {holder.pid} started 20" in str(caught.value)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # No stale lock after a killed holder.
    with RunLock(tmp_path) as lock:
        assert lock.held
        assert (tmp_path / ".lock").read_text().startswith(f"pid {os.getpid()} started ")
        lock.annotate("crawl pid 4242")
        with pytest.raises(ArchiveLocked, match=f"pid {os.getpid()} started .*; crawl pid 4242"):
            RunLock(tmp_path).acquire()  # a second descriptor in the same process is refused too
    RunLock(tmp_path).acquire().release()


V1_PAGES = """
CREATE TABLE pages (key TEXT PRIMARY KEY, url TEXT NOT NULL, kind TEXT NOT NULL, fetched_at TEXT, status INTEGER,
    etag TEXT, last_modified TEXT, payload_digest TEXT, warc_file TEXT, warc_offset INTEGER, warc_length INTEGER,
    warc_record_id TEXT, warc_date TEXT, warc_target_uri TEXT, failures INTEGER NOT NULL DEFAULT 0, last_error TEXT,
    failed_at TEXT) WITHOUT ROWID;
CREATE TABLE articles (id TEXT PRIMARY KEY, version INTEGER NOT NULL, content_sha1 TEXT NOT NULL,
    canonical_url TEXT NOT NULL, first_seen TEXT NOT NULL, last_changed TEXT NOT NULL, warc_file TEXT,
    warc_offset INTEGER, warc_length INTEGER, warc_record_id TEXT, warc_date TEXT, warc_target_uri TEXT) WITHOUT ROWID;
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
PRAGMA user_version = 1;
"""


def test_schema_1_answers_that_were_no_copy_become_failed_or_gone(tmp_path):
    """Schema 1 recorded a 403, a 404, an empty 200 or an unasked 304 as a fetch: the page was never asked again."""
    path = state_path(tmp_path)
    with sqlite3.connect(path) as db:
        db.executescript(V1_PAGES)
        rows = {"good": (200, DIGEST, "f.warc.gz"), "forbidden": (403, DIGEST, "f.warc.gz"),
                "gone": (404, DIGEST, "f.warc.gz"), "empty": (200, "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ", "f.warc.gz"),
                "unasked_304": (304, None, None), "partial": (206, DIGEST, "f.warc.gz"), "moved": (301, DIGEST, "f.warc.gz")}
        db.executemany("INSERT INTO pages (key, url, kind, fetched_at, status, payload_digest, warc_file) "
                       "VALUES (?, ?, 'article', '2025-01-01T00:00:00Z', ?, ?, ?)",
                       [(key, f"https://x/{key}", *values) for key, values in rows.items()])
    with StateStore(path) as store:
        conditions = {key: store.page(key).condition for key in rows}
        assert conditions == {"good": "known", "forbidden": "failed", "gone": "gone", "empty": "failed",
                              "unasked_304": "failed", "partial": "failed", "moved": "known"}
        forbidden = store.page("forbidden")
        assert (forbidden.failures, forbidden.has_good_copy, forbidden.warc, forbidden.failed_at) == (
            1, False, None, "2025-01-01T00:00:00Z")
        assert "HTTP 403" in forbidden.last_error
        assert store.page("gone").gone_at == "2025-01-01T00:00:00Z"
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4


def test_retry_policy_and_pages_to_retry(tmp_path):
    from archive.state import RetryPolicy

    policy = RetryPolicy(backoff_base=3600, backoff_max=5400, gone_after=86400)
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [0, 3600, 5400, 5400]
    with StateStore(state_path(tmp_path)) as store:
        fetch(store, key="known")
        store.record_failure("once", "https://x/once", "HTTP 503", "article", failed_at="2025-01-01T00:00:00Z")
        store.record_gone("gone", "https://x/gone", 410, "article", gone_at="2025-01-01T00:00:00Z")
    for _ in range(2):  # failed in two sessions (runs)
        with StateStore(state_path(tmp_path)) as store:
            store.record_failure("twice", "https://x/twice", "HTTP 403", "article", failed_at="2025-01-01T00:00:00Z")
    with StateStore(state_path(tmp_path)) as store:
        due, deferred = store.pages_to_retry(policy, "2025-01-01T00:30:00Z")
        assert ([p.key for p in due], [p.key for p in deferred]) == (["once"], ["gone", "twice"])
        due, _ = store.pages_to_retry(policy, "2025-01-01T01:00:00Z")
        assert [p.key for p in due] == ["once", "twice"]
        due, _ = store.pages_to_retry(policy, "2025-01-02T00:00:00Z")
        assert [p.key for p in due] == ["gone", "once", "twice"]
        assert [p.key for p in store.pages_to_retry(policy, "2025-01-01T00:00:00Z", every=True)[0]] == ["gone", "once", "twice"]
        assert policy.next_attempt(store.page("twice")) == "2025-01-01T01:00:00Z"
        assert policy.next_attempt(store.page("known")) is None
        with pytest.raises(StateError, match="no usable answer"):
            fetch(store, key="x", status=403)
        with pytest.raises(StateError, match="304 without a good copy"):
            fetch(store, key="never-fetched", status=304)


def test_the_message_names_the_cause_corrupt_locked_read_only(tmp_path, small_disk):
    # corrupt: a flipped byte in a table page is found at open (PRAGMA quick_check), in one line
    path = state_path(tmp_path)
    with StateStore(path) as store:
        for number in range(300):
            store.record_failure(f"k{number}", f"https://x/{number}", "HTTP 503", "article")
    data = bytearray(path.read_bytes())
    data[4096:4104] = bytes(b ^ 0xFF for b in data[4096:4104])
    path.write_bytes(bytes(data))
    with pytest.raises(StateError) as corrupt:
        StateStore(path)
    assert "state store corrupt" in str(corrupt.value) and "rebuild-state" in str(corrupt.value)
    assert "\n" not in str(corrupt.value)
    # locked: another process holds a write lock
    other = state_path(tmp_path / "locked")
    StateStore(other).close()
    holder = sqlite3.connect(other, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    with pytest.raises(StateError, match="locked by another process"):
        StateStore(other, timeout=0.1)
    holder.close()
    # read-only: the file system was remounted read-only
    StateStore(state_path(small_disk)).close()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    with pytest.raises(StateError, match="read-only"):
        StateStore(state_path(small_disk))
