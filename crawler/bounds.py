"""Bounds on what one crawl run requests, against crawler traps.

A site can offer an endless supply of URLs: calendars with a link to the next day for ever,
relative links that add a segment on every page (``/a/b/a/b/...``), search or filter pages with
every combination of parameters. The link rules of the site YAML cannot foresee them all; these
bounds stop any of them from making a run endless, whatever the URL looks like.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from urllib.parse import unquote, urlsplit

from scrapy.exceptions import IgnoreRequest

logger = logging.getLogger(__name__)

PAGE_BUDGET_REACHED = "bounds/page_budget_reached"  # stats key: the run's budget cut pages off


def path_trap_reason(url: str, max_depth: int, max_repeats: int) -> str | None:
    """Why a URL's path looks like a trap (too many segments, one segment repeated too often), or None.
    0 switches a limit off. Empty segments (``//``) do not count."""
    segments = [segment for segment in unquote(urlsplit(url).path).split("/") if segment]
    if max_depth and len(segments) > max_depth:
        return f"path deeper than {max_depth} segments (URL_MAX_PATH_DEPTH)"
    if max_repeats and segments:
        segment, count = Counter(segments).most_common(1)[0]
        if count > max_repeats:
            return f"path segment {segment[:40]!r} repeated {count} times (URL_MAX_SEGMENT_REPEATS)"
    return None


class CrawlBoundsMiddleware:
    """Drops requests past the run's page budget, past a path pattern's budget, or with a trap-like path.

    PAGE_BUDGET: the most requests a run sends (robots.txt and retries not counted; 0: no limit).
    Reaching it is no failure (the run ends normally and the next run carries on: the pages it did
    not request are not in the archive), but the run then records no listing walk and no sitemap as
    complete. PAGE_BUDGET_BY_PATTERN: {regular expression: most requests} for the URLs whose path
    and query match it (a calendar, a search). URL_MAX_PATH_DEPTH and URL_MAX_SEGMENT_REPEATS: see
    ``path_trap_reason``. Each bound is logged once when it first drops a request, and counted.
    """

    def __init__(self, crawler):
        settings = crawler.settings
        self.stats = crawler.stats
        self.budget = settings.getint("PAGE_BUDGET")
        self.pattern_budgets = [(re.compile(pattern), int(limit))
                                for pattern, limit in settings.getdict("PAGE_BUDGET_BY_PATTERN").items()]
        self.max_depth = settings.getint("URL_MAX_PATH_DEPTH")
        self.max_repeats = settings.getint("URL_MAX_SEGMENT_REPEATS")
        self.sent = 0
        self.sent_by_pattern: Counter[str] = Counter()
        self.reported: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        if request.meta.get("dont_obey_robotstxt") or request.meta.get("retry_times"):
            return None  # robots.txt, and another attempt at a page already counted
        target = _path_and_query(request.url)
        matched = [(pattern, limit) for pattern, limit in self.pattern_budgets if pattern.search(target)]
        spent = next(((pattern, limit) for pattern, limit in matched if self.sent_by_pattern[pattern.pattern] >= limit),
                     None)
        reason, stat = path_trap_reason(request.url, self.max_depth, self.max_repeats), "bounds/path_trap"
        if reason is None and spent is not None:
            reason = f"{spent[1]} requests for URLs matching {spent[0].pattern!r} (PAGE_BUDGET_BY_PATTERN)"
            stat = "bounds/pattern_budget"
        if reason is None and self.budget and self.sent >= self.budget:
            reason, stat = f"the run's budget of {self.budget} requests (PAGE_BUDGET)", PAGE_BUDGET_REACHED
        if reason is not None:
            self._drop(request, reason, stat)
        self.sent += 1
        self.sent_by_pattern.update(pattern.pattern for pattern, _ in matched)
        return None

    def _drop(self, request, reason: str, stat: str):
        self.stats.inc_value(stat)
        key = stat if stat != "bounds/path_trap" else reason.split(" (", 1)[-1]
        if key not in self.reported:
            self.reported.add(key)
            logger.warning("Not fetching %s: %s; further URLs dropped for this reason are counted as %s",
                           request.url, reason, stat)
        raise IgnoreRequest(f"crawl bound: {reason}")


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return unquote(parts.path or "/") + (f"?{parts.query}" if parts.query else "")
