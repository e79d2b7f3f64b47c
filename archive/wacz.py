"""WACZ 1.1.1 packaging of an archive: one file that ReplayWeb.page opens and ``wacz validate`` accepts.

Layout of the zip (https://specs.webrecorder.net/wacz/1.1.1/):

- ``archive/*.warc.gz``: the crawl's finished WARC files, stored uncompressed in the zip
  (ZIP_STORED) so that readers can seek to a record's offset inside the package;
- ``indexes/index.cdxj``: the archive's CDXJ index (``archive.cdxj``), brought up to date first;
- ``pages/pages.jsonl``: a header line, then one line per article record of ``ARCHIVE_DIR/articles``:
  ``url`` and ``ts`` of its capture, ``title``, ``text`` (the article body: what ReplayWeb.page's
  text search looks in), plus our ``article_id``, ``published`` and ``language``; the page ``id`` is
  the UUID of the WARC response record the article came from, so pages, WARC records and article
  lines name each other;
- ``datapackage.json``: every file with its sha256 and size; ``datapackage-digest.json``: the sha256
  of ``datapackage.json``.

Written as ``OUTPUT.partial`` and renamed when complete, so a package under its final name is whole.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from archive import __version__
from archive.cdxj import CdxjIndexError, finished_warc_files, update_index
from archive.jsonl import JsonLinesError, read_jsonl

log = logging.getLogger(__name__)

WACZ_VERSION = "1.1.1"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "Articles"}
_CHUNK = 1024 * 1024


class WaczError(RuntimeError):
    """The archive cannot be packaged (not an archive directory, nothing to package)."""


@dataclass(frozen=True)
class WaczSummary:
    path: Path
    warc_files: tuple[str, ...]
    pages: int
    index_lines: int


def article_pages(articles_dir: Path, warc_names: set[str]) -> Iterator[dict]:
    """Page entries for the article records whose WARC record is in the package, each capture once."""
    seen: set[str] = set()
    for path in sorted(articles_dir.glob("*.jsonl")) if articles_dir.is_dir() else ():
        try:
            for record in read_jsonl(path):
                page = _page_entry(record, warc_names)
                if page is not None and page["id"] not in seen:
                    seen.add(page["id"])
                    yield page
        except JsonLinesError as error:
            log.error("%s: skipped from here on: %s", path, error)


def _page_entry(record, warc_names: set[str]) -> dict | None:
    if not isinstance(record, dict):
        return None
    pointer = record.get("warc") or {}
    record_id = str(pointer.get("record_id") or "")
    if pointer.get("file") not in warc_names or not record_id or not record.get("url") or not record.get("fetched_at"):
        return None
    return {
        "id": record_id.removeprefix("<").removesuffix(">").removeprefix("urn:uuid:"),
        "url": record["url"],
        "ts": record["fetched_at"],
        "title": record.get("title") or record["url"],
        "text": record.get("body") or "",
        "article_id": record.get("id"),
        "published": record.get("published"),
        "language": record.get("language"),
    }


class _PackageWriter:
    """Adds files to the zip while hashing them, and remembers each as a datapackage resource."""

    def __init__(self, zip_file: zipfile.ZipFile):
        self.zip = zip_file
        self.resources: list[dict] = []

    def add_file(self, source: Path, name: str, compress: int) -> None:
        stat = source.stat()
        info = zipfile.ZipInfo(name, _zip_time(datetime.fromtimestamp(stat.st_mtime, timezone.utc)))
        info.compress_type = compress
        info.file_size = stat.st_size  # lets zipfile choose ZIP64 for files past 2 GiB
        digest, size = hashlib.sha256(), 0
        with open(source, "rb") as data, self.zip.open(info, "w") as out:
            while chunk := data.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        if size != stat.st_size:
            raise WaczError(f"{source} changed while it was being packaged")
        self._remember(name, digest.hexdigest(), size)

    def add_bytes(self, data: bytes, name: str, moment: datetime, *, resource: bool = True) -> None:
        info = zipfile.ZipInfo(name, _zip_time(moment))
        info.compress_type = zipfile.ZIP_DEFLATED
        self.zip.writestr(info, data)
        if resource:
            self._remember(name, hashlib.sha256(data).hexdigest(), len(data))

    def _remember(self, name: str, sha256: str, size: int) -> None:
        self.resources.append({"name": Path(name).name.lower(), "path": name, "hash": f"sha256:{sha256}", "bytes": size})


def build_wacz(archive_dir: str | os.PathLike, output: str | os.PathLike, *, title: str | None = None) -> WaczSummary:
    """Package ARCHIVE_DIR (its warc/, the updated CDXJ index and its articles/) as a WACZ file."""
    archive_dir, output = Path(archive_dir), Path(output)
    try:
        update = update_index(archive_dir)
    except CdxjIndexError as error:
        raise WaczError(str(error)) from None
    warc_files = [p for p in finished_warc_files(archive_dir / "warc") if p.name not in update.failed_files]
    if not warc_files:
        raise WaczError(f"{archive_dir / 'warc'} holds no finished WARC file to package")
    created = datetime.now(timezone.utc).replace(microsecond=0)
    partial = output.with_name(output.name + ".partial")
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(partial, "w", allowZip64=True) as zip_file:
            package = _PackageWriter(zip_file)
            for path in warc_files:
                package.add_file(path, f"archive/{path.name}", zipfile.ZIP_STORED)
            package.add_file(update.index_path, "indexes/index.cdxj", zipfile.ZIP_DEFLATED)
            pages = list(article_pages(archive_dir / "articles", {p.name for p in warc_files}))
            page_lines = [json.dumps(PAGES_HEADER, ensure_ascii=False)]
            page_lines += [json.dumps(page, ensure_ascii=False) for page in pages]
            package.add_bytes(("\n".join(page_lines) + "\n").encode("utf-8"), "pages/pages.jsonl", created)
            datapackage = _datapackage(package.resources, created, title or f"{archive_dir.resolve().name} web archive")
            package.add_bytes(datapackage, "datapackage.json", created, resource=False)
            digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(datapackage).hexdigest()}
            package.add_bytes(json.dumps(digest, indent=2).encode("utf-8"), "datapackage-digest.json", created,
                              resource=False)
        os.replace(partial, output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return WaczSummary(output, tuple(p.name for p in warc_files), len(pages), update.line_count)


def _datapackage(resources: list[dict], created: datetime, title: str) -> bytes:
    package = {
        "profile": "data-package",
        "resources": resources,
        "wacz_version": WACZ_VERSION,
        "software": f"rusislam-archive {__version__}",
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "title": title,
    }
    return json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    """Zip entries hold local-less DOS times from 1980 on; UTC is used."""
    moment = max(moment.astimezone(timezone.utc), datetime(1980, 1, 1, tzinfo=timezone.utc))
    return moment.timetuple()[:6]
