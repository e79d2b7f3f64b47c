"""Downloader middlewares: WARC capture and page conditions, one decoding path for HTML, robots.txt Crawl-delay,
retries with backoff, cookies without the public suffix list download."""

from __future__ import annotations

import logging
import math
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import NamedTuple
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares import cookies as scrapy_cookies
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Request
from scrapy.utils.defer import maybe_deferred_to_future
from tldextract import TLDExtract
from twisted.internet.task import deferLater

from archive import __version__
from archive.state import WarcRecordRef
from archive.warc import HttpExchange, WarcArchiveWriter, format_warc_date, sha1_payload_digest
from crawler.extract.candidates import GONE_STATUSES, answer_problem
from crawler.extract.decode import decode_html, lookup_encoding

from .extensions import ARCHIVE_WRITE_ERRORS, archive_dir, archive_state, stop_crawl_on_write_error
from .handlers import CAPTURE_STARTED, HTTP_REASON

logger = logging.getLogger(__name__)

WARC_META = "warc"  # request.meta key: pointer of the record holding the body (a revisit: the copy it refers to)
PAYLOAD_UNCHANGED = "payload_unchanged"  # request.meta key: the body equals the archived copy
PAGE_KIND = "page_kind"  # request.meta key: "sitemap" or "requisite" (other kinds follow from the URL)
REQUISITE = "requisite"  # the page kind of images, stylesheets, scripts, icons and fonts a page needs
REVISIT = "revisit"  # request.meta key: a check of a known page chosen by the revisit policy
# request.meta key: the state update of a 2xx article answer, made by the spider once it has read
# the page (``settle_fetch``): only a body that reads as an article makes the page known.
UNCONFIRMED_FETCH = "unconfirmed_fetch"
# request.meta key: the archived copy of the page could not be read; the answer is archived whole,
# never as a revisit referring to that copy.
COPY_UNREADABLE = "archived_copy_unreadable"


def settle_fetch(crawler, response, problem: str | None) -> None:
    """Record the answer the WARC middleware left for the spider: known, or failed with ``problem``."""
    fetch = response.meta.pop(UNCONFIRMED_FETCH, None)
    state = archive_state(crawler)
    if fetch is None or state is None:
        return
    try:
        if problem is None:
            state.record_fetch(**fetch)
        else:
            logger.warning("Not a usable answer, asked again by a later run: %s (%s)", response.url, problem)
            crawler.stats.inc_value("pages/unusable_answer")
            state.record_failure(fetch["key"], fetch["url"], problem, fetch["kind"])
    except ARCHIVE_WRITE_ERRORS as error:
        stop_crawl_on_write_error(crawler, f"the state store {state.path}", error)


def header_pairs(headers) -> list[tuple[str, str]]:
    """Scrapy Headers -> (name, value) pairs; one pair per value, values as latin-1 text."""
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]


class WarcCaptureMiddleware:
    """Writes every HTTP exchange, exactly as received, to the WARC archive.

    Placed nearest the downloader, it sees each response before decompression,
    redirects and retries, so every attempt (robots.txt, sitemaps, 3xx, 4xx, 5xx,
    retried 503s) is archived. The pointer to the response record goes to
    ``request.meta["warc"]`` so that the article record can name it.

    Headers are those the HTTP client hands over: Twisted consumes the connection
    headers (Connection, Keep-Alive, Transfer-Encoding) while it reads the message,
    so a chunked body is stored de-chunked and without its Transfer-Encoding header
    (the writer would rename one, were it present); Content-Length is restored by
    Scrapy when the server sent one. Content-Encoding and the encoded body stay as sent.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.directory = archive_dir(crawler.settings) / "warc"
        self.max_size = crawler.settings.getint("WARC_MAX_SIZE")
        self.writer: WarcArchiveWriter | None = None
        self.state = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider):
        self.state = archive_state(self.crawler)
        site = getattr(spider, "site", None)
        prefix = site.warc.prefix if site else spider.name
        info = {
            "operator": site.warc.operator if site else "",
            "robots": site.warc.robots_policy if site else "obey",
            "description": site.warc.description if site else "",
            "isPartOf": site.name if site else spider.name,
            "http-header-user-agent": self.crawler.settings.get("USER_AGENT", ""),
        }
        self.writer = WarcArchiveWriter(
            self.directory, prefix, max_size=self.max_size, warcinfo={k: v for k, v in info.items() if v}
        )
        logger.info("Archiving every HTTP exchange to %s (rusislam-archive %s)", self.directory, __version__)

    def spider_closed(self, spider):
        if self.writer is not None:
            self.writer.close()
            for path in self.writer.files:
                logger.info("WARC file closed: %s", path)

    def process_response(self, request, response):
        exchange = HttpExchange(
            url=request.url,
            method=request.method,
            request_headers=header_pairs(request.headers),
            request_body=request.body or b"",
            protocol=response.protocol or "HTTP/1.1",
            status=response.status,
            reason=request.meta.get(HTTP_REASON) or _standard_reason(response.status),
            response_headers=header_pairs(response.headers),
            body=response.body,
            captured_at=request.meta.get(CAPTURE_STARTED) or datetime.now(timezone.utc),
            ip_address=str(response.ip_address) if response.ip_address else None,
            truncated="length" if "dataloss" in response.flags else None,
        )
        try:
            self._archive(request, response, exchange)
        except ARCHIVE_WRITE_ERRORS as error:
            stop_crawl_on_write_error(self.crawler, f"the archive in {self.directory}", error)
            raise IgnoreRequest(f"not archived: {error}") from error
        if "dataloss" in response.flags:
            self.stats.inc_value("errors/truncated_body")
            logger.warning("Body cut short (fewer bytes than Content-Length), archived as truncated: %s", request.url)
        return response

    def _archive(self, request, response, exchange) -> None:
        page = PageKey.of(self.crawler.spider, request)
        known = self.state.page(page.key) if self.state is not None and page else None
        digest = sha1_payload_digest(response.body)
        original = known.warc if known is not None and known.has_good_copy and known.payload_digest else None
        if request.meta.get(COPY_UNREADABLE):
            original = None
        truncated = "dataloss" in response.flags  # never a revisit: it is not the payload it refers to
        # A 304 is only an answer about our copy when we asked with its validators; any other 304 is
        # archived as received and is a failure (a cache or WAF answering what it was not asked).
        genuine_304 = response.status == 304 and original is not None and _is_conditional(request)
        if original is not None and not truncated and (
            genuine_304 or (response.status == 200 and digest == known.payload_digest)
        ):
            pointer = self.writer.write_revisit(
                exchange,
                refers_to_uri=original.target_uri,
                refers_to_date=original.warc_date,
                payload_digest=known.payload_digest,
                refers_to_record_id=original.record_id,
            )
            request.meta[PAYLOAD_UNCHANGED] = True
            request.meta[WARC_META] = original.pointer()  # article lines point at the record with the body
            full_copy = None
        else:
            pointer = self.writer.write_exchange(exchange)
            request.meta[WARC_META] = pointer.as_dict()
            full_copy = WarcRecordRef.of(pointer, warc_date=format_warc_date(exchange.captured_at), target_uri=request.url)
        for prefix in ("warc", REQUISITE + "s") if page and page.kind == REQUISITE else ("warc",):
            self.stats.inc_value(f"{prefix}/exchanges")
            self.stats.inc_value(f"{prefix}/status/{response.status}")
            self.stats.inc_value(f"{prefix}/bytes_written", pointer.length)
            if full_copy is None:
                self.stats.inc_value(f"{prefix}/revisits")
        if page and self.state is not None:
            self._remember(page, request, response, exchange, digest, full_copy, genuine_304)
        if request.meta.get(REVISIT) and response.status < 500 and response.status != 429:
            self.stats.inc_value("revisit/checked")
            if full_copy is not None and response.status == 200:
                self.stats.inc_value("revisit/changed")

    def _remember(self, page, request, response, exchange, digest, full_copy, genuine_304) -> None:
        """Known, failed or gone (``archive.state``); a 2xx article answer is left for the spider to settle."""
        request.meta.pop(UNCONFIRMED_FETCH, None)
        status = response.status
        if status in GONE_STATUSES:
            self.stats.inc_value("pages/gone")
            self.state.record_gone(page.key, request.url, status, page.kind)
            return
        problem = answer_problem(status, response.body, truncated="dataloss" in response.flags,
                                 genuine_304=genuine_304, method=request.method, body_required=page.kind != REQUISITE)
        if problem is not None:
            self.stats.inc_value("pages/unusable_answer")
            if not (500 <= status <= 599 or status == 429 or "dataloss" in response.flags):  # those: retried, logged
                logger.warning("Not a usable answer, asked again by a later run: %s (%s)", request.url, problem)
            self.state.record_failure(page.key, request.url, problem, page.kind)
            return
        fetch = dict(
            key=page.key,
            url=request.url,
            status=status,
            fetched_at=exchange.captured_at,
            etag=_header_text(response.headers.get(b"ETag")),
            last_modified=_header_text(response.headers.get(b"Last-Modified")),
            payload_digest=None if status == 304 else digest,
            warc=full_copy,
            kind=page.kind,
        )
        if page.kind == "article" and 200 <= status < 300 and not request.meta.get(PAYLOAD_UNCHANGED):
            request.meta[UNCONFIRMED_FETCH] = fetch
        else:
            self.state.record_fetch(**fetch)

    def process_exception(self, request, exception):
        """No response, nothing to archive: remember the failure so the next run tries again."""
        if isinstance(exception, IgnoreRequest):  # dropped on purpose (scope, robots.txt), not a failure
            return
        page = PageKey.of(self.crawler.spider, request)
        if page and page.kind == REQUISITE and isinstance(exception, DownloadCancelledError):
            # Over its size limit (REQUISITE_MAXSIZE): left out on purpose, not a failure to retry.
            self.stats.inc_value("requisites/too_large")
            logger.info("Requisite larger than %s bytes, not archived: %s", request.meta.get("download_maxsize"), request.url)
            return
        reason = f"{type(exception).__name__}: {exception}".strip()
        self.stats.inc_value(f"errors/{type(exception).__name__}")
        if page and self.state is not None:
            try:
                self.state.record_failure(page.key, request.url, reason[:500], page.kind)
            except ARCHIVE_WRITE_ERRORS as error:
                stop_crawl_on_write_error(self.crawler, f"the state store {self.state.path}", error)
        logger.warning("No response for %s: %s", request.url, reason)


class PageKey(NamedTuple):
    """A page's identity in the state store (its canonical key) and its kind."""

    key: str
    kind: str

    @classmethod
    def of(cls, spider, request) -> "PageKey | None":
        """The page's key and kind; None for a request outside the site (requisites on the site's
        requisite hosts are inside)."""
        urls = getattr(spider, "urls", None)
        kind = request.meta.get(PAGE_KIND)
        if urls is None or not (urls.is_own(request.url) or kind == REQUISITE):
            return None
        return cls(urls.canonical_key(request.url), kind or urls.page_kind(request.url))


def _is_conditional(request) -> bool:
    return b"If-None-Match" in request.headers or b"If-Modified-Since" in request.headers


def _header_text(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value else None


def _standard_reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class PageEncodingMiddleware:
    """Gives every HTML response the encoding ``crawler.extract.decode`` decides, so that Scrapy's own
    readers (listing pages' selectors, MetaRefreshMiddleware) see the text the extractor sees.

    One decoding path for every page: without it a listing labelled ``charset=utf-16`` but sent in
    UTF-8 lost all its links (Scrapy believed the label), and a label naming a Python codec that is
    no charset (``rot13``, ``zlib_codec``) raised LookupError in MetaRefreshMiddleware, losing the
    article. Runs after HttpCompressionMiddleware (the body is decoded) and before MetaRefresh.
    The WARC record keeps the headers and bytes as received.
    """

    @classmethod
    def from_crawler(cls, crawler):
        return cls()

    def process_response(self, request, response):
        if not isinstance(response, HtmlResponse) or not response.body:
            return response
        _text, name = decode_html(response.body, header_pairs(response.headers))
        encoding = lookup_encoding(name) or "utf-8"
        return response.replace(encoding=encoding)


class SiteScopeMiddleware:
    """Drops any request outside the site: another scheme, host or port, or a denied path.

    Links are filtered by the spider already; this catches what a page cannot be
    trusted with: redirects to other hosts (the redirect itself is archived, its target
    is not fetched) and anything a future code path might schedule. A page requisite
    (``page_kind`` "requisite", kept through redirects) may also be on one of the site's
    ``requisite_hosts`` (whose robots.txt is fetched too), and under a denied path (robots.txt
    decides for requisites).
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        urls = getattr(self.crawler.spider, "urls", None)
        if urls is None or urls.in_scope(request.url):
            return None
        if urls.in_requisite_scope(request.url) and (
                request.meta.get(PAGE_KIND) == REQUISITE or urlsplit(request.url).path == "/robots.txt"):
            return None  # a requisite host's robots.txt too: its rules apply to its requisites
        self.crawler.stats.inc_value("scope/dropped")
        via = request.meta.get("redirect_urls")
        logger.info("Not fetching %s: outside the site%s", request.url, f" (redirected from {via[-1]})" if via else "")
        raise IgnoreRequest(f"outside the site: {request.url}")


class LoggingRedirectMiddleware(RedirectMiddleware):
    """Scrapy's redirects, with loops and over-long chains logged and counted, not dropped silently."""

    def process_response(self, request, response):
        try:
            result = super().process_response(request, response)
        except IgnoreRequest:
            chain = [*request.meta.get("redirect_urls", []), request.url]
            logger.warning("Redirect chain longer than %d, given up: %s", self.max_redirect_times, " -> ".join(chain))
            self.crawler.stats.inc_value("errors/redirect_max")
            raise
        if isinstance(result, Request) and result.url in result.meta.get("redirect_urls", ()):
            chain = [*result.meta["redirect_urls"], result.url]
            logger.warning("Redirect loop, given up: %s", " -> ".join(chain))
            self.crawler.stats.inc_value("errors/redirect_loop")
            raise IgnoreRequest(f"redirect loop at {result.url}")
        return result


class RobotsCrawlDelayMiddleware:
    """Applies robots.txt Crawl-delay, which Scrapy reads but does not enforce, up to ROBOTSTXT_CRAWL_DELAY_MAX.

    The Crawl-delay is the shortest wait between two requests to the host. A download slot waits
    its delay randomised by +/- jitter; a slot of a host with a Crawl-delay gets the larger of its
    delay and the Crawl-delay, and a jitter narrowed so that the shortest wait is the Crawl-delay:
    none when the delay is the Crawl-delay itself, so the mean wait is the Crawl-delay (raising
    the delay to Crawl-delay / (1 - jitter) instead would make it twice that on average).
    AutoThrottle sets a slot's delay on every response (``response_downloaded``, before the slot
    sends its next request): this middleware, connected after it, re-applies the floor on the same
    signal, and on every request reaching the downloader (a slot made anew starts at DOWNLOAD_DELAY).
    A Crawl-delay above ROBOTSTXT_CRAWL_DELAY_MAX (a file asking for one request an hour) is capped,
    with a warning: obeyed as written, a recurring run would never finish.
    """

    def __init__(self, crawler):
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        self.crawler = crawler
        self.user_agent = crawler.settings.get("ROBOTSTXT_USER_AGENT") or crawler.settings.get("USER_AGENT")
        self.max_delay = crawler.settings.getfloat("ROBOTSTXT_CRAWL_DELAY_MAX")
        self.jitter = crawler.settings.getfloat("DOWNLOAD_DELAY_JITTER")
        self.delays: dict[str, float] = {}
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(self.keep_floor, signal=signals.response_downloaded)
        crawler.signals.connect(self.keep_floor, signal=signals.request_reached_downloader)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def robots_parsed(self, robotparser, request):
        delay = robotparser.crawl_delay(self.user_agent)
        if delay is None or math.isnan(delay) or delay <= 0:
            return
        slot = self.crawler.engine.downloader.get_slot_key(request)
        if delay > self.max_delay:
            logger.warning("robots.txt Crawl-delay for %s is %g s: waiting %g s between requests instead "
                           "(ROBOTSTXT_CRAWL_DELAY_MAX)", slot, delay, self.max_delay)
            self.crawler.stats.inc_value("robotstxt/crawl_delay_capped")
            delay = self.max_delay
        self.delays[slot] = float(delay)
        logger.info("robots.txt Crawl-delay for %s: %.1f s", slot, delay)
        self._apply(slot)

    def keep_floor(self, request, **_kwargs) -> None:
        key = request.meta.get("download_slot")
        if key in self.delays:
            self._apply(key)

    def _apply(self, key: str) -> None:
        slot = self.crawler.engine.downloader.slots.get(key)
        if slot is None:
            return
        floor = self.delays[key]
        slot.delay = max(slot.delay, floor)
        slot.jitter = min(self.jitter, 1.0 - floor / slot.delay)


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, spaced out: exponential backoff, and Retry-After when sent.

    A body cut short (fewer bytes than Content-Length; DOWNLOAD_FAIL_ON_DATALOSS is off
    so that it can be archived, marked WARC-Truncated) is retried like a 5xx.

    The wait happens in this middleware (not in the download slot), so other
    requests keep flowing while a failing page waits for its next attempt.
    """

    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX")

    async def process_response(self, request, response):
        if "dataloss" in response.flags and not request.meta.get("dont_retry"):
            result = get_retry_request(
                request, reason="truncated body", spider=self.crawler.spider, max_retry_times=self.max_retry_times
            ) or response
        else:
            result = super().process_response(request, response)
        if isinstance(result, Request):
            await self._wait(result, response)
        return result

    async def process_exception(self, request, exception):
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._wait(result, None)
        return result

    def backoff_delay(self, retry_times: int, response=None) -> float:
        delay = self.backoff_base * 2 ** max(retry_times - 1, 0)
        retry_after = _retry_after_seconds(response.headers.get(b"Retry-After")) if response is not None else None
        if retry_after is not None:
            delay = retry_after
        return min(max(delay, 0.0), self.backoff_max)

    async def _wait(self, retry_request, response) -> None:
        delay = self.backoff_delay(retry_request.meta.get("retry_times", 1), response)
        if delay > 0:
            from twisted.internet import reactor

            logger.debug("Waiting %.1f s before retrying %s", delay, retry_request.url)
            await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))


def _retry_after_seconds(value: bytes | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isascii() and text.isdigit():  # not "²": str.isdigit() takes superscripts, float() does not
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(timezone.utc)).total_seconds(), 0.0)


class OfflineCookiesMiddleware(CookiesMiddleware):
    """Scrapy's cookies, with the public suffix list taken from the copy tldextract ships.

    Scrapy checks each cookie's domain against the public suffix list through a module-level
    ``TLDExtract()`` built with tldextract's defaults: on the first Set-Cookie it downloads the
    list from publicsuffix.org and caches it in ``~/.cache/python-tldextract``, traffic that leaves
    the site and a file outside ARCHIVE_DIR. The bundled snapshot, without a cache, answers the
    same question (is this domain a public suffix?) offline.
    """

    @classmethod
    def from_crawler(cls, crawler):
        scrapy_cookies._split_domain = OFFLINE_SUFFIX_LIST
        return super().from_crawler(crawler)


OFFLINE_SUFFIX_LIST = TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)
