"""Fault injection for the mirror: a server that misbehaves at chosen paths, and hostile pages.

``FaultMirrorServer`` is the mirror with one extra table: path -> fault (optionally for the
next N requests only, after which the site answers normally). Faults act on the socket where
HTTP cannot express them (never answering, resetting the connection, trickling a body,
sending fewer bytes than Content-Length) or answer a hand-made ``Page`` (redirects, a gzip
bomb, binary or broken HTML). ``install_hostile_links`` registers the whole catalogue and
puts links to all of it on one article page, so the real crawl finds them as it finds news.
"""

from __future__ import annotations

import gzip
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlsplit

from .server import MirrorServer, RequestRecord, ServedResponse, _Handler
from .site import Article, Page, _fold

STATUS_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 500: "Internal Server Error"}


# --- faults that act on the connection ---------------------------------------------------------
class Fault:
    """What the server does instead of answering normally."""

    def serve(self, handler: "_FaultHandler", method: str) -> None:
        raise NotImplementedError


@dataclass
class Respond(Fault):
    """Answer a hand-made page (redirect, bomb, binary...) through the mirror's normal writer."""

    page: Page

    def serve(self, handler, method):
        handler._send(method, self.page)


@dataclass
class Hang(Fault):
    """Read the request and never answer (until ``seconds`` pass or the server stops)."""

    seconds: float = 60.0

    def serve(self, handler, method):
        handler.server.mirror.stopping.wait(self.seconds)
        handler.close_connection = True


@dataclass
class Reset(Fault):
    """Send ``head`` (maybe nothing), then reset the connection (RST, not a clean close)."""

    head: bytes = b""

    def serve(self, handler, method):
        if self.head:
            handler.wfile.write(self.head)
            handler.wfile.flush()
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()  # now: the server's own shutdown would send a FIN first
        handler.close_connection = True


@dataclass
class Trickle(Fault):
    """The page (the site's own unless given) with its body sent in ``pieces`` over ``seconds``."""

    seconds: float = 1.0
    pieces: int = 20
    page: Page | None = None

    def serve(self, handler, method):
        page = self.page or handler.site_page(method)
        head, body = _raw_message(page, len(page.body))
        handler.log_served(method, page, head)
        handler.wfile.write(head)
        step = max(1, -(-len(body) // self.pieces))
        for start in range(0, len(body), step):
            handler.wfile.write(body[start:start + step])
            handler.wfile.flush()
            time.sleep(self.seconds / self.pieces)
        handler.close_connection = True


@dataclass
class Mangle(Fault):
    """The site's own page, uncompressed, with another Content-Type and/or its body transformed."""

    content_type: str | None = None
    transform: Callable[[bytes], bytes] | None = None

    def serve(self, handler, method):
        page = handler.site_page(method)
        body = self.transform(page.body) if self.transform else page.body
        handler._send(method, Page(page.status, page.reason, body, self.content_type or page.content_type,
                                   page.headers, compressible=False))


@dataclass
class ShortBody(Fault):
    """Declare the full Content-Length, send all but ``missing`` bytes of the body, close the connection."""

    missing: int = 1000
    page: Page | None = None

    def serve(self, handler, method):
        page = self.page or handler.site_page(method)
        head, body = _raw_message(page, len(page.body))
        sent = body[: max(len(body) - self.missing, 0)]
        handler.log_served(method, Page(page.status, page.reason, sent, page.content_type, page.headers), head)
        handler.wfile.write(head + sent)
        handler.wfile.flush()
        handler.close_connection = True


def _raw_message(page: Page, content_length: int) -> tuple[bytes, bytes]:
    headers = [("Server", "nginx"), ("Content-Type", page.content_type), *page.headers,
               ("Content-Length", str(content_length)), ("Connection", "close")]
    head = f"HTTP/1.1 {page.status} {page.reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return head.encode("latin-1"), page.body


@dataclass
class _Rule:
    fault: Fault
    remaining: int | None  # None: every request


class _FaultHandler(_Handler):
    def _serve(self, method: str) -> None:
        mirror = self.server.mirror
        fault = mirror.take_fault(self.path)
        if fault is None:
            super()._serve(method)
            return
        mirror._log_request(RequestRecord(method, self.path, list(self.headers.items()), time.monotonic()))
        try:
            fault.serve(self, method)
        except OSError:  # the client gave up first: that is the point of most faults
            self.close_connection = True

    def site_page(self, method: str) -> Page:
        mirror = self.server.mirror
        return mirror.site.respond(method, self.path, mirror.base_url, mirror.crawl_delay)

    def log_served(self, method: str, page: Page, head: bytes) -> None:
        lines = head.decode("latin-1").split("\r\n")[1:]
        headers = [tuple(line.split(": ", 1)) for line in lines if ": " in line]
        self.server.mirror._log_served(ServedResponse(method, self.path, page.status, page.reason, headers, page.body,
                                                      time.monotonic()))


class FaultMirrorServer(MirrorServer):
    """The mirror, plus ``add_fault(path, fault, times=None)``: misbehave at ``path``.

    ``path`` matches as the site matches pages (decoded, slashes folded, query ignored);
    ``times`` limits the fault to the next N requests, after which the page is served.
    """

    handler_class = _FaultHandler

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stopping = threading.Event()
        self._faults: dict[str, _Rule] = {}
        self._fault_lock = threading.Lock()

    def add_fault(self, path: str, fault: Fault, times: int | None = None) -> str:
        with self._fault_lock:
            self._faults[_fold(urlsplit(path).path)] = _Rule(fault, times)
        return path

    def clear_faults(self) -> None:
        with self._fault_lock:
            self._faults.clear()

    def take_fault(self, target: str) -> Fault | None:
        key = _fold(urlsplit(target).path)
        with self._fault_lock:
            rule = self._faults.get(key)
            if rule is None:
                return None
            if rule.remaining is not None:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    del self._faults[key]
            return rule.fault

    def stop(self) -> None:
        self.stopping.set()
        super().stop()


# --- hostile pages ---------------------------------------------------------------------------
def redirect(location: str, status: int = 301) -> Respond:
    body = b"<html><body>Moved</body></html>"
    return Respond(Page(status, STATUS_REASONS.get(status, "Found"), body, "text/html; charset=UTF-8",
                        [("Location", location)], compressible=False))


def gzip_bomb(inflated_size: int, member_size: int = 16 * 1024 * 1024, *, as_file: bool = False) -> Respond:
    """A small gzip body (about 1/1000 of ``inflated_size``) that inflates to ``inflated_size`` zero bytes.

    Built from one compressed member repeated (a multi-member gzip stream), so it is cheap to make.
    Sent as an HTML page with Content-Encoding: gzip, or ``as_file`` as a file (``application/gzip``,
    as a ``sitemap.xml.gz`` is served).
    """
    member = gzip.compress(b"\0" * member_size, compresslevel=9, mtime=0)
    body = member * max(1, inflated_size // member_size)
    if as_file:
        return Respond(Page(200, "OK", body, "application/gzip", compressible=False))
    return Respond(Page(200, "OK", body, "text/html; charset=UTF-8", [("Content-Encoding", "gzip")],
                        compressible=False))


def html_page(body: bytes, content_type: str = "text/html; charset=UTF-8") -> Respond:
    return Respond(Page(200, "OK", body, content_type, compressible=False))


def article_html(title: str, paragraphs: list[str], *, lang: str = "ru", meta_charset: str | None = "utf-8",
                 date: str = "01.02.2020") -> str:
    """A plain article page in the site's modern template (title, date, detail text)."""
    meta = f'<meta charset="{meta_charset}">' if meta_charset else ""
    text = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head>{meta}<title>{title}</title></head><body>'
            f'<div class="news-detail"><h1 class="news-detail__title">{title}</h1>'
            f'<span class="news-date-time">{date}</span><div class="detail-text">\n{text}\n</div></div></body></html>\n')


RU_PARAGRAPHS = [
    "Участники заседания Группы стратегического видения обсудили вопросы гуманитарного сотрудничества между странами.",
    "По итогам встречи было принято решение подготовить совместный доклад и провести следующую сессию в Казани.",
]
AR_PARAGRAPHS = [
    "ناقش أعضاء مجموعة الرؤية الاستراتيجية قضايا التعاون الإنساني بين روسيا والعالم الإسلامي في اجتماعهم.",
    "وتقرر في ختام الاجتماع إعداد تقرير مشترك وعقد الدورة المقبلة في مدينة قازان الروسية.",
]


CHALLENGE_HTML = (b'<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
                  b'<meta http-equiv="refresh" content="360"></head><body><div id="challenge-stage">'
                  b'<h1>Checking your browser before accessing the site.</h1><p>This process is automatic.</p>'
                  b'</div><script src="/cdn-cgi/challenge-platform/orchestrate/jsch/v1"></script></body></html>')


def unusable_answers() -> dict[str, Respond]:
    """Answers a WAF, a cache or a rate limiter gives instead of a page: none is a copy of it.

    Each must be archived as received and leave the page failed (gone for the 404), never known.
    """
    def status(code: int, reason: str, body: bytes = b"", headers=()) -> Respond:
        return Respond(Page(code, reason, body, "text/html; charset=UTF-8", list(headers), compressible=False))

    return {
        "not_modified_unasked": status(304, "Not Modified"),
        "partial": status(206, "Partial Content", b"<!DOCTYPE html><html><head><title>",
                          [("Content-Range", "bytes 0-34/40000")]),
        "forbidden": status(403, "Forbidden", b"<html><body><h1>403 Forbidden</h1></body></html>"),
        "not_found": status(404, "Not Found", b"<html><body><h1>404 Not Found</h1></body></html>"),
        "challenge": html_page(CHALLENGE_HTML),
        "empty": empty_html(),
    }


def odd_status(status: int) -> Respond:
    body = article_html("Странный статус", RU_PARAGRAPHS).encode("utf-8")
    return Respond(Page(status, "Odd", body, "text/html; charset=UTF-8", compressible=False))


def binary_as_html(size: int = 64 * 1024, seed: int = 6) -> Respond:
    data = random.Random(seed).randbytes(size)
    return html_page(b"\x89PNG\r\n\x1a\n\0\0\0" + data)


def malformed_html() -> Respond:
    text = ('<html><head><title>Broken <b>page</title><body><div class="news-detail"><h1>Malformed page<h1>'
            '<p>Unclosed <b><i>paragraph<div></div></div></div></span></td></tr></table>'
            '<p <a href=/novosti/ x="unterminated>still text<<<>>>&&&#xZZZ;&#99999999;\0\0 end'
            '<script>document.write("<p>never closed')
    return html_page(text.encode("utf-8"))


def empty_html() -> Respond:
    return html_page(b"")


def wrong_charset() -> Respond:
    """Says UTF-8 in the header and the meta tag, is windows-1251."""
    return html_page(article_html("Заседание группы", RU_PARAGRAPHS).encode("cp1251"))


def missing_charset_arabic() -> Respond:
    """windows-1256 Arabic with no charset anywhere."""
    page = article_html("اجتماع المجموعة", AR_PARAGRAPHS, lang="ar", meta_charset=None)
    return html_page(page.encode("cp1256"), content_type="text/html")


def mixed_encodings() -> Respond:
    """UTF-8 page with one paragraph in windows-1251, one in Latin-1 and a stray invalid byte sequence."""
    head, tail = article_html("Смешанные кодировки", ["PLACEHOLDER"]).split("PLACEHOLDER")
    body = (head.encode("utf-8") + RU_PARAGRAPHS[0].encode("utf-8") + b"</p><p>" + RU_PARAGRAPHS[1].encode("cp1251")
            + b"</p><p>caf\xe9 na\xefve \xff\xfe\xc3\x28 " + AR_PARAGRAPHS[0].encode("utf-8") + tail.encode("utf-8"))
    return html_page(body)


def huge_html(size: int) -> Respond:
    paragraph = ("<p>" + RU_PARAGRAPHS[0] + "</p>\n").encode("utf-8")
    body = article_html("Огромная страница", ["X"]).encode("utf-8")
    head, tail = body.split(b"<p>X</p>")
    return html_page(head + paragraph * max(1, size // len(paragraph)) + tail)


def deeply_nested(depth: int) -> Respond:
    inner = "".join(f"<p>{p}</p>" for p in RU_PARAGRAPHS)
    body = ('<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>Вложенность</title></head><body>'
            + "<div><span>" * depth + inner + "</span></div>" * depth + "</body></html>")
    return html_page(body.encode("utf-8"))


# --- the catalogue, linked from one article ------------------------------------------------------
def fault_article_path(slug: str, number: int) -> str:
    """An article URL (so the crawler extracts it) that no real article uses."""
    return f"/novosti/{slug}-2020-02-01-{990000 + number}"


MARKER = "EVILNAME"  # appears in hostile URLs; must never appear in a file name under ARCHIVE_DIR


@dataclass
class HostilePlan:
    """Paths of everything installed by ``install_hostile_links``, by name."""

    hub: Article
    paths: dict[str, str] = field(default_factory=dict)
    offsite_links: list[str] = field(default_factory=list)
    scheme_links: list[str] = field(default_factory=list)
    long_links: dict[str, str] = field(default_factory=dict)


def install_hostile_links(mirror: FaultMirrorServer, hub: Article, offsite_origin: str, *,
                          bomb_size: int, huge_size: int, too_big_size: int) -> HostilePlan:
    """Register faults and hostile pages on ``mirror`` and link them all from ``hub``.

    ``offsite_origin`` is another server (its request log must stay empty); ``bomb_size`` is what
    the gzip bomb inflates to, ``huge_size`` an HTML page over EXTRACT_MAXSIZE, ``too_big_size``
    a body over DOWNLOAD_MAXSIZE (sizes chosen by the test against its own settings).
    """
    port = urlsplit(mirror.base_url).port
    plan = HostilePlan(hub)
    faults = {
        "server_error": ("/faults/server-error", Respond(Page(500, "Internal Server Error", b"<h1>500</h1>",
                                                              "text/html", compressible=False))),
        "timeout": ("/faults/timeout", Hang()),
        "reset": ("/faults/reset", Reset()),
        "reset_mid_body": ("/faults/reset-mid-body",
                           Reset(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5000\r\n\r\n<html><p>half")),
        "loop_a": ("/faults/loop-a", redirect("/faults/loop-b", 302)),
        "loop_b": ("/faults/loop-b", redirect("/faults/loop-a", 302)),
        "offsite_redirect": ("/faults/offsite-redirect", redirect(f"{offsite_origin}/landing-{MARKER}")),
        "other_host_redirect": ("/faults/other-host-redirect", redirect(f"http://localhost:{port}/novosti/")),
        "other_scheme_redirect": ("/faults/other-scheme-redirect", redirect(f"https://127.0.0.1:{port}/novosti/")),
        "denied_redirect": ("/faults/denied-redirect", redirect("/bitrix/admin/index.php")),
        "file_redirect": ("/faults/file-redirect", redirect("file:///etc/passwd")),
        "data_redirect": ("/faults/data-redirect", redirect("data:text/html,<a href=/faults/data-target>x</a>")),
        "gzip_bomb": (fault_article_path("bomb", 1), gzip_bomb(bomb_size)),
        "binary": (fault_article_path("binary", 2), binary_as_html()),
        "malformed": (fault_article_path("malformed", 3), malformed_html()),
        "empty": (fault_article_path("empty", 4), empty_html()),
        "wrong_charset": (fault_article_path("wrong-charset", 5), wrong_charset()),
        "missing_charset": (fault_article_path("missing-charset", 6), missing_charset_arabic()),
        "mixed_encodings": (fault_article_path("mixed-encodings", 7), mixed_encodings()),
        "huge": (fault_article_path("huge", 8), huge_html(huge_size)),
        "too_big": (fault_article_path("too-big", 9), huge_html(too_big_size)),
        "deep": (fault_article_path("deep", 10), deeply_nested(20000)),
        # status codes Twisted accepts that are no HTTP status
        "status_99": (fault_article_path("status-99", 11), odd_status(99)),
        "status_1000": (fault_article_path("status-1000", 12), odd_status(1000)),
        "status_minus_200": (fault_article_path("status-minus-200", 13), odd_status(-200)),
    }
    chain_length = 15
    for step in range(1, chain_length + 1):
        faults[f"chain_{step}"] = (f"/faults/chain/{step}", redirect(f"/faults/chain/{step + 1}", 302))
    for name, (path, fault) in faults.items():
        mirror.add_fault(path, fault)
        plan.paths[name] = path
    plan.paths["chain"] = plan.paths["chain_1"]
    linked = [path for name, path in plan.paths.items() if not name.startswith("chain_") and name != "loop_b"]

    plan.offsite_links = [f"{offsite_origin}/offsite-link-{MARKER}", "//" + offsite_origin.split("://", 1)[1] + "/protocol-relative",
                          f"http://localhost:{port}/novosti/", f"https://127.0.0.1:{port}/en/novosti/",
                          f"ftp://127.0.0.1:{port}/pub/", "file:///etc/passwd"]
    plan.scheme_links = ["javascript:fetch('/faults/js-target')", "JavaScript:void(location='/faults/js-target')",
                         "data:text/html;base64,PGEgaHJlZj0iL2ZhdWx0cy9kYXRhLXRhcmdldCI+eDwvYT4=",
                         "mailto:info@example.org", "tel:+70000000000", "vbscript:msgbox(1)"]
    plan.long_links = {
        # over URLLENGTH_LIMIT: never requested
        "long_path": f"/novosti/{MARKER}-" + "a" * 3000 + "-2020-02-01-990020",
        "long_query": "/novosti/?PAGEN_1=2&" + "&".join(f"q{i}={'x' * 40}" for i in range(120)),
        # long but allowed: fetched, archived under a generated name
        "long_allowed": f"/novosti/{MARKER}-" + "b" * 1500 + "-2020-02-01-990021",
        "odd_unicode": f"/novosti/{MARKER}-\u202eevil\u200d-\U0001d518\u0301-%00-%ED%A0%80-%FF-2020-02-01-990022",
        "traversal": f"/novosti/..%2F..%2F..%2Fetc%2F{MARKER}-2020-02-01-990023",
        "dot_segments": f"/novosti/../../../../tmp/{MARKER}-2020-02-01-990024",
    }
    links = linked + plan.offsite_links + plan.scheme_links + list(plan.long_links.values())
    for number, href in enumerate(links):
        mirror.site.fixtures.setdefault("links", []).append((hub.id, f"hostile-{number}", href, f"hostile link {number}"))
    return plan
