"""The links of a page the crawler follows, read from the tree the extractor parsed.

Reading them here, beside the article, means a page is parsed once, in the process that
extracts it: the crawl process never builds a tree of an HTML page.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urljoin

from .urls import SiteUrls

# <base href> is only honoured where browsers look for it: in the page's head.
_BASE_XPATH = "/html/head/base[@href]"


def base_url(root, page_url: str) -> str:
    """What the page's relative links are joined with: its <base href>, else its URL."""
    for base in root.xpath(_BASE_XPATH)[:1]:
        href = base.get("href").strip()
        if href:
            return urljoin(page_url, href)
    return page_url


def canonical_link(root, page_url: str, urls: SiteUrls) -> str | None:
    """Crawl URL of the page's rel=canonical link, when it names a page of the site."""
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            return urls.to_crawl_url(link.get("href"), base=base_url(root, page_url))
    return None


def followed_links(root, page_url: str, urls: SiteUrls, languages: Iterable[str] | None) -> list[str]:
    """Crawl URLs of the page's <a href> links worth fetching (articles, listing pages, pages the
    site config names), in scope for ``languages``, once per canonical key, in page order."""
    base = base_url(root, page_url)
    languages = None if languages is None else tuple(languages)
    found: dict[str, str] = {}
    for href in dict.fromkeys(a.get("href") for a in root.iter("a")):  # menus repeat links
        if not href:
            continue
        url = urls.to_crawl_url(href, base=base)
        key = urls.follow_key(url, languages) if url else None
        if key is not None:
            found.setdefault(key, url)
    return list(found.values())
