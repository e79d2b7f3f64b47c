"""Page requisites: what an HTML page or a stylesheet needs to render, as URLs to archive.

A web archive that keeps a page's HTML without its images, stylesheets, scripts, icons and
fonts does not look like the page (Heritrix and browsertrix-crawler archive them by default).
Read from the tree the extractor parsed (``html_requisites``) and from stylesheet text
(``css_requisites``); which of them are fetched (the site's hosts, robots.txt) is the crawler's
business, what is in scope is ``SiteUrls.requisite_url``'s.

What counts, in document order, each URL once:
- ``img`` ``src`` and ``srcset``, ``picture``/``source`` ``srcset``, ``video``/``audio`` ``source src``,
  ``video poster``, ``input type=image``, the ``background`` attribute of old table layouts;
- ``link rel`` stylesheet, icon (and its variants), preload/modulepreload, manifest; ``script src``;
- ``url(...)`` and ``@import`` inside ``<style>`` elements and ``style`` attributes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from .links import document_base
from .urls import SiteUrls

_LINK_RELS = frozenset({
    "stylesheet", "icon", "shortcut", "apple-touch-icon", "apple-touch-icon-precomposed", "mask-icon",
    "preload", "modulepreload", "manifest",
})
_BACKGROUND_TAGS = frozenset({"body", "table", "td", "th", "tr"})
# CSS: comments, then url(...) (quoted or not) and @import "..." (a bare string).
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.S)
_ESCAPE = r"\\(?:[0-9a-fA-F]{1,6}\s?|.)"
_CSS_REFERENCE = re.compile(
    rf"""url\(\s*(?:"((?:[^"\\\n]|{_ESCAPE})*)"|'((?:[^'\\\n]|{_ESCAPE})*)'|((?:[^)\s"'\\]|{_ESCAPE})*))\s*\)"""
    rf"""|@import\s+(?:"((?:[^"\\\n]|{_ESCAPE})*)"|'((?:[^'\\\n]|{_ESCAPE})*)')""",
    re.I | re.S,
)
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})\s?|(.))", re.S)
_NOT_FETCHED = ("data:", "javascript:", "about:", "blob:", "mailto:", "#")


def html_requisites(root, page_url: str, urls: SiteUrls) -> list[str]:
    """Requisite URLs of a parsed HTML page that are in the site's requisite scope (crawl URLs)."""
    base = document_base(root, page_url)
    return _in_scope(_html_references(root), base, urls)


def css_requisites(text: str, css_url: str, urls: SiteUrls) -> list[str]:
    """Requisite URLs of a stylesheet (``url()``, ``@import``) in the site's requisite scope;
    relative references are joined with the stylesheet's own URL, as browsers do."""
    return _in_scope(css_references(text), css_url, urls)


def css_references(text: str) -> list[str]:
    """The raw ``url(...)`` and ``@import`` references of CSS text, escapes decoded, comments skipped."""
    found = []
    for match in _CSS_REFERENCE.finditer(_CSS_COMMENT.sub(" ", text)):
        raw = next(group for group in match.groups() if group is not None)
        found.append(_CSS_ESCAPE.sub(_css_unescape, raw).strip())
    return found


def srcset_urls(value: str) -> list[str]:
    """The URLs of a ``srcset`` attribute ("a.jpg 1x, b.jpg 2x", "c.jpg 640w"), as the HTML
    standard splits it: a URL runs to the next whitespace, then descriptors to the next comma."""
    found, position, size = [], 0, len(value)
    while position < size:
        while position < size and (value[position].isspace() or value[position] == ","):
            position += 1
        start = position
        while position < size and not value[position].isspace():
            position += 1
        url = value[start:position]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            depth = 0  # descriptors: skip to the comma that ends them (not one inside parentheses)
            while position < size and (value[position] != "," or depth):
                depth += {"(": 1, ")": -1}.get(value[position], 0)
                position += 1
        if url:
            found.append(url)
    return found


def _html_references(root) -> Iterator[str]:
    """The raw references of the page's elements, in document order."""
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        get = element.get
        if tag in ("img", "source"):
            yield from _attributes(get, "src")
            yield from srcset_urls(get("srcset") or "")
        elif tag == "link":
            rels = set((get("rel") or "").lower().split())
            if rels & _LINK_RELS:
                yield from _attributes(get, "href")
        elif tag == "script":
            yield from _attributes(get, "src")
        elif tag == "video":
            yield from _attributes(get, "poster")
        elif tag == "input" and (get("type") or "").lower() == "image":
            yield from _attributes(get, "src")
        elif tag == "style":
            yield from css_references(element.text or "")
        if tag in _BACKGROUND_TAGS:
            yield from _attributes(get, "background")
        style = get("style") if tag else None
        if style and "url(" in style.lower():
            yield from css_references(style)


def _attributes(get, name: str) -> Iterator[str]:
    value = (get(name) or "").strip()
    if value:
        yield value


def _in_scope(references: Iterable[str], base: str, urls: SiteUrls) -> list[str]:
    found: dict[str, None] = {}
    for raw in references:
        if not raw or raw.lower().startswith(_NOT_FETCHED):
            continue
        url = urls.requisite_url(raw, base=base)
        if url is not None:
            found.setdefault(url)
    return list(found)


def _css_unescape(match: re.Match[str]) -> str:
    if match.group(1):
        code = int(match.group(1), 16)
        return chr(code) if 0 < code <= 0x10FFFF else "\ufffd"
    return "" if match.group(2) == "\n" else match.group(2)
