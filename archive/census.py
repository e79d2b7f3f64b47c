"""What the archive's article lines hold, counted in one pass: for ``status`` and ``report``.

An article counts once, as its latest version says (highest ``version`` of its ``id``; ties: the
later line). Its language is the detected ``language``, else the declared one, else ``und``
(undetermined). Versions after the first are edits, counted in the month they were fetched.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from archive.jsonl import JsonLinesError, read_jsonl

log = logging.getLogger(__name__)

UNDETERMINED = "und"


@dataclass(frozen=True)
class ArticleSummary:
    """The few fields of an article's latest version the overviews use."""

    id: str
    version: int
    language: str
    title: str
    url: str
    published: str | None  # YYYY-MM-DD
    source: str | None

    @classmethod
    def of(cls, record: dict) -> "ArticleSummary":
        published = record.get("published")
        source = record.get("source") if isinstance(record.get("source"), dict) else {}
        return cls(
            id=record["id"],
            version=record.get("version", 1) if isinstance(record.get("version", 1), int) else 1,
            language=record.get("language") or record.get("language_declared") or UNDETERMINED,
            title=str(record.get("title") or ""),
            url=str(record.get("url") or ""),
            published=published[:10] if isinstance(published, str) and len(published) >= 10 else None,
            source=source.get("name") or source.get("raw"),
        )


@dataclass
class ArticleCensus:
    articles: dict[str, ArticleSummary] = field(default_factory=dict)  # id -> latest version
    edits_by_month: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # language -> Counter
    # of the months (YYYY-MM) its changed versions were fetched
    lines: int = 0

    def count_by_language(self) -> dict[str, int]:
        counts = Counter(article.language for article in self.articles.values())
        return dict(sorted(counts.items()))

    def published_range(self) -> dict[str, dict[str, str | None]]:
        """language -> {"oldest": date, "newest": date} of the dated articles (None when none is dated)."""
        ranges: dict[str, dict[str, str | None]] = {}
        for article in self.articles.values():
            span = ranges.setdefault(article.language, {"oldest": None, "newest": None})
            if article.published is None:
                continue
            if span["oldest"] is None or article.published < span["oldest"]:
                span["oldest"] = article.published
            if span["newest"] is None or article.published > span["newest"]:
                span["newest"] = article.published
        return dict(sorted(ranges.items()))

    def by_month(self) -> dict[str, Counter]:
        """language -> Counter of publication months (YYYY-MM); undated articles are left out."""
        months: dict[str, Counter] = defaultdict(Counter)
        for article in self.articles.values():
            if article.published is not None:
                months[article.language][article.published[:7]] += 1
        return dict(sorted(months.items()))

    def sources_by_language(self) -> dict[str, Counter]:
        """language -> Counter of source names (``None``: the article names no source)."""
        sources: dict[str, Counter] = defaultdict(Counter)
        for article in self.articles.values():
            sources[article.language][article.source] += 1
        return dict(sorted(sources.items()))


def article_census(files: Iterable[Path]) -> ArticleCensus:
    """Read every article line of ``files`` (in run order); unusable lines are logged and skipped."""
    census = ArticleCensus()
    for record in _records(files):
        census.lines += 1
        article = ArticleSummary.of(record)
        current = census.articles.get(article.id)
        if current is None or article.version >= current.version:
            census.articles[article.id] = article
        fetched = record.get("fetched_at")
        if article.version > 1 and isinstance(fetched, str) and len(fetched) >= 7:
            census.edits_by_month[article.language][fetched[:7]] += 1
    return census


def _records(files: Iterable[Path]) -> Iterator[dict]:
    for path in files:
        try:
            for record in read_jsonl(path):
                if isinstance(record, dict) and isinstance(record.get("id"), str) and record["id"]:
                    yield record
        except (OSError, JsonLinesError) as error:
            log.warning("article lines: rest of %s skipped: %s", path, error)
