"""One article page (bytes + URL + headers + site config) -> an ``Article``, and its JSON record.

Called by the crawler on every fetched page and, later, by offline re-extraction from WARC
files, so it is a pure function of its inputs: no Scrapy, no network, no global state beyond
caches. It never raises on bad input: a page it cannot read is logged and skipped (None).

Order of work (the page is parsed once):
  decode -> parse -> canonical URL and id -> title (site selectors, then og:title / <h1> /
  <title>) -> published date (``dates.find_published`` after the title) -> author, categories,
  tags -> a pruned copy of the tree (``PageCleaner``) -> body (site selectors, else
  trafilatura, else the densest text block) -> line rules -> attribution line -> language.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from .boilerplate import (
    ERROR_TITLE,
    LineRules,
    PageCleaner,
    block_lines,
    class_words,
    element_text,
    remove,
    tag_name,
    text_key,
)
from .body import MIN_BODY_CHARS, find_body_lines, select_all, select_first, take_attribution
from .dates import find_published, json_ld_documents, parse_date
from .decode import decode_html, normalize_text
from .language import declared_language, detect_language, load_language_profiles
from .links import hreflang_alternates, page_links
from .requisites import html_requisites
from .siteconfig import SiteConfig
from .sources import SourceMatcher
from .record import Article, PageReading
from .urls import SiteUrls

log = logging.getLogger(__name__)

# Pages larger than this are cut before parsing (bounded work); no article is this long.
MAX_HTML_CHARS = 4_000_000
MAX_TITLE_CHARS = 500
MAX_META_VALUE_CHARS = 200

_MARK_TITLE = "data-rusislam-title"
_MARK_METADATA = "data-rusislam-metadata"
# File signatures of things that are not HTML even when served as text/html.
_BINARY_SIGNATURES = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b",
                      b"Rar!", b"7z\xbc\xaf", b"ID3", b"OggS", b"RIFF", b"\x00\x00\x01\x00")
_ARTICLE_TYPES = {"article", "newsarticle", "reportagenewsarticle", "blogposting", "analysisnewsarticle"}
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")  # lxml refuses it in a str
_LABEL_PREFIX = re.compile(r"^\s*[^\s:：]{1,20}(?:\s[^\s:：]{1,20})?\s*[:：]\s*")
_LIST_SPLIT = re.compile(r"\s*[,;،#|]\s*")
# A byline's own words before the name: "By Jane Doe", "بقلم سارة", "Автор: Иван Петров".
_BYLINE_PREFIX = re.compile(
    r"^\s*(?:(?:written|posted|reported|story|text)\s+by|by|بقلم|كتب|كتبت|إعداد|اعداد|"
    r"автор(?:ы)?|текст|записал[аи]?)(?:\s*[:：-]\s*|\s+)(?=\S)", re.IGNORECASE)
# Ancestors that make an author/tags block belong to some other article (sidebars, teasers).
_OUTSIDE_ARTICLE_TAGS = {"nav", "aside", "footer"}
_OUTSIDE_ARTICLE_WORDS = {"sidebar", "aside", "related", "menu", "nav", "footer", "teaser", "teasers"}


_CONTROL_BYTES = bytes(byte for byte in range(32) if byte not in b"\t\n\r\f")
_BINARY_SNIFF_BYTES = 2048


def looks_binary(raw: bytes) -> bool:
    """A file format's signature, or control bytes making up over a tenth of the first 2 KB.

    A NUL byte or two in a page (a CMS bug, a pasted character) does not make it binary: the
    page is read, its NULs removed. UTF-16 without a BOM (NUL every other byte) reads as binary.
    """
    if raw.lstrip()[:8].startswith(_BINARY_SIGNATURES):
        return True
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    head = raw[:_BINARY_SNIFF_BYTES]
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls * 10 > len(head)


def extract_article(body: bytes, url: str, headers: Any, site: SiteConfig, *,
                    use_selectors: bool = True, clean_params: Iterable[str] = ()) -> Article | None:
    """The article on a page, or None when the page is not an article (listing, home, about or
    error page, empty or binary body). Never raises: failures are logged with the URL.

    ``clean_params`` are the site's robots.txt Clean-param names: like tracking parameters they
    never make another page, so they never make another article id."""
    try:
        page = _ArticlePage(body, url, headers, site, use_selectors, clean_params)
    except Exception:  # a bad argument must not stop a crawl either
        log.warning("extraction failed for %s", url, exc_info=True)
        return None
    return page.extract(page.parse())


def warm_up(site: SiteConfig) -> None:
    """Pay extraction's first-use costs now (imports, parser set-up, langdetect's profiles): worker
    processes call it before their first page, and a parent before forking its workers."""
    read_page(b"<html><body><h1>warm-up</h1><p>warm-up</p></body></html>", site.origin + "/", [], site)
    load_language_profiles()


def read_page(body: bytes, url: str, headers: Any, site: SiteConfig, *, languages: Iterable[str] | None = None,
              clean_params: Iterable[str] = (), extract: bool = True) -> PageReading:
    """The links of a page and, when ``extract``, its article. Never raises: a page that cannot
    be parsed reads as nothing, and a failure in one part leaves the other."""
    try:
        page = _ArticlePage(body, url, headers, site, True, clean_params)
    except Exception:  # a bad argument must not stop a crawl either
        log.warning("reading failed for %s", url, exc_info=True)
        return PageReading()
    root = page.parse()
    if root is None:
        return PageReading()
    try:
        links, canonical = page_links(root, url, page.urls, languages)
    except Exception:  # links are found again when the page is fetched again; the article must not be lost
        log.warning("reading links failed for %s", url, exc_info=True)
        links, canonical = (), None
    try:
        requisites = html_requisites(root, url, page.urls)
    except Exception:  # the page stays archived and its article read; its requisites wait for its next fetch
        log.warning("reading requisites failed for %s", url, exc_info=True)
        requisites = []
    return PageReading(tuple(links), canonical, page.extract(root) if extract else None, tuple(requisites))


# --- the page ------------------------------------------------------------------------------


class _ArticlePage:
    """One extraction run over one page; holds the parsed tree so it is parsed once."""

    def __init__(self, body: bytes, url: str, headers: Any, site: SiteConfig, use_selectors: bool,
                 clean_params: Iterable[str]):
        self.raw = body
        self.url = url
        self.headers = headers
        self.site = site
        self.selectors = site.extract.selectors if use_selectors else {}
        self.urls = _site_urls(site, tuple(clean_params))
        self._classed: tuple | None = None  # see _classed_elements

    def extract(self, root) -> Article | None:
        """The article of the parsed page (None: not an article). Never raises (see extract_article)."""
        if root is None:
            return None
        try:
            return self._extract(root)
        except Exception:  # one bad page must never stop a crawl or a re-extraction run
            log.warning("extraction failed for %s", self.url, exc_info=True)
            return None

    def _extract(self, root) -> Article | None:
        canonical = self._canonical_url(root)
        if canonical is None:
            log.debug("not an article page: %s", self.url)
            return None
        canonical_url = self.urls.identity_url(canonical)

        language_declared = declared_language(root, self.url, self.site)
        hint = language_declared or self.urls.language_of(self.url)

        title, title_element = self._title(root)
        if not title or ERROR_TITLE.search(text_key(title)):
            log.info("no article title on %s", self.url)
            return None
        if title_element is not None:
            title_element.set(_MARK_TITLE, "")
        published = find_published(root, self.url, hint, site=self.site, after=title_element)

        author, _ = self._author(root, title_element)
        tags = self._tags(root, title_element)
        categories = self._categories(root, title_element)

        # Title, date and metadata are read: from here on the tree is only pruned, so it is
        # pruned in place (no copy of the page).
        cleaned = root
        for marked in cleaned.xpath(f"//*[@{_MARK_METADATA}]"):
            remove(marked)
        cleaned_title = next(iter(cleaned.xpath(f"//*[@{_MARK_TITLE}]")), None)
        main_block = PageCleaner(self.urls, self.url, self.urls.canonical_key(canonical),
                                 (lang.prefix for lang in self.site.languages.values())
                                 ).clean(cleaned, cleaned_title)

        rules = LineRules(
            title=title,
            date_raw=published.raw if published else None,
            site_texts=(self.site.title, *self.site.extract.boilerplate_texts,
                        *([author] if author else [])),
            date_parser=lambda line: parse_date(line, hint),
        )
        content_root = _body_element(cleaned)
        lines = find_body_lines(content_root, url=self.url, selectors=self.selectors.get("body", ()),
                                rules=rules, main_block=main_block, title_element=cleaned_title)
        matcher = _source_matcher(self.site)
        lines, source = take_attribution(lines, lambda: block_lines(content_root),
                                         lambda line: matcher.parse_attribution(line, hint), rules)
        lines, agency = matcher.take_agency_marks(lines)
        source = source or agency
        text = "\n".join(lines)
        if len(text) < MIN_BODY_CHARS:
            log.info("too little body text (%d chars) on %s", len(text), self.url)
            return None

        return Article(
            url=self.url,
            canonical_url=canonical_url,
            id=self.urls.article_id(canonical_url),
            site=self.site.name,
            language=detect_language(text) or detect_language(title),
            language_declared=language_declared,
            title=title,
            published=published.iso if published else None,
            published_raw=normalize_text(published.raw) if published and published.raw else None,
            body=text,
            source=source,
            author=author,
            categories=categories,
            tags=tags,
            content_sha1=hashlib.sha1(text.encode("utf-8")).hexdigest(),
            translations=self._translations(root, canonical_url),
        )

    # --- parsing and page kind -------------------------------------------------------------
    def parse(self):
        """The page's tree, or None when it is no HTML page. Never raises."""
        try:
            return self._parse()
        except Exception:  # decoding and parsing hostile bytes must not stop a crawl
            log.warning("parsing failed for %s", self.url, exc_info=True)
            return None

    def _parse(self):
        if not self.raw:
            log.info("empty body: %s", self.url)
            return None
        raw = bytes(self.raw)
        if looks_binary(raw):
            log.info("binary body, not HTML: %s", self.url)
            return None
        text, _encoding = decode_html(raw, self.headers)
        text = _XML_DECLARATION.sub("", text[:MAX_HTML_CHARS].replace("\x00", ""), count=1)
        if not text.strip():
            return None
        try:
            root = lxml.html.document_fromstring(text, parser=_html_parser())
        except (etree.ParserError, ValueError) as exc:
            log.info("unparsable HTML on %s: %s", self.url, exc)
            return None
        return root if root is not None and len(root) else None

    def _canonical_url(self, root) -> str | None:
        """The URL that names the page: rel=canonical when it is on the site (and an article
        URL whenever the page's own URL is one, so a template pointing every page at the home
        page cannot merge articles); None when the page is not an article."""
        declared = None
        for link in root.iter("link"):
            rel = (link.get("rel") or "").lower().split()
            if "canonical" in rel and link.get("href"):
                try:
                    declared = urljoin(self.url, link.get("href").strip())
                except ValueError:  # a malformed canonical names no page: the page's own URL stands
                    pass
                break
        own_article = self.urls.is_article(self.url)
        if declared and self.urls.is_own(declared):
            if self.urls.is_article(declared):
                return declared
            if not own_article:
                return declared if _has_article_metadata(root) else None
        if own_article:
            return self.url
        return self.url if _has_article_metadata(root) else None

    def _translations(self, root, canonical_url: str) -> tuple[tuple[str, str], ...]:
        """The page's hreflang alternates on the site, in the site's languages, other than itself:
        (language, identity URL), one per language, sorted."""
        found: dict[str, str] = {}
        own_key = self.urls.canonical_key(canonical_url)
        for language, url in hreflang_alternates(root, self.url):
            if language in self.site.languages and self.urls.is_own(url) and language not in found:
                identity = self.urls.identity_url(url)
                if self.urls.canonical_key(identity) != own_key:
                    found[language] = identity
        return tuple(sorted(found.items()))

    # --- title -----------------------------------------------------------------------------
    def _site_keys(self) -> list[str]:
        return [k for k in (text_key(t) for t in (self.site.title, *self.site.extract.boilerplate_texts)) if k]

    def _title(self, root) -> tuple[str, Any]:
        """Site title selectors, else the visible heading that agrees with og:title or <title>
        (minus the site name), else the first real <h1>, else og:title / <title>."""
        element = select_first(root, self.selectors.get("title", ()), accept=element_text)
        if element is not None:
            return element_text(element)[:MAX_TITLE_CHARS], element
        site_keys = self._site_keys() + _page_site_names(root, self.url)
        og_title = normalize_text(_meta(root, "og:title") or "")
        document_title = self._strip_site_name(normalize_text(root.findtext(".//title") or ""), site_keys)
        og_title = self._strip_site_name(og_title, site_keys)
        references = [text_key(t) for t in (og_title, document_title) if t]
        headings = [h for h in root.iter("h1") if self._is_page_heading(h, site_keys)]
        for level in (headings, [h for h in root.iter("h2", "h3") if self._is_page_heading(h, site_keys)]):
            for heading in level:
                if any(_same_title(text_key(element_text(heading)), ref) for ref in references):
                    return element_text(heading)[:MAX_TITLE_CHARS], heading
        if headings:
            return element_text(headings[0])[:MAX_TITLE_CHARS], headings[0]
        title = (og_title or document_title)[:MAX_TITLE_CHARS]
        shown = self._element_showing(root, title) if title else None
        for part in ([] if shown is not None else _title_parts(document_title or og_title)):
            shown = self._element_showing(root, part)  # "Headline :: Site": the side the page prints
            if shown is not None:
                break
        # The page's own characters (its quotes, apostrophes and dashes), not the metadata's.
        return (element_text(shown)[:MAX_TITLE_CHARS] if shown is not None else title), shown

    @staticmethod
    def _is_page_heading(heading, site_keys: list[str]) -> bool:
        key = text_key(element_text(heading))
        if not key or key in site_keys:
            return False
        node = heading
        while node is not None:
            if tag_name(node) in _OUTSIDE_ARTICLE_TAGS or "logo" in class_words(node):
                return False
            node = node.getparent()
        return True

    @staticmethod
    def _strip_site_name(title: str, site_keys: list[str]) -> str:
        """"Title | Site name" or "Site name - Title" -> "Title". The site's names come from its
        config (title, boilerplate texts) and from the page (``_page_site_names``); the longest
        name found at either end is removed, since site names themselves contain separators
        ("Россия – Исламский мир"). A short end that starts with a name is one too ("CNN
        Politics", "МК Рязань")."""
        best, best_len = title, 0
        for match in _TITLE_SEPARATOR.finditer(title):
            before, after = title[:match.start()], title[match.end():]
            for part, rest in ((after, before), (before, after)):
                key = text_key(part)
                if not rest.strip() or not key or len(key) <= best_len:
                    continue
                if any(_names_site(key, s) for s in site_keys):
                    best, best_len = rest.strip(), len(key)
        return best

    @staticmethod
    def _element_showing(root, title: str):
        """The smallest element of the page body whose whole text is ``title`` (a title printed
        in a table cell or in bold, without a heading tag)."""
        key = text_key(title)
        keys: dict[str, str | None] = {}  # nested wrappers share one text: its key is computed once
        found = None
        for element in _body_element(root).iter():
            if isinstance(element.tag, str) and tag_name(element) not in ("a", "html", "body") and \
                    _memo_key(keys, element_text(element), len(key)) == key:
                found = element  # document order: later matches are descendants, i.e. smaller
            elif found is not None and not _is_descendant(element, found):
                break
        return found

    # --- author, tags, categories ----------------------------------------------------------
    def _author(self, root, title_element) -> tuple[str | None, Any]:
        element = select_first(root, self.selectors.get("author", ()), accept=element_text)
        if element is None:
            for candidate in self._article_blocks(root, title_element, {"author", "byline"}):
                if 0 < len(element_text(candidate)) <= MAX_META_VALUE_CHARS:
                    element = candidate
                    break
        if element is not None:
            element.set(_MARK_METADATA, "")
            value = _LABEL_PREFIX.sub("", element_text(element)) or element_text(element)
            return self._clean_value(_BYLINE_PREFIX.sub("", value) or value), element
        for name in ("author", "article:author", "dc.creator", "byl"):
            value = _meta(root, name)
            if value and not re.match(r"https?://", value):
                return self._clean_value(_BYLINE_PREFIX.sub("", value) or value), None
        for element in root.xpath('//*[@itemprop="author"] | //a[contains(concat(" ", @rel, " "), " author ")]'):
            value = element.get("content") or element_text(element)
            if value:
                return self._clean_value(value), None
        return None, None

    def _clean_value(self, value: str) -> str | None:
        value = normalize_text(value)[:MAX_META_VALUE_CHARS]
        return value if value and text_key(value) not in self._site_keys() else None

    def _tags(self, root, title_element) -> list[str]:
        values: list[str] = []
        for selector in self.selectors.get("tags", ()):
            for element in select_all(root, selector):
                values += _listed_values(element)
        if not values:
            values = [v for m in _metas(root, "article:tag") for v in _LIST_SPLIT.split(m)]
        if not values:
            values = [element_text(a) for a in root.xpath('//a[contains(concat(" ", @rel, " "), " tag ")]')]
        if not values:
            for element in self._article_blocks(root, title_element, {"tags", "tag", "keywords"}):
                values = _listed_values(element)
                if values:
                    break
        return _unique(values)

    def _categories(self, root, title_element) -> list[str]:
        values: list[str] = []
        for selector in self.selectors.get("categories", ()):
            for element in select_all(root, selector):
                values += _listed_values(element)
        if not values:
            values = list(_metas(root, "article:section"))
        if not values:
            values = [element_text(a) for a in root.xpath('//a[contains(concat(" ", @rel, " "), " category ")]')]
        if not values:
            for element in self._article_blocks(root, title_element, {"category", "categories", "rubric"}):
                values = _listed_values(element)
                if values:
                    break
        return _unique(values)

    def _article_blocks(self, root, title_element, words: set[str]) -> Iterable:
        """Elements whose class/id has one of ``words``, after the title (when there is one)
        and outside sidebars, navigation and footers: blocks of this article, not of others."""
        for element, element_words in self._classed_elements(root, title_element):
            if element_words & words and not _inside_furniture(element):
                yield element

    def _classed_elements(self, root, title_element) -> list[tuple[Any, frozenset[str]]]:
        """(element, class words) of the elements after the title with a class or id, in
        document order: walked once for author, tags and categories (the tree is not changed
        between them)."""
        key = (id(root), id(title_element))
        if self._classed is None or self._classed[0] != key:
            started = title_element is None
            found = []
            for element in _body_element(root).iter():
                if element is title_element:
                    started = True
                    continue
                if started and isinstance(element.tag, str):
                    element_words = class_words(element)
                    if element_words:
                        found.append((element, element_words))
            self._classed = (key, found, root, title_element)  # the objects keep their ids
        return self._classed[1]


# --- helpers -------------------------------------------------------------------------------

_PARSER = None


def _html_parser():
    global _PARSER
    if _PARSER is None:
        # huge_tree: libxml2 otherwise stops at 256 levels of nesting and drops the rest of the
        # page, and old pages nest that deep with inline tags never closed (a <font> per
        # paragraph). Its limit is then 2,048 levels; the size of what is parsed is bounded by
        # EXTRACT_MAXSIZE and MAX_HTML_CHARS, and our walks of the tree are iterative.
        parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True,
                                      default_doctype=False, huge_tree=True)
        parser.set_element_class_lookup(_html_class_lookup())
        _PARSER = parser
    return _PARSER


def _html_class_lookup():
    """lxml.html's element classes (HtmlElement; FormElement, InputElement... by tag name)
    chosen in C: lxml.html's own lookup is a Python method run for every element object
    lxml creates, hundreds of thousands per page walk."""
    fallback = etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity)
    lookup = etree.ElementNamespaceClassLookup(fallback)
    lookup.get_namespace(None).update(lxml.html.HtmlElementClassLookup._default_element_classes)
    return lookup


_BUILT: dict[tuple, tuple[tuple, Any]] = {}


def _built_once(kind: str, sources: tuple, extra: tuple, build: Callable[[], Any]) -> Any:
    """``build()`` once per ``kind`` and set of config objects (compared by identity: configs
    derived from one another with ``with_origin`` or ``without_selectors`` share their parts,
    and are not hashable) and hashable ``extra``; a handful are kept."""
    key = (kind, *map(id, sources), *extra)
    cached = _BUILT.get(key)
    if cached is None or any(a is not b for a, b in zip(cached[0], sources)):
        if len(_BUILT) > 32:
            _BUILT.clear()
        cached = _BUILT[key] = (sources, build())
    return cached[1]


def _source_matcher(site: SiteConfig) -> SourceMatcher:
    """One matcher per source table: building one costs milliseconds."""
    return _built_once("sources", (site.source_aliases, site.extract.source_labels), (),
                       lambda: SourceMatcher.from_site(site))


def _site_urls(site: SiteConfig, clean_params: tuple[str, ...]) -> SiteUrls:
    """One ``SiteUrls`` per site and Clean-param set: its memos then serve every page."""
    return _built_once("urls", (site,), clean_params, lambda: SiteUrls(site, clean_params))


def _body_element(root):
    body = root.find("body")
    return body if body is not None else root


_TITLE_SEPARATOR = re.compile(r"\s+[|–—:·»-]\s+|\s*\|\s*|\s+::\s+")
TITLE_PARTS = 4
MIN_TITLE_PART_CHARS = 10


def _title_parts(title: str) -> list[str]:
    """The sides of a ``<title>``'s separators, longest first: one of them may be the headline
    the page prints when the rest is the site's name (not known from its config)."""
    parts = set()
    for match in _TITLE_SEPARATOR.finditer(title):
        parts.update(p.strip() for p in (title[:match.start()], title[match.end():]))
    return sorted((p for p in parts if len(text_key(p)) >= MIN_TITLE_PART_CHARS), key=len, reverse=True)[:TITLE_PARTS]


# Metadata naming the site (not the article): og:site_name, application-name, twitter:site.
_SITE_NAME_METAS = ("og:site_name", "application-name", "twitter:site", "al:ios:app_name")
# Parts of a host name that name no site.
_HOST_NOISE = {"www", "m", "mobile", "amp", "news", "com", "net", "org", "co", "gov", "edu", "info"}
SITE_NAME_MAX_WORDS = 3


def _page_site_names(root, url: str) -> list[str]:
    """Names of the site a page gives itself (metadata) and its host's labels ("cnn", "mk"),
    as ``text_key``s: what a title's end may carry when the site's YAML names no site."""
    names = [text_key(value.lstrip("@")) for name in _SITE_NAME_METAS for value in _metas(root, name)]
    host = (urlsplit(url).hostname or "").lower()
    labels = [label for label in host.split(".")[:-1] if label not in _HOST_NOISE and len(label) >= 2]
    return [name for name in dict.fromkeys(names + labels) if name]


def _names_site(key: str, site_key: str) -> bool:
    """Is a title's end ``key`` the site's name ``site_key``: the same, a long part of it, the
    host's label written as words ("the-district" / "The District"), or a short end starting
    with it ("cnn politics")?"""
    if key == site_key or (len(key) >= 6 and key in site_key):
        return True
    words = key.split(" ")
    if len(words) > SITE_NAME_MAX_WORDS:
        return False
    squashed = re.sub(r"[\W_]+", "", key)
    if squashed and squashed == re.sub(r"[\W_]+", "", site_key):
        return True
    return len(words) > 1 and words[0] == site_key


def _metas(root, name: str) -> Iterable[str]:
    for meta in root.iter("meta"):
        key = (meta.get("property") or meta.get("name") or "").strip().lower()
        if key == name and meta.get("content"):
            yield normalize_text(meta.get("content"))


def _meta(root, name: str) -> str | None:
    return next(iter(_metas(root, name)), None)


def _has_article_metadata(root) -> bool:
    """The page says it is an article: og:type, article:published_time, schema.org type."""
    if (_meta(root, "og:type") or "").lower() == "article" or _meta(root, "article:published_time"):
        return True
    if root.xpath('//*[@itemtype][contains(translate(@itemtype, "NA", "na"), "newsarticle")]'):
        return True
    for data in json_ld_documents(root):
        for item in data if isinstance(data, list) else [data]:
            kind = item.get("@type") if isinstance(item, dict) else None
            kinds = kind if isinstance(kind, list) else [kind]
            if any(str(k).lower() in _ARTICLE_TYPES for k in kinds):
                return True
    return False


def _inside_furniture(element) -> bool:
    node = element.getparent()
    while node is not None:
        if tag_name(node) in _OUTSIDE_ARTICLE_TAGS or class_words(node) & _OUTSIDE_ARTICLE_WORDS:
            return True
        node = node.getparent()
    return False


def _listed_values(element) -> list[str]:
    """Tag-like values of a block: its link texts, else its text split at commas."""
    links = [element_text(a) for a in element.iter("a")]
    links = [v for v in links if v]
    if links:
        return links
    text = _LABEL_PREFIX.sub("", element_text(element))
    return [v for v in _LIST_SPLIT.split(text) if v]


def _unique(values: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        value = normalize_text(value).lstrip("#").strip()
        if value and len(value) <= MAX_META_VALUE_CHARS and value.casefold() not in seen:
            seen[value.casefold()] = value
    return list(seen.values())


# Every character text_key() may drop (quotes, dashes, edge punctuation, the spaces left by
# normalize_text): any other character of a normalised text gives at least one character of
# its key (checked over every code point, case folding included).
_KEY_DROPPABLE = "\"'«»“”„‟‘’‚‛`´″-‐‑‒–—―.,:;!?|·•* "


def _memo_key(keys: dict[str, str | None], text: str, longest: int) -> str | None:
    """text_key(text) of an element_text, or None when that key is provably longer than
    ``longest`` (a container of the whole page, tested against a title)."""
    if text in keys:
        return keys[text]
    key = None
    if len(text) <= longest or not unicodedata.is_normalized("NFC", text) or \
            len(text) - sum(text.count(ch) for ch in _KEY_DROPPABLE) <= longest:
        key = text_key(text)
    keys[text] = key
    return key


def _is_descendant(element, ancestor) -> bool:
    node = element.getparent()
    while node is not None:
        if node is ancestor:
            return True
        node = node.getparent()
    return False


def _same_title(a: str, b: str) -> bool:
    if not a or not b:
        return False
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    return len(shorter) >= 10 and shorter in longer and len(shorter) >= 0.5 * len(longer)
