"""A configuration-driven spider for multilingual news sites.

How to crawl lives here (discovery: robots.txt, sitemaps, section listings and their
pages, article links); how to read a page lives in ``crawler.extract``; what the
site looks like lives in its YAML file. Adding a site is adding a YAML file:
``scrapy crawl news -a site=NAME`` (or a subclass that fixes ``site_config``).

Spider arguments (``-a``):
- ``site``: site name (config/sites/NAME.yaml) or path to a YAML file;
- ``base_url``: crawl a mirror: its scheme, host and port replace the site's origin
  everywhere (start URLs, robots.txt, sitemaps, links to the site's own origin);
- ``languages``: comma-separated subset of the configured languages (``ar,en``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import scrapy
from scrapy import signals
from scrapy.http import Request, TextResponse
from scrapy.utils.gz import gunzip
from scrapy.utils.response import get_base_url
from scrapy.utils.sitemap import Sitemap

from crawler.extract.article import Capture, article_record, extract_article
from crawler.extract.siteconfig import SiteConfig, load_site_config
from crawler.extract.urls import SiteUrls

from ..handlers import CAPTURE_STARTED
from ..middlewares import WARC_META

logger = logging.getLogger(__name__)


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
        crawler.signals.connect(spider.robots_parsed, signal=signals.robots_parsed)
        return spider

    def __init__(self, *args, site: str | None = None, base_url: str | None = None, languages: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        config = site or self.site_config
        if not config:
            raise ValueError(f"spider {self.name!r} needs a site: -a site=NAME or -a site=path/to/site.yaml")
        self.site = load_site_config(config)
        if base_url:
            self.site = self.site.with_origin(base_url)
        self.languages = self._parse_languages(languages)
        self.urls = SiteUrls(self.site)
        self.allowed_domains = [self.site.origin.split("://", 1)[1].split(":")[0].strip("[]")]
        self.canonical_seen: set[str] = set()

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

    # --- discovery -------------------------------------------------------------
    async def start(self):
        for code in self.languages:
            for path in self.site.languages[code].start_urls:
                yield Request(self.site.origin + path, callback=self.parse_page)
        for path in self.site.sitemaps:
            yield Request(self.site.origin + path, callback=self.parse_sitemap)

    def robots_parsed(self, robotparser, request):
        """robots.txt is in: learn its Clean-param names and follow its sitemaps."""
        self.urls.add_clean_params(getattr(robotparser, "clean_params", ()))
        for url in getattr(robotparser, "sitemaps", ()):
            crawl_url = self.urls.to_crawl_url(url)
            if crawl_url and self.urls.in_scope(crawl_url):
                self.crawler.engine.crawl(Request(crawl_url, callback=self.parse_sitemap))
            else:
                logger.info("Not following sitemap outside the site: %s", url)

    def parse_sitemap(self, response):
        body = self._sitemap_body(response)
        if body is None:
            logger.warning("Not a sitemap, skipped: %s (status %s)", response.url, response.status)
            self.crawler.stats.inc_value("sitemaps/invalid")
            return
        sitemap = Sitemap(body)
        self.crawler.stats.inc_value(f"sitemaps/{sitemap.type}")
        for entry in sitemap:
            url = self.urls.to_crawl_url(entry.get("loc", ""), base=response.url)
            if not url:
                continue
            if sitemap.type == "sitemapindex":
                if self.urls.in_scope(url):
                    yield Request(url, callback=self.parse_sitemap)
            elif self.urls.in_scope(url, self.languages):
                yield self._page_request(url)

    def _sitemap_body(self, response) -> bytes | None:
        body = response.body
        if body[:2] == b"\x1f\x8b":  # a .xml.gz file served as application/gzip
            try:
                body = gunzip(body, max_size=self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
            except OSError:
                return None
        head = body[:1024].lstrip().lower()
        if response.status != 200 or not (head.startswith(b"<?xml") or head.startswith(b"<urlset") or head.startswith(b"<sitemapindex")):
            return None
        return body

    def _page_request(self, url: str) -> Request:
        return Request(url, callback=self.parse_page)

    def parse_page(self, response):
        if not isinstance(response, TextResponse):
            logger.info("Not an HTML page, archived only: %s (%s)", response.url, response.headers.get("Content-Type"))
            return
        self.canonical_seen.add(self.urls.canonical_key(response.url))
        canonical = self._canonical_url(response)
        if canonical:
            self.canonical_seen.add(self.urls.canonical_key(canonical))
        yield from self._follow_links(response)
        if not self.urls.is_listing(response.url):
            record = self._article_record(response)
            if record is not None:
                yield record

    def _canonical_url(self, response) -> str | None:
        href = response.xpath("//link[contains(concat(' ', normalize-space(@rel), ' '), ' canonical ')]/@href").get()
        return self.urls.to_crawl_url(href, base=get_base_url(response)) if href else None

    def _follow_links(self, response):
        """Articles, listing pages and the other pages the site config names, in scope."""
        base = get_base_url(response)
        for href in response.xpath("//a/@href").getall():
            url = self.urls.to_crawl_url(href, base=base)
            if not url or not self.urls.in_scope(url, self.languages):
                continue
            if not self.urls.should_follow(url):
                continue
            if self.urls.canonical_key(url) in self.canonical_seen:
                continue
            yield self._page_request(url)

    def _article_record(self, response) -> dict | None:
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in response.headers.items() for v in vs]
        try:
            article = extract_article(response.body, response.url, headers, self.site)
        except Exception:  # the extractor must not stop the crawl; the page stays in the WARC
            logger.exception("Extraction failed, page archived but no record: %s", response.url)
            self.crawler.stats.inc_value("articles/extract_error")
            return None
        if article is None:
            self.crawler.stats.inc_value("pages/not_article")
            return None
        self.crawler.stats.inc_value("articles/extracted")
        capture = Capture(
            url=response.url,
            fetched_at=response.meta.get(CAPTURE_STARTED) or datetime.now(timezone.utc),
            http_status=response.status,
            warc=response.meta.get(WARC_META),
        )
        return article_record(article, capture)
