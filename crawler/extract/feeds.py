"""RSS and Atom feeds: the articles a feed lists, and the feeds a page announces.

Most news sites publish a feed per language or section; its items are the newest articles with
their dates, discovered like sitemap entries (the date as ``lastmod``). Parsing is feedparser's
(RSS 0.9x/1.0/2.0 and Atom, broken feeds included); this module only picks what the crawl needs.
Pure: bytes in, URLs out.
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timezone
from urllib.parse import urljoin

import feedparser

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml")
# Feeds of the readers' comments, not of articles ("Comments Feed", /comments/feed/, /slug/feed/
# announced on an article page): their items are comments.
_COMMENTS = re.compile(r"comment|تعليق|коммент", re.IGNORECASE)
_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:RDF)[\s>]", re.IGNORECASE)


def looks_like_feed(body: bytes) -> bool:
    """Whether an XML document is an RSS/Atom feed (its root element, in the first KB)."""
    return bool(_FEED_ROOT.search(body[:2048]))


def feed_entries(body: bytes, url: str) -> list[tuple[str, str | None]]:
    """(absolute link, last change as ISO 8601 UTC or None) of each item, in feed order."""
    parsed = feedparser.parse(body, response_headers={"content-location": url})
    entries: list[tuple[str, str | None]] = []
    for entry in parsed.entries:
        link = entry.get("link") or _alternate_link(entry)
        if not link:
            continue
        # dict.get: FeedParserDict.get would map a missing "updated" to "published" with a warning
        moment = dict.get(entry, "updated_parsed") or dict.get(entry, "published_parsed")
        entries.append((urljoin(url, link.strip()), _iso(moment)))
    return entries


def announced_feeds(root, page_url: str) -> list[str]:
    """Absolute URLs of the article feeds a page announces (``<link rel="alternate"
    type="application/rss+xml">``), comment feeds left out."""
    feeds: list[str] = []
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().strip()
        href = (link.get("href") or "").strip()
        if "alternate" not in rel or kind not in FEED_TYPES or not href:
            continue
        if _COMMENTS.search(link.get("title") or "") or _COMMENTS.search(href):
            continue
        try:
            url = urljoin(page_url, href)
        except ValueError:
            continue
        if url not in feeds:
            feeds.append(url)
    return feeds


def _alternate_link(entry) -> str | None:
    for link in entry.get("links", ()):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link["href"]
    return None


def _iso(moment) -> str | None:
    if not moment:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(moment), timezone.utc).isoformat()
    except (OverflowError, ValueError, TypeError):
        return None
