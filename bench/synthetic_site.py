"""A synthetic mirror of russia-islworld.ru with N articles per language, generated on the fly.

Same URL shapes as the real site (``/novosti/{slug}-{date}-{id}``, ``/ar/novosti//{encoded
Arabic slug}-{date}-{id}``, ``/en/novosti//{slug}-{date}-{id}``), Bitrix listings with
``?PAGEN_1=N`` (20 per page, windowed pagination), robots.txt, a sitemap index with one urlset
per language, and news pages of 30-120 KB: header, menus, breadcrumbs, sidebars with teasers of
other articles, inline styles and scripts, a body of 4-15 paragraphs. Text is recombined from the
real sentences of the test mirror (``tests/mirror``) with a seeded RNG, so every page is the same
on every run and langdetect sees real language. The newest 80 % of articles use the modern div
template, the oldest 20 % the old table template, as on the real site.

Pages are rendered on request (nothing on disk); gzip bodies are kept in a bounded in-memory
cache, and ``--prewarm`` renders everything before the server announces itself, so that during
a benchmark the server costs almost no CPU (it shares the machine with the crawler being
measured). Responses carry ETag and Last-Modified and answer conditional requests with 304.

The server is a small asyncio HTTP/1.1 server (keep-alive, gzip, HEAD), meant to run in its own
process::

    python -m bench.synthetic_site --articles 1000 --port 8800 --prewarm

It prints its base URL once ready. Control paths, not counted as traffic:
``/__bench__/stats`` (requests by kind and status, JSON), ``/__bench__/reset`` (zero the counts),
``/__bench__/touch?lang=ru&count=K`` (edit the K newest articles of a language: new body,
Last-Modified and ETag, as a site that changed between two runs).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import hashlib
import html
import json
import random
import re
import sys
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from functools import lru_cache
from urllib.parse import parse_qs, quote, unquote, urlsplit

from tests.mirror.chrome import GROUP_NAME, MODERN, SECTION, SWITCHER, TABLE
from tests.mirror.content import AR, EN, RU, STATIC_PAGES, real_arabic_article
from tests.mirror.server import not_modified_since
from tests.mirror.site import text_of

LANGUAGES = ("ru", "ar", "en")
PAGE_SIZE = 20  # articles per listing page, as on the real site
SIDEBAR_SIZE = 10
ID_BASE = {"ru": 100_000, "ar": 200_000, "en": 300_000}
NEWEST = datetime(2025, 6, 30, 12, 0, tzinfo=timezone(timedelta(hours=3)))
HOURS_BETWEEN_ARTICLES = 7
TABLE_LAYOUT_SHARE = 0.2  # the oldest fifth of each language uses the old table template
MIN_PAGE_BYTES, MODE_PAGE_BYTES, MAX_PAGE_BYTES = 30_000, 55_000, 120_000
CONTROL_PREFIX = "/__bench__/"
NBSP = "\u00a0"

MONTHS = {
    "ru": ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
           "ноября", "декабря"],
    "ar": ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر",
           "ديسمبر"],
    "ar_levant": ["كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول", "تشرين الأول",
                  "تشرين الثاني", "كانون الأول"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
}
SOURCES = {
    "ru": ["ТАСС", "РИА Новости", "Интерфакс", "Татар-информ"],
    "ar": ["تاس", "سبوتنيك", "ريا نوفوستي", "إنترفاكس"],
    "en": ["TASS", "RIA Novosti", "Sputnik", "Interfax"],
}
SOURCE_LABEL = {"ru": "Источник", "ar": "المصدر", "en": "Source"}
ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                     ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "j", "k", "l", "m", "n", "o", "p", "r",
                      "s", "t", "u", "f", "h", "c", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"]))
_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+")
_WORD = re.compile(r"[^\W\d_]+")


# --- text ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def sentence_pools() -> dict[str, list[str]]:
    """Real sentences per language, from the test mirror's hand-written and real pages."""
    paragraphs: dict[str, list[str]] = {lang: [] for lang in LANGUAGES}
    for spec in [*RU, *AR, *EN, real_arabic_article()]:
        paragraphs[spec["language"]] += [text_of(p) for p in spec["paragraphs"]]
    for page in STATIC_PAGES:
        paragraphs[page.language] += [text_of(p) for p in page.paragraphs]
    pools = {}
    for lang, texts in paragraphs.items():
        sentences = [s.strip() for text in texts for s in _SENTENCE_END.split(text)]
        pools[lang] = [s for s in sentences if len(s) >= 40 and NBSP not in s]
    return pools


def _slug(language: str, title: str) -> str:
    words = [w.lower() for w in _WORD.findall(title)][:9]
    if language == "ru":
        words = ["".join(_TRANSLIT.get(ch, ch) for ch in w) for w in words]
    return "-".join(w for w in words if w)


def printed_date(language: str, moment: datetime, rng: random.Random) -> str:
    """The date as the site prints it, in one of the forms seen on the real pages."""
    month = moment.month - 1
    if language == "ru":
        text = f"{moment.day:02d} {MONTHS['ru'][month]} {moment.year}"
        return text + f" {moment:%H:%M}" if rng.random() < 0.3 else text
    if language == "en":
        if rng.random() < 0.5:
            return f"{MONTHS['en'][month]} {moment.day}, {moment.year}"
        return f"{moment.day} {MONTHS['en'][month]} {moment.year}"
    form = rng.random()
    if form < 0.4:
        return f"{moment.day} {MONTHS['ar'][month]} {moment.year}".translate(ARABIC_DIGITS)
    if form < 0.7:
        return f"{moment.day} {MONTHS['ar_levant'][month]}/ {MONTHS['ar'][month]} {moment.year}"
    return f"{moment.day:02d} {MONTHS['ar'][month]} {moment.year}"


@dataclass(frozen=True)
class ArticleInfo:
    """What other pages need to know about an article (listings, sidebars, sitemaps)."""

    language: str
    index: int  # 0 = newest
    id: int
    title: str
    teaser: str
    published: datetime
    printed: str
    path: str

    @property
    def layout(self) -> str:
        return "table" if self.index >= self._table_from else "modern"

    _table_from: int = 0


class SyntheticSite:
    """The site model: article metadata up front, pages rendered when asked for."""

    def __init__(self, articles_per_language: int, seed: int = 7):
        if articles_per_language < 1:
            raise ValueError("articles_per_language must be at least 1")
        self.n = articles_per_language
        self.seed = seed
        self.versions: dict[tuple[str, int], int] = {}  # edited articles: (language, index) -> version
        self.pools = sentence_pools()
        self.articles = {lang: [self._info(lang, i) for i in range(self.n)] for lang in LANGUAGES}
        self.by_path = {_fold(a.path): a for lang in LANGUAGES for a in self.articles[lang]}

    # --- metadata -------------------------------------------------------------------------
    def _rng(self, *key) -> random.Random:
        return random.Random(":".join(map(str, (self.seed, *key))))

    def _info(self, language: str, index: int) -> ArticleInfo:
        rng = self._rng("meta", language, index)
        pool = self.pools[language]
        words = rng.choice(pool).rstrip(".!?؟").split()
        start = rng.randrange(0, max(1, len(words) - 6))
        title = " ".join(words[start:start + rng.randint(6, 11)]).strip(" ,;:—–-«»\"")
        teaser = rng.choice(pool)
        published = NEWEST - timedelta(hours=HOURS_BETWEEN_ARTICLES * index, minutes=rng.randrange(60))
        article_id = ID_BASE[language] + self.n - index  # newer articles have larger ids, as in Bitrix
        tail = f"{quote(_slug(language, title) or 'novost', safe='-')}-{published:%Y-%m-%d}-{article_id}"
        path = {"ru": "/novosti/", "ar": "/ar/novosti//", "en": "/en/novosti//"}[language] + tail
        return ArticleInfo(language, index, article_id, title, teaser, published,
                           printed_date(language, published, rng), path,
                           _table_from=int(self.n * (1 - TABLE_LAYOUT_SHARE)))

    def version(self, article: ArticleInfo) -> int:
        return self.versions.get((article.language, article.index), 0)

    def last_modified(self, article: ArticleInfo) -> datetime:
        base = article.published.replace(hour=18, minute=0).astimezone(timezone.utc)
        return base + timedelta(days=self.version(article))

    def touch(self, language: str, count: int) -> list[str]:
        """Edit the ``count`` newest articles of a language; returns their paths."""
        touched = []
        for article in self.articles[language][:count]:
            key = (language, article.index)
            self.versions[key] = self.versions.get(key, 0) + 1
            touched.append(article.path)
        return touched

    def listing_pages(self, language: str) -> int:
        return -(-self.n // PAGE_SIZE)

    def article_paths(self) -> list[str]:
        return [a.path for lang in LANGUAGES for a in self.articles[lang]]

    # --- dispatch -----------------------------------------------------------------------------
    def resolve(self, target: str) -> tuple[str, str, object]:
        """(kind, cache key, what) for a request target; kind is article/listing/sitemap/robots/other/missing."""
        parts = urlsplit(target)
        path, query = parts.path or "/", parse_qs(parts.query)
        if path == "/robots.txt":
            return "robots", "robots", None
        if path == "/sitemap.xml":
            return "sitemap", "sitemap-index", None
        match = re.fullmatch(r"/sitemap-iblock-(ru|ar|en)\.xml", path)
        if match:
            return "sitemap", f"sitemap-{match.group(1)}", match.group(1)
        key = _fold(path)
        article = self.by_path.get(key)
        if article is not None:
            return "article", f"a:{article.id}:{self.version(article)}", article
        for lang in LANGUAGES:
            if key == _fold(SECTION[lang]["news"]):
                try:
                    page = int(query.get("PAGEN_1", ["1"])[0])
                except ValueError:
                    page = 1
                page = min(max(page, 1), self.listing_pages(lang))
                return "listing", f"l:{lang}:{page}", (lang, page)
            if key == _fold(SECTION[lang]["home"]):
                return "other", f"home:{lang}", lang
        static = next((p for p in STATIC_PAGES if _fold(p.path) == key), None)
        if static is not None:
            return "other", f"static:{static.path}", static
        return "missing", f"404:{_language_of(key)}", _language_of(key)

    def render(self, kind: str, what: object, base: str) -> tuple[int, str, str, datetime | None]:
        """(status, content type, text, Last-Modified or None) of a resolved target."""
        html_type = "text/html; charset=UTF-8"
        if kind == "robots":
            return 200, "text/plain; charset=UTF-8", self.robots_txt(base), None
        if kind == "sitemap":
            stamp = max(self.last_modified(a) for lang in LANGUAGES for a in self.articles[lang][:1])
            text = self.sitemap_urlset(base, what) if what else self.sitemap_index(base)
            return 200, "application/xml; charset=UTF-8", text, stamp
        if kind == "article":
            return 200, html_type, self.render_article(what, base), self.last_modified(what)
        if kind == "listing":
            return 200, html_type, self.render_listing(*what, base), None
        if kind == "other" and isinstance(what, str):
            return 200, html_type, self.render_home(what), None
        if kind == "other":
            return 200, html_type, self.render_static(what), None
        return 404, html_type, self._page(what, MODERN[what]["not_found"],
                                          f"<p>{esc(MODERN[what]['not_found_text'])}</p>", "404"), None

    # --- robots and sitemaps -------------------------------------------------------------------
    @staticmethod
    def robots_txt(base: str) -> str:
        return ("User-agent: *\nDisallow: /bitrix/\nDisallow: /search/\nDisallow: /auth/\nDisallow: /personal/\n"
                "Disallow: /*?print=\nClean-param: sid /novosti/\n\n"
                "User-agent: Yandex\nDisallow: /bitrix/\nDisallow: /search/\n\n"
                f"Sitemap: {base}/sitemap.xml\n")

    def sitemap_index(self, base: str) -> str:
        entries = "".join(
            f"<sitemap><loc>{base}/sitemap-iblock-{lang}.xml</loc>"
            f"<lastmod>{_w3c(max(self.last_modified(a) for a in self.articles[lang][:50]))}</lastmod></sitemap>\n"
            for lang in LANGUAGES
        )
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + entries + "</sitemapindex>\n")

    def sitemap_urlset(self, base: str, language: str) -> str:
        entries = "".join(f"<url><loc>{esc(base + a.path)}</loc><lastmod>{_w3c(self.last_modified(a))}</lastmod></url>\n"
                          for a in self.articles[language])
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + entries + "</urlset>\n")

    # --- pages ----------------------------------------------------------------------------------
    def _paragraphs(self, article: ArticleInfo, rng: random.Random) -> list[str]:
        pool = self.pools[article.language]
        paragraphs = []
        for _ in range(rng.randint(4, 15)):
            paragraphs.append(" ".join(rng.choice(pool) for _ in range(rng.randint(2, 5))))
        if self.version(article):
            paragraphs.append(f"{rng.choice(pool)} ({self.version(article)})")
        return paragraphs

    def _sidebar_items(self, article: ArticleInfo | None, language: str) -> list[ArticleInfo]:
        items = self.articles[language]
        if article is None:
            return items[:SIDEBAR_SIZE]
        start = max(0, min(article.index - SIDEBAR_SIZE // 2, len(items) - SIDEBAR_SIZE - 1))
        return [a for a in items[start:start + SIDEBAR_SIZE + 1] if a is not article][:SIDEBAR_SIZE]

    def render_article(self, article: ArticleInfo, base: str) -> str:
        rng = self._rng("page", article.language, article.index, self.version(article))
        lang = article.language
        paragraphs = self._paragraphs(article, rng)
        source = rng.choice(SOURCES[lang]) if rng.random() < 0.7 else None
        target = int(rng.triangular(MIN_PAGE_BYTES, MAX_PAGE_BYTES, MODE_PAGE_BYTES))
        if article.layout == "table":
            page = self._table_article(article, paragraphs, source, base, rng)
        else:
            page = self._modern_article(article, paragraphs, source, base, rng)
        return _pad(page, target, rng)

    def _modern_article(self, article: ArticleInfo, paragraphs: list[str], source: str | None, base: str,
                        rng: random.Random) -> str:
        lang, c = article.language, MODERN[article.language]
        text = "\n<p>&nbsp;</p>\n".join(f"<p>{esc(p)}</p>" for p in paragraphs)
        text += f"\n<p>&nbsp;</p>\n<p>{html.escape(GROUP_NAME[lang], quote=False)}</p>"
        if source:
            text += f"\n<p>{SOURCE_LABEL[lang]}: {esc(source)}</p>"
        figure = ""
        if rng.random() < 0.6:
            figure = (f'<figure class="news-detail__picture"><img src="/upload/iblock/{article.id % 997:03d}/'
                      f'{article.id}.jpg" alt="{esc(article.title)}" width="700" height="420">'
                      f"<figcaption>{esc(rng.choice(self.pools[lang])[:80])}</figcaption></figure>\n")
        tags = ", ".join(f'<a href="/search/?tags={quote(w)}">{esc(w)}</a>'
                         for w in rng.sample(article.title.split(), min(3, len(article.title.split()))))
        share_label, *networks = c["share"]
        page_url = quote(base + article.path, safe="")
        content = (
            f'<div class="breadcrumbs"><a href="{SECTION[lang]["home"]}">{esc(c["home"])}</a> / '
            f'<a href="{SECTION[lang]["news"]}">{esc(c["news_title"])}</a> / <span>{esc(article.title)}</span></div>\n'
            '<main class="page__content">\n<div class="news-detail">\n'
            f'<h1 class="news-detail__title">{esc(article.title)}</h1>\n'
            f'<span class="news-date-time">{esc(article.printed)}</span>\n{figure}'
            f'<div class="detail-text">\n{text}\n</div>\n'
            f'<div class="news-tags">{esc(c["tags"])} {tags}</div>\n'
            f'<div class="news-detail__share"><span>{esc(share_label)}</span> '
            f'<a href="https://vk.com/share.php?url={page_url}" rel="nofollow">{esc(networks[0])}</a> '
            f'<a href="https://connect.ok.ru/offer?url={page_url}" rel="nofollow">{esc(networks[1])}</a> '
            f'<a href="https://t.me/share/url?url={page_url}" rel="nofollow">{esc(networks[2])}</a> '
            f'<a href="javascript:window.print()">{esc(networks[3])}</a></div>\n'
            f'<a class="news-detail__back" href="{SECTION[lang]["news"]}">{esc(c["more"])}</a>\n'
            "</div>\n</main>\n"
        )
        head = self._head(lang, f"{article.title} | {GROUP_NAME[lang]}", article.teaser, article.published)
        return head + self._modern_body(lang, content, self._sidebar_items(article, lang), base)

    def _table_article(self, article: ArticleInfo, paragraphs: list[str], source: str | None, base: str,
                       rng: random.Random) -> str:
        lang, t = article.language, TABLE[article.language]
        menu = "\n".join(f'<tr><td class="lmenu" height="22">&#8226;&nbsp;<a href="{SECTION[lang]["about"]}#m{i}" '
                         f'class="lm">{esc(label)}</a></td></tr>' for i, label in enumerate(t["menu"]))
        switch = " | ".join(f'<a href="{href}" class="lng">{label}</a>' for label, href in SWITCHER[lang])
        body = "\n".join(f'<p align="justify">{esc(p)}</p>' for p in paragraphs)
        body += f"\n<p><b>{esc(GROUP_NAME[lang])}</b></p>"
        if source:
            body += f'\n<p class="ist">{SOURCE_LABEL[lang]}: {esc(source)}</p>'
        side = "\n".join(
            f'<tr><td class="anons"><a href="{esc(base + o.path)}"><b>{esc(o.title)}</b></a><br>'
            f'<font size="1">{esc(o.printed)}</font><br>{esc(o.teaser)}</td></tr>'
            for o in self._sidebar_items(article, lang)
        )
        align = "right" if lang == "ar" else "left"
        return (
            f'<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">\n<html lang="{lang}">\n<head>\n'
            '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
            f"<title>{esc(GROUP_NAME[lang])} - {esc(article.title)}</title>\n"
            "<!--STYLE-->\n</head>\n"
            '<body bgcolor="#FFFFFF" leftmargin="0" topmargin="0">\n'
            '<table width="980" border="0" cellspacing="0" cellpadding="0" align="center">\n'
            f'<tr><td colspan="3"><table width="100%"><tr><td width="300"><a href="{SECTION[lang]["home"]}">'
            f'<img src="/images/top_{lang}.gif" border="0" alt=""></a></td><td class="topname">'
            f'{esc(GROUP_NAME[lang])}</td><td align="right" class="lang">{switch}</td></tr></table></td></tr>\n'
            f'<tr><td width="190" valign="top" bgcolor="#EEF2F5"><table width="100%" cellpadding="4">\n{menu}\n'
            "</table></td>\n"
            f'<td valign="top" align="{align}" style="padding:10px"><table width="100%" border="0" cellpadding="0">\n'
            f'<tr><td class="title">{esc(article.title)}</td></tr>\n'
            f'<tr><td class="newsdate"><font color="#7a7a7a">{esc(article.printed)}</font></td></tr>\n'
            f'<tr><td class="text" valign="top">{body}</td></tr>\n'
            f'<tr><td><a href="javascript:print()" class="print">{esc(t["print"])}</a></td></tr>\n'
            "</table></td>\n"
            f'<td width="240" valign="top"><table width="100%" cellpadding="5" cellspacing="0">'
            f'<tr><td class="sidetitle"><b>{esc(t["side_title"])}</b></td></tr>\n{side}\n</table></td></tr>\n'
            f'<tr><td colspan="3" class="bottom" align="center">{esc(t["bottom"])}<br>{esc(GROUP_NAME[lang])}'
            f' | <a href="mailto:info@russia-islworld.ru">info@russia-islworld.ru</a> | '
            f'<a href="/bitrix/redirect.php?goto=https://top.mail.ru">{esc(t["counter"])}</a></td></tr>\n'
            "</table>\n<!--SCRIPT-->\n</body>\n</html>\n"
        )

    def render_listing(self, language: str, page_no: int, base: str) -> str:
        c, news = MODERN[language], SECTION[language]["news"]
        pages = self.listing_pages(language)
        chunk = self.articles[language][(page_no - 1) * PAGE_SIZE:page_no * PAGE_SIZE]
        items = "".join(
            f'<div class="news-item" id="bx_{a.id}"><span class="news-date-time">{esc(a.printed)}</span>'
            f'<a class="news-item__title" href="{esc(a.path if i % 2 else base + a.path)}"><b>{esc(a.title)}</b></a>'
            f'<p class="news-item__preview">{esc(a.teaser)}</p></div>\n'
            for i, a in enumerate(chunk)
        )

        def link(n: int) -> str:
            return news if n == 1 else f"{news}?PAGEN_1={n}"

        numbers = sorted({1, pages, *range(max(1, page_no - 2), min(pages, page_no + 2) + 1)})
        nav = []
        if page_no > 1:
            nav.append(f'<li class="bx-pag-prev"><a href="{link(page_no - 1)}"><span>{esc(c["prev"])}</span></a></li>')
        for n in numbers:
            nav.append(f'<li class="bx-active"><span>{n}</span></li>' if n == page_no
                       else f'<li><a href="{link(n)}"><span>{n}</span></a></li>')
        if page_no < pages:
            nav.append(f'<li class="bx-pag-next"><a href="{link(page_no + 1)}"><span>{esc(c["next"])}</span></a></li>')
        content = (f'<main class="page__content">\n<h1>{esc(c["news_title"])}</h1>\n<div class="news-list">\n{items}'
                   '</div>\n<div class="bx-pagination"><div class="bx-pagination-container"><ul>'
                   + "".join(nav) + "</ul></div></div>\n</main>\n")
        rng = self._rng("listing", language, page_no)
        page = self._head(language, f"{c['news_title']} | {GROUP_NAME[language]}", "", None) + \
            self._modern_body(language, content, self._sidebar_items(None, language), base)
        return _pad(page, MIN_PAGE_BYTES + 10_000, rng)

    def render_home(self, language: str) -> str:
        latest = "".join(f'<li><a href="{esc(a.path)}">{esc(a.title)}</a> <span>{esc(a.printed)}</span></li>'
                         for a in self.articles[language][:5])
        return self._page(language, GROUP_NAME[language], f'<ul class="home-news">{latest}</ul>\n'
                          f'<a href="{SECTION[language]["news"]}">{esc(MODERN[language]["more"])}</a>\n', "home")

    def render_static(self, page) -> str:
        return self._page(page.language, page.title,
                          '<div class="about-text">\n' + "\n".join(f"<p>{p}</p>" for p in page.paragraphs) + "</div>\n",
                          page.path)

    def _page(self, language: str, title: str, content: str, key: str) -> str:
        rng = self._rng("other", language, key)
        page = self._head(language, f"{title} | {GROUP_NAME[language]}", "", None) + self._modern_body(
            language, f'<main class="page__content">\n<h1>{esc(title)}</h1>\n{content}</main>\n',
            self._sidebar_items(None, language), "")
        return _pad(page, MIN_PAGE_BYTES, rng)

    # --- chrome ---------------------------------------------------------------------------------
    @staticmethod
    def _head(language: str, title: str, description: str, published: datetime | None) -> str:
        direction = ' dir="rtl"' if language == "ar" else ""
        meta = f'\n<meta name="description" content="{esc(description)}">' if description else ""
        if published is not None:
            meta += f'\n<meta property="og:type" content="article">\n<meta property="og:title" content="{esc(title)}">'
        return (f'<!DOCTYPE html>\n<html lang="{language}"{direction}>\n<head>\n<meta charset="utf-8">\n'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{esc(title)}</title>{meta}\n'
                '<link href="/bitrix/templates/rusislam/template_styles.css?1589112345" rel="stylesheet">\n'
                '<script src="/bitrix/js/main/core/core.js?1589112345"></script>\n'
                '<script>BX.setJSList(["/bitrix/js/main/core/core_ajax.js","/bitrix/js/main/session.js"]);'
                f'BX.message({{"LANGUAGE_ID":"{language}","SITE_ID":"s1","bitrix_sessid":"0f3c2d"}});</script>\n'
                "<!--STYLE-->\n</head>\n")

    def _modern_body(self, language: str, content: str, sidebar: list[ArticleInfo], base: str) -> str:
        c = MODERN[language]
        about, news = SECTION[language]["about"], SECTION[language]["news"]
        menu = "".join(f'<li class="main-menu__item"><a href="{about if i != 1 else news}{"#m%d" % i if i > 1 else ""}">'
                       f'{esc(label)}</a><ul class="main-menu__sub">'
                       + "".join(f'<li><a href="{about}#s{i}-{j}">{esc(label)} {j}</a></li>' for j in range(1, 7))
                       + "</ul></li>" for i, label in enumerate(c["menu"]))
        switcher = " ".join(f'<a href="{href}">{label}</a>' for label, href in SWITCHER[language])
        side = "".join(
            f'<div class="sidebar-news__item"><a class="sidebar-news__title" href="{esc(base + o.path if i % 3 else o.path)}">'
            f'{esc(o.title)}</a><div class="sidebar-news__date">{esc(o.printed)}</div>'
            f'<p class="sidebar-news__preview">{esc(o.teaser)}</p></div>\n'
            for i, o in enumerate(sidebar)
        )
        return (
            f'<body class="page page-{language}">\n<div id="panel"></div>\n<header class="header">\n'
            f'<div class="header__top"><a class="header__logo" href="{SECTION[language]["home"]}">'
            f'<img src="/upload/logo_{language}.png" alt="{esc(GROUP_NAME[language])}"></a>'
            f'<div class="lang-switcher">{switcher}</div>'
            f'<form class="header__search" action="/search/" method="get"><input type="text" name="q" '
            f'placeholder="{esc(c["search"])}"></form></div>\n<nav class="main-menu"><ul>{menu}</ul></nav>\n</header>\n'
            f'<div class="page__wrapper">\n{content}'
            f'<aside class="sidebar"><div class="sidebar-news"><h3 class="sidebar-news__head">{esc(c["latest"])}</h3>\n'
            f"{side}</div></aside>\n</div>\n"
            f'<div class="cookie-notice" id="cookie-notice"><span>{esc(c["cookie"])}</span> '
            f'<a href="javascript:void(0)" class="cookie-notice__ok">{esc(c["cookie_ok"])}</a></div>\n'
            f'<footer class="footer">\n<div class="footer__name">{esc(GROUP_NAME[language])}</div>\n'
            f'<div class="footer__address">{esc(c["address"])}</div>\n<div class="footer__copy">{esc(c["copyright"])}</div>\n'
            '<div class="footer__links"><a href="mailto:info@russia-islworld.ru">info@russia-islworld.ru</a> '
            '<a href="https://t.me/rusislworld" target="_blank">t.me/rusislworld</a></div>\n</footer>\n'
            "<!--SCRIPT-->\n</body>\n</html>\n"
        )


def _css(rng: random.Random, rules: int) -> str:
    parts = ["body{margin:0;font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222}"]
    blocks = ["news-list", "news-detail", "sidebar-news", "main-menu", "footer", "header", "bx-pagination", "cookie"]
    for _ in range(rules):
        block = rng.choice(blocks)
        parts.append(f".{block}__{rng.choice(['item', 'title', 'date', 'link', 'wrap', 'icon', 'text'])}"
                     f"--{rng.randrange(100)}{{margin:{rng.randrange(24)}px {rng.randrange(24)}px;"
                     f"padding:{rng.randrange(16)}px;color:#{rng.randrange(0x1000000):06x};"
                     f"font-size:{rng.randrange(11, 22)}px;line-height:1.{rng.randrange(2, 8)}}}"
                     f"@media (max-width:{rng.choice([480, 768, 1024])}px){{.{block}{{display:"
                     f"{rng.choice(['none', 'block', 'flex'])}}}}}")
    return "\n".join(parts)


def _js(rng: random.Random, size: int) -> str:
    parts, total = [], 0
    components = ["news.list", "news.detail", "menu", "search.title", "main.share", "system.pagenavigation"]
    while total < size:
        n, token = rng.randrange(10_000), f"{rng.getrandbits(64):016x}"
        part = (f'(function(){{var c{n}=BX.namespace("BX.Rusislam.C{n}");c{n}.init=function(p){{if(!p||!p.id)return;'
                f'this.node=BX(p.id);this.params=p;BX.bind(this.node,"click",BX.proxy(this.onClick,this));}};'
                f'c{n}.onClick=function(e){{BX.PreventDefault(e);BX.ajax({{url:"/bitrix/components/bitrix/'
                f'{rng.choice(components)}/ajax.php?sid={token}",method:"POST",data:{{id:{rng.randrange(99999)},'
                f'sessid:"{token}"}},onsuccess:BX.delegate(function(r){{this.node.innerHTML=r;}},this)}});}};'
                f'BX.ready(function(){{c{n}.init({{id:"bx_{n}",page:{rng.randrange(500)}}});}});}})();\n')
        parts.append(part)
        total += len(part)
    return "".join(parts)


def _pad(page: str, target_bytes: int, rng: random.Random) -> str:
    """Fill the inline style and script slots until the page is about ``target_bytes`` of UTF-8."""
    missing = max(0, target_bytes - len(page.encode("utf-8")))
    style = f"<style>\n{_css(rng, max(1, int(missing * 0.35) // 260))}\n</style>"
    script_size = max(0, missing - len(style))
    script = f"<script>\n{_js(rng, script_size)}</script>" if script_size else ""
    return page.replace("<!--STYLE-->", style, 1).replace("<!--SCRIPT-->", script, 1)


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def _w3c(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _fold(path: str) -> str:
    """Lookup key of a path: decoded, repeated slashes folded, trailing slash dropped."""
    if not path.isascii():
        try:
            path = path.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return re.sub(r"/{2,}", "/", unquote(path)).rstrip("/") or "/"


def _language_of(path: str) -> str:
    return "ar" if path.startswith("/ar") else "en" if path.startswith("/en") else "ru"


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(timezone.utc), usegmt=True)


# --- HTTP server ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    status: int
    content_type: str
    gzipped: bytes
    etag: str | None
    last_modified: datetime | None


class ResponseCache:
    """Gzip bodies of rendered pages, least recently used dropped past ``max_bytes``."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.bytes = 0
        self.entries: OrderedDict[str, Rendered] = OrderedDict()

    def get(self, key: str) -> Rendered | None:
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def put(self, key: str, entry: Rendered) -> None:
        if key in self.entries:
            return
        self.entries[key] = entry
        self.bytes += len(entry.gzipped)
        while self.bytes > self.max_bytes and len(self.entries) > 1:
            _, dropped = self.entries.popitem(last=False)
            self.bytes -= len(dropped.gzipped)


class SyntheticServer:
    """asyncio HTTP/1.1 server of a ``SyntheticSite``, counting requests by kind and status."""

    def __init__(self, site: SyntheticSite, host: str = "127.0.0.1", port: int = 0, cache_mb: int = 2048):
        self.site, self.host, self.port = site, host, port
        self.cache = ResponseCache(cache_mb * 1024 * 1024)
        self.counts: Counter[str] = Counter()
        self.paths: list[str] = []
        self.bytes_sent = 0

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def page(self, target: str) -> tuple[str, Rendered]:
        kind, key, what = self.site.resolve(target)
        entry = self.cache.get(key)
        if entry is None:
            status, content_type, text, last_modified = self.site.render(kind, what, self.base_url)
            gz = gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)
            etag = '"' + hashlib.sha1(gz).hexdigest()[:24] + '"' if last_modified else None
            entry = Rendered(status, content_type, gz, etag, last_modified)
            self.cache.put(key, entry)
        return kind, entry

    def prewarm(self) -> int:
        targets = ["/robots.txt", "/sitemap.xml", *(f"/sitemap-iblock-{lang}.xml" for lang in LANGUAGES)]
        for lang in LANGUAGES:
            news = SECTION[lang]["news"]
            targets += [news] + [f"{news}?PAGEN_1={n}" for n in range(2, self.site.listing_pages(lang) + 1)]
        targets += self.site.article_paths()
        for target in targets:
            self.page(target)
        return len(targets)

    def respond(self, method: str, target: str, headers: dict[str, str]) -> bytes:
        if target.startswith(CONTROL_PREFIX):
            return self._control(target)
        kind, entry = self.page(target)
        status, body = entry.status, entry.gzipped
        out = [("Server", "nginx"), ("Date", http_date(datetime.now(timezone.utc)))]
        if entry.etag:
            out += [("ETag", entry.etag), ("Last-Modified", http_date(entry.last_modified))]
            inm, ims = headers.get("if-none-match"), headers.get("if-modified-since")
            if (inm is not None and entry.etag in [t.strip().removeprefix("W/") for t in inm.split(",")]) or (
                    inm is None and ims is not None and not_modified_since(ims, entry.last_modified)):
                status, body = 304, b""
        if status != 304:
            out.append(("Content-Type", entry.content_type))
            if "gzip" in headers.get("accept-encoding", "").lower():
                out.append(("Content-Encoding", "gzip"))
            else:
                body = gzip.decompress(body)
            out += [("Vary", "Accept-Encoding"), ("Content-Length", str(len(body)))]
        self.counts[f"{kind} {status}"] += 1
        self.paths.append(target)
        reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
        head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in out) + "\r\n"
        payload = head.encode("latin-1") + (body if method != "HEAD" else b"")
        self.bytes_sent += len(payload)
        return payload

    def _control(self, target: str) -> bytes:
        parts = urlsplit(target)
        query = parse_qs(parts.query)
        command = parts.path[len(CONTROL_PREFIX):]
        if command == "stats":
            data = {"counts": dict(self.counts), "requests": sum(self.counts.values()),
                    "bytes_sent": self.bytes_sent, "cache_entries": len(self.cache.entries),
                    "cache_bytes": self.cache.bytes, "articles_per_language": self.site.n}
            if query.get("paths"):
                data["paths"] = self.paths
        elif command == "reset":
            self.counts.clear()
            self.paths.clear()
            self.bytes_sent = 0
            data = {"reset": True}
        elif command == "touch":
            lang = query.get("lang", ["ru"])[0]
            data = {"touched": self.site.touch(lang, int(query.get("count", ["1"])[0]))}
        else:
            data = {"error": f"unknown control {command!r}"}
        body = json.dumps(data).encode()
        return (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                .encode() + body)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=30)
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError,
                        ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                try:
                    method, target, version = lines[0].split(" ", 2)
                except ValueError:
                    writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    return
                headers = {}
                for line in lines[1:]:
                    name, sep, value = line.partition(":")
                    if sep:
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0") or 0)
                if length:
                    await reader.readexactly(length)
                writer.write(self.respond(method, target, headers))
                await writer.drain()
                if headers.get("connection", "").lower() == "close" or version == "HTTP/1.0":
                    return
        finally:
            writer.close()

    async def serve(self, prewarm: bool = False) -> None:
        """Listen, optionally render everything (links embed the port, so after binding), then print the URL."""
        server = await asyncio.start_server(self.handle, self.host, self.port, backlog=256)
        self.port = server.sockets[0].getsockname()[1]
        if prewarm:
            started = time.perf_counter()
            count = self.prewarm()
            print(f"# prewarmed {count} pages ({self.cache.bytes / 1e6:.0f} MB gzip) in "
                  f"{time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
        print(self.base_url, flush=True)
        async with server:
            await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.synthetic_site", description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000, help="articles per language (default 1000)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--prewarm", action="store_true", help="render every page before announcing the URL")
    parser.add_argument("--cache-mb", type=int, default=2048, help="bound of the gzip page cache")
    args = parser.parse_args(argv)
    site = SyntheticSite(args.articles, seed=args.seed)
    server = SyntheticServer(site, args.host, args.port, args.cache_mb)
    try:
        asyncio.run(server.serve(prewarm=args.prewarm))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
