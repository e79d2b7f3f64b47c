"""Which captured responses the article extractor runs on: one rule for the crawl and for offline runs.

The spider extracts from a page that Scrapy hands to ``parse_page`` as a text response, with a 2xx
status (Scrapy's HttpErrorMiddleware drops the others), that is not a section listing, whose body
arrived whole and is not over ``EXTRACT_MAXSIZE``. Offline re-extraction (``crawler.offline``) must
make the same choice from a WARC record alone, so the rule lives here as pure functions:
``extraction_skip_reason`` (status, URL, truncation, size) and ``is_text_response`` (Scrapy's choice
of response class, restated without Scrapy; ``tests/test_offline_extract.py`` checks it against
Scrapy's own). ``answer_problem`` is the other shared rule: which answers are a usable copy of
their page (the crawl's state, and ``rusislam-archive rebuild-state`` reading the WARC files).
"""

from __future__ import annotations

import mimetypes
from typing import Any, Mapping

from .urls import SiteUrls

# Scrapy's responsetypes.CLASSES entries that are TextResponse subclasses (HTML, XML, JSON, text).
_TEXT_MIME_TYPES = frozenset({
    "text/html", "application/atom+xml", "application/rdf+xml", "application/rss+xml",
    "application/xhtml+xml", "application/vnd.wap.xhtml+xml", "application/xml", "application/json",
    "application/x-json", "application/json-amazonui-streaming", "application/javascript",
    "application/x-javascript", "text/xml",
})
# Control characters that make Scrapy take a body for binary (NUL, tab, LF and CR do not).
_BINARY_BYTES = frozenset(set(range(32)) - {0, 9, 10, 13})
_SNIFF_SIZE = 5000
# Python's built-in extension table only (no /etc/mime.types): the same answer on every machine.
_MIME_TYPES = mimetypes.MimeTypes()


def extraction_skip_reason(url: str, status: int, urls: SiteUrls, *, body_size: int, truncated: bool = False,
                           max_size: int = 0) -> str | None:
    """Why a response is archived but not given to the extractor, or None when it is given to it.

    ``body_size`` is the size after content decoding; ``max_size`` 0 means no limit. Whether the
    page is an article is the extractor's decision, not this one.
    """
    if not 200 <= int(status) < 300:
        return f"HTTP status {status}"
    if urls.is_listing(url):
        return "listing page"
    if truncated:
        return "truncated body"
    if max_size and body_size > max_size:
        return f"page of {body_size} bytes over EXTRACT_MAXSIZE ({max_size} bytes)"
    return None


GONE_STATUSES = (404, 410)  # the page is gone: remembered as such, asked again rarely


def answer_problem(status: int, body: bytes, *, truncated: bool, genuine_304: bool, method: str = "GET",
                   body_required: bool = True) -> str | None:
    """Why an answer is no usable copy of its page, or None when it is one (the page conditions of ``archive.state``).

    ``genuine_304``: the request was conditional on a good copy the archive holds. A 2xx body is
    usable here; whether it reads as the page is the spider's to say (``settle_fetch``).
    ``body_required`` False: an empty 2xx is usable (an empty stylesheet or script is one).
    """
    if truncated:
        return "truncated body"
    if not 100 <= status <= 599:
        return f"status {status} is no HTTP status"
    if status == 304:
        return None if genuine_304 else "304 Not Modified to a request not conditional on a copy held"
    if status == 206:
        return "206 Partial Content"
    if 200 <= status < 300:
        return None if body or method == "HEAD" or not body_required else f"empty {status} answer"
    if 300 <= status < 400:
        return None
    return f"HTTP {status}"


def is_text_response(headers: Any, url: str, body: bytes) -> bool:
    """Whether Scrapy would build a TextResponse (HTML, XML, JSON, text) for this decoded response.

    ``headers`` are the response headers after content decoding (Content-Encoding removed when the
    body was decoded), as (name, value) pairs or a mapping. Scrapy tries, in order, Content-Type
    (unless a Content-Encoding is left), the Content-Disposition file name, the URL's extension and
    finally sniffs the body; the first that names a text type wins.
    """
    content_type = _last_header(headers, "Content-Type")
    if content_type is not None and not _last_header(headers, "Content-Encoding"):
        if _is_text_mime_type(content_type.split(";")[0].strip().lower()):
            return True
    disposition = _last_header(headers, "Content-Disposition")
    if disposition is not None:
        try:
            file_name = disposition.split(";")[1].split("=")[1].strip("\"'")
        except IndexError:
            file_name = None
        if file_name is not None and _guessed_type_is_text(file_name):
            return True
    if url and _guessed_type_is_text(url):
        return True
    return not any(byte in _BINARY_BYTES for byte in body[:_SNIFF_SIZE])


def _is_text_mime_type(mime_type: str) -> bool:
    return mime_type in _TEXT_MIME_TYPES or mime_type.split("/", 1)[0] == "text"


def _guessed_type_is_text(name: str) -> bool:
    mime_type, encoding = _MIME_TYPES.guess_type(name)
    return bool(mime_type) and not encoding and _is_text_mime_type(mime_type)


def _last_header(headers: Any, name: str) -> str | None:
    """The last value of a header (Scrapy's ``Headers[name]``), case-insensitive; None when absent."""
    wanted = name.lower()
    items = headers.items() if isinstance(headers, Mapping) else headers or ()
    found = None
    for key, value in items:
        if str(key).lower() == wanted:
            found = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return found
