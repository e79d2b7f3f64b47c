"""robots.txt: a parser that keeps what a crawler of the site needs, and a middleware that obeys it
from the first request.

Scrapy's Protego parser answers allow/deny and Crawl-delay; ``SiteRobotsParser`` also keeps the
Sitemap URLs, the Yandex ``Clean-param`` rules (query parameters that never change a page, per
path prefix) and a digest of the file (the rules a finished run's sitemap reading depended on).
The spider reads them from the ``robots_parsed`` signal.

A robots.txt answered with a server error (5xx, or 429 Too Many Requests) once the retries are spent
means complete disallow for that host in this run (RFC 9309, 2.3.1.4): the error page read as rules
would allow everything. The stats say so (``ROBOTS_UNREACHABLE``), and ``crawl_outcome`` turns it
into exit code 69 for the site's own host. Any other 4xx means there are no rules (RFC 9309, 2.3.1.3):
the body of the error page is not read as rules.
"""

from __future__ import annotations

import hashlib
import logging

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.robotstxt import ProtegoRobotParser, decode_robotstxt
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from crawler.extract.urls import parse_clean_params
from crawler.outcome import ROBOTS_UNREACHABLE

logger = logging.getLogger(__name__)

DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


class SiteRobotsParser(ProtegoRobotParser):
    def __init__(self, robotstxt_body: bytes, spider=None):
        super().__init__(robotstxt_body, spider)
        text = decode_robotstxt(robotstxt_body, spider)
        self.sitemaps: list[str] = list(self.rp.sitemaps)
        self.clean_params: list[str] = parse_clean_params(text)
        self.digest = hashlib.sha1(robotstxt_body).hexdigest()


class RobotsTxtFirstMiddleware(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware, with every request that waits for robots.txt given the parser.

    In Scrapy 2.19 the requests that arrive while robots.txt is being fetched all await one
    Deferred; the first waiter's callback consumes its result and the others receive None, which
    the middleware takes for "no robots.txt": they are allowed, whatever the file says (the start
    requests of a crawl, so ``Disallow: /`` still let the listings and the sitemap through). Here
    each waiter gets its own Deferred, fired with the parser (or None when robots.txt could not be
    fetched, as upstream).
    """

    async def _parse_robots(self, response, netloc, request):
        if response.status >= 500 or response.status == 429:
            logger.error("robots.txt of %s answered %d after retries: nothing is fetched from %s in this run "
                         "(RFC 9309: a robots.txt unreachable for a server error means complete disallow)",
                         netloc, response.status, netloc)
            self._stats.set_value(f"{ROBOTS_UNREACHABLE}/{netloc}", response.status)
            response = response.replace(body=DISALLOW_ALL)
        elif response.status >= 400:  # RFC 9309: "unavailable" (404, 403...) means no rules; the error page is none
            response = response.replace(body=b"")
        await super()._parse_robots(response, netloc, request)

    async def robot_parser(self, request):
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if isinstance(pending, Deferred):
            return await maybe_deferred_to_future(_waiter(pending))
        return await super().robot_parser(request)


def _waiter(shared: Deferred) -> Deferred:
    """A Deferred fired with ``shared``'s result, which stays in place for the next waiter."""
    own: Deferred = Deferred()

    def hand_over(result):
        own.callback(result)
        return result

    shared.addCallback(hand_over)
    return own
