"""The article record: what a page says (``Article``), how it was fetched (``Capture``), the JSON line.

Kept apart from the extractor so that the crawl process, which only writes records, does not
load the extraction stack (trafilatura, dateparser, langdetect profiles): extraction runs in a
worker process (``crawler.extraction``).

Every line has every field, each always of one JSON type (null where article.schema.json allows
it), and a field that describes something every article has is never null on every line of a run:
tools that type a column from the first file they read (Hugging Face ``datasets``, pyarrow) then
type it the same way in every run's file. So ``previous_sha1`` is "" (not null) on first versions,
and ``published_date`` repeats the printed calendar date of ``published`` for loaders that would
turn a date-time with an offset into UTC (and so, near midnight, into the wrong day).
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

EXTRACTOR_NAME = "rusislam-archive"


def _installed_version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:  # a checkout on PYTHONPATH without any install
        return "0+unknown"


# The package's version (pyproject.toml; bump it when a change can alter extracted fields): records
# name the version that made them; archive.__version__ (--version, WARC warcinfo) reads the same metadata.
EXTRACTOR_VERSION = _installed_version(EXTRACTOR_NAME)
SCHEMA_PATH = Path(__file__).with_name("article.schema.json")


@dataclass(frozen=True)
class Article:
    """What an article page says."""

    url: str
    canonical_url: str
    id: str
    site: str
    language: str | None
    language_declared: str | None
    title: str
    published: str | None
    published_raw: str | None
    body: str
    source: dict | None
    author: str | None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    content_sha1: str = ""
    # The same article in the site's other languages (hreflang alternates): (language, canonical URL).
    translations: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Capture:
    """How the page was fetched; ``warc`` = {"file", "offset", "length", "record_id"} or None."""

    url: str
    fetched_at: datetime
    http_status: int
    warc: dict | None = None


@dataclass(frozen=True)
class PageReading:
    """What the crawler needs from an HTML page (``article.read_page``), read from one parse of it."""

    links: tuple[str, ...] = ()  # crawl URLs to follow (see links.page_links)
    canonical: str | None = None  # crawl URL of its rel=canonical link
    article: Article | None = None
    requisites: tuple[str, ...] = ()  # images, stylesheets, scripts... it needs (see requisites.html_requisites)


def extractor_info() -> dict:
    return {"name": EXTRACTOR_NAME, "version": EXTRACTOR_VERSION, "trafilatura": _trafilatura_version()}


@lru_cache(maxsize=1)
def _trafilatura_version() -> str:
    return _installed_version("trafilatura")  # reads package metadata from disk: once per process


def article_record(article: Article, capture: Capture) -> dict:
    """The JSON line of an article (key order fixed; see article.schema.json)."""
    record = {
        "id": article.id,
        "url": capture.url or article.url,
        "canonical_url": article.canonical_url,
        "site": article.site,
        "language": article.language,
        "language_declared": article.language_declared,
        "title": article.title,
        "published": article.published,
        "published_date": article.published[:10] if article.published else None,
        "published_raw": article.published_raw,
        "body": article.body,
        "source": dict(article.source) if article.source else None,
        "author": article.author,
        "categories": list(article.categories),
        "tags": list(article.tags),
        "translations": [{"language": language, "url": url} for language, url in article.translations],
        "fetched_at": _utc_iso(capture.fetched_at),
        "http_status": int(capture.http_status),
        "content_sha1": article.content_sha1,
        "warc": dict(capture.warc) if capture.warc else None,
        "extractor": extractor_info(),
    }
    return _nfc(record)


def next_version_fields(previous: tuple[int, str] | None) -> dict:
    """``version`` and ``previous_sha1`` of a new line of an article, given the ``(version, content_sha1)``
    of its line before (None for a first version: version 1, previous_sha1 "")."""
    if previous is None:
        return {"version": 1, "previous_sha1": ""}
    return {"version": previous[0] + 1, "previous_sha1": previous[1]}


def load_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))



def _utc_iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {k: _nfc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    return value
