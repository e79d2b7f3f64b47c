"""Pytest plugin of the web-archive tests: one real mirror crawl per session, shared by their modules.

Loaded with ``pytest_plugins = ["tests.archive_fixtures"]``; the modules never import it, so pytest
can rewrite its asserts.
"""

from __future__ import annotations

import pytest

from tests.conftest import run_crawl
from tests.mirror import MirrorServer


@pytest.fixture(scope="session")
def mirror_crawl(tmp_path_factory):
    """(mirror, result) of ``scrapy crawl rusislam -a base_url=MIRROR``; the mirror stays up."""
    with MirrorServer() as mirror:
        result = run_crawl(tmp_path_factory.mktemp("archive-crawl") / "archive", "-a", f"base_url={mirror.base_url}")
        assert result.returncode == 0, result.log[-3000:]
        assert result.warc_files and result.jsonl_files, result.log[-3000:]
        yield mirror, result
