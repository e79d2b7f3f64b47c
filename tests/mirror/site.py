"""The mirror's site model: articles with their expected values, and the pages rendered from them.

``MirrorSite`` answers ``respond(method, target, base_url)`` with a ``Page`` (status, headers,
body before content-coding); ``server.py`` does the HTTP mechanics (gzip, chunking,
validators and 304s). The site is mutable at runtime (``add_article``, ``edit_article``,
``remove_article``) so incremental-crawl tests can change it between crawls; listings,
sitemaps, sidebars and ETags follow.
"""

from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime
from urllib.parse import parse_qs, quote, unquote, urlsplit

from . import requisites as req
from .chrome import GROUP_NAME, MODERN, SECTION, SWITCHER, TABLE, chrome_strings

REAL_ORIGIN = "https://russia-islworld.ru"
MOSCOW = timezone(timedelta(hours=3))
PAGE_SIZE = 4  # articles per listing page, so each language needs several ?PAGEN_1 pages
SIDEBAR_SIZE = 4
NBSP = "\u00a0"

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def text_of(fragment: str) -> str:
    """Visible text of an inline HTML fragment, whitespace (nbsp included) collapsed."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub("", fragment)).replace(NBSP, " ")).strip()


def esc(text: str) -> str:
    return html.escape(text, quote=True)


@dataclass
class Article:
    """One article page and the values a correct extraction must produce from it.

    ``paragraphs`` are the body paragraphs (inline HTML allowed: links, <b>, <em>);
    ``blocks`` optionally gives the exact rendered sequence of the detail text, with
    NBSP-only items standing for ``<p>&nbsp;</p>`` separators (used for the real page).
    """

    id: int
    language: str
    slug: str  # Latin for ru/en, Arabic text (not encoded) for ar
    layout: str  # "modern" (Bitrix div template) or "table" (older table template)
    title: str
    published: str  # ISO 8601: a date, or a datetime with +03:00 when the page prints a time
    published_raw: str  # the date exactly as printed
    paragraphs: list[str]
    teaser: str = ""
    body_markup: str = "nbsp"  # nbsp | plain | br | blocks
    blocks: list[str] | None = None
    source_html: str | None = None  # attribution line as printed (HTML)
    source: dict | None = None  # expected {"name": canonical or None, "raw": the name as printed, label removed}
    source_position: str = "after-footer"  # after-footer | last | block
    footer_line: bool = True  # the group's name as the last line of the detail text
    caption: str | None = None
    photo_credit: str | None = None
    image_position: str = "top"  # top | inline
    picture: bool = False  # modern layout: a picture even without caption or credit
    author: str | None = None
    tags: list[str] = field(default_factory=list)
    charset: str = "utf-8"
    charset_in_header: bool = True
    charset_in_meta: bool = True
    meta_style: str | None = None  # "html5" (<meta charset>) or "http-equiv"; None: the layout's own
    lang_attr: bool = True
    in_sitemap: bool = False
    title_markup: str = "td.title"  # table layout only: td.title | b
    modified: datetime | None = None
    # Filled by MirrorSite. ``boilerplate``: visible strings of the page that must not occur
    # anywhere in the extracted body. ``boilerplate_lines``: lines that must not be a whole
    # line of the body (the group's name closes every page yet may be quoted inside a sentence).
    boilerplate: list[str] = field(default_factory=list)
    boilerplate_lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.modified is None:
            day = date.fromisoformat(self.published[:10])
            self.modified = datetime(day.year, day.month, day.day, 18, 0, tzinfo=MOSCOW).astimezone(timezone.utc)
        if not self.teaser:
            first = text_of(self.paragraphs[0])
            match = re.match(r"(.+?[.!?؟])(\s|$)", first)
            self.teaser = match.group(1) if match else first

    @property
    def date(self) -> str:
        return self.published[:10]

    @property
    def path(self) -> str:
        """The article's URL path as the site links it (percent-encoded, Bitrix double slash for ar/en)."""
        tail = f"{quote(self.slug, safe='-')}-{self.date}-{self.id}"
        return {"ru": "/novosti/", "ar": "/ar/novosti//", "en": "/en/novosti//"}[self.language] + tail

    def url(self, base: str) -> str:
        return base.rstrip("/") + self.path

    @property
    def real_url(self) -> str:
        return REAL_ORIGIN + self.path

    @property
    def body(self) -> str:
        """Expected body text: paragraphs joined by newlines, empty and nbsp-only ones dropped."""
        return "\n".join(t for t in (text_of(p) for p in self.paragraphs) if t)

    @property
    def body_paragraphs(self) -> list[str]:
        return self.body.split("\n")

    @property
    def source_line_text(self) -> str | None:
        return text_of(self.source_html) if self.source_html else None

    def detail_blocks(self) -> list[str]:
        """HTML of the detail text items, in order, separators included."""
        if self.blocks is not None:
            return list(self.blocks)
        if self.body_markup == "nbsp":
            items: list[str] = []
            for p in self.paragraphs:
                items += [p, NBSP]
            return items[:-1]
        return list(self.paragraphs)


@dataclass
class StaticPage:
    """A non-article page (about page): prose that must not be taken for an article."""

    path: str
    language: str
    title: str
    paragraphs: list[str]


@dataclass
class Page:
    """A response before HTTP mechanics: the server adds gzip, chunking, ETag and 304s."""

    status: int
    reason: str
    body: bytes
    content_type: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    last_modified: datetime | None = None
    compressible: bool = True
    chunked: bool = False


@dataclass
class FailureSpec:
    status: int
    reason: str
    retry_after: str | None
    remaining: int


def _fold(path: str) -> str:
    """Lookup key of a path: decoded, repeated slashes folded, trailing slash dropped."""
    if not path.isascii():  # raw UTF-8 on the request line arrives as Latin-1 text
        try:
            path = path.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    path = re.sub(r"/{2,}", "/", unquote(path))
    return path.rstrip("/") or "/"


class MirrorSite:
    """All pages of the mirror plus the crawl fixtures (aliases, redirects, failures, link variants)."""

    def __init__(self, articles: list[Article], static_pages: list[StaticPage], fixtures: dict):
        self._lock = threading.RLock()
        self._articles: list[Article] = []
        self._by_key: dict[str, Article] = {}
        self.static_pages = {p.path: p for p in static_pages}
        self.fixtures = fixtures  # see content.FIXTURES
        self.canonical_aliases: dict[str, str] = {}  # alias path+query -> article path
        self.redirects: dict[str, str] = dict(fixtures.get("redirects", {}))
        self.missing_paths: list[str] = list(fixtures.get("missing", []))
        self._failures: dict[str, list[FailureSpec]] = {}
        for article in articles:
            self._insert(article)
        for alias, article_id in fixtures.get("element_id_aliases", {}).items():
            self.canonical_aliases[alias] = self.article_by_id(article_id).path
        for path in fixtures.get("fail_once", []):
            self.fail_next(path)
        self._refresh()

    # --- expected values -------------------------------------------------------
    @property
    def articles(self) -> list[Article]:
        with self._lock:
            return list(self._articles)

    def articles_in(self, language: str) -> list[Article]:
        """Articles of one language, newest first (the listing order)."""
        with self._lock:
            found = [a for a in self._articles if a.language == language]
        return sorted(found, key=lambda a: (a.published[:10], a.id), reverse=True)

    def article_by_path(self, path: str) -> Article:
        with self._lock:
            return self._by_key[_fold(urlsplit(path).path)]

    def article_by_id(self, article_id: int) -> Article:
        with self._lock:
            for article in self._articles:
                if article.id == article_id:
                    return article
        raise KeyError(article_id)

    @property
    def link_fixtures(self) -> list[dict]:
        """The deliberate link variants: kind, the article path they sit on, href ("{base}" = mirror origin)."""
        with self._lock:
            paths = {a.id: a.path for a in self._articles}
            return [{"kind": kind, "on": paths[page_id], "href": href, "text": text}
                    for page_id, kind, href, text in self.fixtures.get("links", []) if page_id in paths]

    @property
    def non_article_paths(self) -> list[str]:
        homes = [SECTION[lang]["home"] for lang in SECTION]
        return homes + list(self.static_pages)

    def requisite_paths(self, languages=None) -> set[str]:
        """The requisites robots.txt allows that the pages of ``languages`` (default: all) name,
        those named by the stylesheet included: paths with their query, as requested."""
        languages = tuple(languages or SECTION)
        paths = {req.STYLESHEET, req.SCRIPT, req.ICON, *req.STYLESHEET_REFERENCES}
        paths.update(f"/upload/logo_{language}.png" for language in languages)  # the modern header's logo
        for article in self._articles:
            if article.language not in languages:
                continue
            if article.layout == "table":
                paths.add(f"/images/top_{article.language}.gif")
                if article.caption or article.photo_credit:
                    paths.add(f"/upload/old/{article.id}.jpg")
            elif article.caption or article.photo_credit or article.picture:
                paths.update(self.picture_paths(article))
        return paths

    # Requisites the pages name under /bitrix/, which robots.txt disallows.
    DISALLOWED_REQUISITES = (req.DISALLOWED_STYLESHEET, req.DISALLOWED_SCRIPT, req.DISALLOWED_PIXEL, req.DISALLOWED_FONT)

    def listing_paths(self, language: str) -> list[str]:
        """Every page of a language's listing, as the pagination links name them."""
        news = SECTION[language]["news"]
        pages = self._page_count(language)
        return [news] + [f"{news}?PAGEN_1={n}" for n in range(2, pages + 1)]

    def sitemap_paths(self) -> list[str]:
        """Paths the sitemap lists (only part of the site, on purpose)."""
        with self._lock:
            paths = [a.path for a in self._articles if a.in_sitemap]
        return paths + [SECTION["en"]["about"]]

    # --- mutation -----------------------------------------------------------------
    def add_article(self, **fields) -> Article:
        """Add an article (fields of ``Article``); it shows up in listings, sidebars and the sitemap."""
        article = Article(**fields)
        with self._lock:
            self._insert(article)
            self._refresh()
        return article

    def edit_article(self, path: str, new_paragraphs: list[str], *, title: str | None = None,
                     modified: datetime | None = None) -> Article:
        """Replace an article's body (and title); Last-Modified moves forward, so the ETag changes."""
        with self._lock:
            article = self.article_by_path(path)
            article.paragraphs = list(new_paragraphs)
            article.blocks = None
            if article.body_markup == "blocks":
                article.body_markup = "nbsp"
            if title is not None:
                article.title = title
            article.modified = modified or max(
                datetime.now(timezone.utc).replace(microsecond=0),
                article.modified + timedelta(seconds=1),
            )
            self._refresh()
            return article

    def remove_article(self, path: str) -> Article:
        with self._lock:
            article = self.article_by_path(path)
            self._articles.remove(article)
            del self._by_key[_fold(article.path)]
            self._refresh()
            return article

    def fail_next(self, path: str, times: int = 1, status: int = 503, reason: str = "Down For Maintenance",
                  retry_after: str | None = "0") -> None:
        """The next ``times`` requests for ``path`` (any variant) answer ``status`` instead of the page."""
        with self._lock:
            self._failures.setdefault(_fold(path), []).append(FailureSpec(status, reason, retry_after, times))

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()

    def _insert(self, article: Article) -> None:
        key = _fold(article.path)
        if key in self._by_key or any(a.id == article.id for a in self._articles):
            raise ValueError(f"duplicate article {article.path}")
        self._articles.append(article)
        self._by_key[key] = article

    def _refresh(self) -> None:
        for article in self._articles:
            group_name = GROUP_NAME[article.language]
            article.boilerplate = [item for item in self._boilerplate(article)
                                   if not (item == group_name and item in article.body)]
            article.boilerplate_lines = [group_name]

    def _boilerplate(self, article: Article) -> list[str]:
        items = chrome_strings(article.language, article.layout)
        for other in self._sidebar(article):
            items += [other.title, other.teaser]
        for _, text, _ in self._related_links(article):
            items.append(text)
        if article.caption:
            items.append(article.caption)
        if article.photo_credit:
            items.append(article.photo_credit)
        if article.source_line_text:
            items.append(article.source_line_text)
        if article.tags:
            items.append(f"{MODERN[article.language]['tags']} {', '.join(article.tags)}")
        if article.author:
            items.append(f"{MODERN[article.language]['author']} {article.author}")
        seen: list[str] = []
        for item in items:
            if item and item not in seen:
                seen.append(item)
        return seen

    def _sidebar(self, article: Article) -> list[Article]:
        return [a for a in self.articles_in(article.language) if a is not article][:SIDEBAR_SIZE]

    def _page_count(self, language: str) -> int:
        return max(1, -(-len(self.articles_in(language)) // PAGE_SIZE))

    # --- responses ----------------------------------------------------------------
    def respond(self, method: str, target: str, base_url: str, crawl_delay: float | None = None) -> Page:
        with self._lock:
            return self._respond(target, base_url.rstrip("/"), crawl_delay)

    def _respond(self, target: str, base: str, crawl_delay: float | None) -> Page:
        parts = urlsplit(target)
        raw_path, query = parts.path or "/", parse_qs(parts.query)
        key = _fold(raw_path)
        failures = self._failures.get(key)
        if failures:
            spec = failures[0]
            spec.remaining -= 1
            if spec.remaining <= 0:
                failures.pop(0)
            extra = [("Retry-After", spec.retry_after)] if spec.retry_after is not None else []
            body = f"<html><body><h1>{spec.status} {esc(spec.reason)}</h1></body></html>".encode()
            return Page(spec.status, spec.reason, body, "text/html; charset=UTF-8", extra, compressible=False)
        if raw_path == "/robots.txt":
            return Page(200, "OK", self.robots_txt(base, crawl_delay).encode(), "text/plain; charset=UTF-8")
        if raw_path == "/sitemap.xml":
            return Page(200, "OK", self.sitemap_index(base).encode(), "application/xml; charset=UTF-8")
        sitemap = re.fullmatch(r"/sitemap-iblock-(ru|ar|en)\.xml", raw_path)
        if sitemap:
            return Page(200, "OK", self.sitemap_urlset(base, sitemap.group(1)).encode(),
                        "application/xml; charset=UTF-8")
        if raw_path in self.redirects:
            location = base + self.redirects[raw_path]
            body = f'<html><body>Moved: <a href="{esc(location)}">{esc(location)}</a></body></html>'.encode()
            return Page(301, "Moved Permanently", body, "text/html; charset=UTF-8", [("Location", location)])
        requisite = req.requisite(raw_path)
        if requisite is not None:
            body, content_type, compressible = requisite
            return Page(200, "OK", body, content_type, last_modified=req.MODIFIED, compressible=compressible)
        alias = self._alias_target(raw_path, parts.query)
        if alias is not None:
            return self._article_page(alias, base, canonical=True)
        if key in self._by_key:
            return self._article_page(self._by_key[key], base)
        for language, section in SECTION.items():
            if key == _fold(section["news"]):
                page_no = _int(query.get("PAGEN_1", ["1"])[0])
                return self._html(self.render_listing(language, page_no, base), chunked=page_no > 1)
            if key == _fold(section["home"]):
                return self._html(self.render_home(language, base))
        if key in {_fold(p) for p in self.static_pages}:
            page = next(p for p in self.static_pages.values() if _fold(p.path) == key)
            return self._html(self.render_static(page, base))
        if key.startswith("/search"):
            return self._html(self.render_search(base))
        return self._html(self.render_not_found(_language_of(key), base), status=404, reason="Not Found")

    def _alias_target(self, raw_path: str, query: str) -> Article | None:
        wanted = f"{raw_path}?{query}" if query else raw_path
        path = self.canonical_aliases.get(wanted)
        return self._by_key.get(_fold(path)) if path else None

    @staticmethod
    def _html(text: str, status: int = 200, reason: str = "OK", chunked: bool = False) -> Page:
        return Page(status, reason, text.encode("utf-8"), "text/html; charset=UTF-8", chunked=chunked)

    def _article_page(self, article: Article, base: str, canonical: bool = False) -> Page:
        if article.layout == "modern":
            text = self.render_modern(article, base, canonical)
        else:
            text = self.render_table(article, base, canonical)
        content_type = f"text/html; charset={article.charset}" if article.charset_in_header else "text/html"
        return Page(
            200, "OK", text.encode(article.charset, errors="xmlcharrefreplace"), content_type,
            last_modified=article.modified,
            compressible=article.layout == "modern",  # the old vhost never compressed
            chunked=article.layout == "table",
        )

    # --- links --------------------------------------------------------------------
    def _href(self, article: Article, base: str, position: int) -> str:
        """Vary link forms by position: relative, absolute to the mirror, absolute to the real origin."""
        form = position % 3
        if form == 0:
            return article.path
        if form == 1:
            return base + article.path
        return article.real_url

    def _related_links(self, article: Article) -> list[tuple[str, str, str]]:
        """(href template, text, kind) of the crawl-fixture links placed on this article."""
        return [(href, text, kind) for page_id, kind, href, text in self.fixtures.get("links", [])
                if page_id == article.id]

    # --- rendering: shared pieces ---------------------------------------------------
    def _head(self, language: str, title: str, *, charset: str | None = "utf-8",
              lang_attr: bool = True, canonical: str | None = None, description: str = "",
              meta_style: str = "html5") -> str:
        lang = f' lang="{language}"' if lang_attr else ""
        direction = ' dir="rtl"' if language == "ar" else ""
        if charset is None:
            meta = ""
        elif meta_style == "html5":
            meta = f'<meta charset="{charset}">'
        else:
            meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        link = f'\n<link rel="canonical" href="{esc(canonical)}">' if canonical else ""
        desc = f'\n<meta name="description" content="{esc(description)}">' if description else ""
        return (
            f"<!DOCTYPE html>\n<html{lang}{direction}>\n<head>\n{meta}\n"
            f"<title>{esc(title)}</title>{desc}{link}\n"
            f'<link href="{req.DISALLOWED_STYLESHEET}" rel="stylesheet">\n'
            f'<link href="{req.STYLESHEET}" type="text/css" rel="stylesheet">\n'
            f'<link rel="shortcut icon" href="{req.ICON}" type="image/png">\n'
            f'<script src="{req.DISALLOWED_SCRIPT}"></script>\n'
            f'<script src="{req.SCRIPT}"></script>\n</head>\n'
        )

    def _switcher(self, language: str) -> str:
        return " ".join(f'<a href="{href}">{label}</a>' for label, href in SWITCHER[language])

    def _modern_header(self, language: str) -> str:
        c = MODERN[language]
        about, news = SECTION[language]["about"], SECTION[language]["news"]
        menu_paths = [about, news, about + "#members", about + "#meetings", news + "#publications", about + "#contacts"]
        items = "".join(
            f'<li class="main-menu__item"><a href="{path}">{esc(label)}</a></li>'
            for label, path in zip(c["menu"], menu_paths)
        )
        return (
            '<header class="header">\n<div class="header__top">'
            f'<a class="header__logo" href="{SECTION[language]["home"]}"><img src="/upload/logo_{language}.png" '
            f'alt="{esc(GROUP_NAME[language])}"></a>'
            f'<div class="lang-switcher">{self._switcher(language)}</div>'
            f'<form class="header__search" action="/search/" method="get"><input type="text" name="q" '
            f'placeholder="{esc(c["search"])}"><a href="/search/?q=x">{esc(c["search"])}</a></form>'
            '</div>\n'
            f'<nav class="main-menu"><ul>{items}</ul></nav>\n</header>\n'
        )

    def _modern_footer(self, language: str, base: str) -> str:
        c = MODERN[language]
        return (
            f'<div class="cookie-notice" id="cookie-notice"><span>{esc(c["cookie"])}</span> '
            f'<a href="javascript:void(0)" class="cookie-notice__ok">{esc(c["cookie_ok"])}</a></div>\n'
            '<footer class="footer">\n'
            f'<div class="footer__name">{esc(GROUP_NAME[language])}</div>\n'
            f'<div class="footer__address">{esc(c["address"])}</div>\n'
            f'<div class="footer__copy">{esc(c["copyright"])}</div>\n'
            '<div class="footer__links"><a href="mailto:info@russia-islworld.ru">info@russia-islworld.ru</a> '
            '<a href="https://t.me/rusislworld" target="_blank">t.me/rusislworld</a> '
            '<a href="/bitrix/rk.php?id=4&amp;goto=https%3A%2F%2Ftass.ru">tass.ru</a></div>\n'
            f'<a class="footer__partner" href="https://tass.ru/"><img src="{req.cdn_url(base, req.CDN_BANNER)}" '
            'alt="TASS"></a>\n'
            f'</footer>\n<img src="{req.DISALLOWED_PIXEL}" width="1" height="1" alt="">\n'
            '<script>BX.ready(function(){BX.message({"SITE_ID":"s1"});});</script>\n'
        )

    def _sidebar_modern(self, article: Article | None, language: str, base: str) -> str:
        c = MODERN[language]
        others = self._sidebar(article) if article else self.articles_in(language)[:SIDEBAR_SIZE]
        items = "".join(
            f'<div class="sidebar-news__item"><a class="sidebar-news__title" href="{esc(self._href(o, base, i + 1))}">'
            f"{esc(o.title)}</a><div class=\"sidebar-news__date\">{esc(o.published_raw)}</div>"
            f'<p class="sidebar-news__preview">{esc(o.teaser)}</p></div>\n'
            for i, o in enumerate(others)
        )
        return (f'<aside class="sidebar"><div class="sidebar-news"><h3 class="sidebar-news__head">'
                f'{esc(c["latest"])}</h3>\n{items}</div></aside>\n')

    def _figure_modern(self, article: Article) -> str:
        if not article.caption and not article.photo_credit and not article.picture:
            return ""
        credit = f' <span class="news-detail__credit">{esc(article.photo_credit)}</span>' if article.photo_credit else ""
        caption = f"<figcaption>{esc(article.caption or '')}{credit}</figcaption>" if article.caption or credit else ""
        image, wide, double = self.picture_paths(article)
        return (f'<figure class="news-detail__picture"><picture><source media="(min-width: 2400px)" srcset="{wide}">'
                f'<img src="{image}" srcset="{image} 1x, {double} 2x" alt="{esc(article.title)}" width="700" '
                f'height="420"></picture>{caption}</figure>\n')

    @staticmethod
    def picture_paths(article: Article) -> tuple[str, str, str]:
        """The modern layout's article picture: the image, its wide-screen source, its 2x version."""
        folder = f"{article.id % 997:03d}"
        return (f"/upload/iblock/{folder}/{article.id}.jpg", f"/upload/resize_cache/iblock/{folder}/1920_1080_1/"
                f"{article.id}.jpg", f"/upload/resize_cache/iblock/{folder}/1400_840_1/{article.id}.jpg")

    def _related_html(self, article: Article, base: str, label: str) -> str:
        links = self._related_links(article)
        if not links:
            return ""
        items = "".join(
            f'<li><a href="{esc(href.replace("{base}", base))}">{esc(text)}</a></li>' for href, text, _ in links
        )
        return f'<div class="news-detail__related"><div class="related-title">{esc(label)}</div><ul>{items}</ul></div>\n'

    # --- rendering: modern article --------------------------------------------------
    def render_modern(self, article: Article, base: str, canonical: bool = False) -> str:
        lang, c = article.language, MODERN[article.language]
        head = self._head(lang, f"{article.title} | {GROUP_NAME[lang]}", charset=article.charset
                          if article.charset_in_meta else None, lang_attr=article.lang_attr,
                          canonical=article.real_url if canonical else None, description=article.teaser,
                          meta_style=article.meta_style or "html5")
        figure = self._figure_modern(article)
        blocks = article.detail_blocks()
        if article.body_markup == "br":
            text_items = ["<br>\n<br>\n".join(blocks)]
        else:
            text_items = [f"<p>{'&nbsp;' if b == NBSP else b}</p>" for b in blocks]
        if figure and article.image_position == "inline":
            text_items.insert(min(3, len(text_items)), figure)
            figure = ""
        tail = []
        source_p = f"<p>{article.source_html}</p>" if article.source_html else ""
        if article.footer_line:
            tail += ["<p>&nbsp;</p>", f"<p>{html.escape(GROUP_NAME[lang], quote=False)}</p>"]
        if source_p and article.source_position == "after-footer":
            tail.append(source_p)
        elif source_p and article.source_position == "last":
            tail.insert(0, source_p)
        detail = "\n".join(text_items + tail)
        source_block = (f'<div class="news-detail__source">{article.source_html}</div>\n'
                        if article.source_html and article.source_position == "block" else "")
        meta = ""
        if article.author:
            meta += f'<div class="news-author">{esc(c["author"])} <span>{esc(article.author)}</span></div>\n'
        if article.tags:
            tag_links = ", ".join(f'<a href="/search/?tags={quote(t)}">{esc(t)}</a>' for t in article.tags)
            meta += f'<div class="news-tags">{esc(c["tags"])} {tag_links}</div>\n'
        share_label, *networks = c["share"]
        page_url = quote(article.real_url, safe="")
        share = (
            f'<div class="news-detail__share"><span>{esc(share_label)}</span> '
            f'<a href="https://vk.com/share.php?url={page_url}" rel="nofollow">{esc(networks[0])}</a> '
            f'<a href="https://connect.ok.ru/offer?url={page_url}" rel="nofollow">{esc(networks[1])}</a> '
            f'<a href="https://t.me/share/url?url={page_url}" rel="nofollow">{esc(networks[2])}</a> '
            f'<a href="javascript:window.print()">{esc(networks[3])}</a></div>\n'
        )
        crumbs = (f'<div class="breadcrumbs"><a href="{SECTION[lang]["home"]}">{esc(c["home"])}</a> / '
                  f'<a href="{SECTION[lang]["news"]}">{esc(c["news_title"])}</a> / <span>{esc(article.title)}</span></div>\n')
        return (
            head + f'<body class="page page-{lang}">\n<div id="panel"></div>\n'
            + self._modern_header(lang)
            + '<div class="page__wrapper">\n' + crumbs
            + '<main class="page__content">\n<div class="news-detail">\n'
            f'<h1 class="news-detail__title">{esc(article.title)}</h1>\n'
            f'<span class="news-date-time">{esc(article.published_raw)}</span>\n'
            + figure
            + f'<div class="detail-text">\n{detail}\n</div>\n'
            + source_block + meta
            + self._related_html(article, base, c["related"])
            + share
            + f'<a class="news-detail__back" href="{SECTION[lang]["news"]}">{esc(c["more"])}</a>\n'
            '</div>\n</main>\n'
            + self._sidebar_modern(article, lang, base)
            + '</div>\n' + self._modern_footer(lang, base) + "</body>\n</html>\n"
        )

    # --- rendering: old table article --------------------------------------------------
    def render_table(self, article: Article, base: str, canonical: bool = False) -> str:
        lang, t = article.language, TABLE[article.language]
        head = self._head(lang, f"{GROUP_NAME[lang]} - {article.title}",
                          charset=article.charset if article.charset_in_meta else None, lang_attr=article.lang_attr,
                          canonical=article.real_url if canonical else None,
                          meta_style=article.meta_style or "http-equiv")
        menu_paths = [SECTION[lang]["home"], SECTION[lang]["about"], SECTION[lang]["news"],
                      SECTION[lang]["news"] + "#archive", SECTION[lang]["about"] + "#photo"]
        menu = "\n".join(
            f'<tr><td class="lmenu" height="22">&#8226;&nbsp;<a href="{p}" class="lm">{esc(label)}</a></td></tr>'
            for label, p in zip(t["menu"], menu_paths)
        )
        switch = " | ".join(f'<a href="{href}" class="lng">{label}</a>' for label, href in SWITCHER[lang])
        if article.title_markup == "b":
            title = f'<tr><td style="padding:6px 0"><b style="font-size:15px">{esc(article.title)}</b></td></tr>'
        else:
            title = f'<tr><td class="title">{esc(article.title)}</td></tr>'
        date_row = f'<tr><td class="newsdate"><font color="#7a7a7a">{esc(article.published_raw)}</font></td></tr>'
        figure = ""
        if article.caption or article.photo_credit:
            credit = f" {esc(article.photo_credit)}" if article.photo_credit else ""
            figure = (f'<table border="0" cellpadding="2" cellspacing="0" align="left"><tr><td><img src="/upload/'
                      f'old/{article.id}.jpg" width="250" border="0"></td></tr><tr><td class="podpis"><i>'
                      f"{esc(article.caption or '')}{credit}</i></td></tr></table>")
        blocks = [b for b in article.detail_blocks() if b != NBSP]
        source = article.source_html
        if article.body_markup == "br":
            parts = blocks + ([f"<b>{esc(GROUP_NAME[lang])}</b>"] if article.footer_line else [])
            if source:
                parts.append(source)
            body = figure + "\n<br><br>\n".join(parts)
        else:
            parts = [f"<p align=\"justify\">{b}</p>" for b in blocks]
            if article.footer_line:
                parts.append(f"<p><b>{esc(GROUP_NAME[lang])}</b></p>")
            if source:
                parts.append(f'<p class="ist">{source}</p>')
            body = figure + "\n".join(parts)
        extra = ""
        if article.author:
            extra += f'<tr><td class="small">{esc(MODERN[lang]["author"])} {esc(article.author)}</td></tr>'
        if article.tags:
            extra += (f'<tr><td class="small">{esc(MODERN[lang]["tags"])} '
                      + ", ".join(f'<a href="/search/?tags={quote(x)}">{esc(x)}</a>' for x in article.tags)
                      + "</td></tr>")
        related = self._related_html(article, base, MODERN[lang]["related"])
        side = "\n".join(
            f'<tr><td class="anons"><a href="{esc(self._href(o, base, i + 2))}"><b>{esc(o.title)}</b></a><br>'
            f'<font size="1">{esc(o.published_raw)}</font><br>{esc(o.teaser)}</td></tr>'
            for i, o in enumerate(self._sidebar(article))
        )
        align = "right" if lang == "ar" else "left"
        return (
            head + '<body bgcolor="#FFFFFF" leftmargin="0" topmargin="0" marginwidth="0" marginheight="0">\n'
            '<table width="980" border="0" cellspacing="0" cellpadding="0" align="center">\n'
            f'<tr><td colspan="3"><table width="100%" cellpadding="0" cellspacing="0"><tr>'
            f'<td width="300"><a href="{SECTION[lang]["home"]}"><img src="/images/top_{lang}.gif" border="0" '
            f'alt=""></a></td><td class="topname">{esc(GROUP_NAME[lang])}</td>'
            f'<td align="right" class="lang">{switch}</td></tr></table></td></tr>\n'
            f'<tr><td width="190" valign="top" bgcolor="#EEF2F5"><table width="100%" cellpadding="4">\n{menu}\n'
            '</table></td>\n'
            f'<td valign="top" align="{align}" style="padding:10px"><table width="100%" border="0" cellpadding="0">\n'
            f"{title}\n{date_row}\n"
            f'<tr><td class="text" valign="top">{body}</td></tr>\n{extra}\n'
            f'<tr><td>{related}<a href="javascript:print()" class="print">{esc(t["print"])}</a></td></tr>\n'
            '</table></td>\n'
            f'<td width="240" valign="top"><table width="100%" cellpadding="5" cellspacing="0">'
            f'<tr><td class="sidetitle"><b>{esc(t["side_title"])}</b></td></tr>\n{side}\n</table></td></tr>\n'
            f'<tr><td colspan="3" class="bottom" align="center">{esc(t["bottom"])}<br>{esc(GROUP_NAME[lang])}'
            f' | <a href="mailto:info@russia-islworld.ru">info@russia-islworld.ru</a> | '
            f'<a href="/bitrix/redirect.php?goto=https://top.mail.ru">{esc(t["counter"])}</a></td></tr>\n'
            "</table>\n</body>\n</html>\n"
        )

    # --- rendering: listings, home, static, errors ---------------------------------------
    def _modern_page(self, language: str, title: str, base: str, content: str, sidebar: bool = True) -> str:
        return (
            self._head(language, f"{title} | {GROUP_NAME[language]}")
            + f'<body class="page page-{language}">\n' + self._modern_header(language)
            + f'<div class="page__wrapper">\n<main class="page__content">\n<h1>{esc(title)}</h1>\n{content}</main>\n'
            + (self._sidebar_modern(None, language, base) if sidebar else "")
            + "</div>\n" + self._modern_footer(language, base) + "</body>\n</html>\n"
        )

    def render_listing(self, language: str, page_no: int, base: str) -> str:
        c = MODERN[language]
        pages = self._page_count(language)
        page_no = min(max(page_no, 1), pages)  # Bitrix shows the last page for numbers past the end
        start = (page_no - 1) * PAGE_SIZE
        chunk = self.articles_in(language)[start:start + PAGE_SIZE]
        items = "".join(
            f'<div class="news-item" id="bx_{a.id}"><span class="news-date-time">{esc(a.published_raw)}</span>'
            f'<a class="news-item__title" href="{esc(self._href(a, base, start + i))}"><b>{esc(a.title)}</b></a>'
            f'<p class="news-item__preview">{esc(a.teaser)}</p></div>\n'
            for i, a in enumerate(chunk)
        )
        return self._modern_page(language, c["news_title"], base,
                                 f'<div class="news-list">\n{items}</div>\n'
                                 + self._pagination(language, page_no, pages))

    def _pagination(self, language: str, page_no: int, pages: int) -> str:
        c, news = MODERN[language], SECTION[language]["news"]

        def link(n: int) -> str:
            return news if n == 1 else f"{news}?PAGEN_1={n}"

        items = []
        if page_no > 1:
            items.append(f'<li class="bx-pag-prev"><a href="{link(page_no - 1)}"><span>{esc(c["prev"])}</span></a></li>')
        for n in range(1, pages + 1):
            if n == page_no:
                items.append(f'<li class="bx-active"><span>{n}</span></li>')
            else:
                items.append(f'<li><a href="{link(n)}"><span>{n}</span></a></li>')
        if page_no < pages:
            items.append(f'<li class="bx-pag-next"><a href="{link(page_no + 1)}"><span>{esc(c["next"])}</span></a></li>')
        return ('<div class="bx-pagination"><div class="bx-pagination-container"><ul>'
                + "".join(items) + "</ul></div></div>\n")

    def render_home(self, language: str, base: str) -> str:
        c = MODERN[language]
        about = self.static_pages.get(SECTION[language]["about"])
        intro = f"<p>{esc(text_of(about.paragraphs[0]))}</p>" if about else ""
        latest = "".join(
            f'<li><a href="{esc(self._href(a, base, i))}">{esc(a.title)}</a> <span>{esc(a.published_raw)}</span></li>'
            for i, a in enumerate(self.articles_in(language)[:5])
        )
        content = (f'<div class="home-intro">{intro}<a href="{SECTION[language]["about"]}">{esc(c["menu"][0])}</a></div>\n'
                   f'<ul class="home-news">{latest}</ul>\n<a href="{SECTION[language]["news"]}">{esc(c["more"])}</a>\n')
        return self._modern_page(language, GROUP_NAME[language], base, content, sidebar=False)

    def render_static(self, page: StaticPage, base: str) -> str:
        content = '<div class="about-text">\n' + "\n".join(f"<p>{p}</p>" for p in page.paragraphs) + "\n</div>\n"
        return self._modern_page(page.language, page.title, base, content)

    def render_search(self, base: str) -> str:
        return self._modern_page("ru", "Поиск", base, "<p>По вашему запросу ничего не найдено.</p>\n")

    def render_not_found(self, language: str, base: str) -> str:
        c = MODERN[language]
        return self._modern_page(language, c["not_found"], base, f"<p>{esc(c['not_found_text'])}</p>\n")

    # --- robots and sitemaps ---------------------------------------------------------
    def robots_txt(self, base: str, crawl_delay: float | None = None) -> str:
        delay = f"Crawl-delay: {crawl_delay:g}\n" if crawl_delay is not None else ""
        return (
            "User-agent: *\n"
            "Disallow: /bitrix/\n"
            "Disallow: /search/\n"
            "Disallow: /auth/\n"
            "Disallow: /personal/\n"
            "Disallow: /*?print=\n"
            f"{delay}"
            "Clean-param: sid /novosti/\n"
            "\n"
            "User-agent: Yandex\n"
            "Disallow: /bitrix/\n"
            "Disallow: /search/\n"
            "Clean-param: sid /novosti/\n"
            "\n"
            f"Sitemap: {base}/sitemap.xml\n"
        )

    def sitemap_index(self, base: str) -> str:
        entries = ""
        for language in SECTION:
            stamps = [a.modified for a in self._articles if a.language == language and a.in_sitemap]
            lastmod = f"<lastmod>{max(stamps).strftime('%Y-%m-%dT%H:%M:%S+00:00')}</lastmod>" if stamps else ""
            entries += f"<sitemap><loc>{base}/sitemap-iblock-{language}.xml</loc>{lastmod}</sitemap>\n"
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                f"{entries}</sitemapindex>\n")

    def sitemap_urlset(self, base: str, language: str) -> str:
        rows = [(a.path, a.modified) for a in self._articles if a.language == language and a.in_sitemap]
        if language == "en":
            rows.append((SECTION["en"]["about"], datetime(2021, 3, 1, tzinfo=timezone.utc)))
        entries = "".join(
            f"<url><loc>{esc(base + path)}</loc><lastmod>{stamp.strftime('%Y-%m-%dT%H:%M:%S+00:00')}</lastmod></url>\n"
            for path, stamp in rows
        )
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                f"{entries}</urlset>\n")


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 1


def _language_of(path: str) -> str:
    if path.startswith("/ar"):
        return "ar"
    if path.startswith("/en"):
        return "en"
    return "ru"


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(timezone.utc), usegmt=True)
