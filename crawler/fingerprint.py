"""Request fingerprints from canonical URLs, so a page is fetched once per run.

Two requests for one page (a tracking parameter, a robots.txt Clean-param, a
trailing or repeated slash) share a fingerprint, and Scrapy's duplicate filter (and
JOBDIR persistence) drops the second. The canonical form comes from the spider's
``SiteUrls``; requests outside the site use Scrapy's default fingerprint.
"""

from __future__ import annotations

import hashlib
from weakref import WeakKeyDictionary

from scrapy.dupefilters import RFPDupeFilter
from scrapy.utils.request import RequestFingerprinter


class CanonicalRequestFingerprinter:
    def __init__(self, crawler=None):
        self.crawler = crawler
        self._default = RequestFingerprinter(crawler)
        self._cache: WeakKeyDictionary = WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def fingerprint(self, request) -> bytes:
        urls = getattr(getattr(self.crawler, "spider", None), "urls", None)
        if urls is None or not urls.is_own(request.url):
            return self._default.fingerprint(request)
        if request not in self._cache:
            key = b"\n".join((request.method.encode(), urls.canonical_key(request.url).encode("utf-8"), request.body or b""))
            self._cache[request] = hashlib.sha1(key).digest()
        return self._cache[request]


class RunDupeFilter(RFPDupeFilter):
    """Scrapy's duplicate filter, kept for one process only (not written to JOBDIR).

    A seen-set saved at a kill holds requests that never completed; resuming with it
    would never ask them again. What earlier runs archived is skipped by the spider
    through the state store instead.
    """

    @classmethod
    def from_crawler(cls, crawler):
        return cls(None, debug=crawler.settings.getbool("DUPEFILTER_DEBUG"), fingerprinter=crawler.request_fingerprinter)
