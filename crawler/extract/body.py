"""Article body: site selectors first, trafilatura as the fallback, one paragraph per line.

Both paths run on the tree already pruned by ``PageCleaner`` and go through the same
``LineRules``, so switching selectors off (or a redesign that breaks them) changes how the
body is found, not what counts as body text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from copy import deepcopy
from functools import lru_cache
from itertools import islice

from lxml import etree

from .boilerplate import LineRules, block_lines

log = logging.getLogger(__name__)

# Less text than this is not an article body (an error page, an empty template).
MIN_BODY_CHARS = 80
# Attribution lines are short; only the last few lines of an article are looked at.
ATTRIBUTION_MAX_CHARS = 160
ATTRIBUTION_LOOKBACK = 3
ATTRIBUTION_LOOKAHEAD = 4
# trafilatura gives up on trees larger than this (bounded work on huge pages).
MAX_TREE_SIZE = 60_000



@lru_cache(maxsize=256)
def _compiled(selector: str):
    from lxml.cssselect import CSSSelector

    if selector.startswith(("/", "(")):
        return etree.XPath(selector)
    return CSSSelector(selector)


def select_all(root, selector: str) -> list:
    """Elements matching a site selector: CSS, or XPath when it starts with '/' or '('.
    A broken selector is logged and matches nothing (the generic extractor takes over)."""
    try:
        found = _compiled(selector)(root)
    except Exception as exc:  # cssselect/XPath errors of a bad config must not stop extraction
        log.warning("bad selector %r: %s", selector, exc)
        return []
    if not isinstance(found, list):
        return []
    return [e for e in found if isinstance(e, etree._Element)]


def select_first(root, selectors: Iterable[str], accept: Callable = bool):
    for selector in selectors:
        for element in select_all(root, selector):
            if accept(element):
                return element
    return None


@lru_cache(maxsize=1)
def _trafilatura_config():
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "MAX_TREE_SIZE", str(MAX_TREE_SIZE))
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # signals do not work outside the main thread
    return config


def trafilatura_lines(root, url: str | None) -> list[str]:
    """Main text by trafilatura (precision first, no comments, no tables, no deduplication)."""
    import trafilatura

    try:
        document = trafilatura.bare_extraction(
            deepcopy(root),
            url=url,
            favor_precision=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            deduplicate=False,
            with_metadata=False,
            config=_trafilatura_config(),
        )
    except Exception as exc:  # trafilatura must not break a crawl: the caller falls back
        log.warning("trafilatura failed on %s: %s", url, exc)
        return []
    body = getattr(document, "body", None) if document is not None else None
    return block_lines(body) if body is not None else []


def text_chars(lines: list[str]) -> int:
    return sum(len(line) for line in lines)


def find_body_lines(cleaned_root, *, url: str, selectors: Iterable[str], rules: LineRules,
                    main_block=None) -> list[str]:
    """Body lines: the first site body selector giving enough text, else trafilatura on the
    pruned tree, else the block holding most of the page's running text."""
    for selector in selectors:
        for element in select_all(cleaned_root, selector):
            lines = rules.filter(block_lines(element))
            if text_chars(lines) >= MIN_BODY_CHARS:
                return lines
    lines = rules.filter(trafilatura_lines(cleaned_root, url))
    if text_chars(lines) >= MIN_BODY_CHARS or main_block is None:
        return lines
    fallback = rules.filter(block_lines(main_block))
    return fallback if text_chars(fallback) > text_chars(lines) else lines


def take_attribution(body: list[str], page_lines: Callable[[], list[str]], parse: Callable[[str], dict | None],
                     rules: LineRules) -> tuple[list[str], dict | None]:
    """The source line: the last short line(s) of the article that parse as an attribution,
    looked for at the end of the body and, when the body extractor left it out, in the few
    page lines right after the body (``page_lines()``: the page's lines, asked for only then; of
    them only those few are passed through ``rules``). Returns the body without it, and the source."""
    for index in range(len(body) - 1, max(-1, len(body) - 1 - ATTRIBUTION_LOOKBACK), -1):
        line = body[index]
        if len(line) > ATTRIBUTION_MAX_CHARS:
            break
        source = parse(line)
        if source:
            return body[:index] + body[index + 1:], source
    for line in _lines_after(body, page_lines, rules):
        if len(line) > ATTRIBUTION_MAX_CHARS:
            break
        source = parse(line)
        if source:
            return body, source
    return body, None


def _lines_after(body: list[str], page_lines: Callable[[], list[str]], rules: LineRules) -> list[str]:
    """The first ATTRIBUTION_LOOKAHEAD article lines after the body's last line. That line passed
    ``rules``, so its last occurrence among the page's lines is the last one among the lines
    that pass them: only the lines after it need filtering."""
    if not body:
        return []
    last = body[-1]
    lines = page_lines()
    for index in range(len(lines) - 1, -1, -1):
        if lines[index] == last:
            following = (line for line in lines[index + 1:] if not rules.is_boilerplate(line))
            return list(islice(following, ATTRIBUTION_LOOKAHEAD))
    return []
