"""robots.txt parser that also keeps what a crawler of the site needs from it.

Scrapy's Protego parser answers allow/deny and Crawl-delay; this one also keeps the
Sitemap URLs and the Yandex ``Clean-param`` names (query parameters that never
change a page). The spider reads them from the ``robots_parsed`` signal.
"""

from __future__ import annotations

import re

from scrapy.robotstxt import ProtegoRobotParser, decode_robotstxt

_CLEAN_PARAM = re.compile(r"^\s*clean-param\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def parse_clean_params(robots_text: str) -> list[str]:
    """Parameter names of every ``Clean-param: p1&p2 [path]`` line (applied site-wide)."""
    names: list[str] = []
    for match in _CLEAN_PARAM.finditer(robots_text):
        names.extend(name for name in match.group(1).split("&") if name and name not in names)
    return names


class SiteRobotsParser(ProtegoRobotParser):
    def __init__(self, robotstxt_body: bytes, spider=None):
        super().__init__(robotstxt_body, spider)
        text = decode_robotstxt(robotstxt_body, spider)
        self.sitemaps: list[str] = list(self.rp.sitemaps)
        self.clean_params: list[str] = parse_clean_params(text)
