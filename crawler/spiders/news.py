"""A configuration-driven spider for multilingual news sites.

How to crawl lives here (discovery: robots.txt, sitemaps, section listings and their
pages, article links); how to read a page lives in ``crawler.extract``; what the
site looks like lives in its YAML file. Adding a site is adding a YAML file:
``scrapy crawl news -a site=NAME`` (or a subclass that fixes ``site_config``).

Spider arguments (``-a``):
- ``site``: site name (crawler/config/sites/NAME.yaml) or path to a YAML file;
- ``base_url``: crawl a mirror: its scheme, host and port replace the site's origin
  everywhere (start URLs, robots.txt, sitemaps, links to the site's own origin);
- ``languages``: comma-separated subset of the configured languages (``ar,en``);
- ``full``: ``1`` walks every listing page, not only up to the first pages with nothing new;
- ``revisit_after``: revisit every known page last checked this long ago or longer (``30d``,
  ``12h``) instead of the site's age-based ``revisit:`` policy; ``revisit``: ``off`` for none.

Recurring runs cost what is new: listings and sitemaps are fetched every run, a page
the archive already holds is not requested again unless a sitemap says it changed
(``lastmod``) or it is due for a revisit; such refetches are conditional requests
(If-None-Match / If-Modified-Since). Revisits come from the state store, not from links: at
start the run asks ``archive.revisit`` which known pages are due (at most REVISIT_MAX_REQUESTS,
the most overdue first), so an article no listing page of this run shows is checked too.
Pages that failed in an earlier run are retried.
A sitemap whose bytes are those a finished run read, in the same scope, is not read again:
that run requested or checked each of its entries (``full`` reads it).

Page requisites: each HTML page's images, stylesheets, scripts, icons and fonts (and the
``url()``s of those stylesheets) on the site's hosts, or on its ``requisite_hosts``, are fetched
once per run, after the pages waiting (a lower priority), whatever number of pages name them;
one the archive holds is asked for conditionally. robots.txt applies to them unless
REQUISITES_IGNORE_ROBOTSTXT is on; REQUISITE_MAXSIZE bounds each. They are archived, never read
as pages.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections import deque
from datetime import datetime, timezone
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, TextResponse
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from archive.reader import read_record
from archive.revisit import RevisitPolicy, parse_utc, plan_revisits
from archive.state import RetryPolicy
from crawler.extract.record import Capture, article_record
from crawler.extract.candidates import extraction_skip_reason
from crawler.extract.feeds import announced_feeds, feed_entries, looks_like_feed
from crawler.extract.links import page_links
from crawler.extract.requisites import css_requisites, html_requisites
from crawler.extract.siteconfig import SiteConfig, load_site_config
from crawler.extract.urls import SiteUrls, article_id_of_key

from ..bounds import PAGE_BUDGET_REACHED
from ..extensions import ARCHIVE_WRITE_ERRORS, archive_dir, archive_state, report_write_error, retry_policy
from ..extraction import ExtractionPool
from ..handlers import CAPTURE_STARTED
from ..middlewares import (COPY_UNREADABLE, PAGE_KIND, PAYLOAD_UNCHANGED, REQUISITE, REVISIT, WARC_META, header_pairs,
                           settle_fetch)
from ..options import parse_duration, parse_flag

logger = logging.getLogger(__name__)

SITEMAP_DEPTH = "sitemap_depth"  # request.meta key: 1 for the sitemaps robots.txt and the YAML name
SITEMAP_CHAIN = "sitemap_chain"  # request.meta key: keys of the nested indexes (depth 2 on) that led here
SITEMAP_CUT = "cut"  # sitemap mark of the indexes of a chain cut off by SITEMAP_INDEX_MAX_DEPTH


def politeness_settings(site: SiteConfig) -> dict:
    p = site.politeness
    return {
        "DOWNLOAD_DELAY": p.download_delay,
        "CONCURRENT_REQUESTS_PER_DOMAIN": p.concurrent_requests_per_domain,
        "AUTOTHROTTLE_ENABLED": p.autothrottle,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": p.autothrottle_target_concurrency,
        "DOWNLOAD_TIMEOUT": p.download_timeout,
        "RETRY_TIMES": p.retry_times,
        "USER_AGENT": p.user_agent,
    }


class NewsSiteSpider(scrapy.Spider):
    name = "news"
    site_config: str | None = None  # subclasses bind a site; `-a site=...` otherwise

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        # Settings are not frozen yet: the site's politeness applies at "spider"
        # priority, below anything given with -s on the command line.
        crawler.settings.setdict(politeness_settings(spider.site), priority="spider")
        spider.retry_policy = retry_policy(crawler.settings)
        crawler.signals.connect(spider.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(spider._feed_backlog, signal=signals.request_left_downloader)
        crawler.signals.connect(spider._spider_idle, signal=signals.spider_idle)
        return spider

    def __init__(self, *args, site: str | None = None, base_url: str | None = None, languages: str | None = None,
                 full: str | None = None, revisit_after: str | None = None, revisit: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        config = site or self.site_config
        if not config:
            raise ValueError(f"spider {self.name!r} needs a site: -a site=NAME or -a site=path/to/site.yaml")
        self.site = load_site_config(config)
        if base_url:
            self.site = self.site.with_origin(base_url)
        self.languages = self._parse_languages(languages)
        self.urls = SiteUrls(self.site)
        # The requisite hosts' requests (their robots.txt included) must pass Scrapy's offsite filter;
        # SiteScopeMiddleware keeps pages off them.
        self.allowed_domains = [self.site.origin.split("://", 1)[1].split(":")[0].strip("[]"), *self.site.requisite_hosts]
        # Canonical keys of this run's pages (``_key``: one string object per page for all three).
        self.canonical_seen: set[str] = set()  # pages fetched, and the pages their rel=canonical names
        self.requested: dict[str, bool] = {}  # pages requested through _page_request -> new to the archive
        self.listed: set[str] = set()  # pages linked from the listing pages seen so far in this run
        self.requisites_requested: set[str] = set()  # images, stylesheets... asked for in this run
        self._backlog: deque[tuple[str, str | None]] = deque()  # (crawl URL, sitemap lastmod), see _feed_backlog
        self._sitemaps_read: dict[str, str] = {}  # sitemap key -> mark, recorded when the run finishes
        self._sitemap_files = 0  # sitemaps requested in this run (SITEMAP_MAX_FILES)
        self._robots_digest: str | None = None  # of the robots.txt the run obeys (see robots_parsed)
        self.full = parse_flag(full, "full")
        self.revisit_policy = self._revisit_policy(revisit, revisit_after)
        self.started = datetime.now(timezone.utc)
        self._extraction: ExtractionPool | None = None
        self.retry_policy: RetryPolicy = RetryPolicy()  # from the settings in from_crawler

    def _revisit_policy(self, revisit: str | None, revisit_after: str | None) -> RevisitPolicy | None:
        """``-a revisit=off``: none; ``-a revisit_after=AGE``: a fixed interval; else the site's rules."""
        if revisit is not None and revisit.strip().lower() not in ("off", "on", "default"):
            raise ValueError(f"-a revisit={revisit!r}: expected off (or on, the site's policy)")
        if revisit is not None and revisit.strip().lower() == "off":
            if revisit_after:
                raise ValueError("-a revisit=off and -a revisit_after contradict each other")
            return None
        if revisit_after:
            return RevisitPolicy.every(parse_duration(revisit_after))
        return RevisitPolicy.of_site(self.site.revisit)

    def _parse_languages(self, languages: str | None) -> tuple[str, ...]:
        if not languages:
            return tuple(self.site.languages)
        codes = tuple(dict.fromkeys(code.strip() for code in languages.split(",") if code.strip()))
        unknown = [code for code in codes if code not in self.site.languages]
        if unknown or not codes:
            raise ValueError(
                f"-a languages={languages!r}: unknown language {', '.join(unknown) or '(none given)'}; "
                f"{self.site.path} configures {', '.join(self.site.languages)}"
            )
        return codes

    @property
    def archive_state(self):
        return archive_state(self.crawler)

    # --- discovery -------------------------------------------------------------
    async def start(self):
        state = self.archive_state
        if state is not None:
            if state.listing_walk_incomplete and not self.full:
                logger.info("No earlier crawl walked the listings to the end: walking every listing page this time")
                self.full = True
            state.listing_walk_started()
        for code in self.languages:
            for path in self.site.languages[code].start_urls:
                yield Request(self.site.origin + path, callback=self.parse_page)
        feeds = [path for code in self.languages for path in self.site.languages[code].feeds]
        for request in self._sitemap_requests(self.site.origin + path for path in (*self.site.sitemaps, *feeds)):
            yield request
        for request in self._retry_requests():
            yield request
        for request in self._revisits():
            yield request
        async for item_or_request in self._finish_interrupted_extractions():
            yield item_or_request

    def _retry_requests(self):
        """Pages whose last answer was not usable (failed, gone) and whose wait is over (``RetryPolicy``);
        ``-a full=1`` asks for every page without a good copy, waiting or not."""
        state = self.archive_state
        if state is None:
            return
        due, deferred = state.pages_to_retry(self.retry_policy, self.started, every=self.full)
        if deferred:
            logger.info("%d failed or gone pages not asked for in this run (their retry wait is not over)", len(deferred))
            self.crawler.stats.set_value("incremental/retry_deferred", len(deferred))
        for page in due:
            if self.full and page.has_good_copy and not self.retry_policy.due(page, self.started):
                continue  # full: every page *without* a good copy
            if page.kind == REQUISITE:
                self.crawler.stats.inc_value(f"incremental/retry_{page.condition}")
                yield from self._requisite_requests([self.urls.requisite_url(page.url)])
                continue
            url = self.urls.to_crawl_url(page.url)
            if url and self.urls.in_scope(url, self.languages):
                self.crawler.stats.inc_value(f"incremental/retry_{page.condition}")
                self.requested[self._key(url)] = not page.has_good_copy
                callback = self.parse_sitemap if page.kind == "sitemap" else self.parse_page
                yield Request(url, callback=callback, meta={PAGE_KIND: page.kind}, headers=_validators(page))

    def _revisits(self):
        """Conditional requests for the known pages due for a check (``archive.revisit``), whether
        or not anything links them in this run; listings and sitemaps are fetched every run anyway."""
        state = self.archive_state
        if state is None or self.revisit_policy is None:
            return
        in_scope = (page for page in state.revisit_candidates(article_id_of_key)
                    if (url := self.urls.to_crawl_url(page.url)) and self.urls.in_scope(url, self.languages)
                    and not self.urls.is_listing(url) and urlsplit(url).path != "/robots.txt")
        budget = self.crawler.settings.getint("REVISIT_MAX_REQUESTS")
        plan = plan_revisits(in_scope, self.revisit_policy, self.started, budget)
        stats = self.crawler.stats
        stats.set_value("revisit/due", plan.due)
        stats.set_value("revisit/scheduled", len(plan.pages))
        if plan.due > len(plan.pages):
            logger.info("%d pages due for a revisit, %d checked in this run (REVISIT_MAX_REQUESTS)", plan.due, len(plan.pages))
        for page in plan.pages:
            url = self.urls.to_crawl_url(page.url)
            self.requested[self._key(url)] = False
            yield Request(url, callback=self.parse_page, headers=_validators(state.page(page.key)), meta={REVISIT: True})

    async def _finish_interrupted_extractions(self):
        """Article pages an interrupted run archived but never extracted: extract them from the WARC.

        A run killed between archiving a page and writing its record leaves the page known
        (so it is not fetched again) without its article; the archive holds the page, so the
        record is made from there. A page whose copy cannot be read is fetched again.
        """
        state = self.archive_state
        if state is None:
            return
        # page.key is the canonical key the page was archived under (Clean-params included)
        for page in state.pages_without_article(article_id_of_key):
            self.crawler.stats.inc_value("incremental/extraction_resumed")
            try:
                stored = read_record(archive_dir(self.crawler.settings) / "warc", page.warc.pointer())
                body = stored.content()
            except (OSError, ValueError, TypeError) as error:
                logger.warning("Archived copy of %s unreadable (%s): fetching it again", page.url, error)
                url = self.urls.to_crawl_url(page.url)
                if url:
                    yield Request(url, callback=self.parse_page, meta={COPY_UNREADABLE: True}, dont_filter=True)
                continue
            skip = extraction_skip_reason(page.url, page.status, self.urls, body_size=len(body),
                                          truncated=bool(stored.truncated),
                                          max_size=self.crawler.settings.getint("EXTRACT_MAXSIZE"))
            if skip:  # archived but not extracted when it came (too large...): the same rule now
                logger.debug("Archived copy of %s not extracted (%s)", page.url, skip)
                continue
            reading = await self.extraction.read(body, page.url, stored.header_list, clean_params=tuple(self.urls.clean_params))
            article = reading.article
            if article is not None:
                capture = Capture(url=page.url, fetched_at=_parse_iso(page.warc.warc_date), http_status=page.status,
                                  warc=page.warc.pointer())
                yield article_record(article, capture)

    def _sitemap_request(self, url: str, depth: int = 1, chain: tuple[str, ...] = ()) -> Request | None:
        """A sitemap's request (``depth``: 1 for the sitemaps robots.txt and the YAML name, 2 for the
        sitemaps an index of depth 1 lists...), or None past SITEMAP_MAX_FILES in this run."""
        limit = self.crawler.settings.getint("SITEMAP_MAX_FILES")
        if limit and self._sitemap_files >= limit:
            if self._sitemap_files == limit:
                logger.warning("%d sitemaps requested in this run: not requesting more (SITEMAP_MAX_FILES), first "
                               "skipped: %s", limit, url)
            self._sitemap_files += 1
            self.crawler.stats.inc_value("sitemaps/over_max_files")
            return None
        self._sitemap_files += 1
        return Request(url, callback=self.parse_sitemap, meta={PAGE_KIND: "sitemap", SITEMAP_DEPTH: depth,
                                                                SITEMAP_CHAIN: chain})

    def robots_parsed(self, robotparser, request):
        """robots.txt is in: learn its Clean-param names and follow its sitemaps."""
        self._robots_digest = getattr(robotparser, "digest", None)
        self.urls.add_clean_params(getattr(robotparser, "clean_params", ()))
        for url in getattr(robotparser, "sitemaps", ()):
            crawl_url = self.urls.to_crawl_url(url)
            if not (crawl_url and self.urls.in_scope(crawl_url)):
                logger.info("Not following sitemap outside the site: %s", url)
                continue
            for request in self._sitemap_requests([crawl_url]):
                self.crawler.engine.crawl(request)

    def parse_sitemap(self, response):
        """A sitemap, a sitemap index or an RSS/Atom feed: lists of pages with their dates."""
        body = self._sitemap_body(response)
        if body is None:
            logger.warning("Not a sitemap or feed, skipped: %s (status %s)", response.url, response.status)
            self.crawler.stats.inc_value("sitemaps/invalid")
            return
        if looks_like_feed(body):
            self._read_feed(response.url, body)
            return
        sitemap = Sitemap(body)
        self.crawler.stats.inc_value(f"sitemaps/{sitemap.type}")
        if sitemap.type != "sitemapindex" and self._sitemap_unchanged(response.url, body):
            return
        depth = response.meta.get(SITEMAP_DEPTH, 1)
        chain = (*response.meta.get(SITEMAP_CHAIN, ()), self._key(response.url)) if depth > 1 else ()
        if sitemap.type == "sitemapindex" and chain:  # read: no longer part of a cut chain, unless cut again
            self._sitemaps_read.setdefault(chain[-1], "index")
        for entry in sitemap:
            url = self.urls.to_crawl_url(entry.get("loc", ""), base=response.url)
            if not url:
                continue
            if sitemap.type == "sitemapindex":
                request = self._nested_sitemap_request(url, depth + 1, chain) if self.urls.in_scope(url) else None
                if request is not None:
                    yield request
            elif self.urls.in_scope(url, self.languages):
                self._backlog.append((url, entry.get("lastmod")))
                self.crawler.stats.inc_value("sitemaps/entries")
        self._feed_backlog()

    def _sitemap_requests(self, urls):
        """Requests for these sitemaps (or feeds), as many as SITEMAP_MAX_FILES leaves."""
        for url in urls:
            request = self._sitemap_request(url)
            if request is not None:
                yield request

    def _nested_sitemap_request(self, url: str, depth: int, chain: tuple[str, ...]) -> Request | None:
        """The request for a sitemap an index lists, unless it nests deeper than SITEMAP_INDEX_MAX_DEPTH
        (an index chaining to ``?p=N+1`` for ever) or an earlier run cut it off. The nested indexes
        that led to a cut (``chain``, from depth 2: the sitemaps robots.txt and the YAML name are
        always read) are remembered when the run finishes, and later runs request none of them
        (``-a full=1`` walks them again): a chain costs its depth once, not on every run."""
        key = self._key(url)
        state = self.archive_state
        if not self.full and state is not None and (state.sitemap_mark(key) or "").startswith(SITEMAP_CUT):
            self.crawler.stats.inc_value("sitemaps/cut_earlier")
            logger.info("Not requesting %s: part of a sitemap chain cut off as too deeply nested by an earlier run", url)
            return None
        max_depth = self.crawler.settings.getint("SITEMAP_INDEX_MAX_DEPTH")
        if max_depth and depth > max_depth:
            self.crawler.stats.inc_value("sitemaps/too_deep")
            logger.warning("Sitemap %s nested deeper than %d sitemaps (SITEMAP_INDEX_MAX_DEPTH): not requested, nor "
                           "the %d nested indexes that led to it in later runs", url, max_depth, len(chain))
            for cut in (*chain, key):
                self._sitemaps_read[cut] = f"{SITEMAP_CUT} at depth {depth}"
            return None
        return self._sitemap_request(url, depth, chain)

    def _read_feed(self, url: str, body: bytes) -> None:
        """A feed's items wait with the sitemap entries, their date as lastmod."""
        self.crawler.stats.inc_value("feeds/read")
        if self._sitemap_unchanged(url, body):
            return
        for link, updated in feed_entries(body, url):
            crawl_url = self.urls.to_crawl_url(link, base=url)
            if crawl_url and self.urls.in_scope(crawl_url, self.languages):
                self.crawler.stats.inc_value("feeds/entries")
                self._backlog.append((crawl_url, updated))
        self._feed_backlog()

    def _announced_feeds(self, root, page_url: str):
        """Feeds a start page announces (``<link rel="alternate" type="application/rss+xml">``)."""
        for feed in announced_feeds(root, page_url):
            url = self.urls.to_crawl_url(feed)
            if url and self.urls.in_scope(url, self.languages):
                yield from self._sitemap_requests([url])

    def _sitemap_unchanged(self, url: str, body: bytes) -> bool:
        """Whether a finished run read these very bytes as this sitemap, in this run's scope.
        Then each entry was requested or checked, and is known, failed (retried at start) or out
        of scope: looking the entries up again would find nothing to fetch. Otherwise the
        sitemap's mark is kept, to record when this run finishes (``closed``)."""
        key = self._key(url)
        mark = hashlib.sha1(body).hexdigest() + "/" + self._scope_mark
        state = self.archive_state
        if state is not None and not self.full and state.sitemap_mark(key) == mark:
            logger.info("Sitemap unchanged since the last finished run, its entries not looked up again: %s", url)
            self.crawler.stats.inc_value("incremental/sitemap_unchanged")
            return True
        self._sitemaps_read[key] = mark
        return False

    @property
    def _scope_mark(self) -> str:
        """What decides which sitemap entries this run requests, besides the archive: origins,
        languages, denied paths, listing pages, the parameters that do not make a page and the
        robots.txt rules (robots.txt is parsed before any sitemap is fetched)."""
        site = self.site
        scope = (site.origin, site.site_origin, site.origin_aliases, self.languages,
                 [site.languages[code].prefix for code in self.languages], site.deny_paths,
                 getattr(site.listing_url_pattern, "pattern", None), site.pagination_param,
                 site.tracking_params, site.article_params, self.urls.clean_params, self._robots_digest)
        return hashlib.sha1(repr(scope).encode("utf-8")).hexdigest()[:16]

    def _scheduler_room(self) -> int:
        """How many more requests the scheduler takes before it holds SITEMAP_PENDING_REQUESTS."""
        engine = self.crawler.engine
        scheduler = engine.scheduler if engine is not None else None
        if scheduler is None:
            return 0
        return self.crawler.settings.getint("SITEMAP_PENDING_REQUESTS") - len(scheduler)

    def _feed_backlog(self, *_args, **_kwargs) -> int:
        """Turn waiting sitemap entries and page links into requests while the scheduler holds fewer
        than SITEMAP_PENDING_REQUESTS; returns how many were scheduled. A sitemap or a listing lists
        thousands of pages at once: as Request objects they would fill memory (about 1 KB each), as
        entries they take a URL. Called after each download and when the spider runs out of requests."""
        if not self._backlog:
            return 0
        room, scheduled = self._scheduler_room(), 0
        while self._backlog and scheduled < room:
            url, lastmod = self._backlog.popleft()
            request = self._page_request(url, lastmod=lastmod)
            if request is not None:
                self.crawler.engine.crawl(request)
                scheduled += 1
        self.crawler.stats.set_value("sitemaps/entries_waiting", len(self._backlog))
        return scheduled

    def _spider_idle(self) -> None:
        if self._feed_backlog():
            raise DontCloseSpider("sitemap entries or page links left to fetch")

    def _sitemap_body(self, response) -> bytes | None:
        body = response.body
        if body[:2] == b"\x1f\x8b":  # a .xml.gz file served as application/gzip
            try:
                body = gunzip(body, max_size=self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
            except (OSError, EOFError, ValueError) as error:  # ValueError: inflates past DOWNLOAD_MAXSIZE (a bomb)
                logger.info("Compressed sitemap unreadable: %s (%s)", response.url, error or type(error).__name__)
                return None
        head = body[:1024].lstrip().lower()
        if response.status != 200 or not (head.startswith((b"<?xml", b"<urlset", b"<sitemapindex"))
                                          or looks_like_feed(body)):
            return None
        return body

    def _page_request(self, url: str, lastmod: str | None = None) -> Request | None:
        """A request for a page, or None when the archive holds it and nothing says it changed.

        Listing pages are always fetched. A known page is refetched, conditionally, when
        a sitemap's lastmod is newer than our copy (revisits come from the state store: ``_revisits``).
        """
        key = self._key(url)
        if key in self.requested:  # pages link the same pages: one Request each, not one per link to filter
            return None
        known = None if self.urls.is_listing(url) else self._page_state(key)
        if known is None:
            self.requested[key] = True
            return Request(url, callback=self.parse_page)
        if known.condition != "known":  # failed or gone: asked again once its wait is over
            if not self._retry_due(known):
                self.crawler.stats.inc_value("incremental/skipped_waiting")
                return None
            self.crawler.stats.inc_value(f"incremental/retry_{known.condition}")
        else:
            if lastmod is None or not _lastmod_after(lastmod, _parse_iso(known.fetched_at)):
                self.crawler.stats.inc_value("incremental/skipped_known")
                return None
            self.crawler.stats.inc_value("incremental/refetch")
        self.requested[key] = not known.has_good_copy
        return Request(url, callback=self.parse_page, headers=_validators(known))

    def _requisite_requests(self, urls):
        """Requests for the requisites (crawl URLs) not yet asked for in this run: each once,
        however many pages name it; conditional when the archive holds it."""
        settings = self.crawler.settings
        for url in urls:
            key = self._key(url) if url else None
            if key is None or key in self.requisites_requested:
                continue
            self.requisites_requested.add(key)
            meta = {PAGE_KIND: REQUISITE, "download_maxsize": settings.getint("REQUISITE_MAXSIZE")}
            if settings.getbool("REQUISITES_IGNORE_ROBOTSTXT"):
                meta["dont_obey_robotstxt"] = True
            known = self._page_state(key)
            self.crawler.stats.inc_value("requisites/requested")
            yield Request(url, callback=self.parse_requisite, meta=meta, priority=settings.getint("REQUISITE_PRIORITY"),
                          headers=_validators(known) if known is not None else None)

    def parse_requisite(self, response):
        """A requisite is archived (by the WARC middleware) and never read as a page; the
        ``url()``s and ``@import``s of a stylesheet are requisites too."""
        content_type = (response.headers.get(b"Content-Type") or b"").split(b";")[0].strip().lower()
        if content_type != b"text/css" and not response.url.split("?")[0].lower().endswith(".css"):
            return
        text = response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
        yield from self._requisite_requests(css_requisites(text, response.url, self.urls))

    def _key(self, url: str) -> str:
        """The page's canonical key, interned: a long crawl holds tens of thousands of them in
        several sets, and the URL memos hand out a new string for a key they have forgotten."""
        return sys.intern(self.urls.canonical_key(url))

    def _page_state(self, key: str):
        return self.archive_state.page(key) if self.archive_state else None

    def _retry_due(self, page) -> bool:
        """Whether this run asks again for a failed or gone page: its wait is over, or ``full`` and no good copy."""
        return (self.full and not page.has_good_copy) or self.retry_policy.due(page, self.started)

    def _lacks(self, key: str) -> bool:
        """Whether the archive lacks a good copy of the page and this run will ask for it."""
        known = self._page_state(key)
        return known is None or (not known.has_good_copy and self._retry_due(known))

    def _article_recorded(self, url: str) -> bool:
        return self.archive_state is not None and self.archive_state.article(self.urls.article_id(url)) is not None

    async def parse_page(self, response):
        if not isinstance(response, TextResponse):
            logger.info("Not an HTML page, archived only: %s (%s)", response.url, response.headers.get("Content-Type"))
            settle_fetch(self.crawler, response, "not an HTML page")
            return
        self.canonical_seen.add(self._key(response.url))
        if self.urls.is_listing(response.url):
            # Read here at once (a few pages): the walk's next page and the articles it shows are
            # asked for before the pages waiting for the extraction worker are read.
            root = self._listing_root(response)
            links = self._unseen(*page_links(root, response.url, self.urls, self.languages, max_links=self._links_read))
            for request in self._follow_listing(response, self._capped(links, response.url)):
                yield request
            for request in self._requisite_requests(html_requisites(root, response.url, self.urls)):
                yield request
            if self._is_start_page(response.url):
                for request in self._announced_feeds(root, response.url):
                    yield request
            return
        unchanged = response.meta.get(PAYLOAD_UNCHANGED) and (
            not self.urls.is_article(response.url) or self._article_recorded(response.url))
        skip = None if unchanged else self._extraction_skip_reason(response)
        reading = await self._read(response, extract=not (unchanged or skip))
        # Only a body that reads as the article makes an article page known (not an error or
        # challenge page served with 200): anything else is asked again by a later run.
        settle_fetch(self.crawler, response, _reading_problem(reading, extracted=not (unchanged or skip)))
        if reading is None:
            return
        for request in self._follow_links(self._capped(self._unseen(reading.links, reading.canonical), response.url)):
            yield request
        for request in self._requisite_requests(reading.requisites):
            yield request
        if unchanged:
            self.crawler.stats.inc_value("articles/unchanged_payload")
        elif skip:
            logger.warning("Archived but not extracted (%s): %s", skip, response.url)
            self.crawler.stats.inc_value("pages/not_extracted")
        elif reading.article is None:
            self.crawler.stats.inc_value("pages/not_article")
        else:
            self.crawler.stats.inc_value("articles/extracted")
            capture = Capture(
                url=response.url,
                fetched_at=response.meta.get(CAPTURE_STARTED) or datetime.now(timezone.utc),
                http_status=response.status,
                warc=response.meta.get(WARC_META),
            )
            yield article_record(reading.article, capture)

    @property
    def _links_read(self) -> int | None:
        """Links to read from a page: one more than LINKS_PER_PAGE_MAX (0: no limit), to know it had more."""
        limit = self.crawler.settings.getint("LINKS_PER_PAGE_MAX")
        return limit + 1 if limit > 0 else None

    def _listing_root(self, response):
        """The parsed listing page, from at most EXTRACT_MAXSIZE bytes of it (a listing of
        hundreds of thousands of links would otherwise cost a tree of hundreds of MB)."""
        max_size = self.crawler.settings.getint("EXTRACT_MAXSIZE")
        if max_size and len(response.body) > max_size:
            logger.warning("Listing page of %d bytes, links read from its first %d (EXTRACT_MAXSIZE): %s",
                           len(response.body), max_size, response.url)
            response = response.replace(body=response.body[:max_size])
        return response.selector.root

    def _capped(self, links: list[str], url: str) -> list[str]:
        """The first LINKS_PER_PAGE_MAX links of a page."""
        limit = self.crawler.settings.getint("LINKS_PER_PAGE_MAX")
        if limit <= 0 or len(links) <= limit:
            return links
        logger.warning("Page with more than %d links to follow, only the first %d followed (LINKS_PER_PAGE_MAX): %s",
                       limit, limit, url)
        self.crawler.stats.inc_value("links/pages_capped")
        return links[:limit]

    def _is_start_page(self, url: str) -> bool:
        key = self._key(url)
        return any(self._key(self.site.origin + path) == key
                   for code in self.languages for path in self.site.languages[code].start_urls)

    def _unseen(self, links, canonical: str | None) -> list[str]:
        """Links to pages not fetched in this run (the page's rel=canonical target counts as fetched)."""
        if canonical:
            self.canonical_seen.add(self._key(canonical))
        return [url for url in links if self.urls.canonical_key(url) not in self.canonical_seen]

    def _extraction_skip_reason(self, response) -> str | None:
        return extraction_skip_reason(
            response.url, response.status, self.urls, body_size=len(response.body),
            truncated="dataloss" in response.flags, max_size=self.crawler.settings.getint("EXTRACT_MAXSIZE"),
        )

    async def _read(self, response, extract: bool):
        """The page's links and (when ``extract``) article, read by the extraction worker."""
        try:
            return await self.extraction.read(
                response.body, response.url, header_pairs(response.headers), clean_params=tuple(self.urls.clean_params),
                languages=self.languages, extract=extract, max_links=self._links_read)
        except Exception:  # the reader must not stop the crawl; the page stays in the WARC
            logger.exception("Reading the page failed, archived but neither followed nor extracted: %s", response.url)
            self.crawler.stats.inc_value("articles/extract_error")
            return None

    def _follow_links(self, links: list[str]):
        """Requests for the links while the scheduler has room; the rest wait as URLs (``_feed_backlog``)."""
        room = self._scheduler_room()
        for url in links:
            if room <= 0:
                self._backlog.append((url, None))
                continue
            request = self._page_request(url)
            if request is not None:
                room -= 1
                yield request

    def _follow_listing(self, response, links: list[str]):
        """A listing page: its articles, the site pages it links, and its next page while useful.

        The next page is followed while listing pages keep showing articles the archive
        lacks; after LISTING_KNOWN_PAGES_BEFORE_STOP pages in a row with none, a
        recurring run stops walking back through the listing (``-a full=1`` never stops,
        nor does a run whose predecessor did not walk to the end).
        """
        listing_pages = [url for url in links if self.urls.is_listing(url)]
        others = [url for url in links if not self.urls.is_listing(url)]
        # New here: an article the archive lacked that no listing page of this run showed before
        # (a "latest news" block repeats the newest articles on every page).
        shown = {self._key(url) for url in others}
        article_keys = [self._key(url) for url in others if self.urls.is_article(url)]
        new_articles = sum(
            1 for key in article_keys
            if key not in self.listed and (self.requested.get(key) or self._lacks(key))
        )
        shows_nothing_new = shown <= self.listed
        self.listed.update(shown)
        known_streak = 0 if new_articles else response.meta.get("known_streak", 0) + 1
        yield from self._follow_links(others)
        if shows_nothing_new and response.meta.get("known_streak") is not None:
            # a page past the first that links nothing the walk has not shown: an endless ?page=N
            # repeating the same items (every mode, -a full=1 included)
            self.crawler.stats.inc_value("listing/repeating_stopped")
            logger.info("Listing %s shows nothing earlier pages did not: not walking further", response.url)
            return
        limit = self.crawler.settings.getint("LISTING_KNOWN_PAGES_BEFORE_STOP")
        if not self.full and known_streak >= limit:
            self.crawler.stats.inc_value("incremental/listing_stopped")
            logger.info("Listing %s holds no new article: not walking further back", response.url)
            return
        current = self.urls.page_number(response.url)
        later = sorted((self.urls.page_number(url), url) for url in listing_pages if self.urls.page_number(url) > current)
        if later:
            yield Request(later[0][1], callback=self.parse_page, meta={"known_streak": known_streak})

    @property
    def extraction(self) -> ExtractionPool:
        if self._extraction is None:
            self._extraction = ExtractionPool(self.site, self.crawler.settings.getint("EXTRACT_WORKERS"))
        return self._extraction

    def closed(self, reason):
        if self._extraction is not None:
            self._extraction.close()
        if self.crawler.stats.get_value(PAGE_BUDGET_REACHED):
            logger.warning("The run's PAGE_BUDGET cut %d requests off: the next run carries on",
                           self.crawler.stats.get_value(PAGE_BUDGET_REACHED))
        elif reason == "finished" and self.archive_state is not None:
            try:
                self.archive_state.listing_walk_completed()
                self.archive_state.sitemaps_read(self._sitemaps_read)
            except ARCHIVE_WRITE_ERRORS as error:
                report_write_error(self.crawler, f"the state store {self.archive_state.path}", error)


def _reading_problem(reading, extracted: bool) -> str | None:
    if reading is None:
        return "the page could not be read"
    if extracted and reading.article is None:
        return "no article on the page (an error or challenge page?)"
    return None


def _validators(page) -> dict:
    """Conditional request headers for a page whose good copy the archive holds (none without one)."""
    headers = {}
    if page.has_good_copy and page.etag:
        headers["If-None-Match"] = page.etag
    if page.has_good_copy and page.last_modified:
        headers["If-Modified-Since"] = page.last_modified
    return headers


def _parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _lastmod_after(lastmod: str, fetched: datetime) -> bool:
    """Whether a sitemap lastmod (W3C datetime, date only allowed) is later than our copy."""
    moment = parse_utc(lastmod)
    if moment is None:
        return False
    if len(lastmod.strip()) == 10:  # a date alone: changed on that day, after our copy only if later
        return moment.date() > fetched.date()
    return moment > fetched
