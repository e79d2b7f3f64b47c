"""Offline re-extraction: article records from WARC files, with the crawl's own extraction code.

When the extractor improves, ``rusislam-archive extract WARC... -o articles.jsonl`` re-reads the
archive instead of the site. For each response record it makes the choice the spider makes
(``crawler.extract.candidates``: a 2xx text response that is not a listing page), removes the
Content-Encoding as Scrapy did before the spider saw the body, runs ``extract_article`` with the
response headers, and builds the record with ``article_record``. A second record with an ``id``
already written is dropped, as the crawl's pipeline does within a run.

Fields compared with the crawl's records:
- ``fetched_at``: the response record's WARC-Date, which is the capture start the crawl used; both
  are written to the second, so they are equal.
- ``warc``: the pointer of the response record read, the record the crawl pointed to.
- ``extractor``: the extractor version running now (the point of re-extracting).
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

import argparse
import logging
import multiprocessing
import os
import sys
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import urlsplit

from archive.jsonl import JsonLinesWriter
from archive.reader import StoredRecord, WarcReadError, decode_content, iter_responses
from archive.warc import WarcPointer
from crawler.extract.article import Capture, article_record, extract_article
from crawler.extract.candidates import is_extraction_candidate, is_text_response
from crawler.extract.siteconfig import ConfigError, SiteConfig, load_site_config
from crawler.extract.urls import SiteUrls

log = logging.getLogger(__name__)

DEFAULT_SITE = "rusislam"
# Captures queued per worker process: enough to keep workers busy, few enough that memory stays flat.
TASKS_IN_FLIGHT_PER_JOB = 4


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


@dataclass
class ExtractionSummary:
    """Counts of one run, for the command's report."""

    responses: int = 0
    captures_examined: int = 0
    articles: int = 0
    duplicates: int = 0
    failed: int = 0
    files: list[str] = field(default_factory=list)


class SiteResolver:
    """The site config for a capture's URL: the configured site, or the same site on a mirror's origin."""

    def __init__(self, site: str | os.PathLike | SiteConfig, base_url: str | None = None):
        self.site = site if isinstance(site, SiteConfig) else load_site_config(site)
        fixed = self.site.with_origin(base_url) if base_url else None
        self.fixed = (fixed, SiteUrls(fixed)) if fixed else None
        self._own = (self.site, SiteUrls(self.site))
        self._mirrors: dict[str, tuple[SiteConfig, SiteUrls]] = {}

    def for_url(self, url: str) -> tuple[SiteConfig, SiteUrls]:
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


def record_for_capture(capture: CapturedResponse, resolver: SiteResolver) -> dict | None:
    """The article record the crawl wrote for this capture, or None (not an article, or unreadable)."""
    site, urls = resolver.for_url(capture.url)
    if not is_extraction_candidate(capture.url, capture.status, urls):
        return None
    codings = ", ".join(value for name, value in capture.headers if name.lower() == "content-encoding")
    try:
        body = decode_content(capture.payload, codings, strict=not capture.truncated)
    except WarcReadError as error:
        log.warning("Cannot decode %s, no record: %s", capture.url, error)
        return None
    # Scrapy removes Content-Encoding once it has decoded the body; the spider sees the rest.
    headers = [(name, value) for name, value in capture.headers if name.lower() != "content-encoding"]
    if not is_text_response(headers, capture.url, body):
        return None
    try:
        fetched_at = datetime.fromisoformat(capture.warc_date.replace("Z", "+00:00"))
    except ValueError:
        log.warning("Bad WARC-Date %r on %s, no record", capture.warc_date, capture.url)
        return None
    article = extract_article(body, capture.url, headers, site)
    if article is None:
        return None
    return article_record(article, Capture(url=capture.url, fetched_at=fetched_at,
                                           http_status=capture.status, warc=capture.pointer))


# --- worker processes -------------------------------------------------------------------------

_worker_resolver: SiteResolver | None = None


def _init_worker(site: str, base_url: str | None) -> None:
    """Load the site config once per worker process."""
    global _worker_resolver
    _worker_resolver = SiteResolver(site, base_url)


def _extract_in_worker(capture: CapturedResponse) -> tuple[dict | None, bool]:
    """(record or None, failed?) for one capture; an unexpected error is logged, never raised."""
    try:
        return record_for_capture(capture, _worker_resolver), False
    except Exception:
        log.exception("Extraction failed, no record: %s", capture.url)
        return None, True


def iter_article_records(warc_paths: Iterable[str | os.PathLike], site: str = DEFAULT_SITE, *,
                         base_url: str | None = None, jobs: int = 1,
                         summary: ExtractionSummary | None = None) -> Iterator[dict]:
    """Article records of the WARC files, in WARC order, each ``id`` once.

    ``jobs`` > 1 extracts in that many processes; at most ``jobs * TASKS_IN_FLIGHT_PER_JOB``
    captures are in flight, so memory does not grow with the archive.
    """
    summary = summary if summary is not None else ExtractionSummary()
    seen_ids: set[str] = set()

    def captures() -> Iterator[CapturedResponse]:
        for record, pointer in iter_responses(list(warc_paths)):
            summary.responses += 1
            if pointer.file not in summary.files:
                summary.files.append(pointer.file)
            capture = capture_from_record(record, pointer)
            if capture is not None:
                summary.captures_examined += 1
                yield capture

    def keep(result: tuple[dict | None, bool]) -> Iterator[dict]:
        record, failed = result
        summary.failed += failed
        if record is None:
            return
        if record["id"] in seen_ids:
            summary.duplicates += 1
            log.info("article %s already written in this run, dropped (%s)", record["id"], record["url"])
            return
        seen_ids.add(record["id"])
        summary.articles += 1
        yield record

    if jobs <= 1:
        resolver = SiteResolver(site, base_url)
        for capture in captures():
            try:
                result = record_for_capture(capture, resolver), False
            except Exception:
                log.exception("Extraction failed, no record: %s", capture.url)
                result = None, True
            yield from keep(result)
        return

    site_arg = str(site.path) if isinstance(site, SiteConfig) else str(site)
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with context.Pool(jobs, initializer=_init_worker, initargs=(site_arg, base_url)) as pool:
        pending: deque = deque()
        for capture in captures():
            pending.append(pool.apply_async(_extract_in_worker, (capture,)))
            if len(pending) >= jobs * TASKS_IN_FLIGHT_PER_JOB:
                yield from keep(pending.popleft().get())
        while pending:
            yield from keep(pending.popleft().get())


def extract_to_jsonl(warc_paths: Iterable[str | os.PathLike], output: str | os.PathLike, site: str = DEFAULT_SITE, *,
                     base_url: str | None = None, jobs: int = 1) -> ExtractionSummary:
    """Write the article records of the WARC files to ``output`` (JSON Lines, whole lines)."""
    summary = ExtractionSummary()
    with JsonLinesWriter(output) as writer:
        for record in iter_article_records(warc_paths, site, base_url=base_url, jobs=jobs, summary=summary):
            writer.write(record)
    return summary


def main_extract(argv: list[str] | None = None) -> int:
    """``rusislam-archive extract WARC... -o articles.jsonl [--jobs N] [--site NAME] [--base-url URL]``."""
    parser = argparse.ArgumentParser(
        prog="rusislam-archive extract",
        description="Re-extract article records from WARC files with the crawl's extraction code, "
                    "without fetching anything.",
    )
    parser.add_argument("warcs", nargs="+", type=Path,
                        help="WARC files, or directories whose *.warc.gz files are read (e.g. ARCHIVE_DIR/warc)")
    parser.add_argument("-o", "--output", required=True, type=Path, help="JSON Lines file to write")
    parser.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")
    parser.add_argument("--jobs", "-j", type=int, default=1, help="extraction processes (default 1)")
    parser.add_argument("--site", default=DEFAULT_SITE, help="site name (config/sites/NAME.yaml) or YAML path")
    parser.add_argument("--base-url", help="the mirror origin the WARC files were crawled from "
                                           "(default: inferred from each record's URL)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    def fail(message: str) -> int:
        print(f"rusislam-archive extract: {message}", file=sys.stderr)
        return 2

    if args.jobs < 1:
        return fail(f"--jobs must be at least 1, got {args.jobs}")
    missing = [str(path) for path in args.warcs if not path.exists()]
    if missing:
        return fail(f"no such WARC file or directory: {', '.join(missing)}")
    if args.output.exists() and args.output.stat().st_size and not args.overwrite:
        return fail(f"{args.output} exists; pass --overwrite to replace it")
    try:
        resolver = SiteResolver(args.site, args.base_url)  # fail early on a bad config or base URL
    except (ConfigError, OSError, ValueError) as error:
        return fail(str(error))
    if args.output.exists():
        args.output.unlink()
    summary = extract_to_jsonl(args.warcs, args.output, str(resolver.site.path),
                               base_url=args.base_url, jobs=args.jobs)
    print(f"{args.output}: {summary.articles} article records from {summary.responses} responses in "
          f"{len(summary.files)} WARC file(s); {summary.duplicates} duplicate(s) dropped, "
          f"{summary.failed} extraction failure(s)", file=sys.stderr)
    if not summary.files:
        return fail("no WARC records read (are these WARC files?)")
    return 0
