"""Offline re-extraction: article records from WARC files, with the crawl's own extraction code.

When the extractor improves, ``rusislam-archive extract WARC... -o articles.jsonl`` re-reads the
archive instead of the site. For each response record it makes the choice the spider makes
(``crawler.extract.candidates``: a 2xx text response that is not a listing page), removes the
Content-Encoding as Scrapy did before the spider saw the body, runs ``extract_article`` with the
response headers, and builds the record with ``article_record``. Truncated records (WARC-Truncated)
and bodies over the crawl's ``EXTRACT_MAXSIZE`` are skipped, as the spider skips them.

Versions, as the crawl's pipeline keeps them with its state store: the captures are read as the
archive's history, oldest first. Within one crawl run (a WARC file with serial ``00000`` starts a
run, see ``archive.warc`` file names) a second record with an ``id`` already seen is dropped; across
runs an article whose ``content_sha1`` did not change writes no line, a changed one a line with
``version`` + 1 and ``previous_sha1``. So re-extracting all of an archive's WARC files gives the
lines of all its runs; re-extracting a part starts the history at that part. The ids and hashes of
the articles seen are kept in memory (about 100 bytes per article); captures are streamed.

Fields compared with the crawl's records:
- ``fetched_at``: the response record's WARC-Date, which is the capture start the crawl used; both
  are written to the second, so they are equal.
- ``warc``: the pointer of the response record read, the record the crawl pointed to.
- ``extractor``: the extractor version running now (the point of re-extracting);
- ``version``, ``previous_sha1`` (``record.next_version_fields``): counted over the WARC files given,
  not read from the archive's state store, so they follow the new extractor's view of what changed.
Revisit records carry no body and are not re-extracted: the article came from the capture they
refer to. Records are written in WARC order (files in the order given, a directory's files sorted
by name), also with ``--jobs N``, so the output is deterministic.

Mirror crawls: URLs in the WARC files are the ones fetched. With ``--base-url`` the site config is
moved to that origin (``SiteConfig.with_origin``), exactly as ``scrapy crawl -a base_url=...``
did. Without it, a record whose URL is not on one of the site's own origins is taken to come from
a mirror at that URL's origin (logged once per origin), which is what the crawl of that mirror did.

No Scrapy here: only ``archive.reader`` and ``crawler.extract``.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import re
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator
from urllib.parse import urlsplit

from archive.jsonl import encode_line, extend_line
from archive.reader import MAX_DECODED_SIZE, StoredRecord, WarcReadError, decode_content, iter_responses
from archive.warc import WarcPointer
from crawler.extraction import exit_with_parent
from crawler.extract.article import extract_article, warm_up
from crawler.extract.record import Capture, article_record, next_version_fields
from crawler.extract.candidates import extraction_skip_reason, is_text_response
from crawler.extract.siteconfig import ConfigError, SiteConfig, load_site_config
from crawler.extract.urls import SiteUrls, parse_clean_params
from crawler.settings import EXTRACT_MAXSIZE

log = logging.getLogger(__name__)

DEFAULT_SITE = "rusislam"
# Captures queued per worker process: enough to keep workers busy, few enough that memory stays flat.
CAPTURES_IN_FLIGHT_PER_JOB = 32
# Captures sent to a worker at once: each task's round trip through the pool costs the parent
# (pickling, its pool threads) about as much as a small page's extraction; 16 per task instead
# of 4 took about 0.5 s off 13 s of CPU at 3,000 pages with 2 workers.
CAPTURES_PER_TASK = 16


@dataclass(frozen=True)
class CapturedResponse:
    """What extraction needs from one 2xx response record; picklable, for worker processes."""

    url: str
    status: int
    warc_date: str
    headers: list[tuple[str, str]]
    payload: bytes
    truncated: str | None
    pointer: dict
    clean_params: tuple[str, ...] = ()  # the site's robots.txt Clean-param names, as the crawl knew them


@dataclass
class ExtractionSummary:
    """Counts of one run, for the command's report."""

    responses: int = 0
    captures_examined: int = 0
    articles: int = 0
    duplicates: int = 0
    unchanged: int = 0
    failed: int = 0
    files: list[str] = field(default_factory=list)


class OfflineExtractor:
    """The crawl's extraction choices for one site: its config (or a mirror's) and the size limit."""

    def __init__(self, site: str | os.PathLike | SiteConfig, base_url: str | None = None,
                 max_size: int = EXTRACT_MAXSIZE):
        self.max_size = max_size
        self.site = site if isinstance(site, SiteConfig) else load_site_config(site)
        fixed = self.site.with_origin(base_url) if base_url else None
        self.fixed = (fixed, SiteUrls(fixed)) if fixed else None
        self._own = (self.site, SiteUrls(self.site))
        self._mirrors: dict[str, tuple[SiteConfig, SiteUrls]] = {}

    def for_url(self, url: str) -> tuple[SiteConfig, SiteUrls]:
        """The configured site, or the same site on the origin of a mirror the URL comes from."""
        if self.fixed is not None:
            return self.fixed
        if self._own[1].is_own(url):
            return self._own
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        mirror = self._mirrors.get(origin)
        if mirror is None:
            log.info("%s is not an origin of %s: reading its captures as a mirror of %s (use --base-url to set it)",
                     origin, self.site.name, self.site.origin)
            mirror_site = self.site.with_origin(origin)
            mirror = self._mirrors[origin] = (mirror_site, SiteUrls(mirror_site))
        return mirror


    def record_for(self, capture: CapturedResponse) -> dict | None:
        """The article record the crawl made of this capture, or None (not extracted, not an article)."""
        site, urls = self.for_url(capture.url)
        codings = ", ".join(value for name, value in capture.headers if name.lower() == "content-encoding")
        try:
            # Bounded by the extraction limit: a larger page is not extracted, so it need not be decoded whole.
            body = decode_content(capture.payload, codings, strict=not capture.truncated,
                                  max_size=self.max_size or MAX_DECODED_SIZE)
        except WarcReadError as error:
            log.warning("Not extracted: %s: %s", capture.url, error)
            return None
        reason = extraction_skip_reason(capture.url, capture.status, urls, body_size=len(body),
                                        truncated=bool(capture.truncated), max_size=self.max_size)
        # Scrapy removes Content-Encoding once it has decoded the body; the spider sees the rest.
        headers = [(name, value) for name, value in capture.headers if name.lower() != "content-encoding"]
        if reason is None and not is_text_response(headers, capture.url, body):
            reason = "not a text response"
        if reason is not None:
            log.debug("Not extracted (%s): %s", reason, capture.url)
            return None
        try:
            fetched_at = datetime.fromisoformat(capture.warc_date.replace("Z", "+00:00"))
        except ValueError:
            log.warning("Bad WARC-Date %r on %s, no record", capture.warc_date, capture.url)
            return None
        article = extract_article(body, capture.url, headers, site, clean_params=capture.clean_params)
        if article is None:
            return None
        return article_record(article, Capture(url=capture.url, fetched_at=fetched_at,
                                               http_status=capture.status, warc=capture.pointer))


def _robots_text(record: StoredRecord) -> str:
    try:
        return record.content(max_size=1024 * 1024).decode("utf-8", "replace")
    except WarcReadError:
        return ""


def capture_from_record(record: StoredRecord, pointer: WarcPointer) -> CapturedResponse | None:
    """The record as an extraction input, or None when the crawl would not have parsed it (non-2xx)."""
    status = record.status
    if status is None or not 200 <= status < 300 or not record.target_uri or not record.warc_date:
        return None
    return CapturedResponse(
        url=record.target_uri,
        status=status,
        warc_date=record.warc_date,
        headers=record.header_list,
        payload=record.payload,
        truncated=record.truncated,
        pointer=pointer.as_dict(),
    )


class ArticleVersions:
    """The crawl pipeline's rules for which lines to write: once per run, then only when changed."""

    def __init__(self) -> None:
        self.current: dict[str, tuple[int, str]] = {}  # id -> (version, content_sha1)
        self.in_run: set[str] = set()
        self.duplicates = 0
        self.unchanged = 0

    def new_run(self) -> None:
        self.in_run.clear()

    def version_fields(self, article_id: str, content_sha1: str, url: str) -> dict | None:
        """``version`` and ``previous_sha1`` of the article's line, or None when the crawl wrote no line."""
        if article_id in self.in_run:
            self.duplicates += 1
            log.info("article %s already seen in this run, dropped (%s)", article_id, url)
            return None
        self.in_run.add(article_id)
        current = self.current.get(article_id)
        if current is not None and current[1] == content_sha1:
            self.unchanged += 1
            return None
        fields = next_version_fields(current)
        self.current[article_id] = (fields["version"], content_sha1)
        return fields


# WARC file names of archive.warc: {prefix}-{17-digit time}-{serial}-{host}-{pid}.warc.gz; serial 0 opens a run.
_WARC_SERIAL = re.compile(r"-\d{17}-(?P<serial>\d{5,})-.+-\d+\.warc(?:\.gz)?$")


def starts_run(warc_file_name: str) -> bool:
    """Whether a WARC file is the first of a crawl run (a file not named by our writer is its own run)."""
    match = _WARC_SERIAL.search(warc_file_name)
    return match is None or int(match.group("serial")) == 0


# --- worker processes -------------------------------------------------------------------------

_worker_extractor: OfflineExtractor | None = None


def _init_worker(site: str, base_url: str | None, max_size: int) -> None:
    """Load the site config once per worker process."""
    global _worker_extractor
    exit_with_parent()
    _worker_extractor = OfflineExtractor(site, base_url, max_size)


@dataclass(frozen=True)
class EncodedRecord:
    """A record as its JSON line, encoded where it was extracted (a worker), with what the
    versioning needs: the process writing the file only adds the version fields."""

    id: str
    content_sha1: str
    url: str
    line: bytes


def _extract_logged(extractor: OfflineExtractor, capture: CapturedResponse) -> tuple[EncodedRecord | None, bool]:
    """(encoded record or None, failed?) for one capture; an unexpected error is logged, never raised."""
    try:
        record = extractor.record_for(capture)
        if record is None:
            return None, False
        return EncodedRecord(record["id"], record["content_sha1"], record["url"], encode_line(record)), False
    except Exception:
        log.exception("Extraction failed, no record: %s", capture.url)
        return None, True


def _extract_in_worker(captures: list[CapturedResponse]) -> list[tuple[EncodedRecord | None, bool]]:
    return [_extract_logged(_worker_extractor, capture) for capture in captures]


def iter_article_records(warc_paths: Iterable[str | os.PathLike], site: str | SiteConfig = DEFAULT_SITE, *,
                         base_url: str | None = None, jobs: int = 1, max_size: int = EXTRACT_MAXSIZE,
                         summary: ExtractionSummary | None = None) -> Iterator[dict]:
    """The article records the crawl runs wrote for these WARC files, in WARC order."""
    for line in iter_article_lines(warc_paths, site, base_url=base_url, jobs=jobs, max_size=max_size,
                                   summary=summary):
        yield json.loads(line)


def iter_article_lines(warc_paths: Iterable[str | os.PathLike], site: str | SiteConfig = DEFAULT_SITE, *,
                       base_url: str | None = None, jobs: int = 1, max_size: int = EXTRACT_MAXSIZE,
                       summary: ExtractionSummary | None = None) -> Iterator[bytes]:
    """The article lines (encoded JSON Lines) the crawl runs wrote for these WARC files, in WARC order.

    ``jobs`` > 1 extracts in that many processes, ``CAPTURES_PER_TASK`` captures at a time; at most
    ``jobs * CAPTURES_IN_FLIGHT_PER_JOB`` (plus one task's worth) are in flight, so memory does not
    grow with the archive.
    """
    summary = summary if summary is not None else ExtractionSummary()
    versions = ArticleVersions()
    extractor = OfflineExtractor(site, base_url, max_size)

    def captures() -> Iterator[CapturedResponse | str]:
        """The 2xx captures, with the name of each WARC file before its first record.

        Each carries the Clean-param names of the last robots.txt seen, as the crawl had
        learnt them by then (robots.txt is the first thing a crawl fetches).
        """
        clean_params: tuple[str, ...] = ()
        for record, pointer in iter_responses(list(warc_paths)):
            summary.responses += 1
            if not summary.files or summary.files[-1] != pointer.file:
                summary.files.append(pointer.file)
                yield pointer.file
            capture = capture_from_record(record, pointer)
            if capture is None:
                continue
            if urlsplit(capture.url).path == "/robots.txt":
                clean_params = tuple(parse_clean_params(_robots_text(record)))
                continue
            summary.captures_examined += 1
            yield replace(capture, clean_params=clean_params)

    def keep(result: tuple[EncodedRecord | None, bool]) -> Iterator[bytes]:
        encoded, failed = result
        summary.failed += failed
        fields = versions.version_fields(encoded.id, encoded.content_sha1, encoded.url) if encoded else None
        if fields is not None:
            summary.articles += 1
            yield extend_line(encoded.line, fields)

    def file_started(name: str) -> None:
        if starts_run(name):
            versions.new_run()

    try:
        if jobs <= 1:
            for item in captures():
                if isinstance(item, str):
                    file_started(item)
                else:
                    yield from keep(_extract_logged(extractor, item))
            return

        site_arg = str(extractor.site.path)
        forking = "fork" in multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if forking else "spawn")
        if forking:  # workers start from a copy of this process: load the extractor's data once, here
            warm_up(extractor.site)
        with context.Pool(jobs, initializer=_init_worker, initargs=(site_arg, base_url, max_size)) as pool:
            pending: deque = deque()  # file names and (AsyncResult, captures in it), in WARC order
            batch: list[CapturedResponse] = []
            in_flight = 0

            def submit() -> None:
                nonlocal in_flight
                if batch:
                    pending.append((pool.apply_async(_extract_in_worker, (list(batch),)), len(batch)))
                    in_flight += len(batch)
                    batch.clear()

            def drain(keep_at_most: int) -> Iterator[bytes]:
                nonlocal in_flight
                while pending and (in_flight > keep_at_most or isinstance(pending[0], str)):
                    item = pending.popleft()
                    if isinstance(item, str):
                        file_started(item)
                        continue
                    result, size = item
                    in_flight -= size
                    for one in result.get():
                        yield from keep(one)

            for item in captures():
                if isinstance(item, str):
                    submit()  # a file name keeps its place between the captures before and after it
                    pending.append(item)
                    continue
                batch.append(item)
                if len(batch) >= CAPTURES_PER_TASK:
                    submit()
                    yield from drain(jobs * CAPTURES_IN_FLIGHT_PER_JOB)
            submit()
            yield from drain(-1)
    finally:
        summary.duplicates, summary.unchanged = versions.duplicates, versions.unchanged


def extract_to_jsonl(warc_paths: Iterable[str | os.PathLike], output: BinaryIO,
                     site: str | SiteConfig = DEFAULT_SITE, *, base_url: str | None = None, jobs: int = 1,
                     max_size: int = EXTRACT_MAXSIZE) -> ExtractionSummary:
    """Write the article records of the WARC files to the binary stream ``output`` (JSON Lines)."""
    summary = ExtractionSummary()
    for line in iter_article_lines(warc_paths, site, base_url=base_url, jobs=jobs, max_size=max_size, summary=summary):
        output.write(line)
    return summary
