"""WARC/1.1 writing of captured HTTP exchanges, and recovery of files left by a killed crawl.

File layout
    One gzip member per record (so a record can be read from its offset alone), files named with the
    Heritrix/wget convention ``{prefix}-{YYYYMMDDHHMMSSmmm}-{serial:05d}-{hostname}-{pid}.warc.gz``.
    A file is written as ``….warc.gz.open`` and renamed with ``os.replace`` when closed, so a name
    without ``.open`` always means a finished file. Every file starts with a ``warcinfo`` record.
    Records reach the OS as they are written (no user-space buffer): a crash loses at most the
    record being written; a record that fails halfway is cut off again. ``close`` fsyncs.

Transfer coding
    Bodies are stored de-chunked (the HTTP client has already removed the transfer coding). Keeping
    ``Transfer-Encoding: chunked`` would make readers (warcio, pywb, ReplayWeb.page) de-chunk the
    stored bytes a second time and would make the payload digest describe bytes that are not there,
    so that header is renamed ``X-Archive-Orig-Transfer-Encoding`` (the pywb convention for
    rewritten hop-by-hop headers). Content-Encoding (gzip, br …) is kept with the encoded bytes
    exactly as sent; the payload digest is computed over those bytes. Content-Length is kept as
    sent and never invented (warcio 1.8 does not touch it either: it only computes the WARC
    record's own Content-Length and digests).

Header text
    Header names and values are ``str`` holding the wire bytes decoded as ISO-8859-1 (what
    http.client, Twisted and warcio use); they are written back with that codec, byte for byte.
    Characters above U+00FF (which such decoding never yields) are written as UTF-8. warcio would
    instead %-encode every non-ASCII header value, hence ``_WireHeaders``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import re
import socket
import threading
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata
from io import BytesIO
from pathlib import Path
from typing import Iterable, Mapping
from urllib.parse import quote, urlsplit

from warcio.recordloader import ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser
from warcio.warcwriter import WARCWriter

from archive import __version__

log = logging.getLogger(__name__)

WARC_SUFFIX = ".warc.gz"
OPEN_SUFFIX = ".open"
ORIG_TRANSFER_ENCODING = "X-Archive-Orig-Transfer-Encoding"
TRUNCATED_REASONS = frozenset({"length", "time", "disconnect", "unspecified"})
WARC_FORMAT = "WARC File Format 1.1"
WARC_CONFORMS_TO = "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"

_FILE_NAME_RE = re.compile(
    r"-(?P<stamp>\d{17})-(?P<serial>\d{5,})-(?P<host>.+)-(?P<pid>\d+)\.warc\.gz(?:\.open)?$"
)
_NOT_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9._-]")
_HTTP_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_WARC_FIELD_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_LINE_BREAKS = re.compile(r"[\r\n]+")
_URI_FORBIDDEN = re.compile(r"[\x00-\x20\x7f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")

# Files held open by writers of this process: recovery must never cut them.
_OPEN_PATHS: set[str] = set()
_OPEN_PATHS_LOCK = threading.Lock()


@dataclass(frozen=True)
class HttpExchange:
    """One HTTP request/response as captured; validated on construction so bad input fails early."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    protocol: str
    status: int
    reason: str
    response_headers: list[tuple[str, str]]
    body: bytes
    captured_at: datetime
    ip_address: str | None = None
    truncated: str | None = None
    # Protocol of the request line; Scrapy's default download handler always sends HTTP/1.1, even
    # when the server answers HTTP/1.0, so it is not derived from `protocol`.
    request_protocol: str = "HTTP/1.1"

    def __post_init__(self) -> None:
        _request_target(self.url)  # raises ValueError for a URI that cannot go in a WARC
        if not _HTTP_TOKEN.match(self.method or ""):
            raise ValueError(f"HttpExchange: invalid HTTP method {self.method!r}")
        for name, value in (("protocol", self.protocol), ("request_protocol", self.request_protocol)):
            if not value or _URI_FORBIDDEN.search(value):
                raise ValueError(f"HttpExchange: invalid {name} {value!r}")
        # Any number the server sent (99, 1000, -200 pass Twisted): archived as received; whether
        # it is an answer at all is for the crawl to decide.
        if isinstance(self.status, bool) or not isinstance(self.status, int):
            raise ValueError(f"HttpExchange: invalid status {self.status!r}")
        if not isinstance(self.body, (bytes, bytearray)) or not isinstance(self.request_body, (bytes, bytearray)):
            raise ValueError("HttpExchange: body and request_body must be bytes")
        if not isinstance(self.captured_at, datetime):
            raise ValueError(f"HttpExchange: captured_at must be a datetime, got {self.captured_at!r}")
        if self.truncated is not None and self.truncated not in TRUNCATED_REASONS:
            raise ValueError(
                f"HttpExchange: truncated must be one of {sorted(TRUNCATED_REASONS)}, got {self.truncated!r}"
            )


@dataclass(frozen=True)
class WarcPointer:
    """Where a record lives: enough to read it back without scanning the file."""

    file: str
    offset: int
    length: int
    record_id: str

    def as_dict(self) -> dict:
        return {"file": self.file, "offset": self.offset, "length": self.length, "record_id": self.record_id}


def sha1_payload_digest(body: bytes) -> str:
    """Payload digest as warcio writes it (``sha1:`` + base32), for revisit deduplication."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def format_warc_date(moment: datetime) -> str:
    """WARC-Date with millisecond precision (WARC/1.1); a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class WarcArchiveWriter:
    """Writes exchanges as request/response (or revisit) record pairs into rotating WARC files.

    Not meant to share a directory+prefix with another process; within a process it is thread-safe.
    After ``close`` the writer can go on: the next exchange opens a new file.
    """

    def __init__(
        self,
        directory: str | os.PathLike,
        prefix: str,
        *,
        max_size: int = 1_000_000_000,
        warcinfo: Mapping[str, str] | None = None,
        hostname: str | None = None,
    ) -> None:
        if not prefix or _NOT_IN_FILE_NAME.search(prefix):
            raise ValueError(f"WARC prefix must be non-empty and use only [A-Za-z0-9._-]: {prefix!r}")
        if max_size <= 0:
            raise ValueError(f"max_size must be positive, got {max_size}")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.max_size = max_size
        self.hostname = hostname or socket.gethostname() or "localhost"
        self._host_token = _file_name_token(self.hostname)
        self._warcinfo_fields = _warcinfo_fields(self.hostname, warcinfo or {})
        self.files: list[str] = []
        self._serial = 0
        self._out: _RecordFile | None = None
        self._warc: WARCWriter | None = None
        self._lock = threading.Lock()

    # -- public API ---------------------------------------------------------------------------

    @property
    def current_path(self) -> str | None:
        """Path of the ``.open`` file being written, if any."""
        return self._out.open_path if self._out else None

    def write_exchange(self, exchange: HttpExchange) -> WarcPointer:
        """Write the response and request records of one exchange; return the response's pointer."""
        with self._lock:
            self._prepare_file()
            response_id, request_id = _new_record_id(), _new_record_id()
            date = format_warc_date(exchange.captured_at)
            response = self._warc.create_warc_record(
                exchange.url,
                "response",
                payload=BytesIO(bytes(exchange.body)),
                length=len(exchange.body),
                http_headers=_response_http_headers(exchange),
                warc_headers_dict=_warc_fields(
                    "response", response_id, date, exchange, concurrent_to=request_id,
                    truncated=exchange.truncated,
                ),
            )
            request = self._request_record(exchange, request_id, date, concurrent_to=response_id)
            return self._write_records([response, request])[0]

    def write_revisit(
        self,
        exchange: HttpExchange,
        *,
        refers_to_uri: str,
        refers_to_date: str | datetime,
        payload_digest: str,
        refers_to_record_id: str | None = None,
    ) -> WarcPointer:
        """Write an identical-payload-digest revisit (HTTP headers kept, no body) plus its request.

        ``payload_digest`` must be the digest of ``exchange.body``: a revisit claims the payload is
        identical to the record referred to, so a mismatch is refused rather than archived. A 304
        has no body: the server itself vouches that the stored payload (``payload_digest``, the
        original's) is current, and its headers are kept as received.
        """
        claimed = _normalise_sha1_digest(payload_digest)
        actual = sha1_payload_digest(bytes(exchange.body))
        if claimed != actual and exchange.status != 304:
            raise ValueError(
                f"revisit for {exchange.url}: payload digest {payload_digest} does not match the body ({actual})"
            )
        if isinstance(refers_to_date, datetime):
            refers_to_date = format_warc_date(refers_to_date)
        with self._lock:
            self._prepare_file()
            revisit_id, request_id = _new_record_id(), _new_record_id()
            date = format_warc_date(exchange.captured_at)
            revisit = self._warc.create_revisit_record(
                exchange.url,
                claimed,
                refers_to_uri,
                refers_to_date,
                http_headers=_response_http_headers(exchange),
                warc_headers_dict=_warc_fields("revisit", revisit_id, date, exchange, concurrent_to=request_id),
            )
            if refers_to_record_id:
                revisit.rec_headers.add_header("WARC-Refers-To", refers_to_record_id)
            request = self._request_record(exchange, request_id, date, concurrent_to=revisit_id)
            return self._write_records([revisit, request])[0]

    def close(self) -> None:
        """Finish the current file: fsync, then rename ``*.warc.gz.open`` to ``*.warc.gz``."""
        with self._lock:
            self._close_current()

    def __enter__(self) -> "WarcArchiveWriter":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------------------

    def _request_record(self, exchange: HttpExchange, record_id: str, date: str, *, concurrent_to: str):
        return self._warc.create_warc_record(
            exchange.url,
            "request",
            payload=BytesIO(bytes(exchange.request_body)),
            length=len(exchange.request_body),
            http_headers=_request_http_headers(exchange),
            warc_headers_dict=_warc_fields("request", record_id, date, exchange, concurrent_to=concurrent_to),
        )

    def _prepare_file(self) -> None:
        """Rotate when the current file reached max_size; open a file lazily."""
        if self._out is not None and self._out.position >= self.max_size:
            self._close_current()
        if self._out is None:
            self._open_next_file()

    def _write_records(self, records) -> list[WarcPointer]:
        """Write records as gzip members; on any failure cut the file back so it stays valid."""
        out = self._out
        start = out.position
        pointers = []
        try:
            for record in records:
                offset = out.position
                self._warc.write_record(record)
                pointers.append(
                    WarcPointer(
                        file=out.final_name,
                        offset=offset,
                        length=out.position - offset,
                        record_id=record.rec_headers.get_header("WARC-Record-ID"),
                    )
                )
        except BaseException:
            try:
                out.truncate(start)
            except OSError:
                log.exception("could not cut partial record from %s; recover_open_file will", out.open_path)
            raise
        return pointers

    def _open_next_file(self) -> None:
        for _attempt in range(1000):
            now = datetime.now(timezone.utc)
            stamp = now.strftime("%Y%m%d%H%M%S") + f"{now.microsecond // 1000:03d}"
            name = f"{self.prefix}-{stamp}-{self._serial:05d}-{self._host_token}-{os.getpid()}{WARC_SUFFIX}"
            self._serial += 1
            final_path = self.directory / name
            if final_path.exists():
                continue
            try:
                out = _RecordFile(final_path)
            except FileExistsError:
                continue
            break
        else:  # pragma: no cover - would need 1000 name collisions
            raise FileExistsError(f"no free WARC file name in {self.directory} for prefix {self.prefix}")
        self._out = out
        self._warc = WARCWriter(out, gzip=True, warc_version="1.1")
        try:
            info = self._warc.create_warcinfo_record(out.final_name, self._warcinfo_fields)
            self._warc.write_record(info)
        except BaseException:
            self._out = None
            out.discard()
            raise

    def _close_current(self) -> None:
        out, self._out = self._out, None
        if out is None:
            return
        out.close_and_rename()
        self.files.append(str(out.final_path))


class _RecordFile:
    """Unbuffered ``.open`` target: every write reaches the OS at once, and a failed record can be cut."""

    def __init__(self, final_path: Path) -> None:
        self.final_path = final_path
        self.final_name = final_path.name
        self.open_path = str(final_path) + OPEN_SUFFIX
        self._fd = os.open(self.open_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        self.position = 0
        with _OPEN_PATHS_LOCK:
            _OPEN_PATHS.add(os.path.abspath(self.open_path))

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            self.position += written
            view = view[written:]
        return len(data)

    def flush(self) -> None:
        """Nothing is buffered here (warcio calls flush after each record)."""

    def truncate(self, position: int) -> None:
        os.ftruncate(self._fd, position)
        os.lseek(self._fd, position, os.SEEK_SET)
        self.position = position

    def close_and_rename(self) -> None:
        try:
            os.fsync(self._fd)
        finally:
            os.close(self._fd)
            self._forget()
        os.replace(self.open_path, self.final_path)
        _fsync_directory(self.final_path.parent)

    def discard(self) -> None:
        os.close(self._fd)
        self._forget()
        os.unlink(self.open_path)

    def _forget(self) -> None:
        with _OPEN_PATHS_LOCK:
            _OPEN_PATHS.discard(os.path.abspath(self.open_path))


class _WireHeaders(StatusAndHeaders):
    """StatusAndHeaders serialised byte-exact (ISO-8859-1) instead of warcio's %-encoding."""

    def compute_headers_buffer(self, header_filter=None) -> None:
        lines = [f"{self.protocol} {self.statusline}"]
        lines.extend(f"{name}: {value}" for name, value in self.headers)
        self.headers_buff = b"".join(_wire_bytes(line) + b"\r\n" for line in lines) + b"\r\n"


def _wire_bytes(text: str) -> bytes:
    try:
        return text.encode("iso-8859-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _archive_headers(headers: Iterable[tuple], url: str) -> list[tuple[str, str]]:
    """Headers as they go into the record: text, single-line, Transfer-Encoding renamed."""
    cleaned = []
    for name, value in headers:
        if isinstance(name, (bytes, bytearray)):
            name = bytes(name).decode("iso-8859-1")
        if isinstance(value, (bytes, bytearray)):
            value = bytes(value).decode("iso-8859-1")
        name, value = str(name).strip(), str(value)
        if not name or ":" in name or _LINE_BREAKS.search(name):
            log.warning("%s: dropping malformed header name %r", url, name)
            continue
        if _LINE_BREAKS.search(value):
            log.warning("%s: line break in header %s folded to a space", url, name)
            value = _LINE_BREAKS.sub(" ", value)
        if name.lower() == "transfer-encoding":
            name = ORIG_TRANSFER_ENCODING
        cleaned.append((name, value))
    return cleaned


def _response_http_headers(exchange: HttpExchange) -> _WireHeaders:
    reason = _LINE_BREAKS.sub(" ", exchange.reason or "")
    # RFC 9112 status-line keeps the SP before an empty reason phrase.
    return _WireHeaders(
        f"{exchange.status} {reason}", _archive_headers(exchange.response_headers, exchange.url),
        protocol=exchange.protocol,
    )


def _request_http_headers(exchange: HttpExchange) -> _WireHeaders:
    headers = _archive_headers(exchange.request_headers, exchange.url)
    if not any(name.lower() == "host" for name, _ in headers):
        headers.insert(0, ("Host", _host_header(exchange.url)))
    target = _request_target(exchange.url)
    return _WireHeaders(f"{target} {exchange.request_protocol}", headers, protocol=exchange.method)


def _request_target(url: str) -> str:
    """Origin-form request target (path + query as in the URL), raising ValueError for bad URIs."""
    if not isinstance(url, str) or not url or _URI_FORBIDDEN.search(url):
        raise ValueError(f"URL cannot be archived (empty, whitespace or control characters): {url!r}")
    without_fragment = url.split("#", 1)[0]
    parts = urlsplit(without_fragment)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    after_authority = without_fragment.split("://", 1)[1][len(parts.netloc):]
    target = after_authority if after_authority.startswith("/") else "/" + after_authority
    # An IRI path goes on the wire percent-encoded as UTF-8, as a client sends it.
    return _NON_ASCII.sub(lambda match: quote(match.group(), safe=""), target)


def _host_header(url: str) -> str:
    host = urlsplit(url).netloc.rpartition("@")[2]
    if host.isascii():
        return host
    name, colon, port = host.rpartition(":") if host.rpartition(":")[2].isdigit() else (host, "", "")
    try:
        return name.encode("idna").decode("ascii") + colon + port
    except UnicodeError:
        return host


def _warc_fields(
    record_type: str,
    record_id: str,
    date: str,
    exchange: HttpExchange,
    *,
    concurrent_to: str,
    truncated: str | None = None,
) -> dict[str, str]:
    fields = {
        "WARC-Type": record_type,
        "WARC-Record-ID": record_id,
        "WARC-Date": date,
        "WARC-Target-URI": exchange.url,
    }
    if exchange.ip_address:
        fields["WARC-IP-Address"] = exchange.ip_address
    fields["WARC-Concurrent-To"] = concurrent_to
    if truncated:
        fields["WARC-Truncated"] = truncated
    return fields


def _new_record_id() -> str:
    return StatusAndHeadersParser.make_warc_id()


def _normalise_sha1_digest(digest: str) -> str:
    """``sha1:`` + base32, accepting base32 or hex spellings of a SHA-1 digest."""
    algorithm, _, value = (digest or "").partition(":")
    if algorithm.lower() != "sha1" or not value:
        raise ValueError(f"unsupported payload digest {digest!r} (expected sha1:BASE32)")
    if len(value) == 40:
        try:
            return "sha1:" + base64.b32encode(bytes.fromhex(value)).decode("ascii")
        except ValueError:
            pass
    try:
        raw = base64.b32decode(value.upper())
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 20:
        raise ValueError(f"malformed sha1 payload digest {digest!r}")
    return "sha1:" + value.upper()


def _file_name_token(hostname: str) -> str:
    return _NOT_IN_FILE_NAME.sub("_", hostname) or "localhost"


def _warcinfo_fields(hostname: str, extra: Mapping[str, str]) -> dict[str, str]:
    fields = {
        "software": f"rusislam-archive/{__version__} warcio/{_warcio_version()}",
        "format": WARC_FORMAT,
        "conformsTo": WARC_CONFORMS_TO,
        "hostname": hostname,
    }
    for key, value in extra.items():
        if not isinstance(key, str) or not _WARC_FIELD_NAME.match(key):
            raise ValueError(f"warcinfo field name must be a token (no spaces or ':'): {key!r}")
        if value is None:
            continue
        fields[key] = _LINE_BREAKS.sub(" ", str(value)).strip()
    return fields


@lru_cache(maxsize=1)
def _warcio_version() -> str:
    try:
        return metadata.version("warcio")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


def _fsync_directory(directory: Path) -> None:
    """Make a rename durable; not every platform can open a directory, which is then skipped."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- recovery of files left by a killed process ---------------------------------------------------

_SCAN_CHUNK = 1 << 20
_OUTPUT_LIMIT = 1 << 22
_MAX_WARC_HEADER = 1 << 20


class _MemberCheck:
    """Checks that the decompressed bytes of one gzip member are exactly one whole WARC record."""

    _parser = StatusAndHeadersParser(ArcWarcRecordLoader.WARC_TYPES, verify=True)

    def __init__(self) -> None:
        self._head = bytearray()
        self._block_left: int | None = None
        self._trailer = bytearray()
        self._hasher = None
        self._declared_digest: str | None = None
        self.valid = True

    def feed(self, data: bytes) -> None:
        if not self.valid or not data:
            return
        if self._block_left is None:
            self._head += data
            end = self._head.find(b"\r\n\r\n")
            if end < 0:
                self.valid = len(self._head) <= _MAX_WARC_HEADER
                return
            data = bytes(self._head[end + 4:])
            self._start_block(bytes(self._head[: end + 4]))
            if not self.valid:
                return
        take = min(len(data), self._block_left)
        if self._hasher is not None:
            self._hasher.update(data[:take])
        self._block_left -= take
        self._trailer += data[take:]
        if len(self._trailer) > 4:
            self.valid = False

    def _start_block(self, header_bytes: bytes) -> None:
        try:
            headers = self._parser.parse(BytesIO(header_bytes))
            self._block_left = int(headers.get_header("Content-Length"))
        except Exception:  # any parse problem means "not a whole record"
            self.valid = False
            return
        if self._block_left < 0:
            self.valid = False
            return
        digest = headers.get_header("WARC-Block-Digest") or ""
        if digest.lower().startswith("sha1:"):
            self._declared_digest = digest
            self._hasher = hashlib.sha1()

    def whole(self) -> bool:
        if not (self.valid and self._block_left == 0 and bytes(self._trailer) == b"\r\n\r\n"):
            return False
        if self._hasher is None:
            return True
        try:
            return _normalise_sha1_digest(self._declared_digest) == (
                "sha1:" + base64.b32encode(self._hasher.digest()).decode("ascii")
            )
        except ValueError:
            return False


def _whole_records_length(path: str | os.PathLike) -> int:
    """Byte length of the leading run of gzip members that each hold one whole, digest-valid record."""
    good_end = 0
    data_pos = 0  # file offset of pending[0]
    pending = b""
    more_output = False
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    check = _MemberCheck()
    with open(path, "rb") as stream:
        while True:
            if not pending and not more_output:
                pending = stream.read(_SCAN_CHUNK)
                if not pending:
                    break
            try:
                output = decompressor.decompress(pending, _OUTPUT_LIMIT)
            except zlib.error:
                break
            more_output = len(output) == _OUTPUT_LIMIT
            check.feed(output)
            if decompressor.eof:
                rest = decompressor.unused_data
                member_end = data_pos + len(pending) - len(rest)
                if not check.whole():
                    break
                good_end = data_pos = member_end
                pending = rest
                more_output = False
                decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
                check = _MemberCheck()
            else:
                tail = decompressor.unconsumed_tail
                data_pos += len(pending) - len(tail)
                pending = tail
                if not check.valid:
                    break
    return good_end


def _held_by_live_writer(open_path: Path) -> bool:
    """True when a writer of this process, or a live process on this host, still owns the file."""
    with _OPEN_PATHS_LOCK:
        if os.path.abspath(open_path) in _OPEN_PATHS:
            return True
    match = _FILE_NAME_RE.search(open_path.name)
    if not match or match["host"] != _file_name_token(socket.gethostname() or "localhost"):
        return False
    pid = int(match["pid"])
    if pid == os.getpid():
        return False  # same pid but not in _OPEN_PATHS: left by an earlier run (containers reuse pids)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A killed writer whose parent has not reaped it yet still answers kill(pid, 0)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2:][:1] in ("Z", "X")


def recover_open_file(path: str | os.PathLike, *, force: bool = False) -> str | None:
    """Finish a ``*.warc.gz.open`` left by a killed process.

    Keeps the leading whole records (each gzip member complete, parsing as one WARC record whose
    block digest verifies), cuts the rest, fsyncs and renames to ``*.warc.gz``. Returns the final
    path, or None when not even one whole record was left (the file is then removed). Refuses
    (RuntimeError) a file a live writer still owns, unless ``force``.
    """
    open_path = Path(path)
    if not open_path.name.endswith(WARC_SUFFIX + OPEN_SUFFIX):
        raise ValueError(f"not an open WARC file (*{WARC_SUFFIX}{OPEN_SUFFIX}): {open_path}")
    if not force and _held_by_live_writer(open_path):
        raise RuntimeError(f"{open_path} is still being written by a live process; not recovering it")
    final_path = open_path.with_name(open_path.name[: -len(OPEN_SUFFIX)])
    if final_path.exists():
        raise FileExistsError(f"cannot recover {open_path}: {final_path} already exists")
    keep = _whole_records_length(open_path)
    size = open_path.stat().st_size
    if keep == 0:
        log.warning("%s: no whole WARC record (%d bytes), removing it", open_path, size)
        open_path.unlink()
        return None
    with open(open_path, "r+b") as stream:
        if keep < size:
            log.warning("%s: cutting %d bytes of incomplete record after offset %d", open_path, size - keep, keep)
            stream.truncate(keep)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(open_path, final_path)
    _fsync_directory(final_path.parent)
    return str(final_path)


def recover_open_files(directory: str | os.PathLike) -> list[str]:
    """Recover every ``*.warc.gz.open`` of a directory (skipping, with a warning, live ones)."""
    recovered = []
    for open_path in sorted(Path(directory).glob(f"*{WARC_SUFFIX}{OPEN_SUFFIX}")):
        if not open_path.is_file():  # a directory of that name must not block every later run
            log.warning("skipping recovery: %s is not a regular file; move it out of the way", open_path)
            continue
        try:
            final = recover_open_file(open_path)
        except (RuntimeError, FileExistsError) as error:
            log.warning("skipping recovery: %s", error)
            continue
        if final:
            recovered.append(final)
    return recovered
