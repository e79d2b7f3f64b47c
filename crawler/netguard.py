"""Loopback-only mode: a process that may talk to no host but this machine's loopback.

The test suite serves every page from 127.0.0.1 and must never send traffic anywhere else, DNS
included; a library that quietly reaches out (a public suffix list download, a telemetry ping)
would go unnoticed while the tests pass. With ``RUSISLAM_ARCHIVE_LOOPBACK_ONLY=FILE`` in the
environment, every process that imports ``crawler`` (a crawl, ``rusislam-archive``, the extraction
workers) installs an audit hook (PEP 578) that refuses any connection, datagram or name lookup for
an address other than loopback: the call raises ``NetworkGuardError`` before anything is sent, and
a line naming the event and the address is appended to FILE, which the test suite checks after
every test (``tests/conftest.py``). Unset, nothing is installed.
"""

from __future__ import annotations

import ipaddress
import os
import sys

ENVIRONMENT_VARIABLE = "RUSISLAM_ARCHIVE_LOOPBACK_ONLY"

# audit event -> position of the host (or address tuple) among its arguments
_EVENTS = {
    "socket.connect": 1,  # (socket, address); also raised by connect_ex
    "socket.sendto": 1,
    "socket.sendmsg": 1,
    "socket.getaddrinfo": 0,  # (host, port, family, type, protocol)
    "socket.gethostbyname": 0,
    "socket.gethostbyaddr": 0,
    "socket.getnameinfo": 0,  # (sockaddr,)
}
_installed: str | None = None


class NetworkGuardError(RuntimeError):
    """A connection or lookup for a host other than loopback, refused in loopback-only mode."""


def install(log_path: str) -> None:
    """Refuse, from now on, every network access but loopback in this process (once per process)."""
    global _installed
    if _installed is not None:
        return
    _installed = log_path

    def guard(event: str, args: tuple) -> None:
        position = _EVENTS.get(event)
        if position is None or len(args) <= position:
            return
        target = args[position]
        host = target[0] if isinstance(target, tuple) and target else target
        if is_loopback(host):
            return
        message = f"{event} {target!r} refused: loopback only ({ENVIRONMENT_VARIABLE}, pid {os.getpid()})"
        try:
            with open(log_path, "a", encoding="utf-8") as log:
                log.write(message + "\n")
        except OSError:
            pass
        raise NetworkGuardError(message)

    sys.addaudithook(guard)


def install_from_environment() -> None:
    log_path = os.environ.get(ENVIRONMENT_VARIABLE)
    if log_path:
        install(log_path)


def is_loopback(host) -> bool:
    """Whether a host (name, address text, or a socket family's non-IP address) stays on this machine."""
    if host is None:
        return True  # getaddrinfo(None, port): a local address to bind
    if isinstance(host, (bytes, bytearray)):
        host = bytes(host).decode("ascii", "replace")
    if not isinstance(host, str):
        return True  # AF_NETLINK and friends: no network traffic
    name = host.strip().strip("[]").rstrip(".").lower()
    if name in ("", "localhost") or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return "/" in name or "\0" in name  # an AF_UNIX path (or abstract name): this machine
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or address.is_unspecified or (mapped is not None and mapped.is_loopback)
