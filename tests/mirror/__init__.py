"""Test mirror of russia-islworld.ru (1C-Bitrix): realistic, deliberately hard pages plus expected values.

Every crawl test and extraction-quality test runs against it::

    from tests.mirror import MirrorServer
    with MirrorServer() as mirror:            # default site, free port on 127.0.0.1
        mirror.base_url                       # e.g. http://127.0.0.1:54321
        for article in mirror.site.articles:  # expected values: title, published, body, source, ...
            article.url(mirror.base_url)
        mirror.requests, mirror.served        # what was asked and exactly what was sent

By hand: ``python -m tests.mirror --port 8765`` serves it in the foreground and prints the URL.
"""

from .content import build_site
from .server import MirrorServer, RequestRecord, ServedResponse
from .site import REAL_ORIGIN, Article, MirrorSite, Page, StaticPage, text_of

__all__ = [
    "REAL_ORIGIN", "Article", "MirrorServer", "MirrorSite", "Page", "RequestRecord", "ServedResponse",
    "StaticPage", "build_site", "text_of",
]
