"""Article body: site selectors first, trafilatura as the fallback, one paragraph per line.

Both paths run on the tree already pruned by ``PageCleaner`` and go through the same
``LineRules``, so switching selectors off (or a redesign that breaks them) changes how the
body is found, not what counts as body text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from copy import deepcopy
from functools import lru_cache
from itertools import islice

from lxml import etree

from .boilerplate import PROSE_LINE_CHARS, LineRules, block_lines, element_text, is_attached, tag_name

log = logging.getLogger(__name__)

# Less text than this is not an article body (an error page, an empty template).
MIN_BODY_CHARS = 80
# Attribution lines are short; only the last few lines of an article are looked at.
ATTRIBUTION_MAX_CHARS = 160
ATTRIBUTION_LOOKBACK = 3
ATTRIBUTION_LOOKAHEAD = 4
# Precision output sharing less than this part of its text with the densest block, which holds
# this many times its prose, is some other part of the page (see with_main_text).
WRONG_BLOCK_SHARE = 0.5
WRONG_BLOCK_RATIO = 2
# ... when it is mostly short lines (teaser titles): prose from elsewhere (an article above its
# comments, a page beside its sidebar) is kept.
TEASER_PROSE_SHARE = 0.5
# A paragraph ends a sentence (a teaser's or a video's title does not).
_SENTENCE_END = re.compile(r"[.!?…:;؟۔。！？][\"'»”’)\]]*$")
# Lines not found as such are searched inside the kept text, this many at most per comparison.
MAX_LINE_SEARCHES = 200
# A one-paragraph densest block gives way to its container (up to this many levels) when
# precision kept this share of the container's text.
CONTAINER_CLIMB_LEVELS = 2
CONTAINER_COVERED_SHARE = 0.6
# A lead is looked for before the body's container and up to this many wrappers around it.
LEAD_CLIMB_LEVELS = 3
LEAD_MAX_LINK_SHARE = 0.3
LEAD_SKIP_LABELS = 2
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
                    main_block=None, title_element=None) -> list[str]:
    """Body lines: the first site body selector giving enough text, else trafilatura on the
    pruned tree checked against the block holding most of the page's running text (see
    ``with_main_text``)."""
    for selector in selectors:
        for element in select_all(cleaned_root, selector):
            lines = rules.filter(block_lines(element))
            if text_chars(lines) >= MIN_BODY_CHARS:
                return lines
    lines = rules.filter(trafilatura_lines(cleaned_root, url))
    if main_block is None:
        return lines
    return with_main_text(lines, main_block, rules, title_element)


def with_main_text(lines: list[str], main_block, rules: LineRules, title_element=None) -> list[str]:
    """trafilatura's precision-first lines, measured against the densest text block (the
    article's container on nearly every layout, the cell of a table layout):

    - when they share little with it, are mostly short lines and it holds much more prose, they
      are some other part of the page (a sidebar of teasers next to an article in a table cell):
      the block's lines;
    - otherwise the block's prose lines that precision dropped between (or before) the lines it
      kept are put back in place (paragraphs opening with a date or a quote, a first paragraph
      with a dateline), and a prose block printed right before the container (a lead, a
      standfirst) goes first.

    Only the block's own lines and the block just before it are read: boilerplate elsewhere on
    the page cannot come back, and a page whose body precision found whole costs one walk of
    its container."""
    main = rules.filter(block_lines(main_block))
    if text_chars(lines) < MIN_BODY_CHARS:
        return main if text_chars(main) > text_chars(lines) else lines
    main_block, main = _paragraphs_container(main_block, main, lines, rules)
    covered = _covered(main, lines)
    main_prose = _prose_chars(main)
    shared = sum(len(line) for line, inside in zip(main, covered) if inside)
    prose = _prose_chars(lines)
    if shared < WRONG_BLOCK_SHARE * text_chars(lines) and main_prose > WRONG_BLOCK_RATIO * prose and \
            prose < TEASER_PROSE_SHARE * text_chars(lines):
        return main
    if any(covered):
        lines = _put_back(lines, main, covered)
    if main and covered[0]:
        lead = lead_lines(main_block, rules, title_element)
        if lead and not any(_covered(lead, lines)):
            lines = lead + lines
    return lines


def _paragraphs_container(main_block, main: list[str], lines: list[str], rules: LineRules):
    """The densest block is one paragraph when paragraphs are <div>s of their own: their
    container (a wrapper or two up) is the reference, when precision kept most of its text."""
    for _ in range(CONTAINER_CLIMB_LEVELS):
        parent = main_block.getparent()
        if len(main) > 1 or parent is None or tag_name(parent) in ("body", "html"):
            break
        around = rules.filter(block_lines(parent))
        inside = sum(len(line) for line, kept in zip(around, _covered(around, lines)) if kept)
        if inside < CONTAINER_COVERED_SHARE * text_chars(around):
            break
        main_block, main = parent, around
    return main_block, main


def _covered(lines: list[str], kept: list[str]) -> list[bool]:
    """For each of ``lines``: is its text among ``kept`` (the same line, or inside one when the
    two extractions broke lines differently)? Exact lines are looked up, the rest searched."""
    exact = set(kept)
    joined = None
    found = []
    searches = 0
    for line in lines:
        if line in exact:
            found.append(True)
        elif searches < MAX_LINE_SEARCHES:  # bounded work when two long extractions differ
            searches += 1
            joined = " ".join(kept) if joined is None else joined
            found.append(line in joined)
        else:
            found.append(False)
    return found


def _prose_chars(lines: list[str]) -> int:
    return sum(len(line) for line in lines if len(line) >= PROSE_LINE_CHARS)


def _put_back(lines: list[str], main: list[str], covered: list[bool]) -> list[str]:
    """``lines`` with the uncovered prose lines of ``main`` that come before its last covered
    line, each after the line holding the covered line before it (first when there is none)."""
    last = max(i for i, inside in enumerate(covered) if inside)
    after: dict[int, list[str]] = {}  # index in lines (-1: before the first) -> lines to insert
    position = {line: k for k, line in reversed(list(enumerate(lines)))}
    anchor = -1
    for index in range(last):
        line = main[index]
        if covered[index]:
            holder = position.get(line)
            if holder is None:  # broken into lines differently: the kept line that holds it
                holder = next((k for k, kept in enumerate(lines) if line in kept), None)
            anchor = anchor if holder is None else holder
        elif len(line) >= PROSE_LINE_CHARS and _SENTENCE_END.search(line):
            after.setdefault(anchor, []).append(line)
    if not after:
        return lines
    merged = list(after.get(-1, ()))
    for k, line in enumerate(lines):
        merged.append(line)
        merged.extend(after.get(k, ()))
    return merged


def _is_aside_label(element, skipped: int) -> bool:
    """Empty, or a short label between a lead and the body ("JUST WATCHED", a media credit):
    passed over, up to LEAD_SKIP_LABELS of them."""
    text = element_text(element)
    return not text or (skipped < LEAD_SKIP_LABELS and len(text) < PROSE_LINE_CHARS)


def lead_lines(main_block, rules: LineRules, title_element=None) -> list[str]:
    """The prose block printed right before the article's container (climbing a few wrappers
    that have nothing before them), when it is all long lines with few links and is not the
    title's block: a lead or standfirst laid out outside the body."""
    node, sibling = main_block, None
    for _ in range(LEAD_CLIMB_LEVELS):
        sibling, skipped = node.getprevious(), 0
        while sibling is not None and (not isinstance(sibling.tag, str) or _is_aside_label(sibling, skipped)):
            if title_element is not None and is_attached(title_element, sibling):
                return []  # nothing between the title and the body
            skipped += isinstance(sibling.tag, str) and bool(element_text(sibling))
            sibling = sibling.getprevious()
        if sibling is not None:
            break
        node = node.getparent()
        if node is None or (title_element is not None and is_attached(title_element, node)):
            return []
    if sibling is None or (title_element is not None and is_attached(title_element, sibling)):
        return []
    lines = rules.filter(block_lines(sibling))
    if not lines or any(len(line) < PROSE_LINE_CHARS for line in lines) or not _SENTENCE_END.search(lines[-1]):
        return []  # a byline with its date, a list of tags: not sentences
    linked = sum(len(element_text(a)) for a in sibling.iter("a"))
    return lines if linked <= LEAD_MAX_LINK_SHARE * text_chars(lines) else []


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
