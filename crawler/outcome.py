"""Did the crawl do its job? The answer cron gets: an exit code and, on failure, one line.

``SiteReachabilityMiddleware`` stops a crawl at once when the site cannot be reached at all (its
host name does not resolve, it refuses connections) before any answer came back: retrying every
page for a minute would only delay the same verdict. ``crawl_outcome`` reads the finished crawl
(finish reason, Scrapy's download stats) and returns the exit code and the line; the codes are
``crawler.commands.EXIT_CODES``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, IgnoreRequest
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, NoRouteError

logger = logging.getLogger(__name__)

STOP_CAUSE = "stop_cause"  # stats key: why a component closed the crawl early, in words
SITE_UNREACHABLE = "site_unreachable"  # finish reason of a crawl stopped by SiteReachabilityMiddleware
ROBOTS_UNREACHABLE = "robotstxt/unreachable"  # stats: ROBOTS_UNREACHABLE/HOST:PORT = the status robots.txt gave
# Failures of the host itself, not of one page: the next page would fail the same way.
# (Scrapy 2.13+ wraps Twisted's as CannotResolveHostError and DownloadConnectionRefusedError.)
HOST_LEVEL_ERRORS = (CannotResolveHostError, DownloadConnectionRefusedError, DNSLookupError, ConnectionRefusedError,
                     NoRouteError)


class SiteReachabilityMiddleware:
    """Closes the crawl (finish reason ``site_unreachable``) on a host-level failure before any answer.

    Sits between the WARC middleware (which records the failure for the next run) and the retry
    middleware, so the failed request is not retried page by page. Once the site has answered
    anything, a later failure is an ordinary one: retried, counted, judged by the failed share.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.answered = False
        self.reason: str | None = None  # also in the stats, as SITE_UNREACHABLE, for crawl_outcome

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        # Requests that were waiting (for robots.txt, for a download slot) when the site was found
        # unreachable are not sent: the crawl is closing.
        if self.reason is not None:
            raise IgnoreRequest(f"site unreachable: {self.reason}")
        return None

    def process_response(self, request, response):
        self.answered = True
        return response

    def process_exception(self, request, exception):
        if self.answered or not isinstance(exception, HOST_LEVEL_ERRORS):
            return None
        if self.reason is None:
            self.reason = _describe(exception)
            self.crawler.stats.set_value(SITE_UNREACHABLE, self.reason)
            logger.error("%s: %s; stopping the crawl", request.url, self.reason)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=SITE_UNREACHABLE))
        raise IgnoreRequest(f"site unreachable: {self.reason}")


def _describe(exception: Exception) -> str:
    if isinstance(exception, (CannotResolveHostError, DNSLookupError)):
        return f"host name does not resolve ({exception})"
    if isinstance(exception, (DownloadConnectionRefusedError, ConnectionRefusedError)):
        return "connection refused"
    return str(exception) or type(exception).__name__


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    message: str | None  # the one stderr line (without the program name); None when all went well


def crawl_outcome(crawler, reason: str | None, *, signal_name: str | None = None, forced: bool = False) -> Outcome:
    """The exit code and the line for a crawl that has ended with finish reason ``reason``."""
    from crawler.commands import EXIT_FAILED, EXIT_FAILED_REQUESTS, EXIT_OK, EXIT_STOPPED, EXIT_UNREACHABLE

    stats = crawler.stats.get_stats()
    site = _site_name(crawler)
    if signal_name or reason == "shutdown":
        how = f"stopped by signal {signal_name}" if signal_name else "stopped by a signal"
        if forced:
            how += " (sent twice: in-flight requests abandoned)"
        return Outcome(EXIT_STOPPED, f"{how}; the next run resumes")
    if stats.get(SITE_UNREACHABLE):
        return Outcome(EXIT_UNREACHABLE, f"site {site} unreachable: {stats[SITE_UNREACHABLE]}")
    robots_status = stats.get(f"{ROBOTS_UNREACHABLE}/{site.split('://', 1)[-1]}")
    if robots_status:
        return Outcome(EXIT_UNREACHABLE, f"site {site} unreachable: its robots.txt answered {robots_status} after "
                                         "retries, so nothing was fetched (RFC 9309: complete disallow)")
    statuses = {int(key.rsplit("/", 1)[1]): count for key, count in stats.items()
                if key.startswith("downloader/response_status_count/")}
    requests = stats.get("downloader/request_count", 0)
    if requests and not any(status < 500 for status in statuses):
        return Outcome(EXIT_UNREACHABLE, f"site {site} unreachable: {_failure_summary(stats, statuses)}")
    if reason not in ("finished", None) and not reason.startswith("closespider_"):
        cause = stats.get(STOP_CAUSE)  # set by the component that stopped it (a write error, the state store)
        return Outcome(EXIT_FAILED, f"crawl of {site} stopped early (finish reason {reason})" + (f": {cause}" if cause else ""))
    failed = stats.get("retry/max_reached", 0)
    pages = requests - stats.get("retry/count", 0)
    threshold = crawler.settings.getfloat("CRAWL_MAX_FAILED_SHARE")
    if pages and failed / pages > threshold:
        return Outcome(EXIT_FAILED_REQUESTS, f"{failed} of {pages} requests to {site} failed after retries "
                                             f"({failed / pages:.0%} > CRAWL_MAX_FAILED_SHARE {threshold:g}): "
                                             f"{_failure_summary(stats, statuses)}")
    return Outcome(EXIT_OK, None)


def _failure_summary(stats: dict, statuses: dict[int, int]) -> str:
    """The commonest reasons: retry reasons (exceptions, 5xx) and final 5xx statuses."""
    reasons: dict[str, int] = {}
    for key, count in stats.items():
        if key.startswith("retry/reason_count/"):
            reasons[key.split("/", 2)[2].rsplit(".", 1)[-1]] = count  # exception names without their module
    for status, count in statuses.items():
        if status >= 500:
            reasons.setdefault(f"HTTP {status}", count)
    if not reasons:
        return "no answer"
    top = sorted(reasons.items(), key=lambda item: -item[1])[:3]
    return ", ".join(f"{name} ×{count}" for name, count in top)


def _site_name(crawler) -> str:
    spider = crawler.spider
    site = getattr(spider, "site", None)
    return getattr(site, "origin", None) or getattr(spider, "name", "the site")
