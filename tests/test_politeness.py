"""Politeness: robots.txt Crawl-delay, site defaults as settings, retry backoff."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler

from crawler.middlewares import BackoffRetryMiddleware
from crawler.spiders.rusislam import RusislamSpider
from tests.conftest import run_crawl
from tests.mirror import MirrorServer
from tests.mirror.faults import FaultMirrorServer, Respond, odd_status, robots_file
from tests.mirror.site import Page


@pytest.mark.parametrize("autothrottle", ["0", "1"], ids=["fixed-delay", "autothrottle"])
def test_crawl_delay_from_robots_txt_spaces_requests(tmp_path, autothrottle):
    delay = 0.25
    with MirrorServer(crawl_delay=delay) as mirror:
        result = run_crawl(tmp_path / "archive", "-a", f"base_url={mirror.base_url}", "-a", "languages=en",
                           settings={"CLOSESPIDER_PAGECOUNT": "8", "CONCURRENT_REQUESTS_PER_DOMAIN": "2",
                                     "AUTOTHROTTLE_ENABLED": autothrottle, "AUTOTHROTTLE_START_DELAY": "0"})
        assert result.returncode == 0, result.log[-2000:]
        assert "robots.txt Crawl-delay" in result.log
        # the first request after robots.txt may leave at once; every later one waits the Crawl-delay,
        # and on average not much more (the crawl's own work adds a little; a floor of
        # Crawl-delay / (1 - jitter), as before, made the mean twice the Crawl-delay)
        _assert_spaced(_times_after_robots_txt(mirror), delay, at_least=6)


def test_a_huge_crawl_delay_is_capped_with_a_warning(tmp_path):
    cap = 0.3
    with MirrorServer(crawl_delay=3600) as mirror:
        result = run_crawl(tmp_path / "archive", "-a", f"base_url={mirror.base_url}", "-a", "languages=en",
                           settings={"CLOSESPIDER_PAGECOUNT": "6", "ROBOTSTXT_CRAWL_DELAY_MAX": str(cap)}, timeout=60)
        assert result.returncode == 0, result.log[-2000:]
        assert re.search(r"WARNING: robots.txt Crawl-delay for 127.0.0.1 is 3600 s: waiting 0.3 s", result.log)
        _assert_spaced(_times_after_robots_txt(mirror), cap, at_least=5)


def _times_after_robots_txt(mirror) -> list[float]:
    return [r.time for r in mirror.requests if r.path != "/robots.txt"]


def _assert_spaced(times: list[float], delay: float, at_least: int) -> None:
    """Requests from the second on are ``delay`` apart, on average at most 1.5 times that. Measured
    from the second request as arrival times at the server: a loaded machine delays one arrival now
    and then (one gap longer, the next shorter), so the bound is on the k-th request, not each gap."""
    assert len(times) >= at_least, times
    since = [t - times[1] for t in times[1:]]
    assert all(elapsed >= k * delay - 0.05 for k, elapsed in enumerate(since)), since
    assert since[-1] / (len(since) - 1) <= 1.5 * delay, since


def _spider_settings(cmdline: dict | None = None):
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(cmdline or {}, priority="cmdline")
    crawler = Crawler(RusislamSpider, settings)
    crawler.spider = crawler._create_spider()
    return crawler.settings


def test_site_politeness_applies_unless_overridden_on_the_command_line():
    settings = _spider_settings()
    assert settings.getfloat("DOWNLOAD_DELAY") == 1.0
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2
    assert settings.getbool("AUTOTHROTTLE_ENABLED") is True
    assert settings.getbool("ROBOTSTXT_OBEY") is True
    assert "rusislam-archive" in settings.get("USER_AGENT")
    assert _spider_settings({"DOWNLOAD_DELAY": 0.0}).getfloat("DOWNLOAD_DELAY") == 0.0


@pytest.fixture
def retry_mw():
    crawler = get_crawler(settings_dict={"RETRY_BACKOFF_BASE": 2.0, "RETRY_BACKOFF_MAX": 30.0})
    return BackoffRetryMiddleware.from_crawler(crawler)


def _response(headers=None):
    return HtmlResponse("http://127.0.0.1/x", status=503, headers=headers or {}, body=b"")


def test_backoff_doubles_up_to_the_cap(retry_mw):
    assert [retry_mw.backoff_delay(n) for n in (1, 2, 3, 4, 5, 6)] == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_retry_after_wins_over_backoff(retry_mw):
    assert retry_mw.backoff_delay(1, _response({"Retry-After": "7"})) == 7.0
    when = datetime.now(timezone.utc) + timedelta(seconds=20)
    delay = retry_mw.backoff_delay(1, _response({"Retry-After": format_datetime(when, usegmt=True)}))
    assert 18 <= delay <= 20
    assert retry_mw.backoff_delay(1, _response({"Retry-After": "3600"})) == 30.0  # capped
    assert retry_mw.backoff_delay(2, _response({"Retry-After": "soon"})) == 4.0  # unparsable: backoff


# --- robots.txt from the first request (B2) ---------------------------------------------------------
def _crawl_behind_robots(tmp_path, robots: str, *args: str, settings: dict | None = None):
    with FaultMirrorServer() as mirror:
        mirror.add_fault("/robots.txt", robots_file(robots))
        result = run_crawl(tmp_path / "archive", "-a", f"base_url={mirror.base_url}", *args, settings=settings,
                           timeout=120)
        assert result.returncode == 0, result.log[-3000:]
        return result, mirror.requested_paths()


def test_disallow_all_lets_no_request_but_robots_txt_through(tmp_path):
    # four start requests (three listings, the sitemap) wait together for robots.txt
    result, paths = _crawl_behind_robots(tmp_path, "User-agent: *\nDisallow: /\n")
    assert paths == ["/robots.txt"]
    assert "robotstxt/forbidden" in result.log


def test_a_path_rule_holds_for_every_start_request(tmp_path):
    robots = "User-agent: *\nDisallow: /en/novosti/\nDisallow: /ar/\n"
    result, paths = _crawl_behind_robots(tmp_path, robots)
    assert paths[0] == "/robots.txt" and paths.count("/robots.txt") == 1
    assert not [p for p in paths if p.startswith(("/en/novosti/", "/ar/"))], paths
    assert "/sitemap.xml" in paths and "/novosti/" in paths  # the rest of the site was crawled


@pytest.mark.parametrize("status", [503, 500, 429])
def test_robots_txt_answering_a_server_error_lets_nothing_through_and_the_run_says_why(tmp_path, status):
    # RFC 9309 2.3.1.4: a robots.txt that cannot be read because of a server error means complete disallow
    # (the error page's body, read as rules, would allow everything)
    with FaultMirrorServer() as mirror:
        mirror.add_fault("/robots.txt", odd_status(status))
        result = run_crawl(tmp_path / "archive", "-a", f"base_url={mirror.base_url}", timeout=120)
        paths = mirror.requested_paths()
    assert set(paths) == {"/robots.txt"} and len(paths) >= 2, paths  # retried, then nothing else asked
    assert result.returncode == 69, result.log[-3000:]
    (line,) = [line for line in result.log.splitlines() if line.startswith("scrapy crawl:")]
    assert f"unreachable: its robots.txt answered {status} after retries" in line and "RFC 9309" in line


def test_robots_txt_not_found_means_no_rules_whatever_its_error_page_says(tmp_path):
    error_page = b"<html><body><h1>404</h1><pre>\nUser-agent: *\nDisallow: /\n</pre></body></html>"
    with FaultMirrorServer() as mirror:
        mirror.add_fault("/robots.txt", Respond(Page(404, "Not Found", error_page, "text/html; charset=UTF-8",
                                                     compressible=False)))
        result = run_crawl(tmp_path / "archive", "-a", f"base_url={mirror.base_url}", timeout=120)
        paths = mirror.requested_paths()
    assert result.returncode == 0, result.log[-3000:]
    assert paths.count("/robots.txt") == 1 and "/sitemap.xml" in paths and "/novosti/" in paths


def test_robots_txt_that_recovers_within_the_retries_is_obeyed(tmp_path):
    with FaultMirrorServer() as mirror:
        mirror.add_fault("/robots.txt", odd_status(503), times=1)
        result = run_crawl(tmp_path / "archive", "-a", f"base_url={mirror.base_url}", timeout=120)
        paths = mirror.requested_paths()
    assert result.returncode == 0, result.log[-3000:]
    assert paths[:2] == ["/robots.txt", "/robots.txt"] and "/sitemap.xml" in paths


def test_hostile_clean_param_lines_neither_stall_the_crawl_nor_fold_listing_pages(tmp_path):
    # B4: a path-scoped rule applied site-wide, "*" read as a wildcard and our own pagination parameter
    # cleaned folded every listing page onto page 1; B3: 200,000 names blocked the reactor for hours
    with MirrorServer() as site_mirror:
        robots = site_mirror.site.robots_txt(site_mirror.base_url)
        listing = site_mirror.site.listing_paths("en")
    robots += ("Clean-param: PAGEN_1 /search/\nClean-param: *\nClean-param: PAGEN_1\n"
               "Clean-param: " + "&".join(f"p{i}" for i in range(200_000)) + " /en/\n")
    result, paths = _crawl_behind_robots(tmp_path, robots, "-a", "languages=en", "-a", "full=1")
    assert set(listing) <= set(paths), paths
    assert "robots.txt lists more than 1000 Clean-param names" in result.log
