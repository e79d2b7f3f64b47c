"""Every archived version of an article, from the JSON lines of ``ARCHIVE_DIR/articles/``.

A run writes a line per new or changed article (``version`` 1, 2, ... with ``previous_sha1``),
so an article's history is its lines in version order. ``article_history`` finds them by article
id or by URL (the page URL or the canonical URL, percent-encoded or not, trailing slash or not);
``edit_records`` turns each pair of consecutive versions of every article into one line of
edits (``archive.diff``), for researchers who study how news is edited.

The files are read line by line: ``article_history`` keeps the lines of one article,
``edit_records`` only the lines of articles that have more than one version (a first pass
counts them), so memory follows the edited articles, not the corpus.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote

from archive.diff import ArticleDiff, diff_articles
from archive.latest import article_files

log = logging.getLogger(__name__)


class ArticleNotFound(LookupError):
    """No line of the archive has this article id or URL."""


def _records(files: list[Path]) -> Iterator[dict]:
    """Each usable article line, in run order; a line that is not a JSON object is skipped (logged)."""
    for path in files:
        with open(path, "rb") as stream:
            for number, raw in enumerate(stream, 1):
                if not raw.strip():
                    continue
                try:
                    record = json.loads(raw)
                except ValueError:
                    log.warning("%s:%d: skipping a line that is not JSON", path, number)
                    continue
                if isinstance(record, dict) and isinstance(record.get("id"), str):
                    yield record


def _url_form(url: str) -> str:
    return unquote(url.strip()).rstrip("/").split("#", 1)[0]


def _version(record: dict) -> int:
    version = record.get("version", 1)  # lines written before versioning are first versions
    return version if isinstance(version, int) and not isinstance(version, bool) else 1


def article_history(archive_dir: str | os.PathLike, id_or_url: str) -> list[dict]:
    """The article's versions, oldest first (a version written twice, e.g. after a crash: the last
    line); ArticleNotFound when no line has this id, URL or canonical URL."""
    wanted = id_or_url.strip()
    as_url = _url_form(wanted) if "/" in wanted else None
    versions: dict[int, dict] = {}
    found_id = None
    for record in _records(article_files(archive_dir)):
        if found_id is None:
            urls = {_url_form(str(record.get(key) or "")) for key in ("url", "canonical_url")}
            if record["id"] == wanted or (as_url is not None and as_url in urls):
                found_id = record["id"]
        if found_id is not None and record["id"] == found_id:
            versions[_version(record)] = record
    if found_id is None:
        raise ArticleNotFound(f"no article with id or URL {id_or_url!r} in {Path(archive_dir) / 'articles'}")
    return [versions[number] for number in sorted(versions)]


def pick_versions(history: list[dict], old: int | None, new: int | None) -> tuple[dict, dict]:
    """The two versions to compare: ``old`` and ``new`` by number, by default the last two."""
    by_number = {_version(record): record for record in history}
    numbers = sorted(by_number)
    if new is None:
        new = numbers[-1] if old is None else next((n for n in numbers if n > old), numbers[-1])
    if old is None:
        old = max((n for n in numbers if n < new), default=new)
    missing = [n for n in (old, new) if n not in by_number]
    if missing:
        raise ArticleNotFound(f"article {history[0]['id']} has no version {missing[0]} (versions: {', '.join(map(str, numbers))})")
    return by_number[old], by_number[new]


def edit_record(old: dict, new: dict, diff: ArticleDiff | None = None) -> dict:
    """One line of ``versions``: the pair, NewsEdits-style counts and the changed sentences."""
    diff = diff or diff_articles(old, new)
    return {
        "id": new["id"],
        "language": new.get("language"),
        "url": new.get("canonical_url") or new.get("url"),
        "from_version": _version(old),
        "to_version": _version(new),
        "from_fetched_at": old.get("fetched_at"),
        "to_fetched_at": new.get("fetched_at"),
        "from_sha1": old.get("content_sha1"),
        "to_sha1": new.get("content_sha1"),
        **diff.counts,
        "old_title": old.get("title") if diff.title_changed else None,
        "new_title": new.get("title") if diff.title_changed else None,
        "sentences": diff.changed_sentences(),
    }


def edit_records(archive_dir: str | os.PathLike) -> Iterator[dict]:
    """``edit_record`` of every pair of consecutive versions, article by article in order of first appearance."""
    files = article_files(archive_dir)
    counts: dict[str, set[int]] = {}
    for record in _records(files):
        counts.setdefault(record["id"], set()).add(_version(record))
    edited = {article_id for article_id, numbers in counts.items() if len(numbers) > 1}
    del counts
    versions: dict[str, dict[int, dict]] = {}
    for record in _records(files):
        if record["id"] in edited:
            versions.setdefault(record["id"], {})[_version(record)] = record
    for article_id, by_number in versions.items():
        numbers = sorted(by_number)
        for old, new in zip(numbers, numbers[1:]):
            yield edit_record(by_number[old], by_number[new])
