"""Site configuration: one YAML file per site, shipped in the package as ``crawler/config/sites/``.

Loaded with ``yaml.safe_load`` and validated before any request is sent, so a bad
file stops the crawl at start with the file, the key and what is wrong. The packaged files are
read through ``importlib.resources``, so an installed wheel works from any directory; a user's
own site file is given by path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import yaml

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

# Package data (pyproject: tool.setuptools.package-data); plain data files, not Python modules.
CONFIG_DIR: Traversable = resources.files("crawler") / "config"
SITES_DIR: Traversable = CONFIG_DIR / "sites"
DEFAULT_SOURCES_FILE: Traversable = CONFIG_DIR / "sources.yaml"


class ConfigError(ValueError):
    """A configuration file is missing, unreadable or invalid (message: file: key: problem)."""

    def __init__(self, file: str | Path, key: str, problem: str):
        self.file, self.key, self.problem = str(file), key, problem
        super().__init__(f"{file}: {key}: {problem}" if key else f"{file}: {problem}")


@dataclass(frozen=True)
class Language:
    code: str
    prefix: str
    start_urls: tuple[str, ...]
    feeds: tuple[str, ...] = ()  # RSS/Atom feed paths; feeds the start pages announce are found too


@dataclass(frozen=True)
class Politeness:
    download_delay: float = 1.0
    concurrent_requests_per_domain: int = 2
    autothrottle: bool = True
    autothrottle_target_concurrency: float = 1.0
    download_timeout: float = 60.0
    retry_times: int = 3
    user_agent: str = "rusislam-archive/0.1"


@dataclass(frozen=True)
class WarcInfo:
    prefix: str
    operator: str = ""
    robots_policy: str = "obey"
    description: str = ""


@dataclass(frozen=True)
class RevisitRules:
    """The ``revisit:`` block: a known page is checked again once the time since its last check
    reaches ``ratio`` x its age, never sooner than ``min_interval_hours``, at least every
    ``max_interval_days`` (the policy itself: ``archive.revisit.RevisitPolicy``)."""

    # Measured by bench/revisits.py (docs/benchmarks.md): 0.5 x age, 12 h to 30 days archives
    # ~93% of edits for under a fifth of the requests of a daily revisit of everything.
    ratio: float = 0.5
    min_interval_hours: float = 12.0
    max_interval_days: float = 30.0


@dataclass(frozen=True)
class ExtractRules:
    selectors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source_labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    boilerplate_texts: tuple[str, ...] = ()


@dataclass(frozen=True)
class SiteConfig:
    path: str
    name: str
    title: str
    origin: str
    origin_aliases: tuple[str, ...]
    languages: dict[str, Language]
    article_url_pattern: re.Pattern[str]
    listing_url_pattern: re.Pattern[str] | None
    pagination_param: str | None
    follow_url_patterns: tuple[re.Pattern[str], ...]
    sitemaps: tuple[str, ...]
    deny_paths: tuple[str, ...]
    tracking_params: tuple[str, ...]
    politeness: Politeness
    warc: WarcInfo
    extract: ExtractRules
    revisit: RevisitRules
    # Canonical source name -> names it goes by (from crawler/config/sources.yaml).
    source_aliases: dict[str, tuple[str, ...]]
    # The origin the configuration names; differs from `origin` when crawling a mirror.
    site_origin: str = ""
    # Query parameters that make an article page another article; any other is folded away
    # (`?sort=2` on an article is the same article).
    article_params: tuple[str, ...] = ()
    # Other hosts whose page requisites (images, stylesheets, fonts) are archived: image CDNs.
    requisite_hosts: tuple[str, ...] = ()

    def with_origin(self, base_url: str) -> SiteConfig:
        """The same site served from another origin (a mirror or a test server)."""
        new_origin = _origin(base_url, self.path, "base_url")
        aliases = tuple(dict.fromkeys((*self.origin_aliases, self.origin)))
        return replace(self, origin=new_origin, origin_aliases=aliases)

    def without_selectors(self) -> SiteConfig:
        """The site with its CSS selectors switched off: generic extraction only."""
        return replace(self, extract=replace(self.extract, selectors={}))


_TOP_KEYS = {
    "name", "title", "origin", "origin_aliases", "languages", "article_url_pattern", "article_params",
    "listing_url_pattern", "pagination_param", "follow_url_patterns", "sitemaps", "deny_paths", "tracking_params",
    "politeness", "warc", "extract", "sources_file", "requisite_hosts", "revisit",
}
_SELECTOR_KINDS = {"title", "date", "body", "author", "categories", "tags"}


def site_config_path(name_or_path: str | Path) -> Path | Traversable:
    """A site name ("rusislam") is the packaged ``config/sites/NAME.yaml``; anything else is a path."""
    text = str(name_or_path)
    if re.fullmatch(r"[A-Za-z0-9_-]+", text):
        return SITES_DIR / f"{text}.yaml"
    return Path(text)


def load_site_config(name_or_path: str | Path) -> SiteConfig:
    path = site_config_path(name_or_path)
    data = _read_yaml(path)
    return _SiteParser(path, data).parse()


def load_source_aliases(path: str | Path | Traversable = DEFAULT_SOURCES_FILE) -> dict[str, tuple[str, ...]]:
    data = _read_yaml(Path(path) if isinstance(path, str) else path)
    aliases: dict[str, tuple[str, ...]] = {}
    for name, names in data.items():
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(path, repr(name), "a source name must be a non-empty string")
        if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
            raise ConfigError(path, name, "must be a list of non-empty strings (the source's names)")
        aliases[name] = tuple(dict.fromkeys([name, *names]))
    return aliases


def _read_yaml(path: Path | Traversable) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, "", f"cannot read: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(path, "", f"invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(path, "", "must be a mapping of keys to values")
    return data


def _name_from_file(path: Path) -> str:
    """A site file without ``name`` is named after the file: ``gulf_wire.yaml`` -> ``gulf_wire``."""
    return re.sub(r"[^a-z0-9_-]+", "-", path.stem.lower()).strip("-") or "site"


def _origin(url: Any, file: Path | str, key: str) -> str:
    if not isinstance(url, str):
        raise ConfigError(file, key, "must be a URL string such as https://example.org")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(file, key, f"{url!r} is not an http(s) origin such as https://example.org")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(file, key, f"{url!r} must be an origin only (scheme, host, port), no path")
    return f"{parts.scheme}://{parts.netloc.lower()}"


class _SiteParser:
    """Validates the raw YAML mapping key by key, naming the key in every error."""

    def __init__(self, path: Path | Traversable, data: dict[str, Any]):
        self.path, self.data = path, data

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(self.path, key, problem)

    def parse(self) -> SiteConfig:
        unknown = sorted(set(map(str, self.data)) - _TOP_KEYS)
        if unknown:
            raise self.error(unknown[0], f"unknown key (known keys: {', '.join(sorted(_TOP_KEYS))})")
        d = self.data
        origin = _origin(self.required("origin"), self.path, "origin")
        aliases = tuple(
            _origin(a, self.path, f"origin_aliases[{i}]")
            for i, a in enumerate(self.str_list("origin_aliases", []))
        )
        name = d.get("name") or _name_from_file(self.path)
        if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_-]+", name):
            raise self.error("name", "must be a short lowercase identifier such as 'rusislam'")
        sources_file = d.get("sources_file")
        # Relative to the site file: a packaged site's directory has no ``parent`` in Traversable terms.
        site_dir = self.path.parent if isinstance(self.path, Path) else SITES_DIR
        sources_path = (site_dir / sources_file) if sources_file else DEFAULT_SOURCES_FILE
        warc = self.mapping("warc", {})
        return SiteConfig(
            path=str(self.path),
            name=name,
            title=str(d.get("title") or name),
            origin=origin,
            origin_aliases=aliases,
            languages=self.languages(),
            article_url_pattern=self.regex("article_url_pattern", required=True),
            listing_url_pattern=self.regex("listing_url_pattern"),
            pagination_param=self.optional_str("pagination_param"),
            follow_url_patterns=tuple(
                self.regex(f"follow_url_patterns[{i}]", value=v)
                for i, v in enumerate(self.str_list("follow_url_patterns", []))
            ),
            sitemaps=tuple(self.paths("sitemaps")),
            deny_paths=tuple(self.paths("deny_paths")),
            tracking_params=tuple(self.str_list("tracking_params", [])),
            politeness=self.typed("politeness", Politeness),
            warc=WarcInfo(
                prefix=str(warc.get("prefix") or name),
                operator=str(warc.get("operator") or ""),
                robots_policy=str(warc.get("robots_policy") or "obey"),
                description=str(warc.get("description") or ""),
            ),
            extract=self.extract_rules(),
            revisit=self.revisit_rules(),
            source_aliases=load_source_aliases(sources_path),
            site_origin=origin,
            article_params=tuple(self.str_list("article_params", [])),
            requisite_hosts=self.hosts("requisite_hosts"),
        )

    def required(self, key: str) -> Any:
        if self.data.get(key) in (None, ""):
            raise self.error(key, "is required")
        return self.data[key]

    def optional_str(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is not None and not isinstance(value, str):
            raise self.error(key, f"must be a string, not {type(value).__name__}")
        return value

    def mapping(self, key: str, default: dict) -> dict:
        value = self.data.get(key, default)
        if value is None:
            return default
        if not isinstance(value, dict):
            raise self.error(key, f"must be a mapping, not {type(value).__name__}")
        return value

    def str_list(self, key: str, default: list, value: Any = None) -> list[str]:
        value = self.data.get(key, default) if value is None else value
        if value is None:
            return default
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, "must be a list of strings")
        return value

    def paths(self, key: str, value: Any = None) -> list[str]:
        items = self.str_list(key, [], value)
        for i, item in enumerate(items):
            if not item.startswith("/"):
                raise self.error(f"{key}[{i}]", f"{item!r} must be a path starting with '/'")
        return items

    def hosts(self, key: str) -> tuple[str, ...]:
        items = self.str_list(key, [])
        for i, item in enumerate(items):
            if not re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?", item):
                raise self.error(f"{key}[{i}]", f"{item!r} must be a lowercase host name such as cdn.example.org "
                                 "(no scheme, port or path)")
        return tuple(items)

    def regex(self, key: str, required: bool = False, value: Any = None) -> re.Pattern[str] | None:
        if value is None:
            value = self.required(key) if required else self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.error(key, "must be a regular expression string")
        try:
            return re.compile(value)
        except re.error as exc:
            raise self.error(key, f"invalid regular expression: {exc}") from None

    def languages(self) -> dict[str, Language]:
        raw = self.required("languages")
        if not isinstance(raw, dict) or not raw:
            raise self.error("languages", "must map language codes (ru, ar, en) to {prefix, start_urls}")
        languages = {}
        for code, spec in raw.items():
            key = f"languages.{code}"
            if not isinstance(code, str) or not re.fullmatch(r"[a-z]{2,3}", code):
                raise self.error(key, "a language code must be two or three lowercase letters")
            if not isinstance(spec, dict):
                raise self.error(key, "must be a mapping with 'prefix' and 'start_urls'")
            unknown = sorted(set(spec) - {"prefix", "start_urls", "feeds"})
            if unknown:
                raise self.error(f"{key}.{unknown[0]}", "unknown key (known keys: prefix, start_urls, feeds)")
            prefix = spec.get("prefix")
            if not isinstance(prefix, str) or not prefix.startswith("/") or not prefix.endswith("/"):
                raise self.error(f"{key}.prefix", "must be a path that starts and ends with '/'")
            starts = self.paths(f"{key}.start_urls", spec.get("start_urls") or [])
            if not starts:
                raise self.error(f"{key}.start_urls", "must list at least one start page")
            feeds = self.paths(f"{key}.feeds", spec.get("feeds") or [])
            languages[code] = Language(code, prefix, tuple(starts), tuple(feeds))
        return languages

    def typed(self, key: str, cls: type) -> Any:
        """Build a dataclass of simple typed fields from a mapping, checking names and types."""
        raw = self.mapping(key, {})
        defaults = cls()
        values = {}
        for name, value in raw.items():
            if name not in cls.__dataclass_fields__:
                known = ", ".join(cls.__dataclass_fields__)
                raise self.error(f"{key}.{name}", f"unknown key (known keys: {known})")
            expected = type(getattr(defaults, name))
            if expected is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                raise self.error(f"{key}.{name}", f"must be {expected.__name__}, not {type(value).__name__}")
            if expected in (int, float) and value < 0:
                raise self.error(f"{key}.{name}", "must not be negative")
            values[name] = value
        return cls(**values)

    def revisit_rules(self) -> RevisitRules:
        rules = self.typed("revisit", RevisitRules)
        if not rules.ratio < 1:
            raise self.error("revisit.ratio", "must be below 1 (a page's age grows while it waits)")
        if rules.min_interval_hours > rules.max_interval_days * 24:
            raise self.error("revisit.min_interval_hours", "must not exceed max_interval_days")
        return rules

    def extract_rules(self) -> ExtractRules:
        raw = self.mapping("extract", {})
        unknown = sorted(set(raw) - {"selectors", "source_labels", "boilerplate_texts"})
        if unknown:
            raise self.error(f"extract.{unknown[0]}", "unknown key (known keys: selectors, source_labels, boilerplate_texts)")
        selectors = {}
        for kind, sels in (raw.get("selectors") or {}).items():
            key = f"extract.selectors.{kind}"
            if kind not in _SELECTOR_KINDS:
                raise self.error(key, f"unknown selector kind (known: {', '.join(sorted(_SELECTOR_KINDS))})")
            sels = self.str_list(key, [], sels)
            for i, sel in enumerate(sels):
                _check_selector(self, f"{key}[{i}]", sel)
            selectors[kind] = tuple(sels)
        labels = {}
        for lang, words in (raw.get("source_labels") or {}).items():
            labels[lang] = tuple(self.str_list(f"extract.source_labels.{lang}", [], words))
        texts = self.str_list("extract.boilerplate_texts", [], raw.get("boilerplate_texts") or [])
        return ExtractRules(selectors=selectors, source_labels=labels, boilerplate_texts=tuple(texts))


def _check_selector(parser: _SiteParser, key: str, selector: str) -> None:
    """CSS, or XPath when it starts with '/' or '('; compiled now so errors name the key."""
    from lxml import etree
    from lxml.cssselect import CSSSelector, SelectorError

    try:
        if selector.startswith(("/", "(")):
            etree.XPath(selector)
        else:
            CSSSelector(selector)
    except (SelectorError, etree.XPathSyntaxError) as exc:
        raise parser.error(key, f"invalid selector {selector!r}: {exc}") from None
