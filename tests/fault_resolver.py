"""A DNS resolver for crawl tests: no real DNS traffic, and lookups that fail on demand.

Use with ``-s TWISTED_DNS_RESOLVER=tests.fault_resolver.FaultResolver``. Names under ``.invalid``
(RFC 2606) and the names listed in the ``FAULT_DNS_FAILING_HOSTS`` setting (comma-separated)
fail as an unknown host does; every other name resolves to 127.0.0.1, where the test mirror is.
"""

from __future__ import annotations

from twisted.internet import defer
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IResolverSimple
from zope.interface import implementer


@implementer(IResolverSimple)
class FaultResolver:
    def __init__(self, reactor, failing_hosts: frozenset[str]):
        self.reactor = reactor
        self.failing_hosts = failing_hosts

    @classmethod
    def from_crawler(cls, crawler, reactor):
        names = crawler.settings.getlist("FAULT_DNS_FAILING_HOSTS")
        return cls(reactor, frozenset(name.strip().lower() for name in names if name.strip()))

    def install_on_reactor(self) -> None:
        self.reactor.installResolver(self)

    def getHostByName(self, name: str, timeout=()) -> defer.Deferred:
        host = name.lower().rstrip(".")
        if host.endswith(".invalid") or host in self.failing_hosts:
            return defer.fail(DNSLookupError(f"no such host: {name} (tests.fault_resolver)"))
        return defer.succeed("127.0.0.1")
