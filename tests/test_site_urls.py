"""Page identity: robots.txt Clean-param rules (B3, B4) and query variants of an article (B5)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from crawler.extract.siteconfig import load_site_config
from crawler.extract.urls import CLEAN_PARAM_MAX_RULES, SiteUrls, parse_clean_params

BASE = "http://127.0.0.1:8765"
ARTICLE = "/novosti/vstrecha-gsv-v-dzhidde-2019-05-05-17191"


@pytest.fixture(scope="module")
def site():
    return load_site_config("rusislam").with_origin(BASE)


def key(urls: SiteUrls, path: str) -> str:
    return urls.canonical_key(BASE + path)


def test_clean_param_rules_keep_their_path_prefix():
    robots = ("User-agent: *\nClean-param: PAGEN_1 /search/\nClean-param: sort&ref /search/  # comment\n"
              "clean-param :sid\nClean-param: a&&b /x/*/y$\n")
    assert parse_clean_params(robots) == ["PAGEN_1 /search/", "sort /search/", "ref /search/", "sid", "a /x/*/y$",
                                          "b /x/*/y$"]


def test_a_clean_param_applies_under_its_path_prefix_only(site):
    urls = SiteUrls(site, parse_clean_params("Clean-param: sort&q /search/\nClean-param: b /x/*/y$\n"))
    assert key(urls, "/search/?sort=1&q=a&page=2") == key(urls, "/search/?page=2")
    assert key(urls, "/searching/?sort=1").endswith("/searching?sort=1")
    assert key(urls, "/other/?sort=1").endswith("/other?sort=1")
    assert key(urls, "/x/1/2/y?b=1").endswith("/x/1/2/y") and key(urls, "/x/1/y/z?b=1").endswith("?b=1")


def test_clean_param_star_is_a_name_not_a_wildcard(site):
    urls = SiteUrls(site, parse_clean_params("Clean-param: *\nClean-param: * /novosti/\n"))
    assert key(urls, "/novosti/?PAGEN_1=2") != key(urls, "/novosti/")
    assert key(urls, "/about/?lang=ar").endswith("?lang=ar")
    assert key(urls, "/about/?%2A=1&lang=ar").endswith("/about?lang=ar")  # a parameter named "*" goes


def test_the_pagination_parameter_is_never_cleaned(site):
    urls = SiteUrls(site, parse_clean_params("Clean-param: PAGEN_1\nClean-param: PAGEN_1 /novosti/\n"))
    pages = {key(urls, f"/novosti/?PAGEN_1={n}") for n in (2, 3, 4)}
    assert len(pages) == 3 and key(urls, "/novosti/") not in pages
    assert urls.is_listing(BASE + "/novosti/?PAGEN_1=3")


def test_clean_param_names_are_capped_and_read_in_linear_time(site, caplog):
    # 200,000 names in one line: the duplicate check was quadratic (hours); now the first rules are kept
    line = "Clean-param: " + "&".join(f"p{i % 150_000}" for i in range(200_000)) + " /novosti/\n"
    rules = parse_clean_params("User-agent: *\n" + line + "Clean-param: late\n")
    assert len(rules) == CLEAN_PARAM_MAX_RULES and rules[0] == "p0 /novosti/" and "late" not in rules
    assert "more than 1000 Clean-param names" in caplog.text
    urls = SiteUrls(site, rules)
    urls.add_clean_params(["another"])  # the cap holds for rules learnt later
    assert len(urls.clean_params) == CLEAN_PARAM_MAX_RULES
    assert key(urls, "/novosti/?p5=1&PAGEN_1=2").endswith("/novosti?PAGEN_1=2")


def test_query_variants_of_an_article_are_one_article(site):
    urls = SiteUrls(site)
    variants = [ARTICLE, ARTICLE + "?sort=2", ARTICLE + "/?sort=5639&x=1", ARTICLE + "?print=Y"]
    assert len({key(urls, v) for v in variants}) == 1
    assert len({urls.article_id(BASE + v) for v in variants}) == 1
    assert urls.identity_url(BASE + ARTICLE + "?sort=2") == "https://russia-islworld.ru" + ARTICLE
    # other pages keep their query: it may be what makes the page
    assert key(urls, "/novosti/?ELEMENT_ID=17191") != key(urls, "/novosti/?ELEMENT_ID=17305")


def test_a_parameter_the_site_yaml_names_makes_another_article(site):
    urls = SiteUrls(replace(site, article_params=("part",)))
    assert key(urls, ARTICLE + "?part=2&sort=1") == key(urls, ARTICLE + "?part=2")
    assert key(urls, ARTICLE + "?part=2") != key(urls, ARTICLE)
