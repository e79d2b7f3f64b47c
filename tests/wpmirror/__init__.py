"""Second test mirror: a WordPress-style Arabic/English news site ("Gulf Wire"), built differently
from the first (date URLs, /page/N/ pagination, RSS feeds, JSON-LD, hreflang, generic attributions).

Crawled with the minimal site file ``tests/wpmirror/gulfwire.yaml`` only::

    from tests.wpmirror import WpMirrorServer
    with WpMirrorServer() as mirror:
        mirror.base_url, mirror.site.articles     # expected values per article

By hand: ``python -m tests.wpmirror --port 8766``.
"""

from pathlib import Path

from tests.mirror.server import MirrorServer

from .content import ARTICLES, STATIC_PAGES, WpArticle
from .site import REAL_ORIGIN, WpSite

SITE_FILE = Path(__file__).with_name("gulfwire.yaml")


class WpMirrorServer(MirrorServer):
    """The Gulf Wire mirror on 127.0.0.1 (a free port unless one is given)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, site: WpSite | None = None):
        super().__init__(host, port, site=site or WpSite())


__all__ = ["ARTICLES", "REAL_ORIGIN", "SITE_FILE", "STATIC_PAGES", "WpArticle", "WpMirrorServer", "WpSite"]
