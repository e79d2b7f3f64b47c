"""Hostile input never costs a page its reading: seeded mutations of the mirror's pages.

Every failure ``read_page`` catches is logged as "... failed for <url>" and loses the page's
article or links; a fuzzing session of about 28,000 inputs found six such causes (bad ports in
links, control characters, deep JSON-LD, Python codecs named as charsets...), each with a test of
its own now. This test keeps a seeded sample of that fuzzing as a regression guard: byte flips,
insertions and deletions, hostile snippets and splices of the mirror's article pages, under
several Content-Type headers. Nothing may raise and nothing may be logged as failed.
"""

from __future__ import annotations

import logging
import random

import pytest

from crawler.extract.article import read_page
from crawler.extract.siteconfig import load_site_config
from tests.mirror import build_site

BASE = "http://127.0.0.1:8765"
SNIPPETS = [
    b"<", b">", b"</", b"/>", b'"', b"'", b"&", b"&#", b"&#1;", b"&#xFFFF;", b"&#xD800;", b"\x00", b"\x01", b"\x0b",
    b"\xff", b"\xd0", b"\xd8", b"\xed\xa0\x80", b"<div>", b"</div>", b"<table><tr><td>", b"<p>", b"<br>",
    b"<!--", b"-->", b"<script>", b"</script>", b"<svg><text>", b"<math>", b"<h1>", b"</h1>", b"<title>",
    b'<a href="http://x:abc/">', b'<a href="http://[::1/a">', b'<a href="//">', b'<a href="javascript:">',
    b'<a href="/novosti/x-2021-06-09-1">', b'<base href="http://[::1/">', b'<link rel="canonical" href="http://x:9999999/">',
    b'<meta charset="undefined">', b'<meta charset="idna">', b'<meta charset="utf-16">', b'<meta charset="windows-1256">',
    b'<time datetime="9999-99-99">', b'<meta property="article:published_time" content="0000-00-00">',
    b'<script type="application/ld+json">' + b"[" * 1200 + b"</script>",
    b'<script type="application/ld+json">{"datePublished": 1e999, "@type": ["NewsArticle"]}</script>',
    b'<html lang="\xff\xfe">', b'<div class="\xe2\x80\xae author">', b"<font>" * 300,
    "Источник: ".encode(), "المصدر: ".encode(), "٣١ فبراير ٢٠٢١".encode(), "31 февраля 2021".encode(),
]
HEADERS = [
    [("Content-Type", "text/html; charset=utf-8")], [], [("Content-Type", "text/html")],
    [("Content-Type", "text/html; charset=windows-1251")], [("Content-Type", "text/html; charset=idna")],
]


class FailureLog(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.failures: list[str] = []

    def emit(self, record):
        if "failed" in record.getMessage():
            self.failures.append(record.getMessage())


@pytest.fixture(scope="module")
def pages():
    model = build_site()
    found = []
    for article in model.articles[:8]:
        for _ in range(10):  # the mirror serves its planned failures first
            served = model.respond("GET", article.path, BASE)
            if served.status == 200:
                break
        found.append((served.body, article.url(BASE)))
    return found


def mutate(rng: random.Random, body: bytes, pages: list) -> bytes:
    data = bytearray(body)
    for _ in range(rng.choice((1, 2, 3, 5, 10, 30))):
        position = rng.randrange(len(data) + 1)
        operation = rng.random()
        if operation < 0.2 and data:
            data[min(position, len(data) - 1)] ^= 1 << rng.randrange(8)
        elif operation < 0.4 and data:
            del data[position:position + rng.randrange(1, 64)]
        elif operation < 0.85:
            data[position:position] = rng.choice(SNIPPETS)
        else:  # a piece of another page
            other = rng.choice(pages)[0]
            start = rng.randrange(len(other))
            data[position:position] = other[start:start + rng.randrange(1, 300)]
    return bytes(data)


@pytest.mark.parametrize("seed", range(4))
def test_mutated_pages_are_read_without_any_failure(pages, seed):
    site = load_site_config("rusislam").with_origin(BASE)
    rng = random.Random(seed)
    log = FailureLog()
    logging.getLogger("crawler").addHandler(log)
    try:
        read = 0
        for _ in range(60):
            body, url = rng.choice(pages)
            reading = read_page(mutate(rng, body, pages), url, rng.choice(HEADERS), site)
            read += reading.article is not None
    finally:
        logging.getLogger("crawler").removeHandler(log)
    assert log.failures == []
    assert read > 20  # most mutations leave an article to read: the pages were really read
