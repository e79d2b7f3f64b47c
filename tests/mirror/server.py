"""Threaded HTTP/1.1 server for the mirror, writing every response by hand so it is logged exactly.

The HTTP mechanics live here (the site only says what a page is): gzip when the client
accepts it and the page allows it, chunked transfer for some pages, strong ETags computed
from the bytes sent, Last-Modified, and 304 answers to If-None-Match / If-Modified-Since.
``requests`` and ``served`` are thread-safe logs so tests can compare WARC records byte
for byte with what went over the wire.
"""

from __future__ import annotations

import gzip
import hashlib
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .site import MirrorSite, Page, http_date

CHUNK_SIZE = 4096


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str  # path with query, as on the request line
    headers: list[tuple[str, str]]
    time: float  # time.monotonic() at arrival

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)


@dataclass(frozen=True)
class ServedResponse:
    method: str
    path: str
    status: int
    reason: str
    headers: list[tuple[str, str]]  # in wire order
    body: bytes  # after content-coding, before chunking (what a WARC payload holds once de-chunked)
    time: float

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name.lower():
            return value
    return None


def _accepts_gzip(value: str | None) -> bool:
    for item in (value or "").split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip", "*"):
            q = params.strip()
            return not (q.startswith("q=") and float(q[2:] or 0) == 0)
    return False


def etag_matches(if_none_match: str, etag: str) -> bool:
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


def not_modified_since(if_modified_since: str, last_modified: datetime) -> bool:
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    return last_modified.replace(microsecond=0) <= since


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    timeout = 10  # idle keep-alive connections are dropped after this many seconds
    server: _MirrorHTTPServer

    def log_message(self, format: str, *args) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def _serve(self, method: str) -> None:
        mirror = self.server.mirror
        headers = list(self.headers.items())
        mirror._log_request(RequestRecord(method, self.path, headers, time.monotonic()))
        try:
            page = mirror.site.respond(method, self.path, self._origin(), mirror.crawl_delay)
        except Exception as exc:  # a site bug must show up as a 500, not a hung client
            page = Page(500, "Internal Server Error", f"mirror error: {exc!r}".encode(), "text/plain; charset=UTF-8",
                        compressible=False)
        self._send(method, page)

    def _origin(self) -> str:
        """Links name the host the client asked for, as a real virtual host does (a mirror reached
        under another name still links to itself)."""
        host = self.headers.get("Host")
        return f"http://{host}" if host else self.server.mirror.base_url

    def _send(self, method: str, page: Page) -> None:
        mirror = self.server.mirror
        status, reason, body = page.status, page.reason, page.body
        headers: list[tuple[str, str]] = [
            ("Server", "nginx"),
            ("Date", http_date(datetime.now(timezone.utc))),
            ("Content-Type", page.content_type),
        ]
        gzipped = page.compressible and len(body) > 0 and _accepts_gzip(self.headers.get("Accept-Encoding"))
        if gzipped:
            body = gzip.compress(body, mtime=0)  # mtime=0: same bytes every time, so a stable ETag
        if page.status == 200 and page.last_modified is not None:
            etag = '"' + hashlib.sha1(body).hexdigest()[:24] + '"'
            headers += [("ETag", etag), ("Last-Modified", http_date(page.last_modified))]
            inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
            if (inm is not None and etag_matches(inm, etag)) or (
                inm is None and ims is not None and not_modified_since(ims, page.last_modified)
            ):
                status, reason, body = 304, "Not Modified", b""
                headers = [h for h in headers if h[0] != "Content-Type"]
        headers += [("X-Powered-CMS", "Bitrix Site Manager (d41d8cd98f00b204e9800998ecf8427e)")]
        headers += page.headers
        if status != 304:
            if gzipped:
                headers.append(("Content-Encoding", "gzip"))
            if page.compressible:
                headers.append(("Vary", "Accept-Encoding"))
        # HTTP/1.0 clients cannot read chunked bodies: they get a Content-Length instead.
        chunked = page.chunked and status != 304 and getattr(self, "request_version", "") != "HTTP/1.0"
        if status != 304:
            headers.append(("Transfer-Encoding", "chunked") if chunked else ("Content-Length", str(len(body))))
        if self.close_connection:
            headers.append(("Connection", "close"))
        elif getattr(self, "request_version", "") == "HTTP/1.0":
            headers.append(("Connection", "keep-alive"))
        head = f"{self.protocol_version} {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
        wire = head.encode("latin-1")
        if method != "HEAD" and status != 304:
            wire += _chunks(body) if chunked else body
        mirror._log_served(ServedResponse(method, self.path, status, reason, headers,
                                          body if method != "HEAD" else b"", time.monotonic()))
        try:
            self.wfile.write(wire)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Malformed requests: answer with a logged response that carries a Content-Length.
        self.close_connection = True
        if not hasattr(self, "path"):
            self.path = ""
        reason = message or self.responses.get(code, ("Error",))[0]
        self._send(getattr(self, "command", None) or "GET",
                   Page(code, reason, f"<html><body>{code} {reason}</body></html>".encode(),
                        "text/html; charset=UTF-8", compressible=False))


def _chunks(body: bytes) -> bytes:
    out = b"".join(
        f"{len(body[i:i + CHUNK_SIZE]):x}\r\n".encode() + body[i:i + CHUNK_SIZE] + b"\r\n"
        for i in range(0, len(body), CHUNK_SIZE)
    )
    return out + b"0\r\n\r\n"


class _MirrorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, mirror: MirrorServer, handler: type[BaseHTTPRequestHandler] = _Handler):
        self.mirror = mirror
        super().__init__(address, handler)


class MirrorServer:
    """The test mirror on 127.0.0.1; ``MirrorServer()`` builds the default site (``build_site()``).

    ``crawl_delay`` (seconds or None) adds a Crawl-delay line to robots.txt.
    ``handler_class`` is the request handler; ``tests/mirror/faults.py`` swaps in one that injects faults.
    """

    handler_class: type[BaseHTTPRequestHandler] = _Handler

    def __init__(self, host: str = "127.0.0.1", port: int = 0, site: MirrorSite | None = None,
                 crawl_delay: float | None = None):
        if site is None:
            from .content import build_site

            site = build_site()
        self.site = site
        self.host, self.port = host, port
        self.crawl_delay = crawl_delay
        self.requests: list[RequestRecord] = []
        self.served: list[ServedResponse] = []
        self._log_lock = threading.Lock()
        self._httpd: _MirrorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("mirror server not started")
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> MirrorServer:
        if self._httpd is not None:
            return self
        self._httpd = _MirrorHTTPServer((self.host, self.port), self, self.handler_class)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"mirror-{self.port}", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Foreground serving (``python -m tests.mirror``); Ctrl-C stops it."""
        self.start()
        try:
            while self._thread and self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(5)
        self._httpd = self._thread = None

    def __enter__(self) -> MirrorServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- logs ---------------------------------------------------------------------
    def _log_request(self, record: RequestRecord) -> None:
        with self._log_lock:
            self.requests.append(record)

    def _log_served(self, record: ServedResponse) -> None:
        with self._log_lock:
            self.served.append(record)

    def requested_paths(self) -> list[str]:
        with self._log_lock:
            return [r.path for r in self.requests]

    def served_for(self, path: str) -> list[ServedResponse]:
        with self._log_lock:
            return [s for s in self.served if s.path == path]

    def clear_logs(self) -> None:
        with self._log_lock:
            self.requests.clear()
            self.served.clear()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
