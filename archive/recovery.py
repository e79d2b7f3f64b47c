"""Finish what a killed crawl left in an archive, before the next crawl writes anything.

Called under the archive's run lock (``archive.runlock``) by the crawl itself at start
(``crawler.extensions.ArchiveLockExtension``), so ``scrapy crawl``, ``rusislam-archive crawl`` and
``rusislam-archive run`` are equally safe after a ``kill -9``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from archive.jsonl import repair_jsonl
from archive.latest import article_files
from archive.state import StateError, StateStore, state_path
from archive.warc import recover_open_files

log = logging.getLogger(__name__)


def recover_leftovers(archive_dir: str | os.PathLike) -> dict:
    """Recover ``*.warc.gz.open`` files of dead writers, cut partial JSON lines, reconcile the state.

    Returns what was done: ``warc_files`` (recovered, relative to the archive), ``jsonl_bytes_removed``
    ({file: bytes}) and ``articles_reconciled`` (article versions the state had lost).
    """
    archive_dir = Path(archive_dir)
    report: dict = {"warc_files": [], "jsonl_bytes_removed": {}, "articles_reconciled": 0}
    warc_dir = archive_dir / "warc"
    if warc_dir.is_dir():
        report["warc_files"] = [os.path.relpath(path, archive_dir) for path in recover_open_files(warc_dir)]
    files = article_files(archive_dir)
    for path in files:
        removed = repair_jsonl(path)
        if removed:
            report["jsonl_bytes_removed"][os.path.relpath(path, archive_dir)] = removed
    if state_path(archive_dir).exists():
        try:
            with StateStore(state_path(archive_dir)) as store:
                # Every start, not only after a crash: the JSON lines are the truth for versions.
                report["articles_reconciled"] = store.reconcile_with_lines(files)
        except StateError:
            pass  # an unusable store: the crawl's state extension says why in one line and does not crawl
    for name in report["warc_files"]:
        log.warning("recovered WARC file left open by a killed run: %s", name)
    if report["articles_reconciled"]:
        log.warning("state: restored %d article versions found in the JSON lines", report["articles_reconciled"])
    return report
