"""Sitemap entries and page links wait as URLs and are scheduled as the scheduler drains (memory stays
flat); a sitemap a finished run read is not read again; crawler traps (sitemap chains, listings of
too many links or repeating themselves, trap-like paths) are bounded."""

from __future__ import annotations

import asyncio

import pytest
from scrapy.exceptions import DontCloseSpider
from scrapy.http import HtmlResponse, Request, XmlResponse
from scrapy.utils.test import get_crawler

from crawler.bounds import path_trap_reason
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
    url = BASE + "/sitemap-iblock-ru.xml"
    return XmlResponse(url, body=body.encode(), status=200, request=Request(url))


def new_spider(pending: int = 100, **arguments) -> RusislamSpider:
    """The spider over a fake engine; ``pending`` is SITEMAP_PENDING_REQUESTS."""
    crawler = get_crawler(RusislamSpider, {"SITEMAP_PENDING_REQUESTS": pending, "SITEMAP_INDEX_MAX_DEPTH": 3})
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
    assert len(engine.scheduled) == 5 and len(spider._backlog) == 7
    spider._feed_backlog()  # a download ended, nothing was taken from the scheduler
    assert len(engine.scheduled) == 5
    engine.scheduled.clear()  # the scheduler handed its requests to the downloader
    spider._feed_backlog()
    assert len(engine.scheduled) == 5 and len(spider._backlog) == 2
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
    assert engine.scheduled == [] and not spider._backlog
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


# --- crawler traps: sitemap index chains, listings of too many links (B5, B8) ------------------------
def index(url: str, *children: str) -> XmlResponse:
    entries = "".join(f"<sitemap><loc>{child}</loc></sitemap>" for child in children)
    body = f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'
    return XmlResponse(url, body=body.encode(), status=200)


def walk_chain(spider, steps: int) -> list[str]:
    """Feed the spider a sitemap index chaining to ?p=N+1 for ever; the sitemap URLs it requests."""
    requested, request = [], spider._sitemap_request(f"{BASE}/sitemap.xml?p=1")
    for number in range(1, steps + 1):
        if request is None:
            break
        requested.append(request.url)
        response = index(request.url, f"{BASE}/sitemap.xml?p={number + 1}").replace(request=request)
        request = next(iter(spider.parse_sitemap(response)), None)
    return requested


def test_a_sitemap_index_chain_is_cut_at_the_depth_limit_and_remembered(store):
    first = new_spider()
    assert walk_chain(first, 50) == [f"{BASE}/sitemap.xml?p={n}" for n in (1, 2, 3)]  # SITEMAP_INDEX_MAX_DEPTH
    assert first.crawler.stats.get_value("sitemaps/too_deep") == 1
    first.closed("finished")
    again = new_spider()  # the next run requests none of the chain below the sitemap it starts from
    assert walk_chain(again, 50) == [f"{BASE}/sitemap.xml?p=1"]
    assert again.crawler.stats.get_value("sitemaps/cut_earlier") == 1
    assert again.crawler.stats.get_value("sitemaps/too_deep") is None
    assert walk_chain(new_spider(full="1"), 50) == [f"{BASE}/sitemap.xml?p={n}" for n in (1, 2, 3)]
    fixed = new_spider(full="1")  # the site ends its chain: a full run reads it, later runs follow it again
    assert walk_chain(fixed, 2) == [f"{BASE}/sitemap.xml?p={n}" for n in (1, 2)]
    fixed.closed("finished")
    assert walk_chain(new_spider(), 2) == [f"{BASE}/sitemap.xml?p={n}" for n in (1, 2)]


def test_a_run_reads_at_most_sitemap_max_files_sitemaps():
    spider = new_spider()
    spider.crawler.settings.set("SITEMAP_MAX_FILES", 4)
    children = [f"{BASE}/sitemap-{n}.xml" for n in range(10)]
    requests = list(spider.parse_sitemap(index(BASE + "/sitemap.xml", *children).replace(
        request=spider._sitemap_request(BASE + "/sitemap.xml"))))
    assert [r.url for r in requests] == children[:3]  # the index itself was the first of the four
    assert spider.crawler.stats.get_value("sitemaps/over_max_files") == 7


def listing_page(count: int, page: int = 1) -> HtmlResponse:
    links = "".join(f'<a href="/novosti/novost-2024-01-01-{1000 + i}">{i}</a>' for i in range(count))
    suffix = f"?PAGEN_1={page}" if page > 1 else ""
    body = f'<html><body>{links}<a href="/novosti/?PAGEN_1={page + 1}">next</a></body></html>'
    return HtmlResponse(f"{BASE}/novosti/{suffix}", body=body.encode(), status=200,
                        request=Request(f"{BASE}/novosti/{suffix}", meta={"known_streak": 0} if page > 1 else {}))


async def collect(generator) -> list:
    return [item async for item in generator]


def test_a_listing_of_too_many_links_is_capped_and_its_links_wait_as_urls():
    spider = new_spider(pending=5)
    spider.crawler.settings.set("LINKS_PER_PAGE_MAX", 100)
    requests = asyncio.run(collect(spider.parse_page(listing_page(450))))
    articles = [r for r in requests if "PAGEN_1" not in r.url]
    assert len(articles) == 5 and len(spider._backlog) == 95  # the cap, and only the scheduler's room as requests
    assert spider.crawler.stats.get_value("links/pages_capped") == 1


def test_a_listing_walk_stops_at_a_page_that_shows_nothing_new_even_in_full_mode():
    spider = new_spider(pending=1000, full="1")
    first = asyncio.run(collect(spider.parse_page(listing_page(10))))
    assert [r.url for r in first if "PAGEN_1" in r.url] == [f"{BASE}/novosti/?PAGEN_1=2"]
    repeated = asyncio.run(collect(spider.parse_page(listing_page(10, page=2))))  # the same ten articles again
    assert [r.url for r in repeated if "PAGEN_1" in r.url] == []
    assert spider.crawler.stats.get_value("listing/repeating_stopped") == 1


@pytest.mark.parametrize("path, reason", [
    ("/en/novosti//slug-2020-01-01-1", None),
    ("/2020/01/01/news/", None),  # "01" twice: a date, not a trap
    ("/a/b/a/b/a/b/a/", "repeated 4 times"),
    ("/" + "/".join(f"s{n}" for n in range(17)), "deeper than 16"),
])
def test_trap_like_paths_are_recognised(path, reason):
    found = path_trap_reason(BASE + path, max_depth=16, max_repeats=3)
    assert (found is None) if reason is None else (reason in found), found
