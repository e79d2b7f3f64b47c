"""pywb really replays our archive: a collection made from the crawl's WARC files, served on 127.0.0.1.

Two collections: ``added`` is made the way pywb's users do it (``wb-manager init`` + ``wb-manager
add``, pywb indexes the WARCs itself); ``ours`` holds the same WARCs with our own CDXJ index
(``rusislam-archive index``), which shows that pywb can read that index. Both must give back the
real Arabic article and a page that the mirror served gzip-compressed, text intact.
"""

from __future__ import annotations

import html
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from lxml import html as lxml_html

from archive.cdxj import update_index
from archive.reader import iter_responses
from tests.archive_tools import copy_archive, tool_command
from tests.mirror import text_of
from tests.mirror.content import REAL_AR_ID

pytest_plugins = ["tests.archive_fixtures"]  # the session's mirror crawl: fixture mirror_crawl

_SPACE = re.compile(r"\s+")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _normalised(text: str) -> str:
    return _SPACE.sub(" ", html.unescape(text).replace("\xa0", " ")).strip()


@pytest.fixture(scope="module")
def wayback(mirror_crawl, tmp_path_factory):
    """pywb serving collections ``added`` and ``ours``; yields its base URL; stopped afterwards."""
    wb_manager = tool_command("PYWB_VENV", "pywb-venv", "wb-manager")
    wayback_command = tool_command("PYWB_VENV", "pywb-venv", "wayback")
    _, crawl = mirror_crawl
    root = tmp_path_factory.mktemp("pywb")
    for command in (["init", "added"], ["add", "added", *map(str, crawl.warc_files)]):
        done = subprocess.run([str(wb_manager), *command], cwd=root, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr

    archive_dir = copy_archive(crawl, root / "our-archive")
    index = update_index(archive_dir).index_path
    ours = root / "collections" / "ours"
    (ours / "indexes").mkdir(parents=True)
    shutil.copytree(archive_dir / "warc", ours / "archive")
    shutil.copy(index, ours / "indexes" / "index.cdxj")

    port = _free_port()
    log_path = root / "wayback.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen([str(wayback_command), "-b", "127.0.0.1", "-p", str(port)], cwd=root,
                                  stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/added/", timeout=5):
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"pywb did not start (exit {server.poll()}):\n{log_path.read_text(errors='replace')[-3000:]}")
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _replay(base: str, collection: str, url: str, timestamp: str) -> str:
    """The archived page as pywb replays it (``mp_``: the page itself, links rewritten), decoded."""
    with urllib.request.urlopen(f"{base}/{collection}/{timestamp}mp_/{url}", timeout=30) as response:
        assert response.status == 200
        charset = response.headers.get_content_charset() or "utf-8"
        return response.read().decode(charset)


def _capture(crawl, url: str):
    """The response record of a URL in the crawl's WARC files."""
    for record, _ in iter_responses(crawl.warc_files):
        if record.target_uri == url and record.status == 200:
            return record
    raise AssertionError(f"{url} is not in the WARC files")


def _assert_article_replayed(page_html: str, article) -> None:
    tree = lxml_html.fromstring(page_html)
    assert article.title in _normalised(tree.findtext(".//title") or "")
    text = _normalised(tree.body.text_content())
    assert _normalised(article.title) in text
    for paragraph in article.paragraphs:
        expected = text_of(paragraph)
        if expected:
            assert expected in text, f"paragraph missing from the replay: {expected[:80]}"


@pytest.mark.parametrize("collection", ["added", "ours"])
def test_pywb_replays_the_real_arabic_article(wayback, mirror_crawl, collection):
    mirror, crawl = mirror_crawl
    article = next(a for a in mirror.site.articles if a.id == REAL_AR_ID)
    url = article.url(mirror.base_url)
    record = _capture(crawl, url)
    timestamp = re.sub(r"\D", "", record.warc_date)[:14]
    page = _replay(wayback, collection, url, timestamp)
    _assert_article_replayed(page, article)
    assert "روسيا وتركيا" in article.title


@pytest.mark.parametrize("collection", ["added", "ours"])
def test_pywb_replays_a_gzip_served_page(wayback, mirror_crawl, collection):
    mirror, crawl = mirror_crawl
    gzipped = []
    for article in mirror.site.articles:
        if article.language == "ar":
            continue
        try:
            record = _capture(crawl, article.url(mirror.base_url))
        except AssertionError:
            continue
        if dict((k.lower(), v) for k, v in record.header_list).get("content-encoding") == "gzip":
            gzipped.append((article, record))
    assert gzipped, "the mirror served no article with gzip"
    article, record = gzipped[0]
    assert record.payload[:2] == b"\x1f\x8b"  # stored as sent, compressed
    timestamp = re.sub(r"\D", "", record.warc_date)[:14]
    _assert_article_replayed(_replay(wayback, collection, article.url(mirror.base_url), timestamp), article)


def test_pywb_answers_404_for_a_page_not_archived(wayback, mirror_crawl):
    mirror, _ = mirror_crawl
    with pytest.raises(urllib.error.HTTPError) as error:
        _replay(wayback, "ours", f"{mirror.base_url}/novosti/never-archived-2020-01-01-1", "2026")
    assert error.value.code == 404
