"""Reading WARC records back: by pointer (article -> its capture) or streaming (offline re-extraction)."""

from __future__ import annotations

import logging
import os
import zlib
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders

from archive.warc import OPEN_SUFFIX, WarcPointer

log = logging.getLogger(__name__)

# A decoded body larger than this is refused: protects re-extraction from decompression bombs.
MAX_DECODED_SIZE = 256 * 1024 * 1024
_WARC_NAME_SUFFIXES = (".warc.gz", ".warc")


class WarcReadError(ValueError):
    """A pointer does not lead to the record it names, or a payload cannot be decoded."""


@dataclass(frozen=True)
class StoredRecord:
    """One WARC record as stored: headers plus the raw payload (Content-Encoding still applied)."""

    warc_headers: StatusAndHeaders
    http_headers: StatusAndHeaders | None
    payload: bytes

    @property
    def record_type(self) -> str | None:
        return self.warc_headers.get_header("WARC-Type")

    @property
    def record_id(self) -> str | None:
        return self.warc_headers.get_header("WARC-Record-ID")

    @property
    def target_uri(self) -> str | None:
        return self.warc_headers.get_header("WARC-Target-URI")

    @property
    def warc_date(self) -> str | None:
        return self.warc_headers.get_header("WARC-Date")

    @property
    def truncated(self) -> str | None:
        return self.warc_headers.get_header("WARC-Truncated")

    @property
    def status(self) -> int | None:
        """HTTP status code of a response/revisit record, None when absent or not numeric."""
        if not self.http_headers:
            return None
        try:
            return int(self.http_headers.get_statuscode())
        except ValueError:
            return None

    @property
    def header_list(self) -> list[tuple[str, str]]:
        """HTTP headers in wire order, the shape pure extraction code takes."""
        return list(self.http_headers.headers) if self.http_headers else []

    def content(self, max_size: int = MAX_DECODED_SIZE) -> bytes:
        """Payload with its Content-Encoding removed (gzip, deflate, br, zstd; stacked codings too).

        A truncated record (WARC-Truncated) yields what can be decoded; a complete record whose
        encoded payload is damaged raises WarcReadError.
        """
        coding = self.http_headers.get_header("Content-Encoding") if self.http_headers else None
        try:
            return decode_content(self.payload, coding, strict=not self.truncated, max_size=max_size)
        except WarcReadError as error:
            raise WarcReadError(f"{self.target_uri} ({self.record_id}): {error}") from None


def decode_content(data: bytes, content_encoding: str | None, *, strict: bool = True,
                   max_size: int = MAX_DECODED_SIZE) -> bytes:
    """Undo a Content-Encoding header value; codings are undone last-applied first."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    for coding in reversed(codings):
        if coding in ("identity", "none"):
            continue
        if coding in ("gzip", "x-gzip"):
            data = _inflate(data, zlib.MAX_WBITS | 16, strict, max_size)
        elif coding == "deflate":
            # RFC says zlib-wrapped; many servers send raw deflate.
            try:
                data = _inflate(data, zlib.MAX_WBITS, strict, max_size)
            except WarcReadError:
                data = _inflate(data, -zlib.MAX_WBITS, strict, max_size)
        elif coding == "br":
            data = _unbrotli(data, strict, max_size)
        elif coding == "zstd":
            data = _unzstd(data, max_size)
        else:
            raise WarcReadError(f"unsupported Content-Encoding {coding!r}")
    return data


def _inflate(data: bytes, wbits: int, strict: bool, max_size: int) -> bytes:
    """zlib/gzip decoding that also follows concatenated gzip members and bounds the output."""
    output = bytearray()
    remaining = data
    while remaining:
        decompressor = zlib.decompressobj(wbits)
        try:
            output += decompressor.decompress(remaining, max_size + 1 - len(output))
        except zlib.error as error:
            if strict or not output:
                raise WarcReadError(f"cannot decode payload ({error})") from None
            break
        if len(output) > max_size:
            raise WarcReadError(f"decoded payload exceeds {max_size} bytes")
        if not decompressor.eof:
            if strict:
                raise WarcReadError("encoded payload ends before its compressed stream does")
            break
        remaining = decompressor.unused_data
        if wbits != zlib.MAX_WBITS | 16:
            break  # only gzip has concatenated members; trailing bytes are ignored like browsers do
        if remaining.strip(b"\x00") == b"":
            break
    return bytes(output)


def _unbrotli(data: bytes, strict: bool, max_size: int) -> bytes:
    try:
        import brotli
    except ImportError:
        raise WarcReadError("Content-Encoding br needs the 'brotli' package") from None
    decompressor = brotli.Decompressor()
    try:
        output = decompressor.process(data)
    except brotli.error as error:
        raise WarcReadError(f"cannot decode br payload ({error})") from None
    if strict and not decompressor.is_finished():
        raise WarcReadError("br payload ends before its compressed stream does")
    if len(output) > max_size:
        raise WarcReadError(f"decoded payload exceeds {max_size} bytes")
    return output


def _unzstd(data: bytes, max_size: int) -> bytes:
    try:
        from compression import zstd  # Python 3.14+
    except ImportError:
        try:
            from backports import zstd
        except ImportError:
            raise WarcReadError("Content-Encoding zstd needs Python 3.14 or 'backports.zstd'") from None
    try:
        output = zstd.decompress(data)
    except zstd.ZstdError as error:
        raise WarcReadError(f"cannot decode zstd payload ({error})") from None
    if len(output) > max_size:
        raise WarcReadError(f"decoded payload exceeds {max_size} bytes")
    return output


def _as_pointer(pointer_or_dict: WarcPointer | Mapping) -> WarcPointer:
    if isinstance(pointer_or_dict, WarcPointer):
        pointer = pointer_or_dict
    else:
        try:
            pointer = WarcPointer(
                file=str(pointer_or_dict["file"]),
                offset=int(pointer_or_dict["offset"]),
                length=int(pointer_or_dict.get("length") or 0),
                record_id=str(pointer_or_dict.get("record_id") or ""),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise WarcReadError(f"malformed WARC pointer {pointer_or_dict!r}: {error}") from None
    if pointer.file != os.path.basename(pointer.file) or pointer.file in ("", ".", ".."):
        raise WarcReadError(f"WARC pointer file must be a bare file name: {pointer.file!r}")
    if pointer.offset < 0 or pointer.length < 0:
        raise WarcReadError(f"negative offset or length in WARC pointer {pointer!r}")
    return pointer


def read_record(warc_dir: str | os.PathLike, pointer_or_dict: WarcPointer | Mapping) -> StoredRecord:
    """Read the record a pointer names; falls back to the ``.open`` file while it is still written."""
    pointer = _as_pointer(pointer_or_dict)
    path = Path(warc_dir) / pointer.file
    if not path.exists() and Path(str(path) + OPEN_SUFFIX).exists():
        path = Path(str(path) + OPEN_SUFFIX)
    with open(path, "rb") as stream:
        stream.seek(pointer.offset)
        if pointer.length:
            member = stream.read(pointer.length)
            if len(member) != pointer.length:
                raise WarcReadError(f"{path}: pointer {pointer.offset}+{pointer.length} runs past the end of the file")
            source = BytesIO(member)
        else:
            source = stream
        try:
            record = next(iter(ArchiveIterator(source)), None)
            if record is None:
                raise WarcReadError(f"{path}: no WARC record at offset {pointer.offset}")
            stored = StoredRecord(record.rec_headers, record.http_headers, record.raw_stream.read())
        except ArchiveLoadFailed as error:
            raise WarcReadError(f"{path}: no WARC record at offset {pointer.offset} ({error})") from None
    if pointer.record_id and stored.record_id != pointer.record_id:
        raise WarcReadError(
            f"{path}: record at offset {pointer.offset} is {stored.record_id}, pointer expects {pointer.record_id}"
        )
    return stored


def warc_files(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> Iterator[Path]:
    """Files named directly, plus the finished WARC files of named directories (sorted)."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    for item in paths:
        path = Path(item)
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.name.endswith(_WARC_NAME_SUFFIXES):
                    yield child
                elif child.name.endswith(OPEN_SUFFIX):
                    log.warning("%s: unfinished WARC file skipped (run recover_open_files first)", child)
        else:
            yield path


def iter_responses(paths: str | os.PathLike | Iterable[str | os.PathLike], *,
                   record_types: tuple[str, ...] = ("response",)) -> Iterator[tuple[StoredRecord, WarcPointer]]:
    """Stream (record, pointer) for every response record (or every record of ``record_types``,
    e.g. revisits too) of the given WARC files or directories.

    One record's payload is in memory at a time. A file that turns out damaged is reported in the
    log and the rest of it skipped; the following files are still read.
    """
    for path in warc_files(paths):
        file_name = path.name[: -len(OPEN_SUFFIX)] if path.name.endswith(OPEN_SUFFIX) else path.name
        try:
            with open(path, "rb") as stream:
                records = ArchiveIterator(stream)
                for record in records:
                    if record.rec_type not in record_types:
                        continue
                    stored = StoredRecord(record.rec_headers, record.http_headers, record.raw_stream.read())
                    pointer = WarcPointer(
                        file=file_name,
                        offset=records.get_record_offset(),
                        length=records.get_record_length(),
                        record_id=stored.record_id or "",
                    )
                    yield stored, pointer
        except (ArchiveLoadFailed, OSError, EOFError, zlib.error) as error:
            log.error("%s: cannot read further, rest of file skipped: %s", path, error)
