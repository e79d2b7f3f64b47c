"""Pages of the second mirror, rendered the way a WordPress news theme renders them.

``WpSite.respond(method, target, base_url, crawl_delay)`` answers like ``tests.mirror.MirrorSite``,
so the same ``MirrorServer`` serves it (HTTP mechanics, validators, request logs).
"""

from __future__ import annotations

import html
import json
import threading
from datetime import datetime, timezone
from urllib.parse import quote, unquote, urlsplit

from tests.mirror.site import Page, http_date

from .content import ARTICLES, STATIC_PAGES, WpArticle

REAL_ORIGIN = "https://www.gulfwire.example"
PAGE_SIZE = 5
FEED_SIZE = 6
SITE_NAME = {"en": "Gulf Wire", "ar": "غلف واير"}
NEWS = {"en": "/category/news/", "ar": "/ar/category/news/"}
HOME = {"en": "/", "ar": "/ar/"}
WORDS = {
    "en": {"recent": "Recent posts", "reply": "Reply", "comments": "Comments", "older": "Older posts",
           "newer": "Newer posts", "by": "By", "share": "Share on X", "print": "Print", "feed": "Gulf Wire » Feed",
           "comments_feed": "Gulf Wire » Comments Feed", "read": "Read more", "rights": "All rights reserved."},
    "ar": {"recent": "أحدث المقالات", "reply": "رد", "comments": "التعليقات", "older": "مقالات أقدم",
           "newer": "مقالات أحدث", "by": "بقلم", "share": "شارك على إكس", "print": "طباعة",
           "feed": "غلف واير » الخلاصة", "comments_feed": "غلف واير » خلاصة التعليقات", "read": "اقرأ المزيد",
           "rights": "جميع الحقوق محفوظة."},
}


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def href(path: str) -> str:
    """A path as WordPress links it: non-ASCII slugs percent-encoded."""
    return quote(path, safe="/-?=&")


class WpSite:
    """The Gulf Wire mirror: articles by language, listings, feeds, sitemaps, pages, comment links."""

    def __init__(self, articles: list[WpArticle] | None = None):
        self._lock = threading.RLock()
        self.articles = list(ARTICLES if articles is None else articles)
        self.static_pages = dict(STATIC_PAGES)

    # --- truth ------------------------------------------------------------------------
    def articles_in(self, language: str) -> list[WpArticle]:
        return sorted((a for a in self.articles if a.language == language), key=lambda a: a.published, reverse=True)

    def translations_of(self, article: WpArticle) -> list[WpArticle]:
        return [a for a in self.articles if a.key == article.key and a is not article]

    def by_path(self, path: str) -> WpArticle | None:
        folded = unquote(path).rstrip("/") + "/"
        return next((a for a in self.articles if a.path == folded), None)

    # --- HTTP -------------------------------------------------------------------------
    def respond(self, method: str, target: str, base_url: str, crawl_delay: float | None = None) -> Page:
        with self._lock:
            return self._respond(target, base_url.rstrip("/"))

    def _respond(self, target: str, base: str) -> Page:
        parts = urlsplit(target)
        path = unquote(parts.path or "/")
        if not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
            return Page(301, "Moved Permanently", b"", "text/html; charset=UTF-8",
                        [("Location", base + href(path + "/") + (f"?{parts.query}" if parts.query else ""))])
        if path == "/robots.txt":
            return Page(200, "OK", self.robots(base).encode(), "text/plain; charset=UTF-8")
        if path == "/wp-sitemap.xml":
            return self._xml(self.sitemap_index(base))
        if path == "/wp-sitemap-posts-page-1.xml":
            return self._xml(self.sitemap_pages(base))
        for language in ("en", "ar"):
            prefix = "/ar" if language == "ar" else ""
            if path == f"{prefix}/feed/":
                return Page(200, "OK", self.feed(language, base).encode(), "application/rss+xml; charset=UTF-8")
            if path == f"{prefix}/comments/feed/":
                return Page(200, "OK", self.empty_feed(language, base).encode(), "application/rss+xml; charset=UTF-8")
            for listing, pages in ((NEWS[language], True), (HOME[language], False)):
                if path == listing:
                    return self._html(self.render_listing(language, listing, 1, base))
                if pages and path.startswith(listing + "page/"):
                    number = path[len(listing + "page/"):].strip("/")
                    if number.isdigit() and 1 < int(number) <= self.page_count(language):
                        return self._html(self.render_listing(language, listing, int(number), base))
        if path.endswith("/feed/") and self.by_path(path[: -len("feed/")]):
            article = self.by_path(path[: -len("feed/")])
            return Page(200, "OK", self.empty_feed(article.language, base).encode(), "application/rss+xml; charset=UTF-8")
        article = self.by_path(path)
        if article is not None:
            return self._html(self.render_article(article, base), modified=_moment(article.published))
        if path in self.static_pages:
            return self._html(self.render_static(path, base))
        language = "ar" if path.startswith("/ar/") else "en"
        return self._html(self._page(language, "Page not found", base, "<h1>Page not found</h1>"), 404, "Not Found")

    @staticmethod
    def _html(text: str, status: int = 200, reason: str = "OK", modified: datetime | None = None) -> Page:
        return Page(status, reason, text.encode("utf-8"), "text/html; charset=UTF-8", last_modified=modified)

    @staticmethod
    def _xml(text: str) -> Page:
        return Page(200, "OK", text.encode("utf-8"), "application/xml; charset=UTF-8")

    # --- discovery files --------------------------------------------------------------
    def robots(self, base: str) -> str:
        return ("User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n\n"
                f"Sitemap: {base}/wp-sitemap.xml\n")

    def sitemap_index(self, base: str) -> str:
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<sitemap><loc>{base}/wp-sitemap-posts-page-1.xml</loc></sitemap></sitemapindex>\n")

    def sitemap_pages(self, base: str) -> str:
        urls = "".join(f"<url><loc>{base}{href(path)}</loc></url>" for path in self.static_pages)
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"{urls}</urlset>\n")

    def feed(self, language: str, base: str) -> str:
        items = []
        for article in self.articles_in(language)[:FEED_SIZE]:
            link = base + href(article.path)
            items.append(
                f"<item><title>{esc(article.title)}</title><link>{esc(link)}</link>"
                f"<comments>{esc(link)}#respond</comments>"
                f"<dc:creator><![CDATA[{article.author or ''}]]></dc:creator>"
                f"<pubDate>{http_date(_moment(article.published))}</pubDate>"
                f'<guid isPermaLink="false">{esc(base)}/?p={abs(hash(article.path)) % 100000}</guid>'
                f"<description><![CDATA[{article.paragraphs[0][:120]}…]]></description>"
                f"<wfw:commentRss>{esc(link)}feed/</wfw:commentRss></item>")
        return self._rss(language, base, "".join(items))

    def empty_feed(self, language: str, base: str) -> str:
        return self._rss(language, base, "")

    def _rss(self, language: str, base: str, items: str) -> str:
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wfw="http://wellformedweb.org/CommentAPI/">'
                f"<channel><title>{esc(SITE_NAME[language])}</title><link>{esc(base + HOME[language])}</link>"
                f"<language>{language}</language><description>News from the Gulf</description>{items}"
                "</channel></rss>\n")

    # --- pages ------------------------------------------------------------------------
    def page_count(self, language: str) -> int:
        return max(1, -(-len(self.articles_in(language)) // PAGE_SIZE))

    def _head(self, language: str, title: str, base: str, extra: str = "") -> str:
        prefix = "/ar" if language == "ar" else ""
        return (f'<!DOCTYPE html>\n<html lang="{"ar" if language == "ar" else "en-US"}" dir="{"rtl" if language == "ar" else "ltr"}">'
                f'<head><meta charset="UTF-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>{esc(title)}</title>"
                f'<link rel="alternate" type="application/rss+xml" title="{esc(WORDS[language]["feed"])}" href="{base}{prefix}/feed/">'
                f'<link rel="alternate" type="application/rss+xml" title="{esc(WORDS[language]["comments_feed"])}" '
                f'href="{base}{prefix}/comments/feed/">'
                f'<link rel="stylesheet" id="theme-css" href="{base}/wp-content/themes/newsroom/style.css?ver=6.5" media="all">'
                f"{extra}</head>")

    def _page(self, language: str, title: str, base: str, main: str, head_extra: str = "") -> str:
        words = WORDS[language]
        recent = "".join(
            f'<li><a href="{base}{href(a.path)}">{esc(a.title)}</a> <span class="post-date">{esc(a.printed_date)}</span></li>'
            for a in self.articles_in(language)[:5])
        menu = "".join(f'<li class="menu-item"><a href="{base}{href(p)}">{esc(t)}</a></li>'
                       for p, t in ((HOME[language], SITE_NAME[language]), (NEWS[language], "News" if language == "en" else "أخبار"),
                                    ("/ar/about/" if language == "ar" else "/about/", "About" if language == "en" else "من نحن")))
        other = "ar" if language == "en" else "en"
        return (self._head(language, title, base, head_extra)
                + f'<body class="wp-theme-newsroom"><div id="page" class="site">'
                f'<header id="masthead" class="site-header"><p class="site-title"><a href="{base}{HOME[language]}" rel="home">'
                f'{esc(SITE_NAME[language])}</a></p><nav class="main-navigation"><ul class="menu">{menu}</ul></nav>'
                f'<a class="lang-switch" href="{base}{HOME[other]}">{"العربية" if other == "ar" else "English"}</a></header>'
                f'<div id="content" class="site-content"><main id="main" class="site-main">{main}</main>'
                f'<aside id="secondary" class="widget-area"><section class="widget widget_recent_entries">'
                f'<h2 class="widget-title">{esc(words["recent"])}</h2><ul>{recent}</ul></section></aside></div>'
                f'<footer class="site-footer"><p>© 2024 {esc(SITE_NAME[language])}. {esc(words["rights"])}</p>'
                f'<p><a href="{base}/privacy-policy/">Privacy</a> · <a href="{base}/contact/">Contact</a></p></footer>'
                f"</div></body></html>")

    def render_listing(self, language: str, listing: str, number: int, base: str) -> str:
        words = WORDS[language]
        chosen = self.articles_in(language)
        chosen = chosen[(number - 1) * PAGE_SIZE: number * PAGE_SIZE] if listing == NEWS[language] else chosen[:PAGE_SIZE]
        posts = "".join(
            f'<article class="post type-post status-publish"><header class="entry-header">'
            f'<h2 class="entry-title"><a href="{base}{href(a.path)}" rel="bookmark">{esc(a.title)}</a></h2>'
            f'<time class="entry-date published" datetime="{a.published}">{esc(a.printed_date)}</time></header>'
            f'<div class="entry-summary"><p>{esc(a.paragraphs[0][:140])}…</p></div>'
            f'<a class="more-link" href="{base}{href(a.path)}">{esc(words["read"])}</a></article>'
            for a in chosen)
        navigation = ""
        if listing == NEWS[language]:
            links = []
            if number < self.page_count(language):
                links.append(f'<div class="nav-previous"><a href="{base}{href(listing)}page/{number + 1}/">{esc(words["older"])}</a></div>')
            if number > 1:
                newer = listing if number == 2 else f"{listing}page/{number - 1}/"
                links.append(f'<div class="nav-next"><a href="{base}{href(newer)}">{esc(words["newer"])}</a></div>')
            navigation = f'<nav class="navigation posts-navigation"><div class="nav-links">{"".join(links)}</div></nav>'
        title = f"News – {SITE_NAME[language]}" if language == "en" else f"أخبار – {SITE_NAME[language]}"
        return self._page(language, title, base, posts + navigation)

    def render_article(self, article: WpArticle, base: str) -> str:
        language, words = article.language, WORDS[article.language]
        url = base + href(article.path)
        alternates = "".join(
            f'<link rel="alternate" hreflang="{other.language}" href="{base}{href(other.path)}">'
            for other in [article, *self.translations_of(article)])
        if self.translations_of(article):
            alternates += f'<link rel="alternate" hreflang="x-default" href="{base}{href(article.path if article.language == "en" else self.translations_of(article)[0].path)}">'
        json_ld = json.dumps({
            "@context": "https://schema.org", "@type": "NewsArticle", "headline": article.title,
            "datePublished": article.published, "dateModified": article.published,
            "author": {"@type": "Person", "name": article.author} if article.author else None,
            "publisher": {"@type": "Organization", "name": SITE_NAME[language]},
            "mainEntityOfPage": url, "inLanguage": language,
        }, ensure_ascii=False)
        head = (f'<link rel="canonical" href="{url}">{alternates}'
                f'<meta property="og:type" content="article"><meta property="og:site_name" content="{esc(SITE_NAME[language])}">'
                f'<meta property="og:title" content="{esc(article.title)}">'
                f'<meta property="article:published_time" content="{article.published}">'
                f'<link rel="alternate" type="application/rss+xml" title="{esc(article.title)} » Comments Feed" href="{url}feed/">'
                f'<script type="application/ld+json">{json_ld}</script>')
        paragraphs = list(article.paragraphs)
        if article.lead_html:
            paragraphs[0] = article.lead_html
        body = "".join(f"<p>{esc(p)}</p>" for p in paragraphs)
        if article.closing_html:
            body += f"<p>{esc(article.closing_html)}</p>"
        figure = ""
        if article.photo_credit:
            figure = (f'<figure class="wp-block-image"><img src="{base}/wp-content/uploads/2024/05/photo.jpg" alt="">'
                      f'<figcaption>{esc(article.photo_credit)}</figcaption></figure>')
        byline = (f'<span class="byline"> {esc(words["by"])} <span class="author vcard"><a class="url fn n" '
                  f'href="{base}/author/{quote(article.author.split()[0].lower())}/">{esc(article.author)}</a></span></span>'
                  if article.author else "")
        share = (f'<div class="sharedaddy"><a rel="nofollow noopener" href="{url}?share=twitter" class="share-twitter">'
                 f'{esc(words["share"])}</a> <a rel="nofollow" href="{url}?print=1">{esc(words["print"])}</a></div>')
        comments = (f'<div id="comments" class="comments-area"><h2 class="comments-title">{esc(words["comments"])}</h2>'
                    f'<ol class="comment-list"><li class="comment"><div class="comment-content"><p>'
                    f'{"Great news for the region." if language == "en" else "خبر رائع للمنطقة."}</p></div>'
                    f'<a rel="nofollow" class="comment-reply-link" href="{url}?replytocom=41#respond">{esc(words["reply"])}</a>'
                    f"</li></ol></div>")
        categories = ", ".join(f'<a href="{base}{href(NEWS[language])}" rel="category tag">{esc(c)}</a>' for c in article.categories)
        main = (f'<article class="post type-post status-publish format-standard hentry">'
                f'<header class="entry-header"><h1 class="entry-title">{esc(article.title)}</h1>'
                f'<div class="entry-meta"><span class="posted-on"><time class="entry-date published" '
                f'datetime="{article.published}">{esc(article.printed_date)}</time></span>{byline}</div></header>'
                f'{figure}<div class="entry-content">{body}</div>'
                f'<footer class="entry-footer"><span class="cat-links">{categories}</span>{share}</footer></article>'
                f"{comments}")
        return self._page(language, f"{article.title} – {SITE_NAME[language]}", base, main, head)

    def render_static(self, path: str, base: str) -> str:
        language, title, paragraphs = self.static_pages[path]
        main = (f'<article class="page type-page"><header class="entry-header"><h1 class="entry-title">{esc(title)}</h1>'
                f'</header><div class="entry-content">{"".join(f"<p>{esc(p)}</p>" for p in paragraphs)}</div></article>')
        return self._page(language, f"{title} – {SITE_NAME[language]}", base, main,
                          f'<meta property="og:type" content="website"><link rel="canonical" href="{base}{href(path)}">')


def _moment(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(timezone.utc)
