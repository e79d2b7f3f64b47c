"""Sitemap entries wait as URLs and are scheduled as the scheduler drains (memory stays flat); a
sitemap a finished run read is not read again."""

from __future__ import annotations

import pytest
from scrapy.exceptions import DontCloseSpider
from scrapy.http import XmlResponse
from scrapy.utils.test import get_crawler

from crawler.spiders.rusislam import RusislamSpider

BASE = "http://127.0.0.1:8765"


class FakeEngine:
    """What the spider uses of Scrapy's engine: the scheduler's length, and crawl()."""

    def __init__(self):
        self.scheduled = []
        self.scheduler = self  # len(engine.scheduler) is the number of waiting requests

    def __len__(self):
        return len(self.scheduled)

    def crawl(self, request):
        self.scheduled.append(request)


def sitemap(count: int) -> XmlResponse:
    entries = "".join(f"<url><loc>{BASE}/novosti/novost-2024-01-0{1 + i % 9}-{1000 + i}</loc></url>"
                      for i in range(count))
    body = f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    return XmlResponse(BASE + "/sitemap-iblock-ru.xml", body=body.encode(), status=200)


def new_spider(pending: int = 100, **arguments) -> RusislamSpider:
    """The spider over a fake engine; ``pending`` is SITEMAP_PENDING_REQUESTS."""
    crawler = get_crawler(RusislamSpider, {"SITEMAP_PENDING_REQUESTS": pending})
    crawler.settings.frozen = False  # from_crawler adds the site's politeness, as before a real crawl
    spider = RusislamSpider.from_crawler(crawler, base_url=BASE, **arguments)
    crawler.engine = FakeEngine()
    return spider


@pytest.fixture
def spider():
    return new_spider(pending=5)


def test_entries_become_requests_as_the_scheduler_drains(spider):
    engine = spider.crawler.engine
    assert list(spider.parse_sitemap(sitemap(12))) == []  # nothing yielded: entries wait
    assert len(engine.scheduled) == 5 and len(spider._sitemap_backlog) == 7
    spider._feed_sitemap_backlog()  # a download ended, nothing was taken from the scheduler
    assert len(engine.scheduled) == 5
    engine.scheduled.clear()  # the scheduler handed its requests to the downloader
    spider._feed_sitemap_backlog()
    assert len(engine.scheduled) == 5 and len(spider._sitemap_backlog) == 2
    engine.scheduled.clear()
    with pytest.raises(DontCloseSpider):  # idle with entries left: the crawl goes on
        spider._spider_idle()
    assert [r.url for r in engine.scheduled] == [f"{BASE}/novosti/novost-2024-01-0{1 + i % 9}-{1000 + i}" for i in (10, 11)]
    engine.scheduled.clear()
    spider._spider_idle()  # nothing left: the spider may close


def test_entries_already_requested_do_not_keep_the_spider_open(spider):
    engine = spider.crawler.engine
    list(spider.parse_sitemap(sitemap(3)))
    engine.scheduled.clear()
    list(spider.parse_sitemap(sitemap(3)))  # the same pages listed again (another sitemap)
    assert engine.scheduled == [] and not spider._sitemap_backlog
    spider._spider_idle()  # no DontCloseSpider: a backlog of known pages must not delay the end


# --- a sitemap a finished run read is not read again ------------------------------------------


@pytest.fixture
def store(tmp_path, monkeypatch):
    from archive.state import StateStore

    with StateStore(tmp_path / "state.sqlite3") as state:
        monkeypatch.setattr(RusislamSpider, "archive_state", property(lambda self: state))
        yield state


def read(spider, response) -> list[str]:
    list(spider.parse_sitemap(response))
    return [r.url for r in spider.crawler.engine.scheduled]


def test_a_sitemap_read_by_a_finished_run_is_not_read_again(store):
    first = new_spider()
    assert len(read(first, sitemap(12))) == 12
    first.closed("finished")
    again = new_spider()
    assert read(again, sitemap(12)) == []  # its pages are not even in the archive: the entries were not looked at
    assert again.crawler.stats.get_value("incremental/sitemap_unchanged") == 1
    assert len(read(new_spider(), sitemap(13))) == 13  # other bytes: every entry is looked at again


def test_a_run_that_did_not_finish_leaves_its_sitemaps_to_be_read_again(store):
    first = new_spider()
    read(first, sitemap(12))
    first.closed("shutdown")  # stopped or killed: some entries may never have been requested
    assert len(read(new_spider(), sitemap(12))) == 12


# revisit_after does not need the sitemaps: revisits come from the state store (tests/test_revisits.py)
@pytest.mark.parametrize("arguments", [{"full": "1"}, {"languages": "ru,ar"}])
def test_full_runs_and_another_scope_read_every_sitemap(store, arguments):
    first = new_spider()
    read(first, sitemap(12))
    first.closed("finished")
    spider = new_spider(**arguments)
    assert len(read(spider, sitemap(12))) == 12
    assert spider.crawler.stats.get_value("incremental/sitemap_unchanged") is None


def test_a_changed_robots_txt_has_every_sitemap_read_again(store):
    from crawler.robots import SiteRobotsParser

    def spider_obeying(rules: bytes) -> RusislamSpider:
        spider = new_spider()
        spider.robots_parsed(SiteRobotsParser(rules, spider), None)
        return spider

    first = spider_obeying(b"User-agent: *\nDisallow: /search/\n")
    read(first, sitemap(12))
    first.closed("finished")
    assert read(spider_obeying(b"User-agent: *\nDisallow: /search/\n"), sitemap(12)) == []
    # pages the old rules kept out may be allowed now: each entry is looked at again
    assert len(read(spider_obeying(b"User-agent: *\nDisallow: /tags/\n"), sitemap(12))) == 12
