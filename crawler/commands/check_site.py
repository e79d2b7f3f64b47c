"""``rusislam-archive check-site``: try a site file on a few live pages before the first crawl.

Validates the file (file, key, problem), then fetches the pages given with ``--url`` (default:
the start pages, then the first articles they link), politely (robots.txt obeyed, the site's
user agent and delay), and prints what the crawl would make of each: its kind, and for an
article the fields extraction finds; for a listing its articles, next page and feeds. Nothing
is archived: this is a dry look, not a crawl.
"""

from __future__ import annotations

import argparse
import time
import urllib.error
import urllib.request
from urllib.robotparser import RobotFileParser

import lxml.html
from lxml import etree

from crawler.extract.article import read_page
from crawler.extract.decode import decode_html
from crawler.extract.feeds import announced_feeds
from crawler.extract.siteconfig import ConfigError, load_site_config
from crawler.extract.urls import SiteUrls

from . import EXIT_FAILED, EXIT_OK, ArchiveCommand, UsageError

MAX_BODY_BYTES = 8 * 1024 * 1024
ARTICLES_PER_START_PAGE = 2


class Command(ArchiveCommand):
    help = "try a site file on a few live pages: what the crawl would find and extract"
    description = __doc__.split("\n\n", 1)[1].replace("\n", " ").strip()

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("site", metavar="SITE", help="site name (rusislam) or path of a site YAML file")
        parser.add_argument("--url", action="append", default=[], metavar="URL",
                            help="a page to check (repeatable; default: start pages and their first articles)")
        parser.add_argument("--base-url", help="check a mirror of the site at this origin")
        parser.add_argument("--max-pages", type=int, default=6, help="pages fetched at most (default 6)")

    def run(self, args: argparse.Namespace) -> int:
        try:
            site = load_site_config(args.site)
            if args.base_url:
                site = site.with_origin(args.base_url)
        except (ConfigError, ValueError) as error:
            raise UsageError(str(error)) from None
        if args.max_pages < 1:
            raise UsageError(f"--max-pages must be at least 1, got {args.max_pages}")
        urls = SiteUrls(site)
        print(f"{site.path}: site {site.name!r}, origin {site.origin}, languages {', '.join(site.languages)}")
        queue = [urls.to_crawl_url(url) or url for url in args.url] or [
            site.origin + path for language in site.languages.values() for path in language.start_urls]
        fetcher = _PoliteFetcher(site.origin, site.politeness.user_agent, site.politeness.download_delay)
        fetched = failed = 0
        while queue and fetched < args.max_pages:
            url = queue.pop(0)
            page = fetcher.get(url)
            fetched += 1
            if isinstance(page, str):
                print(f"\n{url}\n  not fetched: {page}")
                failed += 1
                continue
            status, headers, body = page
            reading = read_page(body, url, headers, site, clean_params=tuple(urls.clean_params))
            print(f"\n{url}\n  HTTP {status}, {len(body)} bytes, kind: {urls.page_kind(url)}")
            if reading.article is not None:
                _print_article(reading.article)
            elif urls.is_listing(url):
                articles = [link for link in reading.links if urls.is_article(link)]
                pages = sorted({urls.page_number(link) for link in reading.links if urls.is_listing(link)} - {1})
                print(f"  listing page {urls.page_number(url)}: {len(articles)} article links; "
                      f"other listing pages linked: {', '.join(map(str, pages)) or 'none'}")
                for feed in announced_feeds(_root(body, headers), url):
                    print(f"  feed: {feed}")
                if not args.url:
                    queue += articles[:ARTICLES_PER_START_PAGE]
            else:
                print("  no article on this page")
        return EXIT_FAILED if failed == fetched else EXIT_OK


def _print_article(article) -> None:
    source = article.source or {}
    first_line = article.body.split("\n", 1)[0]
    for name, value in (("title", article.title), ("published", article.published), ("language", article.language),
                        ("author", article.author), ("source", source.get("name") or source.get("raw")),
                        ("translations", ", ".join(f"{lang} {url}" for lang, url in article.translations) or None),
                        ("body", f"{len(article.body)} characters, {article.body.count(chr(10)) + 1} paragraphs"),
                        ("first line", first_line[:150] + ("…" if len(first_line) > 150 else ""))):
        print(f"  {name + ':':<14}{value if value is not None else '-'}")


def _root(body: bytes, headers):
    """The parsed page, for what ``read_page`` does not report (announced feeds)."""
    try:
        return lxml.html.document_fromstring(decode_html(body, headers)[0])
    except (etree.ParserError, ValueError):
        return lxml.html.document_fromstring("<html></html>")


class _PoliteFetcher:
    """GET with the site's user agent, robots.txt obeyed, the site's delay between requests."""

    def __init__(self, origin: str, user_agent: str, delay: float):
        self.user_agent, self.delay, self._last = user_agent, delay, 0.0
        self.robots = RobotFileParser(origin + "/robots.txt")
        try:
            robots = self._open(origin + "/robots.txt")
            self.robots.parse(robots.read(MAX_BODY_BYTES).decode("utf-8", "replace").splitlines())
        except (OSError, ValueError):
            self.robots.allow_all = True

    def _open(self, url: str):
        wait = self._last + self.delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent})
        return urllib.request.urlopen(request, timeout=30)

    def get(self, url: str) -> tuple[int, list[tuple[str, str]], bytes] | str:
        """(status, headers, body), or the reason it was not fetched."""
        if not self.robots.can_fetch(self.user_agent, url):
            return "disallowed by robots.txt"
        try:
            with self._open(url) as response:
                return response.status, list(response.headers.items()), response.read(MAX_BODY_BYTES)
        except urllib.error.HTTPError as error:
            return f"HTTP {error.code} {error.reason}"
        except (OSError, ValueError) as error:
            return str(getattr(error, "reason", None) or error)
