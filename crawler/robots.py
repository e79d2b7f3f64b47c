"""robots.txt parser that also keeps what a crawler of the site needs from it.

Scrapy's Protego parser answers allow/deny and Crawl-delay; this one also keeps the
Sitemap URLs, the Yandex ``Clean-param`` names (query parameters that never change a
page) and a digest of the file (the rules a finished run's sitemap reading depended on).
The spider reads them from the ``robots_parsed`` signal.
"""

from __future__ import annotations

import hashlib

from scrapy.robotstxt import ProtegoRobotParser, decode_robotstxt

from crawler.extract.urls import parse_clean_params

class SiteRobotsParser(ProtegoRobotParser):
    def __init__(self, robotstxt_body: bytes, spider=None):
        super().__init__(robotstxt_body, spider)
        text = decode_robotstxt(robotstxt_body, spider)
        self.sitemaps: list[str] = list(self.rp.sitemaps)
        self.clean_params: list[str] = parse_clean_params(text)
        self.digest = hashlib.sha1(robotstxt_body).hexdigest()
