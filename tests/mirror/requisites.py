"""What the mirror's pages need to render: images, stylesheets, a script, an icon, fonts.

As on the real Bitrix site, the template lives in two places: ``/local/templates/`` (robots.txt
allows it) and the core's ``/bitrix/`` (robots.txt disallows it); article images and logos are
under ``/upload/`` (allowed). The allowed stylesheet pulls in more through ``url()`` and
``@import`` (a print stylesheet, a background image, fonts, one of them under ``/bitrix/``).

Images are real PNG files whatever their extension (browsers read an image by its bytes), each
path its own size and colour, so a replay can show that the image loaded. Every requisite has a
fixed Last-Modified, so the server answers conditional requests with 304.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from datetime import datetime, timezone

TEMPLATE = "/local/templates/rusislam"
STYLESHEET = f"{TEMPLATE}/template_styles.css?1589112345"
SCRIPT = f"{TEMPLATE}/script.js?1589112345"
ICON = f"{TEMPLATE}/images/favicon.png"
# What the stylesheet names (relative references resolved against the stylesheet's own URL).
STYLESHEET_REFERENCES = (f"{TEMPLATE}/print.css", f"{TEMPLATE}/fonts/naskh.woff2", f"{TEMPLATE}/images/pattern.png",
                         f"{TEMPLATE}/images/print-logo.png")
# robots.txt disallows /bitrix/: the core's stylesheet and script, a counter pixel, a font.
DISALLOWED_STYLESHEET = "/bitrix/templates/rusislam/template_styles.css?1589112345"
DISALLOWED_SCRIPT = "/bitrix/js/main/core/core.js?1589112345"
DISALLOWED_PIXEL = "/bitrix/images/counter.gif"
DISALLOWED_FONT = "/bitrix/fonts/naskh.woff"
# A partner's banner on another host (an image CDN): the mirror's own server under the name
# ``localhost``; archived only when the site YAML lists that host under ``requisite_hosts``.
CDN_HOST = "localhost"
CDN_BANNER = "/upload/cdn/partner-banner.png"
# A computed style the stylesheet sets (on the article title), for replays to check.
TITLE_COLOR = "rgb(0, 102, 51)"

MODIFIED = datetime(2020, 5, 10, 9, 0, tzinfo=timezone.utc)  # Last-Modified of every requisite
_PREFIXES = ("/upload/", "/images/", "/local/templates/", "/bitrix/templates/", "/bitrix/js/", "/bitrix/images/",
             "/bitrix/fonts/")

_STYLESHEET_TEXT = """@charset "UTF-8";
@import url("print.css") print;
/* a commented-out reference is no requisite: url(images/old-pattern.png) */
@font-face {
  font-family: "Mirror Naskh";
  src: url("fonts/naskh.woff2") format("woff2"), url('/bitrix/fonts/naskh.woff') format("woff");
}
body { margin: 0; background: #fdfdf8 url(images/pattern.png) repeat-x; }
.header__logo img { width: 96px; height: 48px; }
.news-detail__title, .page__content h1 { color: %(color)s; border-bottom: 3px solid %(color)s; }
.news-detail__picture img { max-width: 100%%; height: auto; }
.footer__name { font-family: "Mirror Naskh", serif; }
""" % {"color": TITLE_COLOR}
_PRINT_TEXT = """.header { background: url("images/print-logo.png") no-repeat; }
.lang-switcher, .cookie-notice { display: none; }
"""
_TEXTS = {
    f"{TEMPLATE}/template_styles.css": (_STYLESHEET_TEXT, "text/css; charset=UTF-8"),
    f"{TEMPLATE}/print.css": (_PRINT_TEXT, "text/css; charset=UTF-8"),
    f"{TEMPLATE}/script.js": ("window.RUSISLAM = {ready: true};\n", "application/javascript; charset=UTF-8"),
    "/bitrix/templates/rusislam/template_styles.css": ("body { color: #333; }\n", "text/css; charset=UTF-8"),
    "/bitrix/js/main/core/core.js": ("var BX = {ready: function (f) { f(); }, message: function () {}};\n",
                                     "application/javascript; charset=UTF-8"),
}


def cdn_url(base: str, path: str) -> str:
    """``path`` on the CDN host: the mirror's origin (``base``) under the name ``CDN_HOST``."""
    scheme, _, netloc = base.partition("://")
    port = netloc.rsplit(":", 1)[1] if netloc.rsplit(":", 1)[-1].isdigit() and ":" in netloc else ""
    return f"{scheme}://{CDN_HOST}{':' + port if port else ''}{path}"


def requisite(path: str) -> tuple[bytes, str, bool] | None:
    """(body, Content-Type, compressible) of the requisite at ``path`` (without query), or None
    when the path names none."""
    if not path.startswith(_PREFIXES):
        return None
    if path in _TEXTS:
        text, content_type = _TEXTS[path]
        return text.encode("utf-8"), content_type, True
    extension = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    if extension in ("png", "jpg", "jpeg", "gif"):
        return png_image(path), "image/png", False
    if extension in ("woff", "woff2"):
        return font_bytes(path), f"font/{extension}", False
    return None


def font_bytes(path: str) -> bytes:
    """40 KB that do not compress, behind a font's magic number (no real font): the mirror's
    largest requisites, for size limits."""
    blocks = [hashlib.sha256(f"{path}/{i}".encode()).digest() for i in range(1250)]
    return b"wOF2" + b"".join(blocks)


def png_image(path: str) -> bytes:
    """A small PNG (a vertical gradient) whose size and colours follow from ``path``."""
    seed = hashlib.sha256(path.encode()).digest()
    width, height = 40 + seed[0] % 40, 24 + seed[1] % 24
    red, green, blue = seed[2:5]
    raw = b"".join(  # each row: the filter byte, then RGB pixels, lighter towards the bottom
        b"\x00" + bytes((min(255, red + y * 2), min(255, green + y * 2), min(255, blue + y * 2))) * width
        for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
