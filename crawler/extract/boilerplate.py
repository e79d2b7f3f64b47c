"""What is not article text, decided from the page itself and the site config.

Two levels, both generic (no page-specific rules), so they hold on layouts never seen:

- ``PageCleaner`` prunes a parsed page before the body is looked for: page furniture by tag
  (nav, footer, forms...) and by class/id words (share, cookie, sidebar...), the language
  switcher, teasers of *other* articles of the site (known from their links), link lists,
  images with their captions, data tables; layout tables are turned into divs so their cells
  become blocks (and trafilatura, run without tables, still sees the text in them).
- ``LineRules`` drops single lines of a body: the title, the printed date, the site's name
  and boilerplate texts, photo credits, switcher lines.

The title element and the block holding most of the page's running text are *protected*:
no rule removes them or their ancestors, so a badly named wrapper (``class="with-sidebar"``)
cannot take the article with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from urllib.parse import urlsplit

from lxml import etree
from lxml.html import HtmlElement

from .decode import normalize_text
from .urls import SiteUrls

# Elements that never hold readable text.
NON_TEXT_TAGS = frozenset({
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
})
# Elements that are never article text, whatever their class.
DROPPED_TAGS = NON_TEXT_TAGS | frozenset({
    "form", "button", "input", "select", "textarea", "label", "nav", "header", "footer", "aside",
    "figure", "figcaption", "video", "audio", "map", "dialog", "menu",
})
# Words of a class or id (split at '-', '_' and camelCase) that name page furniture.
FURNITURE_WORDS = frozenset({
    "caption", "captions", "credit", "credits", "share", "sharing", "social", "socials", "cookie",
    "cookies", "banner", "banners", "breadcrumb", "breadcrumbs", "crumbs", "menu", "nav", "navbar",
    "navigation", "sidebar", "aside", "related", "teaser", "teasers", "tags", "tag", "lang", "langs",
    "language", "languages", "switcher", "footer", "header", "comments", "comment", "subscribe",
    "subscription", "advert", "adv", "ads", "popup", "modal", "pagination", "pager", "print",
    "rss", "search", "logo", "copyright", "widget", "counter", "counters", "toolbar", "photo",
    "picture", "gallery", "slider", "carousel", "login", "auth",
})
BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog", "dir",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
    "h5", "h6", "header", "hgroup", "hr", "html", "li", "main", "menu", "nav", "ol", "p", "pre",
    "section", "summary", "table", "tbody", "thead", "tfoot", "tr", "td", "th", "caption", "ul",
    "legend", "option",
    # trafilatura's output vocabulary
    "head", "item", "list", "quote", "row", "cell", "doc",
})
# The block elements of a parsed HTML page (its parser gives lower-case names), in or out of a
# namespace, for lxml's C-level tag filter.
_BLOCK_TAG_PATTERNS = tuple(sorted("{*}" + tag for tag in BLOCK_TAGS))
PARAGRAPH_TAGS = frozenset({"p", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "li"})
# Names of languages as switchers print them (compared case-insensitively).
LANGUAGE_LABELS = frozenset({
    "en", "eng", "english", "ar", "arab", "arabic", "عربي", "العربية", "عربى", "ع", "ru", "rus",
    "russian", "русский", "рус", "english version", "русская версия", "النسخة العربية",
    "الإنجليزية", "الانجليزية", "الروسية", "english", "англ", "eng.", "рус.", "fr", "français",
    "de", "deutsch", "tr", "türkçe", "fa", "فارسی",
})
# Lines that introduce a photo credit or a caption.
CAPTION_LINE = re.compile(
    r"^\s*(?:фото(?:графия)?|photo(?:graph)?s?|foto|image|pictured|illustration|иллюстрация|"
    r"الصورة|صورة|صور|المصدر الصورة)\s*(?:[:：/|©-]|\(|$)",
    re.IGNORECASE,
)
# A copyright notice ("™ & © 2013 <any name>. All rights reserved."), whoever it names.
COPYRIGHT_LINE = re.compile(r"©|\(c\)\s*\d{4}|all rights reserved|все права (?:защищены|сохранены)|"
                            r"جميع الحقوق محفوظة|الحقوق محفوظة", re.IGNORECASE)
COPYRIGHT_MAX_CHARS = 160
# Titles of error pages served with status 200 at an article URL (matched on text_key).
ERROR_TITLE = re.compile(
    r"^(?:(?:error|ошибка|خطأ)\s*)?404\b"
    r"|^(?:(?:the\s)?page|страница|الصفحة|صفحة)\s.{0,30}(?:not found|does not exist|не найдена|не существует|"
    r"غير موجودة|غير موجود)$"
    r"|^(?:not found|page not found|страница не найдена|الصفحة غير موجودة|ошибка)$"
)

TEASER_MAX_CHARS = 600
PROSE_LINE_CHARS = 60  # a block with two lines this long (outside links) is prose, not a teaser  # a teaser item (title + lead + date) is shorter than this
TEASER_CLIMB_LEVELS = 6
SWITCHER_MAX_CHARS = 24
LEFTOVER_MAX_CHARS = 60  # a container left with only a heading ("Read also") after pruning
LINK_LIST_DENSITY = 0.7
NAVIGATION_LINK_MAX_CHARS = 60
CAPTION_MAX_CHARS = 220

_LETTERS = re.compile(r"[^\W\d_]")
_QUOTES = re.compile(r"[\"'«»“”„‟‘’‚‛`´″]")
_DASH = re.compile(r"[-‐‑‒–—―]")
_EDGE_PUNCT = " .,:;!?|·•*–—-"
_WORD_SPLIT = re.compile(r"[-_\s]+|(?<=[a-z])(?=[A-Z])")


def text_key(text: str) -> str:
    """Comparison form of a short text: quotes, dash styles, case and edge punctuation ignored."""
    if len(text) <= _MEMO_KEY_CHARS:
        return _short_text_key(text)
    return _text_key(text)


# Site names, menu labels and switcher links recur on every page: their keys are memoised.
_MEMO_KEY_CHARS = 200


@lru_cache(maxsize=8192)
def _short_text_key(text: str) -> str:
    return _text_key(text)


def _text_key(text: str) -> str:
    # After normalize_text the only whitespace is single spaces (quotes removed may leave two):
    # plain string operations do what regexes over \s would, in a third of the time.
    text = _QUOTES.sub("", normalize_text(text).casefold())
    parts = _DASH.split(text)
    if len(parts) > 1:  # every dash style, with the spaces around it, becomes "-"
        text = "-".join([part.strip(" ") for part in parts])
    return text.strip(_EDGE_PUNCT)


_LINE_BREAKS = frozenset({"br", "lb", "hr"})


def block_lines(element) -> list[str]:
    """The text of a subtree as rendered lines: every block element and every line break
    (``<br>``, trafilatura's ``<lb>``) ends a line; inline markup is joined as displayed.
    Iterative, so deeply nested markup cannot exhaust the stack."""
    return list(iter_block_lines(element))


def iter_block_lines(element) -> Iterator[str]:
    """``block_lines``, one line at a time (a reader that has seen enough stops the walk)."""
    buffer: list[str] = []
    walker = etree.iterwalk(element, events=("start", "end"))
    for event, node in walker:
        name = tag_name(node)
        if event == "start":
            if not name or name in NON_TEXT_TAGS:  # comments, scripts: their tail still counts
                walker.skip_subtree()
                continue
            if buffer and (name in BLOCK_TAGS or name in _LINE_BREAKS):
                yield from _flushed(buffer)
            if node.text:
                buffer.append(node.text)
        else:
            if buffer and name in BLOCK_TAGS:
                yield from _flushed(buffer)
            if node is not element and node.tail:
                buffer.append(node.tail)
    yield from _flushed(buffer)


def _flushed(buffer: list[str]) -> Iterator[str]:
    """The line the pieces in ``buffer`` make, if any text; empties the buffer."""
    text = normalize_text("".join(buffer))
    buffer.clear()
    if text:
        yield text


_TAG_NAMES: dict = {}  # element.tag -> tag_name (a few hundred distinct tags in any crawl)


def tag_name(element) -> str:
    tag = element.tag
    name = _TAG_NAMES.get(tag)
    if name is None:
        name = tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""
        if len(_TAG_NAMES) < 4096:
            _TAG_NAMES[tag] = name
    return name


def element_text(element) -> str:
    return normalize_text(_raw_text(element))


def text_longer_than(element, limit: int) -> bool:
    """``len(element_text(element)) > limit``, without normalising the whole of a long text
    (a container around a teaser can hold the page): a prefix ending before a space normalises
    to a prefix of the normal form (a space composes with nothing and only ends a word), so
    once such a prefix is longer than ``limit`` the whole text is."""
    raw = _raw_text(element)
    cut = raw.find(" ", 2 * limit + 64)
    if cut > 0 and len(normalize_text(raw[:cut])) > limit:
        return True
    return len(normalize_text(raw)) > limit


def _raw_text(element) -> str:
    """The text of an element's subtree, as lxml's ``text_content()`` gives it; "" for what has none."""
    if isinstance(element, HtmlElement):
        # The text serialisation is the same string as text_content() (XPath string()) in half the time.
        try:
            return etree.tostring(element, method="text", encoding=str, with_tail=False)
        except (ValueError, etree.LxmlError):
            pass
    try:
        return element.text_content()
    except (ValueError, AttributeError):
        return ""


def nearest_block(element):
    node = element.getparent()
    while node is not None and tag_name(node) not in BLOCK_TAGS:
        node = node.getparent()
    return node


def is_attached(element, root) -> bool:
    """Still in the tree under ``root`` (not inside something already dropped)."""
    node = element
    while node is not None:
        if node is root:
            return True
        node = node.getparent()
    return False


def remove(element) -> None:
    """Remove an element and its subtree, keeping the text that follows it (its tail)."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail and tail.strip():
        previous = element.getprevious()
        if previous is not None:
            previous.tail = _settable((previous.tail or "") + tail)
        else:
            parent.text = _settable((parent.text or "") + tail)
    parent.remove(element)


# What lxml refuses to set as text although its HTML parser lets it through ("&#1;", U+FFFF).
_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _settable(text: str) -> str:
    return _NOT_XML_CHARS.sub("", text) if _NOT_XML_CHARS.search(text) else text


def class_words(element) -> frozenset[str]:
    """Words of an element's class and id, lower-cased (``newsItem-title`` -> news, item, title)."""
    return _class_words(element.get("class"), element.get("id"))


@lru_cache(maxsize=8192)
def _class_words(class_value: str | None, id_value: str | None) -> frozenset[str]:
    # Pages of one site reuse a few hundred class names: split each once.
    return frozenset(w.lower() for value in (class_value, id_value) if value for w in _WORD_SPLIT.split(value) if w)


def main_text_block(root):
    """The element holding the most running text directly (its own text nodes and paragraph
    children, link text not counted): the article body container on nearly every layout, the
    cell of a table layout; None when the page has no running text. ``root`` is a parsed HTML
    page (lower-case tag names)."""
    best, best_score = None, 0
    for element in root.iter(_BLOCK_TAG_PATTERNS):  # lxml picks the block elements (C speed)
        name = tag_name(element)
        if name not in BLOCK_TAGS or name in ("html", "body"):
            continue
        score = len((element.text or "").strip())
        for child in element:
            child_name = tag_name(child)
            score += len((child.tail or "").strip())
            if child_name in PARAGRAPH_TAGS or child_name in ("span", "font", "b", "strong", "i", "em"):
                score += _unlinked_chars(child)
        if score > best_score:
            best, best_score = element, score
    return best


def _unlinked_chars(element) -> int:
    linked = sum(len(element_text(a)) for a in element.iter("a"))
    return max(0, len(element_text(element)) - linked)


# Every element _drop_invisible may drop (and a few it keeps: style attributes that hide nothing).
_INVISIBLE_CANDIDATES = etree.XPath(" | ".join(
    ["//*[@hidden or @aria-hidden or @style]", *(f"//{tag}" for tag in sorted(NON_TEXT_TAGS))]))


def _is_hidden(element) -> bool:
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    style = (element.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


def _is_prose(element, link) -> bool:
    """Two or more long lines of text outside ``link``: an article's paragraphs, not a teaser."""
    link_text = element_text(link)
    long_lines = 0
    for line in iter_block_lines(element):
        if link_text and link_text in line:
            line = line.replace(link_text, "")
        if len(line.strip()) >= PROSE_LINE_CHARS:
            long_lines += 1
            if long_lines >= 2:
                return True
    return False


def _inside_sentence(element) -> bool:
    """An inline element with words right before or after it, in a block of running text (not
    "Share: <a class=share>Facebook</a>")."""
    if tag_name(element) in BLOCK_TAGS:
        return False
    parent = element.getparent()
    previous = element.getprevious()
    before = parent.text if previous is None else previous.tail
    if not (_LETTERS.search(before or "") or _LETTERS.search(element.tail or "")):
        return False
    return _own_text_chars(parent) >= PROSE_LINE_CHARS


def _own_text_chars(element) -> int:
    """Characters of the text directly in ``element`` (its text and its children's tails)."""
    return len((element.text or "").strip()) + sum(len((child.tail or "").strip()) for child in element)


def _is_line_boundary(element) -> bool:
    return element is None or tag_name(element) in BLOCK_TAGS or tag_name(element) == "br"


def _on_own_line(element) -> bool:
    """Nothing but whitespace, line breaks or blocks on either side of ``element``."""
    previous = element.getprevious()
    before = element.getparent().text if previous is None else previous.tail
    if (before or "").strip() or not _is_line_boundary(previous):
        return False
    return not (element.tail or "").strip() and _is_line_boundary(element.getnext())


class PageCleaner:
    """Prunes furniture from a parsed page (in place): see the module docstring."""

    def __init__(self, urls: SiteUrls, page_url: str, page_key: str, language_prefixes: Iterable[str]):
        self.urls = urls
        self.page_url = page_url
        self.page_key = page_key
        self.language_roots = {p.rstrip("/") or "/" for p in language_prefixes}
        self._article_keys: dict[str, str | None] = {}  # href -> _other_article_key
        self._text_chars: dict = {}  # element -> len(element_text(element)), see _chars
        self._changed: set = set()  # elements something was dropped from, see _longer_than

    def clean(self, root, title_element=None):
        """Prune ``root`` in place; returns the main text block (see ``main_text_block``),
        found once other articles' teasers are gone so a teaser cannot pass for the body."""
        self.root = root
        self.protected = set()
        self._protect(title_element)
        self._drop_invisible()
        self._drop_teasers()
        main_block = main_text_block(root)
        self._protect(main_block)
        self._drop_where(self._is_furniture)
        self._drop_switcher_links()
        self._drop_images_with_captions()
        self._drop_navigation_links()
        self._drop_link_lists()
        self._flatten_tables()
        return main_block if main_block is not None and is_attached(main_block, root) else None

    # --- helpers ---------------------------------------------------------------------------
    def _protect(self, element) -> None:
        while element is not None:
            self.protected.add(element)
            element = element.getparent()

    def _drop(self, element) -> bool:
        if element in self.protected or element is self.root:
            return False
        node = element.getparent()
        while node is not None:  # their text changes
            self._text_chars.pop(node, None)
            self._changed.add(node)
            node = node.getparent()
        remove(element)
        return True

    def _chars(self, element) -> int:
        """``len(element_text(element))``, remembered until something inside it is dropped:
        the links or images of one block ask for it one after another (thousands of links in
        one block must not cost thousands of readings of its text)."""
        chars = self._text_chars.get(element)
        if chars is None:
            chars = self._text_chars[element] = len(element_text(element))
        return chars

    def _longer_than(self, element, limit: int) -> bool:
        """``self._chars(element) > limit``; for an element that loses a link at every step
        (links on lines of their own) only a prefix of its text is normalised each time."""
        if element in self._changed and element not in self._text_chars:
            return text_longer_than(element, limit)
        return self._chars(element) > limit

    def _drop_where(self, predicate: Callable) -> None:
        """Drop every unprotected element matching ``predicate`` (its subtree is not visited)."""
        doomed = []
        walker = etree.iterwalk(self.root, events=("start",))
        for _event, element in walker:
            if element is not self.root and element not in self.protected and predicate(element):
                doomed.append(element)
                walker.skip_subtree()
        for element in doomed:
            self._drop(element)

    def _drop_invisible(self) -> None:
        """Drop what is never displayed: scripts, styles, hidden elements (the parser drops
        comments). The few candidates are found by XPath (in C, in document order), not by
        walking every element."""
        for element in _INVISIBLE_CANDIDATES(self.root):
            if tag_name(element) in NON_TEXT_TAGS or _is_hidden(element):
                self._drop(element)  # inside something dropped already: detached, nothing changes

    def _drop_leftovers(self, parent) -> None:
        """After removing an item, drop the containers left holding only a short label."""
        while parent is not None and parent not in self.protected and parent is not self.root:
            if self._longer_than(parent, LEFTOVER_MAX_CHARS):
                return
            grand = parent.getparent()
            self._drop(parent)
            parent = grand

    # --- rules -----------------------------------------------------------------------------
    def _is_furniture(self, element) -> bool:
        name = tag_name(element)
        if name in DROPPED_TAGS:
            return True
        if name in ("html", "body", "main", "article"):
            return False
        # An inline element inside running text is part of the sentence, whatever its class
        # (<a class="searchLink">Borno</a> in "ボルノ（Borno）州").
        return bool(class_words(element) & FURNITURE_WORDS) and not _inside_sentence(element)

    def _is_language_link(self, link) -> bool:
        label = text_key(element_text(link))
        if not label or len(label) > SWITCHER_MAX_CHARS:
            return False
        if label in LANGUAGE_LABELS:
            return True
        href = link.get("href")
        if not href:
            return False
        target = self.urls.to_crawl_url(href, self.page_url)
        if target is None:
            return False
        path = urlsplit(target).path.rstrip("/") or "/"
        return path in self.language_roots and len(label) <= 12

    def _drop_switcher_links(self) -> None:
        for link in list(self.root.iter("a")):
            if is_attached(link, self.root) and self._is_language_link(link):
                parent = link.getparent()
                if self._drop(link):
                    self._shrink_switcher(parent)

    def _shrink_switcher(self, parent) -> None:
        while parent is not None and parent not in self.protected and parent is not self.root:
            rest = text_key(element_text(parent))
            words = [w for w in re.split(r"[\s|/·•,]+", rest) if w]
            if len(rest) > SWITCHER_MAX_CHARS and not all(w in LANGUAGE_LABELS for w in words):
                return
            grand = parent.getparent()
            self._drop(parent)
            parent = grand

    def _drop_images_with_captions(self) -> None:
        for image in list(self.root.iter("img")):
            if not is_attached(image, self.root):
                continue
            block = nearest_block(image)
            if block is not None and block not in self.protected and self._chars(block) <= CAPTION_MAX_CHARS:
                following = block.getnext()
                self._drop(block)
                if following is not None and self._is_caption_block(following):
                    self._drop(following)
            else:
                self._drop(image)

    def _is_caption_block(self, element) -> bool:
        """A short block right after an image, all of it in italics/small print: its caption."""
        text = element_text(element)
        if not text or len(text) > CAPTION_MAX_CHARS or tag_name(element) not in ("p", "div", "span"):
            return False
        if CAPTION_LINE.match(text):
            return True
        styled = "".join(element_text(e) for e in element if tag_name(e) in ("i", "em", "small", "sub"))
        return normalize_text(styled) == text

    def _other_article_key(self, link) -> str | None:
        href = link.get("href")
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            return None
        try:
            return self._article_keys[href]
        except KeyError:
            pass
        target = self.urls.to_crawl_url(href, self.page_url)
        if target is None or not self.urls.is_article(target):
            key = None
        else:
            key = self.urls.canonical_key(target)
            key = None if key == self.page_key else key
        self._article_keys[href] = key  # teasers are looked at once per link and per container
        return key

    def _drop_teasers(self) -> None:
        """A link to another article of the site that is not inline in a paragraph marks a
        teaser (title, lead, date): the largest container around it holding only that
        article's links goes."""
        for link in list(self.root.iter("a")):
            if not is_attached(link, self.root):
                continue
            key = self._other_article_key(link)
            if key is None:
                continue
            block = nearest_block(link)
            if block is None:
                continue
            link_chars = len(element_text(link))
            if tag_name(block) == "p" and self._longer_than(block, link_chars + max(link_chars, 40)):
                continue  # an inline link in a body paragraph
            if block in self.protected or self._longer_than(block, TEASER_MAX_CHARS) or _is_prose(block, link):
                if _on_own_line(link):  # "Read also: <a>...</a>" inside the article's text
                    self._drop(link)
                continue
            item = block
            for _ in range(TEASER_CLIMB_LEVELS):
                parent = item.getparent()
                if parent is None or parent in self.protected or parent is self.root:
                    break
                # A link to another article ends the climb first: a list of teasers stops here
                # without its whole text being read (each test is pure: their order is free).
                if any(other not in (None, key) for other in map(self._other_article_key, parent.iter("a"))):
                    break
                if text_longer_than(parent, TEASER_MAX_CHARS) or _is_prose(parent, link) or \
                        _own_text_chars(parent) >= PROSE_LINE_CHARS:  # a paragraph with a teaser inside
                    break
                item = parent
            parent = item.getparent()
            if self._drop(item):
                self._drop_leftovers(parent)

    def _drop_navigation_links(self) -> None:
        """A block that is nothing but a short link to a page of the site that is not an
        article ("All news", "Back", a section name) is navigation."""
        for link in list(self.root.iter("a")):
            if not is_attached(link, self.root):
                continue
            href = link.get("href")
            target = self.urls.to_crawl_url(href, self.page_url) if href else None
            if target is None or self.urls.is_article(target):
                continue
            text = element_text(link)
            block = nearest_block(link)
            if block is None or len(text) > NAVIGATION_LINK_MAX_CHARS:
                continue
            if block in self.protected:
                if _on_own_line(link):
                    self._drop(link)
            elif self._chars(block) == len(text) and element_text(block) == text:
                parent = block.getparent()
                if self._drop(block):
                    self._drop_leftovers(parent)

    def _drop_link_lists(self) -> None:
        """Blocks that are mostly links (menus, tag clouds, link lists without a class)."""
        for element in list(self.root.iter("ul", "ol", "div", "td", "p", "table", "section", "dl")):
            if element in self.protected or not is_attached(element, self.root):
                continue
            links = element.findall(".//a")
            if len(links) < 2:
                continue
            text = len(element_text(element))
            linked = sum(len(element_text(a)) for a in links)
            if text and linked / text >= LINK_LIST_DENSITY:
                parent = element.getparent()
                if self._drop(element):
                    self._drop_leftovers(parent)

    def _flatten_tables(self) -> None:
        """Layout tables (holding blocks, long text or the article) become divs, so each cell is
        a block of its own; the remaining data tables are dropped (tables are not extracted)."""
        for table in list(self.root.iter("table")):
            if not is_attached(table, self.root):
                continue
            if table in self.protected or self._is_layout_table(table):
                for element in table.iter():
                    name = tag_name(element)
                    if name in ("table", "tbody", "thead", "tfoot", "tr", "td", "th", "caption"):
                        element.tag = "div"
            else:
                self._drop(table)

    @staticmethod
    def _is_layout_table(table) -> bool:
        for cell in table.iter("td", "th"):
            if cell.find(".//table") is not None or cell.find(".//p") is not None or cell.find(".//div") is not None:
                return True
            if text_longer_than(cell, 200):
                return True
        return False


_LABEL_SEPARATORS = re.compile(r"[\s|/·•,]+")
_FIRST_LABEL = re.compile(r"[\s|/·•,]*([^\s|/·•,]+)")


def _is_switcher_line(key: str) -> bool:
    """Nothing but language names ("EN | RU | عربي"). Most lines fail on their first word,
    which is looked at before the whole line is split."""
    first = _FIRST_LABEL.match(key)
    if first is None or first.group(1) not in LANGUAGE_LABELS:
        return False
    return all(w in LANGUAGE_LABELS for w in _LABEL_SEPARATORS.split(key) if w)


class LineRules:
    """Single body lines that are not article text on any page of the site."""

    def __init__(self, *, title: str, date_raw: str | None, site_texts: Iterable[str],
                 date_parser: Callable[[str], object] | None = None):
        self.title_key = text_key(title) if title else ""
        self.date_raw = normalize_text(date_raw) if date_raw else ""
        self.site_keys = [k for k in (text_key(t) for t in site_texts) if k]
        self.date_parser = date_parser

    def is_boilerplate(self, line: str) -> bool:
        key = text_key(line)
        if not key:
            return True
        if key == self.title_key:
            return True
        for site_key in self.site_keys:
            # The name alone, or with a copyright sign and years ("© 2006–2025 <name>").
            if site_key in key and not _LETTERS.search(key.replace(site_key, "")):
                return True
        if CAPTION_LINE.match(line) or (len(line) <= COPYRIGHT_MAX_CHARS and COPYRIGHT_LINE.search(line)):
            return True
        if _is_switcher_line(key):
            return True
        return self._is_date_line(line)

    def _is_date_line(self, line: str) -> bool:
        if self.date_raw and self.date_raw in line and len(line) <= len(self.date_raw) + 30:
            return True
        if self.date_parser is None or len(line) > 64:
            return False
        found = self.date_parser(line)
        # The line is the date (maybe with a time or a weekday), not a sentence mentioning one.
        return found is not None and len(line) - len(getattr(found, "raw", line)) <= 16

    def filter(self, lines: Iterable[str]) -> list[str]:
        return [line for line in lines if not self.is_boilerplate(line)]
