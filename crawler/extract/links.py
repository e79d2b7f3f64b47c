"""The links of a page the crawler follows, read from the tree the extractor parsed.

Reading them here, beside the article, means a page is parsed once, in the process that
extracts it: the crawl process never builds a tree of an HTML page.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote, urljoin, urlsplit

from .urls import SiteUrls

# <base href> is only honoured where browsers look for it: in the page's head.
_BASE_XPATH = "/html/head/base[@href]"


def page_links(root, page_url: str, urls: SiteUrls, languages: Iterable[str] | None
               ) -> tuple[list[str], str | None]:
    """The page's links worth fetching (articles, listing pages, pages the site config names;
    crawl URLs in scope for ``languages``, once per canonical key, in page order) and the crawl
    URL of its rel=canonical link when that names a page of the site."""
    base = document_base(root, page_url)
    links = _followed_links(root, page_url, base, urls, languages)
    for _language, href in hreflang_alternates(root, base):  # the same article in another language
        url = urls.to_crawl_url(href)
        if url and urls.follow_key(url, None if languages is None else tuple(languages)) and url not in links:
            links.append(url)
    return links, _canonical_link(root, base, urls)


def hreflang_alternates(root, base: str) -> list[tuple[str, str]]:
    """(primary language subtag, absolute URL) of each ``<link rel="alternate" hreflang>`` in the
    page's head, ``x-default`` left out: the page in other languages."""
    alternates = []
    for link in root.xpath("/html/head/link[@hreflang][@href]"):
        if "alternate" not in (link.get("rel") or "").lower().split():
            continue
        language = link.get("hreflang").strip().lower().replace("_", "-").split("-")[0]
        if not language or language == "x":
            continue
        try:
            alternates.append((language, urljoin(base, link.get("href").strip())))
        except ValueError:  # a malformed href names no page
            continue
    return alternates


def document_base(root, page_url: str) -> str:
    """What the page's relative links are joined with: its <base href>, else its URL."""
    for base in root.xpath(_BASE_XPATH)[:1]:
        href = base.get("href").strip()
        if href:
            try:
                return urljoin(page_url, href)
            except ValueError:  # a malformed <base href> is ignored, as browsers ignore it
                break
    return page_url


def _canonical_link(root, base: str, urls: SiteUrls) -> str | None:
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            return urls.to_crawl_url(link.get("href"), base=base)
    return None


def _followed_links(root, page_url: str, base: str, urls: SiteUrls, languages: Iterable[str] | None) -> list[str]:
    """Links in page order, once per canonical key. A ``rel="nofollow"`` link to the page's own
    path (comment replies ``?replytocom=N``, share and print variants) leads to the same page
    again: it is not followed."""
    languages = None if languages is None else tuple(languages)
    found: dict[str, str] = {}
    own_path = _path_of(page_url)
    for href, rel in dict.fromkeys((a.get("href"), a.get("rel")) for a in root.iter("a")):  # menus repeat links
        if not href:
            continue
        url = urls.to_crawl_url(href, base=base)
        key = urls.follow_key(url, languages) if url else None
        if key is None:
            continue
        if rel and "nofollow" in rel.lower().split():
            if _path_of(url) == own_path:
                continue
        found.setdefault(key, url)
    return list(found.values())


def _path_of(url: str) -> str:
    return unquote(urlsplit(url).path or "/").rstrip("/")
