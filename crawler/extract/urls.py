"""URLs of one site: origin rewriting, scope, classification and canonical forms.

Three forms of a URL matter:
- the *crawl URL*: what is fetched; links to the site's configured origin (or its
  aliases) are rewritten to the crawl origin, which differs when crawling a mirror;
- the *identity URL*: the same page on the site's configured origin, tracking
  parameters removed; article ids and ``canonical_url`` use it, so records from a
  mirror or from an old origin name the same article;
- the *canonical key*: the identity URL with repeated and trailing slashes folded and
  the query sorted; two URLs with one key are one page (fetched once, one article).
"""

from __future__ import annotations

import fnmatch
import hashlib
import posixpath
import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

from .siteconfig import SiteConfig

_REPEATED_SLASHES = re.compile(r"/{2,}")
# Every page links the same menus and sidebars, and each link is looked at several times per
# page: the URL forms below are memoised per (site rules, URL). Bounded so a long crawl's
# memory stays flat; the entries are short strings.
_CACHE_SIZE = 4096
# A link whose resolution against a page URL depends only on the page's scheme and host:
# a path from the root, or a URL with a host of its own (tabs and newlines, which urlsplit
# deletes, could turn one form into another: such links are joined with the whole page URL).
_HOST_ONLY_JOIN = re.compile(r"^(?![^\t\r\n]*[\t\r\n])(?:/(?!/)|(?:[A-Za-z][A-Za-z0-9+.\-]*:)?//[^/?#])")
# Characters kept as they are in a normalised path; everything else is percent-encoded.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
# How listings number their pages when the site file names no ``pagination_param``: a path that
# ends in /page/N/ (WordPress and most blog engines), or one of these query parameters
# (``page``, ``paged``, Bitrix ``PAGEN_1``, ...).
_PAGE_PATH = re.compile(r"^(?P<base>.*?/)page/(?P<n>\d{1,6})/?$")
_PAGE_PARAM = re.compile(r"^(?:page|paged|pg|pagenum|page_no|pagen_\d+)$", re.IGNORECASE)


def _origin_of(parts) -> str:
    netloc = parts.hostname or ""
    if ":" in netloc:  # IPv6 literal
        netloc = f"[{netloc}]"
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    if parts.port and parts.port != default_port:
        netloc = f"{netloc}:{parts.port}"
    return f"{parts.scheme}://{netloc}"


def normalize_path(path: str) -> str:
    """Percent-encoding in one form: UTF-8, upper-case hex, unreserved characters decoded."""
    return quote(unquote(path, errors="surrogateescape"), safe=_PATH_SAFE.replace("%", ""), errors="surrogateescape")


_CLEAN_PARAM = re.compile(r"^\s*clean-param\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def parse_clean_params(robots_text: str) -> list[str]:
    """Parameter names of every robots.txt ``Clean-param: p1&p2 [path]`` line (applied site-wide)."""
    names: list[str] = []
    for match in _CLEAN_PARAM.finditer(robots_text):
        names.extend(name for name in match.group(1).split("&") if name and name not in names)
    return names


def article_id_of_key(key: str) -> str:
    """The id of the article at the page with this canonical key (see ``SiteUrls.article_id``)."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]


class SiteUrls:
    """URL logic for one site; ``clean_params`` come from robots.txt Clean-param lines."""

    def __init__(self, site: SiteConfig, clean_params: Iterable[str] = ()):
        self.site = site
        self.clean_params: list[str] = []  # learnt from robots.txt; extraction needs them too
        self.crawl_origin = site.origin
        self.identity_origin = site.site_origin or site.origin
        self._own_origins = {site.origin, self.identity_origin, *site.origin_aliases}
        self._own_origins_key = frozenset(self._own_origins)
        self._ignored_params = list(site.tracking_params)
        self.add_clean_params(clean_params)
        # Without a listing_url_pattern, the start pages are the listings (with their pages).
        self._start_paths = frozenset(
            _folded_path(path) for language in site.languages.values() for path in language.start_urls)
        self._language_prefixes = sorted(
            ((lang.prefix, code) for code, lang in site.languages.items()),
            key=lambda item: len(item[0]),
            reverse=True,
        )

    def add_clean_params(self, params: Iterable[str]) -> None:
        for param in params:
            if param and param not in self.clean_params:
                self.clean_params.append(param)
            if param and param not in self._ignored_params:
                self._ignored_params.append(param)
        self._identity_rules = (self.identity_origin, self._own_origins_key, tuple(self._ignored_params))
        self._follow_keys: dict[tuple, str | None] = {}  # see follow_key

    def is_ignored_param(self, name: str) -> bool:
        return _is_ignored_param(self._identity_rules[2], name)

    # --- origins -------------------------------------------------------------
    def is_own(self, url: str) -> bool:
        return _is_own(self._own_origins_key, url)

    def to_crawl_url(self, url: str, base: str | None = None) -> str | None:
        """Absolute crawl URL of a link, or None when it leaves the site (other host, mailto:, ...)."""
        url = url.strip()
        if base is not None and _HOST_ONLY_JOIN.match(url):
            base = _host_base(base)  # same join, and one cache entry for every page of the host
        return _crawl_url(self.crawl_origin, self._own_origins_key, base, url)

    def identity_url(self, url: str) -> str:
        """The page's URL on the site's own origin, fragment and tracking parameters removed."""
        return _identity_url(self._identity_rules, url)

    def canonical_key(self, url: str) -> str:
        """One key per distinct page: slash variants folded, query sorted."""
        return _canonical_key(self._identity_rules, url)

    def article_id(self, url: str) -> str:
        return article_id_of_key(self.canonical_key(url))

    # --- scope and classification ---------------------------------------------
    def requisite_url(self, url: str, base: str | None = None) -> str | None:
        """Absolute URL of a page requisite (image, stylesheet, script, font) worth archiving, or None.

        In scope: the site itself (rewritten to the crawl origin, as links are) and the hosts the
        site's ``requisite_hosts`` name (image CDNs), kept as they are. Denied paths do not apply:
        they name pages the crawl never visits; robots.txt decides which requisites are fetched.
        """
        own = self.to_crawl_url(url, base)
        if own is not None or not self.site.requisite_hosts:
            return own
        return _requisite_host_url(frozenset(self.site.requisite_hosts), base, url.strip())

    def in_requisite_scope(self, url: str) -> bool:
        """On the crawl origin or on one of the site's requisite hosts (http or https)."""
        try:
            parts = urlsplit(url)
            return parts.scheme in ("http", "https") and (
                _origin_of(parts) == self.crawl_origin or (parts.hostname or "") in self.site.requisite_hosts)
        except ValueError:
            return False

    def language_of(self, url: str) -> str | None:
        path = _REPEATED_SLASHES.sub("/", urlsplit(url).path or "/")
        if not path.endswith("/"):
            path += "/"
        for prefix, code in self._language_prefixes:
            if path.startswith(prefix):
                return code
        return None

    def is_denied(self, url: str) -> bool:
        path = posixpath.normpath(_REPEATED_SLASHES.sub("/", urlsplit(url).path or "/"))
        return any(path == deny.rstrip("/") or path.startswith(deny.rstrip("/") + "/") for deny in self.site.deny_paths)

    def in_scope(self, url: str, languages: Iterable[str] | None = None) -> bool:
        """On the crawl origin, not under a denied path, and in one of ``languages`` when given."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or _origin_of(parts) != self.crawl_origin:
            return False
        if self.is_denied(url):
            return False
        return languages is None or self.language_of(url) in set(languages)

    def _path(self, url: str) -> str:
        return unquote(urlsplit(url).path or "/")

    def is_article(self, url: str) -> bool:
        return _matches_path(self.site.article_url_pattern, url)

    def is_listing(self, url: str) -> bool:
        """A section listing page: its first page or a later one (``?PAGEN_1=N``, ``/page/N/``...).

        Listings are what ``listing_url_pattern`` matches or, when the site file has none, the
        start pages; their pages are numbered by ``pagination_param`` or, without one, by the
        common forms (``/page/N/``, ``?page=N``, ``?paged=N``, ``?PAGEN_1=N``)."""
        path = self._path(url)
        params = {k for k, _ in parse_qsl(urlsplit(url).query) if not self.is_ignored_param(k)}
        if self.site.pagination_param:
            paging = {self.site.pagination_param}
        else:
            paging = {k for k in params if _PAGE_PARAM.match(k)}
            page_path = _PAGE_PATH.match(path)
            if page_path:
                path = page_path.group("base")
        if not params <= paging:
            return False
        pattern = self.site.listing_url_pattern
        if pattern is None:
            return _folded_path(path) in self._start_paths
        return bool(pattern.search(path))

    def page_kind(self, url: str) -> str:
        """"article", "listing" or "other" (sitemaps are known by how they were found, not their URL)."""
        if self.is_article(url):
            return "article"
        return "listing" if self.is_listing(url) else "other"

    def should_follow(self, url: str) -> bool:
        """An article, a listing page, or a page the site's follow_url_patterns name."""
        if self.is_article(url) or self.is_listing(url):
            return True
        parts = urlsplit(url)
        target = unquote(parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return any(pattern.search(target) for pattern in self.site.follow_url_patterns)

    def follow_key(self, url: str, languages: tuple[str, ...] | None = None) -> str | None:
        """Canonical key of a crawl URL worth following (in scope for ``languages`` and
        ``should_follow``), else None. Memoised: every page repeats its menus' links."""
        memo_key = (url, languages)
        try:
            return self._follow_keys[memo_key]
        except KeyError:
            pass
        key = self.canonical_key(url) if self.in_scope(url, languages) and self.should_follow(url) else None
        if len(self._follow_keys) >= _CACHE_SIZE:
            self._follow_keys.clear()
        self._follow_keys[memo_key] = key
        return key

    def page_number(self, url: str) -> int:
        """The number of a listing page (1 for the first), by ``pagination_param`` or the common forms."""
        param = self.site.pagination_param
        for key, value in parse_qsl(urlsplit(url).query):
            if (key == param if param else _PAGE_PARAM.match(key)) and value.isdigit():
                return int(value)
        if not param:
            page_path = _PAGE_PATH.match(self._path(url))
            if page_path:
                return int(page_path.group("n"))
        return 1


# --- memoised URL forms (pure functions of the site's rules and the URL) -------------------


def _folded_path(path: str) -> str:
    """A path compared as a listing: decoded, repeated and trailing slashes folded."""
    return _REPEATED_SLASHES.sub("/", unquote(path or "/")).rstrip("/") or "/"


@lru_cache(maxsize=_CACHE_SIZE)
def _is_own(own_origins: frozenset[str], url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and _origin_of(parts) in own_origins
    except ValueError:  # "http://host:abc/", "http://[::1/": no page of any site
        return False


@lru_cache(maxsize=256)
def _host_base(base: str) -> str:
    """``scheme://host/`` of a page URL: what an absolute or root-relative link is joined with."""
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}/" if parts.scheme in ("http", "https") else base


@lru_cache(maxsize=_CACHE_SIZE)
def _crawl_url(crawl_origin: str, own_origins: frozenset[str], base: str | None, url: str) -> str | None:
    try:
        if base is not None:
            url = urljoin(base, url)
        parts = urlsplit(url)
    except ValueError:  # a malformed link ("http://[::1/") leads nowhere; the page's other links stand
        return None
    if parts.scheme not in ("http", "https") or not _is_own(own_origins, url):
        return None
    return urlunsplit((*urlsplit(crawl_origin)[:2], parts.path or "/", parts.query, ""))


@lru_cache(maxsize=_CACHE_SIZE)
def _requisite_host_url(hosts: frozenset[str], base: str | None, url: str) -> str | None:
    try:
        parts = urlsplit(urljoin(base, url) if base is not None else url)
        if parts.scheme not in ("http", "https") or (parts.hostname or "") not in hosts:
            return None
    except ValueError:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


@lru_cache(maxsize=_CACHE_SIZE)
def _identity_url(rules: tuple[str, frozenset[str], tuple[str, ...]], url: str) -> str:
    identity_origin, own_origins, ignored = rules
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_ignored_param(ignored, k)]
    origin = identity_origin if _is_own(own_origins, url) else _origin_of(parts)
    scheme, netloc = urlsplit(origin)[:2]
    return urlunsplit((scheme, netloc, normalize_path(parts.path or "/"), urlencode(query, quote_via=quote), ""))


@lru_cache(maxsize=_CACHE_SIZE)
def _canonical_key(rules: tuple[str, frozenset[str], tuple[str, ...]], url: str) -> str:
    parts = urlsplit(_identity_url(rules, url))
    path = _REPEATED_SLASHES.sub("/", parts.path)
    if len(path) > 1:
        path = path.rstrip("/")
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)), quote_via=quote)
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


@lru_cache(maxsize=4096)
def _is_ignored_param(patterns: tuple[str, ...], name: str) -> bool:
    return any(fnmatch.fnmatchcase(name.lower(), pattern.lower()) for pattern in patterns)


@lru_cache(maxsize=_CACHE_SIZE)
def _matches_path(pattern: re.Pattern[str], url: str) -> bool:
    return bool(pattern.search(unquote(urlsplit(url).path or "/")))
