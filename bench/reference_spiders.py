"""Reference crawls for the benchmark: what bare Scrapy (A) and Scrapy + trafilatura (B) cost.

Both walk the site the way ours finds articles (each language's news listing, its ``?PAGEN_1``
pages, the article links on them), with the same concurrency, timeouts, User-Agent and robots.txt
obedience as ours and delays off, so that the difference to ``scrapy crawl rusislam`` is what
our crawler adds per page: WARC writing, our extraction, dates, sources, language, JSON lines, state.

- mode ``A``: fetch every article and do nothing with it;
- mode ``B``: the same, plus ``trafilatura.bare_extraction(response.text, url=response.url)``
  (trafilatura's defaults: no metadata) on each article.

Run (the benchmark does it in a subprocess of its own)::

    python -m bench.reference_spiders --mode B --base-url http://127.0.0.1:8800 --stats-file b.json
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import scrapy
from scrapy.crawler import CrawlerProcess

from crawler.extract.siteconfig import load_site_config

SITE = "rusislam"


def crawl_settings(site, concurrency: int | None = None) -> dict:
    """Bare Scrapy with our politeness values, delays and AutoThrottle off."""
    p = site.politeness
    return {
        "ROBOTSTXT_OBEY": True,
        "CONCURRENT_REQUESTS": 8,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency or p.concurrent_requests_per_domain,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_TIMEOUT": p.download_timeout,
        "RETRY_TIMES": p.retry_times,
        "USER_AGENT": p.user_agent,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "INFO",
    }


class ReferenceSpider(scrapy.Spider):
    """Listings -> articles; ``mode`` says what is done with an article page."""

    name = "reference"

    def __init__(self, base_url: str, mode: str = "A", **kwargs):
        super().__init__(**kwargs)
        if mode not in ("A", "B"):
            raise ValueError(f"mode must be A or B, not {mode!r}")
        self.mode = mode
        self.site = load_site_config(SITE).with_origin(base_url)
        self.article_path = re.compile(self.site.article_url_pattern)
        self.listing_path = re.compile(self.site.listing_url_pattern)
        self.allowed_domains = [urlsplit(self.site.origin).hostname]
        self.articles = 0
        self.extracted_chars = 0

    async def start(self):
        for language in self.site.languages.values():
            for path in language.start_urls:
                yield scrapy.Request(self.site.origin + path, callback=self.parse_listing)

    def parse_listing(self, response):
        for href in response.xpath("//a/@href").getall():
            url = response.urljoin(href)
            parts = urlsplit(url)
            if parts.netloc != urlsplit(self.site.origin).netloc:
                continue
            if self.article_path.match(parts.path):
                yield scrapy.Request(url, callback=self.parse_article)
            elif self.listing_path.match(parts.path) and self.site.pagination_param in parse_qs(parts.query):
                yield scrapy.Request(url, callback=self.parse_listing)

    def parse_article(self, response):
        self.articles += 1
        if self.mode == "B":
            import trafilatura

            document = trafilatura.bare_extraction(response.text, url=response.url)
            if document is not None and document.text:
                self.extracted_chars += len(document.text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reference_spiders", description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("A", "B"), required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--concurrency", type=int, help="CONCURRENT_REQUESTS_PER_DOMAIN (default: the site's)")
    parser.add_argument("--stats-file", type=Path, help="write the crawl's counts here (JSON)")
    args = parser.parse_args(argv)
    site = load_site_config(SITE)
    process = CrawlerProcess(crawl_settings(site, args.concurrency))
    crawler = process.create_crawler(ReferenceSpider)
    process.crawl(crawler, base_url=args.base_url, mode=args.mode)
    process.start()
    spider = crawler.spider
    stats = {"mode": args.mode, "articles": spider.articles, "extracted_chars": spider.extracted_chars,
             "requests": crawler.stats.get_value("downloader/request_count", 0),
             "finish_reason": crawler.stats.get_value("finish_reason")}
    if args.stats_file:
        args.stats_file.write_text(json.dumps(stats))
    return 0 if stats["finish_reason"] == "finished" else 1


if __name__ == "__main__":
    raise SystemExit(main())
