"""What earlier runs fetched, so that a scheduled run costs in proportion to what is new.

``StateStore`` is one SQLite file (``ARCHIVE_DIR/state.sqlite3``, stdlib ``sqlite3``, no server)
holding two tables:

- ``pages``: one row per page key (the canonical key the crawler computes, plus the URL as
  fetched): the first and the last usable answer (times, HTTP status, ETag, Last-Modified, payload digest, the
  WARC record holding that good copy, which a ``revisit`` record refers to), consecutive failures
  and the last error, when the page last answered 404/410 (``gone_at``), and the page kind. Page
  requisites (images, stylesheets, scripts, fonts; kind ``requisite``) are rows too: they get the
  same conditional requests and revisit records.
- ``articles``: one row per article id: current version, content hash, canonical URL, first seen,
  last changed, published date (as extracted), and the WARC record of the current version.

Revisits are chosen from these rows (``revisit_candidates``, policy in ``archive.revisit``): a
page's age runs from its article's published date, else its first fetch.

Crash safety
    WAL journal with ``synchronous=NORMAL``: a committed transaction survives a killed process (it
    is in the operating system's hands once committed) and the file stays consistent through a
    power loss, which may only cost the last transactions; a transaction cut short is rolled back
    on the next open. Updates are grouped into transactions of at most ``commit_every`` updates
    (or ``commit_seconds`` seconds) and committed on ``close``; the crawl commits every update
    (cheap without an fsync each), so the state keeps step with the archive files. A crash loses
    at most the updates of the last uncommitted batch; those pages are fetched again by the next run. The archive files (WARC, JSON lines) are written before
    the state, so the state never claims what the archive lacks; after a crash the JSON lines may
    hold article versions the state lost, which ``reconcile_articles`` restores
    (``previous_session_crashed`` tells when that is needed).

Page conditions (``PageState.condition``)
    known   the last answer was usable: a 2xx whose body reads as the page, or a 304 to our
            conditional request (the crawl alone decides what reads as the page);
    failed  the last attempts failed (5xx, 403, 429, 206, an empty or challenge 200, a 304 to an
            unconditional request, a timeout...): retried by later runs with an exponential
            backoff and a cap (``RetryPolicy``); a good copy fetched earlier is kept;
    gone    the last answer was 404 or 410: retried rarely (``RetryPolicy.gone_after``).
    Every answer is archived in the WARC files as received whatever its condition: the state
    only decides what later runs ask for again.

Threads
    A store belongs to the thread that opened it (sqlite3's own check enforces it): the crawl calls
    it from Scrapy's reactor thread only. Two processes must not write one store at once; the run
    lock (``archive.runlock``) guarantees that for ``rusislam-archive run``.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, NamedTuple

from archive.jsonl import JsonLinesError, read_jsonl

log = logging.getLogger(__name__)

STATE_FILE_NAME = "state.sqlite3"
SCHEMA_VERSION = 4  # 2: page kind "requisite"; 3: pages.gone_at, only usable answers are fetches;
# 4: pages.first_fetched, articles.published (revisit ages)
# "requisite": an image, stylesheet, script, icon or font a page needs to render (since version 2).
PAGE_KINDS = ("article", "listing", "sitemap", "other", "requisite")
NOT_MODIFIED = 304
EMPTY_PAYLOAD_DIGEST = "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"  # WARC-Payload-Digest of an empty body

_SCHEMA = f"""
CREATE TABLE pages (
    key             TEXT PRIMARY KEY,
    url             TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN {PAGE_KINDS!r}),
    fetched_at      TEXT,     -- UTC ISO 8601 of the last usable answer (record_fetch): the good copy
    status          INTEGER,
    etag            TEXT,
    last_modified   TEXT,
    payload_digest  TEXT,     -- sha1:BASE32, as in WARC-Payload-Digest
    warc_file       TEXT,     -- the record holding the last full copy
    warc_offset     INTEGER,
    warc_length     INTEGER,
    warc_record_id  TEXT,
    warc_date       TEXT,
    warc_target_uri TEXT,
    failures        INTEGER NOT NULL DEFAULT 0,  -- consecutive failures since the last answer
    last_error      TEXT,
    failed_at       TEXT,
    gone_at         TEXT,     -- the last answer was 404/410 (record_gone); NULL otherwise
    first_fetched   TEXT      -- UTC ISO 8601 of the first answer recorded (the page's first capture)
) WITHOUT ROWID;
CREATE INDEX pages_failed ON pages (kind) WHERE failures > 0;
CREATE INDEX pages_kind_fetched ON pages (kind, fetched_at);
CREATE TABLE articles (
    id              TEXT PRIMARY KEY,
    version         INTEGER NOT NULL CHECK (version >= 1),
    content_sha1    TEXT NOT NULL,
    canonical_url   TEXT NOT NULL,
    first_seen      TEXT NOT NULL,
    last_changed    TEXT NOT NULL,
    warc_file       TEXT,
    warc_offset     INTEGER,
    warc_length     INTEGER,
    warc_record_id  TEXT,
    warc_date       TEXT,
    warc_target_uri TEXT,
    published       TEXT      -- the article's published date or time as extracted (ISO 8601), if any
) WITHOUT ROWID;
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value TEXT
) WITHOUT ROWID;
"""
_FETCH_COLUMNS = ("fetched_at", "status", "etag", "last_modified", "payload_digest")
_WARC_COLUMNS = ("warc_file", "warc_offset", "warc_length", "warc_record_id", "warc_date", "warc_target_uri")


class StateError(RuntimeError):
    """The state file cannot be used (newer schema, not a state store, bad argument)."""


REBUILD_HINT = "rebuild it from the WARC and JSON lines files with `rusislam-archive rebuild-state ARCHIVE_DIR`"
# SQLite primary result codes (the low byte of an extended code) -> what a person must know.
_SQLITE_CAUSES = {
    5: "locked by another process (another crawl or a tool holds it); try again when it is done",
    6: "locked by another process (another crawl or a tool holds it); try again when it is done",
    8: "read-only (the file or its directory cannot be written)",
    10: "input/output error (disk full or failing?)",
    11: "corrupt; " + REBUILD_HINT,
    13: "disk full",
    14: "cannot be opened (missing directory or no permission)",
    26: "corrupt (not an SQLite database); " + REBUILD_HINT,
}


def describe_sqlite_error(error: sqlite3.Error, path: Path | None = None) -> str:
    """The cause of an SQLite failure in words (corrupt, disk full, read-only, locked...) plus SQLite's message."""
    code = getattr(error, "sqlite_errorcode", None)
    code = code & 0xFF if isinstance(code, int) else None
    if code == 14 and path is not None and not _writable(path):
        code = 8  # a WAL database on a read-only file system cannot even be opened
    cause = _SQLITE_CAUSES.get(code)
    return f"{cause} ({error})" if cause else str(error)


def _writable(path: Path) -> bool:
    return os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


@dataclass(frozen=True)
class WarcRecordRef:
    """Where a full copy lives, plus what a revisit record must cite (WARC-Refers-To-Target-URI/-Date)."""

    file: str
    offset: int
    length: int
    record_id: str
    warc_date: str
    target_uri: str

    @classmethod
    def of(cls, pointer: Any, *, warc_date: str, target_uri: str) -> "WarcRecordRef":
        """From an ``archive.warc.WarcPointer`` (or anything with file/offset/length/record_id)."""
        return cls(pointer.file, pointer.offset, pointer.length, pointer.record_id, warc_date, target_uri)

    def pointer(self) -> dict:
        """The pointer article records carry: file, offset, length, record_id."""
        return {"file": self.file, "offset": self.offset, "length": self.length, "record_id": self.record_id}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, warc_date: str = "", target_uri: str = "") -> "WarcRecordRef":
        """From a JSON pointer as written in article lines (file, offset, length, record_id).

        Article lines carry no WARC-Date nor target URI: the caller passes the best it has.
        """
        try:
            return cls(
                file=str(data["file"]),
                offset=int(data["offset"]),
                length=int(data["length"]),
                record_id=str(data["record_id"]),
                warc_date=str(data.get("warc_date") or warc_date),
                target_uri=str(data.get("target_uri") or target_uri),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not a WARC record pointer: {data!r} ({error})") from None


@dataclass(frozen=True)
class PageState:
    key: str
    url: str
    kind: str
    fetched_at: str | None
    status: int | None
    etag: str | None
    last_modified: str | None
    payload_digest: str | None
    warc: WarcRecordRef | None
    failures: int
    last_error: str | None
    failed_at: str | None
    first_fetched: str | None = None
    gone_at: str | None = None

    @property
    def has_good_copy(self) -> bool:
        """Whether some run archived a usable answer of the page (``fetched_at`` is only set by one)."""
        return self.fetched_at is not None

    @property
    def condition(self) -> str:
        """``gone`` (last answer 404/410), ``failed`` (last attempts failed) or ``known``."""
        if self.gone_at is not None:
            return "gone"
        if self.failures or not self.has_good_copy:
            return "failed"
        return "known"


@dataclass(frozen=True)
class RetryPolicy:
    """When later runs ask again for a page whose last answer was not usable.

    A page that failed once is retried by the next run (one bad answer costs nothing); after
    ``n`` consecutive failures it waits ``backoff_base * 2 ** (n - 2)`` seconds, at most
    ``backoff_max``: a page that always fails (a slowloris, a page behind a WAF) costs a few
    attempts a month, not one per run. A page that answered 404/410 waits ``gone_after`` seconds.
    """

    backoff_base: float = 12 * 3600.0
    backoff_max: float = 7 * 86400.0
    gone_after: float = 30 * 86400.0

    def __post_init__(self) -> None:
        if min(self.backoff_base, self.backoff_max, self.gone_after) < 0:
            raise StateError(f"retry delays must not be negative: {self}")

    def delay(self, failures: int) -> float:
        """Seconds between the last of ``failures`` consecutive failures and the next attempt."""
        if failures <= 1:
            return 0.0
        return min(self.backoff_base * 2.0 ** min(failures - 2, 60), self.backoff_max)

    def next_attempt(self, page: PageState) -> str | None:
        """UTC ISO time from which a failed or gone page may be asked again; None for a known page."""
        condition = page.condition
        if condition == "gone":
            since, wait = page.gone_at, self.gone_after
        elif condition == "failed" and page.failed_at:
            since, wait = page.failed_at, self.delay(page.failures)
        else:
            return None
        return utc_iso(_parse_utc(since) + timedelta(seconds=wait))

    def due(self, page: PageState, now: datetime | str | None = None) -> bool:
        """Whether a failed or gone page may be asked again at ``now`` (a known page: False)."""
        when = self.next_attempt(page)
        return when is not None and when <= utc_iso(now)


@dataclass(frozen=True)
class ArticleState:
    id: str
    version: int
    content_sha1: str
    canonical_url: str
    first_seen: str
    last_changed: str
    warc: WarcRecordRef | None
    published: str | None = None


class ArticleVersion(NamedTuple):
    """Outcome of ``record_article_version``: unpacks as ``version, previous_sha1, changed``."""

    version: int
    previous_sha1: str | None
    changed: bool


class RevisitCandidate(NamedTuple):
    """A page a revisit may refetch: its key and URL, its kind, when it was last checked (UTC ISO),
    its first capture and its article's published date (ISO 8601 as extracted, or None)."""

    key: str
    url: str
    kind: str
    fetched_at: str
    first_fetched: str
    published: str | None


def state_path(archive_dir: str | os.PathLike) -> Path:
    """The default state file of an archive directory."""
    return Path(archive_dir) / STATE_FILE_NAME


def _parse_utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def utc_iso(moment: datetime | str | None = None) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC (one format, so stored times compare as strings).

    None means now; a naive datetime is taken as UTC; a string must be ISO 8601.
    """
    if moment is None:
        moment = datetime.now(timezone.utc)
    elif isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment.strip())
        except ValueError:
            raise StateError(f"not an ISO 8601 time: {moment!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class StateStore:
    """Crawl state of one archive; see the module docstring for durability and threading."""

    def __init__(self, path: str | os.PathLike, *, commit_every: int = 100, commit_seconds: float = 30.0,
                 timeout: float = 30.0) -> None:
        if commit_every < 1:
            raise StateError(f"commit_every must be at least 1, got {commit_every}")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.commit_every = commit_every
        self.commit_seconds = commit_seconds
        self._pending = 0
        self._batch_started = 0.0
        self._failed_in_session: set[str] = set()
        # isolation_level=None: transactions are opened explicitly, one per batch.
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=timeout)
        except sqlite3.Error as error:
            raise StateError(f"{self.path}: state store {describe_sqlite_error(error, self.path)}") from None
        try:
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._check_integrity()
            self._ensure_schema()
            self.previous_session_crashed = self._meta("open") == "1"
            self._set_meta_now("open", "1")
        except sqlite3.Error as error:
            self._db.close()
            raise StateError(f"{self.path}: state store {describe_sqlite_error(error, self.path)}") from None
        except BaseException:
            self._db.close()
            raise

    @classmethod
    def in_archive(cls, archive_dir: str | os.PathLike, **options) -> "StateStore":
        return cls(state_path(archive_dir), **options)

    # -- pages --------------------------------------------------------------------------------

    def page(self, key: str) -> PageState | None:
        row = self._db.execute("SELECT * FROM pages WHERE key = ?", (key,)).fetchone()
        return _page_state(row) if row else None

    def record_fetch(
        self,
        key: str,
        url: str,
        *,
        status: int,
        fetched_at: datetime | str | None,
        etag: str | None,
        last_modified: str | None,
        payload_digest: str | None,
        warc: WarcRecordRef | None = None,
        kind: str,
    ) -> None:
        """Remember a usable answer (the page's good copy); clears its failures and its gone mark.

        Usable: a 2xx (not 206) whose body reads as the page, a redirect, or a 304 to our
        conditional request; the caller decides. ``warc=None`` (a revisit, or nothing archived)
        keeps the previous full-copy pointer. For a 304 the validators and digest describe the copy
        already held, so None keeps the stored ones. Anything else is ``record_failure`` (5xx, 403,
        206, timeouts, empty or challenge pages) or ``record_gone`` (404, 410).
        """
        _check_kind(kind)
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 999:
            raise StateError(f"record_fetch {url}: HTTP status must be an int 100-999, got {status!r}")
        if status == 206 or status >= 400 or status < 200:
            raise StateError(f"record_fetch {url}: HTTP {status} is no usable answer (record_failure / record_gone)")
        keep_missing = status == NOT_MODIFIED
        row = self._db.execute("SELECT * FROM pages WHERE key = ?", (key,)).fetchone()
        if keep_missing and (row is None or row["fetched_at"] is None):
            raise StateError(f"record_fetch {url}: a 304 without a good copy held is no usable answer")
        values = {
            "key": key, "url": url, "kind": kind, "fetched_at": utc_iso(fetched_at), "status": status,
            "etag": etag, "last_modified": last_modified, "payload_digest": payload_digest,
            "failures": 0, "last_error": None, "failed_at": None, "gone_at": None,
        }
        values.update(_warc_values(warc))
        values["first_fetched"] = values["fetched_at"]
        if row is not None:
            values["first_fetched"] = row["first_fetched"] or row["fetched_at"] or values["fetched_at"]
            keep = list(_WARC_COLUMNS) if warc is None else []
            if keep_missing:
                keep += [name for name in ("etag", "last_modified", "payload_digest") if values[name] is None]
            for name in keep:
                values[name] = row[name]
        self._upsert("pages", values)

    def record_failure(self, key: str, url: str, reason: str, kind: str, *, failed_at: datetime | str | None = None) -> int:
        """Count a failure of a page (a good copy held stays); returns the count.

        ``failures`` counts the sessions (crawls) in a row whose attempts at the page failed: the
        retries of one crawl update the reason and time, not the count, so that the backoff of
        ``RetryPolicy`` is measured in runs whatever ``RETRY_TIMES`` is.
        """
        _check_kind(kind)
        reason = str(reason)[:2000]
        now = utc_iso(failed_at)
        step = 0 if key in self._failed_in_session else 1
        self._failed_in_session.add(key)
        self._begin()
        self._db.execute(
            "INSERT INTO pages (key, url, kind, failures, last_error, failed_at) VALUES (?, ?, ?, 1, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET url = excluded.url, kind = excluded.kind, "
            "failures = max(failures + ?, 1), last_error = excluded.last_error, failed_at = excluded.failed_at, "
            "gone_at = NULL",
            (key, url, kind, reason, now, step),
        )
        self._updated()
        return self._db.execute("SELECT failures FROM pages WHERE key = ?", (key,)).fetchone()[0]

    def record_gone(self, key: str, url: str, status: int, kind: str, *, gone_at: datetime | str | None = None) -> None:
        """Remember that the page answered 404 or 410: not archived, asked again rarely (a good copy held stays)."""
        _check_kind(kind)
        now = utc_iso(gone_at)
        self._begin()
        self._db.execute(
            "INSERT INTO pages (key, url, kind, last_error, gone_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET url = excluded.url, kind = excluded.kind, failures = 0, "
            "last_error = excluded.last_error, failed_at = NULL, gone_at = excluded.gone_at",
            (key, url, kind, f"HTTP {status}", now),
        )
        self._updated()

    def failed_pages(self, kind: str | None = None) -> list[PageState]:
        """Pages whose last attempt failed, oldest failure first."""
        if kind is None:
            rows = self._db.execute("SELECT * FROM pages WHERE failures > 0 ORDER BY failed_at, key")
        else:
            _check_kind(kind)
            rows = self._db.execute(
                "SELECT * FROM pages WHERE failures > 0 AND kind = ? ORDER BY failed_at, key", (kind,)
            )
        return [_page_state(row) for row in rows]

    def pages_to_retry(self, policy: RetryPolicy, now: datetime | str | None = None, *,
                       every: bool = False) -> tuple[list[PageState], list[PageState]]:
        """Failed and gone pages as ``(due, deferred)``: those ``policy`` lets a run ask for at
        ``now`` (all of them with ``every``, as ``-a full=1`` wants), and those still waiting."""
        due: list[PageState] = []
        deferred: list[PageState] = []
        rows = self._db.execute(
            "SELECT * FROM pages WHERE failures > 0 OR gone_at IS NOT NULL OR fetched_at IS NULL ORDER BY key")
        for row in rows:
            page = _page_state(row)
            (due if every or policy.due(page, now) else deferred).append(page)
        return due, deferred

    def pages_without_article(self, article_id: Callable[[str], str]) -> list[PageState]:
        """Known article pages archived whole (status 200, a WARC copy) whose article was never
        recorded; ``article_id(key)`` names the article of the page with that canonical key. SQLite
        compares the ids itself: a run starts without handing every archived page to Python.
        (A page whose last answer failed is asked again instead.)"""
        self._db.create_function("article_id", 1, article_id, deterministic=True)
        rows = self._db.execute(
            "SELECT * FROM pages WHERE kind = 'article' AND fetched_at IS NOT NULL AND status = 200"
            " AND failures = 0 AND gone_at IS NULL"
            " AND warc_file IS NOT NULL AND article_id(key) NOT IN (SELECT id FROM articles)"
        )
        return [_page_state(row) for row in rows]

    def revisit_candidates(self, article_id: Callable[[str], str], kinds: Iterable[str] = ("article", "other")) -> Iterator[RevisitCandidate]:
        """Pages of these kinds whose last answer was a good copy (200, or 304 for one), with what
        dates them: ``archive.revisit`` decides which are due. ``article_id(key)`` names the
        article of a page (its published date and first capture come from the article's row)."""
        kinds = tuple(kinds)
        for kind in kinds:
            _check_kind(kind)
        self._db.create_function("article_id", 1, article_id, deterministic=True)
        rows = self._db.execute(
            "SELECT p.key, p.url, p.kind, p.fetched_at, COALESCE(p.first_fetched, a.first_seen, p.fetched_at),"
            " a.published FROM pages p LEFT JOIN articles a ON a.id = article_id(p.key)"
            f" WHERE p.kind IN ({', '.join('?' for _ in kinds)}) AND p.failures = 0 AND p.fetched_at IS NOT NULL"
            " AND p.status IN (200, 304)",
            kinds,
        )
        for row in rows:
            yield RevisitCandidate(*row)

    # -- articles -----------------------------------------------------------------------------

    def article(self, article_id: str) -> ArticleState | None:
        row = self._db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
        return _article_state(row) if row else None

    def record_article_version(
        self,
        article_id: str,
        content_sha1: str,
        canonical_url: str,
        warc: WarcRecordRef | None,
        *,
        seen_at: datetime | str | None = None,
        published: str | None = None,
    ) -> ArticleVersion:
        """Compare an extracted article with the stored one and remember it if new or changed.

        New article: ``(1, None, True)``. Same ``content_sha1``: ``(version, None, False)`` and nothing
        is written. Changed: ``(version + 1, old sha1, True)``, with the new WARC pointer.
        ``published`` (the extracted date, ISO 8601) dates the article for revisits; a version
        without one keeps the date an earlier version gave.
        """
        if not article_id or not content_sha1:
            raise StateError(f"record_article_version needs an id and a content_sha1, got {article_id!r}, {content_sha1!r}")
        now = utc_iso(seen_at)
        current = self.article(article_id)
        if current is not None and current.content_sha1 == content_sha1:
            return ArticleVersion(current.version, None, False)
        version = 1 if current is None else current.version + 1
        values = {
            "id": article_id, "version": version, "content_sha1": content_sha1, "canonical_url": canonical_url,
            "first_seen": now if current is None else current.first_seen, "last_changed": now,
            "published": published or (current.published if current else None),
        }
        values.update(_warc_values(warc))
        self._upsert("articles", values)
        return ArticleVersion(version, None if current is None else current.content_sha1, True)

    def reconcile_articles(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Raise the stored articles to the versions found in the archive's JSON lines.

        After a crash the lines of the last uncommitted batch exist while the state forgot them;
        without this, the next run would write those versions a second time. Each record needs
        ``id``, ``version`` (missing: 1) and ``content_sha1``; ``canonical_url`` (or ``url``),
        ``warc`` (pointer dict) and ``fetched_at`` are used when present (the fields of
        ``crawler.extract.article.article_record``). Records lacking the needed keys are skipped.
        Returns how many articles were updated.
        """
        updated = 0
        for record in records:
            article_id, sha1 = record.get("id"), record.get("content_sha1")
            version = record.get("version", 1)
            if not isinstance(article_id, str) or not isinstance(sha1, str) or not article_id or not sha1:
                continue
            if not isinstance(version, int) or isinstance(version, bool) or version < 1:
                continue
            current = self.article(article_id)
            if current is not None and current.version >= version:
                continue
            try:
                seen = utc_iso(record.get("fetched_at"))
            except StateError:
                seen = utc_iso()
            warc = None
            if isinstance(record.get("warc"), Mapping):
                try:  # the capture time, to the second, stands for the WARC-Date the line lacks
                    warc = WarcRecordRef.from_dict(record["warc"], warc_date=seen, target_uri=str(record.get("url") or ""))
                except ValueError:
                    log.warning("article %s: unusable WARC pointer %r", article_id, record["warc"])
            values = {
                "id": article_id, "version": version, "content_sha1": sha1,
                "canonical_url": str(record.get("canonical_url") or record.get("url") or ""),
                "first_seen": current.first_seen if current else seen, "last_changed": seen,
                "published": record.get("published") if isinstance(record.get("published"), str) else None,
            }
            values.update(_warc_values(warc))
            self._upsert("articles", values)
            updated += 1
        return updated

    def reconcile_with_lines(self, files: Iterable[str | os.PathLike]) -> int:
        """Raise the stored articles to the versions of the archive's JSON lines files, which are
        the truth for versions (see ``reconcile_articles``); returns how many articles changed.

        Called at every start, not only after a crash: a state write that failed after its line
        was written (disk full, a lock, an I/O error) leaves a store closed cleanly that lacks the
        version. Only files whose size changed since they were last reconciled are read (each
        file's size is kept in ``meta``), so a run reads the lines of the runs since the last one.
        """
        updated = 0
        for path in map(Path, files):
            try:
                size = str(path.stat().st_size)
            except OSError as error:
                log.warning("state reconciliation: %s skipped: %s", path, error)
                continue
            mark = f"lines:{path.name}"
            if self._meta(mark) == size:
                continue
            updated += self.reconcile_articles(_jsonl_records(path))
            self._set_meta_now(mark, size)
        self.commit()
        return updated

    def counts(self) -> dict[str, int]:
        """Row counts, for run summaries and logs."""
        return {
            "pages": self._db.execute("SELECT count(*) FROM pages WHERE kind != 'requisite'").fetchone()[0],
            "requisites": self._db.execute("SELECT count(*) FROM pages WHERE kind = 'requisite'").fetchone()[0],
            "failed_pages": self._db.execute("SELECT count(*) FROM pages WHERE failures > 0").fetchone()[0],
            "gone_pages": self._db.execute("SELECT count(*) FROM pages WHERE gone_at IS NOT NULL").fetchone()[0],
            "articles": self._db.execute("SELECT count(*) FROM articles").fetchone()[0],
        }

    # -- transactions -------------------------------------------------------------------------

    def commit(self) -> None:
        """Make every update so far durable (also done every ``commit_every`` updates and on close)."""
        if self._db.in_transaction:
            self._db.execute("COMMIT")
        self._pending = 0

    # -- listing walks ------------------------------------------------------------------------

    @property
    def listing_walk_incomplete(self) -> bool:
        """True unless the last crawl walked its listings to the end (first run, killed, stopped, failed).

        A recurring run stops walking a listing at the first pages with nothing new; that is
        only sound when the previous walk got to the end, so after an incomplete one (or none)
        the next run walks every listing page (fetching only what the archive lacks).
        """
        return self._meta("listing_walk") != "completed"

    def listing_walk_started(self) -> None:
        self._set_meta_now("listing_walk", "started")

    def listing_walk_completed(self) -> None:
        self._set_meta_now("listing_walk", "completed")

    # -- sitemaps -----------------------------------------------------------------------------

    def sitemap_mark(self, key: str) -> str | None:
        """What the last finished crawl read in the sitemap with this canonical key (see
        ``sitemaps_read``), or None."""
        return self._meta(f"sitemap:{key}")

    def sitemaps_read(self, marks: Mapping[str, str]) -> None:
        """Record that a finished crawl requested or checked every entry of these sitemaps:
        canonical key -> a mark of the sitemap's bytes and of the crawl's scope. A sitemap with
        the same mark lists nothing such a crawl has not seen to."""
        for key, mark in marks.items():
            self._set_meta_now(f"sitemap:{key}", mark)

    def close(self) -> None:
        """Commit, mark the session as closed cleanly, checkpoint the WAL into the main file."""
        if self._db is None:
            return
        try:
            self.commit()
            self._set_meta_now("open", "0")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self._db.close()
            self._db = None

    def __enter__(self) -> "StateStore":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        # On an exception the batch is still committed: its rows describe files already written.
        self.close()

    # -- internals ----------------------------------------------------------------------------

    def _check_integrity(self) -> None:
        """``PRAGMA quick_check`` before anything is read or written: a damaged file stops the run
        at its start, with the cause, instead of failing (or misleading the crawl) halfway."""
        problems = [row[0] for row in self._db.execute("PRAGMA quick_check(5)")]
        if problems != ["ok"]:
            found = " ".join(" ".join(problems).split())  # SQLite's report spans lines: one line here
            raise StateError(f"{self.path}: state store corrupt ({found[:300]}); {REBUILD_HINT}")

    def _ensure_schema(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise StateError(
                f"{self.path}: state schema version {version} is newer than this program's ({SCHEMA_VERSION}); upgrade it"
            )
        tables = self._db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        if version == 0 and tables:
            raise StateError(f"{self.path}: an SQLite file that is not a state store (tables but no schema version)")
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if version == 0:
                # executescript would commit on its own: run the statements one by one in this transaction.
                for statement in _schema_statements():
                    self._db.execute(statement)
            else:
                self._upgrade_pages_table()
                if version < 3:
                    self._forget_unusable_answers()
                if "published" not in self._columns("articles"):  # schema 4
                    self._db.execute("ALTER TABLE articles ADD COLUMN published TEXT")
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:  # SQLite rolls back by itself on some errors (disk full)
                self._db.execute("ROLLBACK")
            raise

    def _upgrade_pages_table(self) -> None:
        """An older store: its ``pages`` table is rebuilt with this version's definition (a CHECK
        constraint names the page kinds, and SQLite cannot alter one), rows kept as they are."""
        statements = [s for s in _schema_statements() if " pages " in s or " pages_" in s]
        indexes = self._db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'pages'"
                                   " AND sql IS NOT NULL").fetchall()
        for (index,) in indexes:  # their names are taken again by the new table's indexes
            self._db.execute(f'DROP INDEX "{index}"')
        self._db.execute("ALTER TABLE pages RENAME TO pages_before_upgrade")
        for statement in statements:
            self._db.execute(statement)
        columns = ", ".join(self._columns("pages_before_upgrade"))  # columns added later stay NULL
        self._db.execute(f"INSERT INTO pages ({columns}) SELECT {columns} FROM pages_before_upgrade")
        self._db.execute("DROP TABLE pages_before_upgrade")
        log.info("%s: state store upgraded to schema version %d", self.path, SCHEMA_VERSION)

    def _forget_unusable_answers(self) -> None:
        """Schemas 1 and 2 recorded every answer as a fetch: a 404/410 becomes gone, and an answer that
        was no usable copy (4xx, 5xx, 206, an empty body, a 304 without a copy) a failure, so the next
        run asks for the page again."""
        forget = ", ".join(f"{name} = NULL" for name in (*_FETCH_COLUMNS, *_WARC_COLUMNS))
        self._db.execute(f"UPDATE pages SET gone_at = fetched_at, last_error = 'HTTP ' || status, {forget} "
                         "WHERE fetched_at IS NOT NULL AND failures = 0 AND status IN (404, 410)")
        self._db.execute(
            f"UPDATE pages SET failures = max(failures, 1), failed_at = coalesce(failed_at, fetched_at), "
            f"last_error = coalesce(last_error, 'HTTP ' || status || ' recorded as a fetch by an older version'), {forget} "
            "WHERE fetched_at IS NOT NULL AND (status >= 400 OR status < 200 OR status = 206 "
            "OR (status = 304 AND warc_file IS NULL) OR payload_digest = ?)", (EMPTY_PAYLOAD_DIGEST,))

    def _columns(self, table: str) -> list[str]:
        return [row[1] for row in self._db.execute(f'PRAGMA table_info("{table}")')]

    def _meta(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def _set_meta_now(self, name: str, value: str) -> None:
        self.commit()
        self._db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, value))

    def _upsert(self, table: str, values: Mapping[str, Any]) -> None:
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        self._begin()
        self._db.execute(f"INSERT OR REPLACE INTO {table} ({names}) VALUES ({marks})", tuple(values.values()))
        self._updated()

    def _begin(self) -> None:
        if not self._db.in_transaction:
            self._db.execute("BEGIN IMMEDIATE")
            self._batch_started = time.monotonic()

    def _updated(self) -> None:
        self._pending += 1
        if self._pending >= self.commit_every or time.monotonic() - self._batch_started >= self.commit_seconds:
            self.commit()


def _jsonl_records(path: Path) -> Iterable[Mapping[str, Any]]:
    try:
        yield from (record for record in read_jsonl(path) if isinstance(record, Mapping))
    except (JsonLinesError, OSError) as error:
        log.warning("state reconciliation: rest of %s skipped: %s", path, error)


def _schema_statements() -> list[str]:
    sql = "\n".join(line.split("--", 1)[0] for line in _SCHEMA.splitlines())
    return [statement.strip() for statement in sql.split(";") if statement.strip()]


def _check_kind(kind: str) -> None:
    if kind not in PAGE_KINDS:
        raise StateError(f"page kind must be one of {', '.join(PAGE_KINDS)}; got {kind!r}")


def _warc_values(warc: WarcRecordRef | None) -> dict[str, Any]:
    if warc is None:
        return dict.fromkeys(_WARC_COLUMNS)
    return dict(zip(_WARC_COLUMNS, (warc.file, warc.offset, warc.length, warc.record_id, warc.warc_date, warc.target_uri)))


def _warc_ref(row: sqlite3.Row) -> WarcRecordRef | None:
    if row["warc_file"] is None:
        return None
    return WarcRecordRef(*(row[name] for name in _WARC_COLUMNS))


def _page_state(row: sqlite3.Row) -> PageState:
    return PageState(
        key=row["key"], url=row["url"], kind=row["kind"], fetched_at=row["fetched_at"], status=row["status"],
        etag=row["etag"], last_modified=row["last_modified"], payload_digest=row["payload_digest"],
        warc=_warc_ref(row), failures=row["failures"], last_error=row["last_error"], failed_at=row["failed_at"],
        first_fetched=row["first_fetched"],
        gone_at=row["gone_at"],
    )


def _article_state(row: sqlite3.Row) -> ArticleState:
    return ArticleState(
        id=row["id"], version=row["version"], content_sha1=row["content_sha1"], canonical_url=row["canonical_url"],
        first_seen=row["first_seen"], last_changed=row["last_changed"], warc=_warc_ref(row),
        published=row["published"],
    )
