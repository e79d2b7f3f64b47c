"""What changed between two versions of an article: paragraphs and sentences added, removed and
changed (NewsEdits' edit actions, NAACL 2022), with word-level marks inside a changed sentence.

Pure functions over article text (``difflib``, no third-party code): ``diff_articles(old, new)``
takes two article records (``title`` and ``body``; the body's paragraphs are its lines) and
returns an ``ArticleDiff``; ``render_text`` and ``render_html`` show it (``archive.versions``
finds the records; the ``diff`` and ``versions`` commands print them).

How sentences are matched: the paragraphs are aligned first (unchanged paragraphs are set aside);
inside each run of differing paragraphs the sentences are aligned again, and an old and a new
sentence that are not identical but share at least ``SIMILAR`` of their words (in order) are one
sentence *changed*; what is left is *removed* or *added*. A paragraph whose every sentence is new
(or gone) is a paragraph added (or removed).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Mapping, Sequence

SIMILAR = 0.5  # share of words two sentences have in common (difflib ratio) to count as one, changed
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ps", "yi", "dv", "ug", "ckb"})

# A sentence ends at . ! ? … or the Arabic question mark (with closing quotes or brackets), before a space.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?…؟])|(?<=[.!?…؟][\"'»”’)\]]))\s+")
_TOKENS = re.compile(r"\w+|[^\w\s]+|\s+")


@dataclass(frozen=True)
class Segment:
    """A run of words of a changed sentence: ``=`` in both, ``-`` only in the old, ``+`` only in the new."""

    op: str
    text: str


@dataclass(frozen=True)
class SentenceChange:
    """One edit action: ``added`` (new only), ``removed`` (old only) or ``changed`` (both, with marks)."""

    action: str
    old: str | None = None
    new: str | None = None
    segments: tuple[Segment, ...] = ()


@dataclass(frozen=True)
class ParagraphChange:
    """A paragraph ``added``, ``removed`` or ``changed``, numbered in the new (else the old) version, from 1."""

    action: str
    number: int
    sentences: tuple[SentenceChange, ...]


@dataclass(frozen=True)
class ArticleDiff:
    old_title: str
    new_title: str
    paragraphs: tuple[ParagraphChange, ...] = ()
    counts: dict = field(default_factory=dict)

    @property
    def title_changed(self) -> bool:
        return self.old_title != self.new_title

    @property
    def sentences(self) -> list[SentenceChange]:
        return [sentence for paragraph in self.paragraphs for sentence in paragraph.sentences]

    def changed_sentences(self) -> dict:
        """The sentences themselves, by action (the ``versions`` lines carry these)."""
        out: dict = {"added": [], "removed": [], "changed": []}
        for sentence in self.sentences:
            if sentence.action == "changed":
                out["changed"].append({"old": sentence.old, "new": sentence.new})
            else:
                out[sentence.action].append(sentence.new if sentence.action == "added" else sentence.old)
        return out


def split_paragraphs(body: str | None) -> list[str]:
    return [line.strip() for line in (body or "").split("\n") if line.strip()]


def split_sentences(paragraph: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(paragraph) if part.strip()]


def word_segments(old: str, new: str) -> tuple[Segment, ...]:
    """Word-level marks turning ``old`` into ``new`` (adjacent runs of one kind merged)."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    segments: list[Segment] = []

    def add(op: str, tokens: Sequence[str]) -> None:
        text = "".join(tokens)
        if not text:
            return
        if segments and segments[-1].op == op:
            segments[-1] = Segment(op, segments[-1].text + text)
        else:
            segments.append(Segment(op, text))

    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            add("=", a[i1:i2])
        else:
            add("-", a[i1:i2])
            add("+", b[j1:j2])
    return tuple(segments)


def similarity(old: str, new: str) -> float:
    words_old, words_new = old.split(), new.split()
    return SequenceMatcher(None, words_old, words_new, autojunk=False).ratio()


def diff_articles(old: Mapping, new: Mapping) -> ArticleDiff:
    """The edits from record ``old`` to record ``new`` (each with ``title`` and ``body``)."""
    old_paragraphs, new_paragraphs = split_paragraphs(old.get("body")), split_paragraphs(new.get("body"))
    changes: list[ParagraphChange] = []
    matcher = SequenceMatcher(None, old_paragraphs, new_paragraphs, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            changes += _paragraph_changes(old_paragraphs, new_paragraphs, i1, i2, j1, j2)
    sentences = [s for paragraph in changes for s in paragraph.sentences]
    counts = {
        "sentences_added": sum(s.action == "added" for s in sentences),
        "sentences_removed": sum(s.action == "removed" for s in sentences),
        "sentences_changed": sum(s.action == "changed" for s in sentences),
        "paragraphs_added": sum(p.action == "added" for p in changes),
        "paragraphs_removed": sum(p.action == "removed" for p in changes),
        "paragraphs_changed": sum(p.action == "changed" for p in changes),
        "title_changed": (old.get("title") or "") != (new.get("title") or ""),
    }
    return ArticleDiff(old.get("title") or "", new.get("title") or "", tuple(changes), counts)


def _paragraph_changes(old: list[str], new: list[str], i1: int, i2: int, j1: int, j2: int) -> list[ParagraphChange]:
    """The changes of the differing paragraphs old[i1:i2] -> new[j1:j2], sentence by sentence."""
    old_sentences = [(index, s) for index in range(i1, i2) for s in split_sentences(old[index])]
    new_sentences = [(index, s) for index in range(j1, j2) for s in split_sentences(new[index])]
    aligned = list(_align_sentences(old_sentences, new_sentences))
    # where each old paragraph went: the new paragraph holding its first kept (or changed) sentence
    moved: dict[int, int] = {}
    for _change, old_index, new_index in aligned:
        if old_index is not None and new_index is not None:
            moved.setdefault(old_index, new_index)
    # each sentence goes to a new paragraph; a removed one to where its paragraph went, else (its
    # paragraph is gone) to its old paragraph
    by_paragraph: dict[tuple[str, int], list[SentenceChange]] = {}
    for change, old_index, new_index in aligned:
        if new_index is None and old_index in moved:
            new_index = moved[old_index]
        side = ("new", new_index) if new_index is not None else ("old", old_index)
        by_paragraph.setdefault(side, []).append(change)
    out = []
    for (side, index), sentences in by_paragraph.items():
        if side == "new":
            whole = all(s.action == "added" for s in sentences)
            action = "added" if whole else "changed"
        else:
            whole = True  # no sentence of it is left
            action = "removed" if whole else "changed"
        out.append(ParagraphChange(action, index + 1, tuple(s for s in sentences if s.action != "unchanged")))
    return [p for p in out if p.sentences]


def _align_sentences(old: list[tuple[int, str]], new: list[tuple[int, str]]):
    """(change, old paragraph index, new paragraph index) in reading order; identical sentences
    come back as ``unchanged`` (dropped by the caller) so that paragraph totals stay exact."""
    matcher = SequenceMatcher(None, [s for _, s in old], [s for _, s in new], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for (oi, text), (ni, _) in zip(old[i1:i2], new[j1:j2]):
                yield SentenceChange("unchanged", text, text), oi, ni
            continue
        j = j1
        for oi, text in old[i1:i2]:
            match = next((k for k in range(j, j2) if similarity(text, new[k][1]) >= SIMILAR), None)
            if match is None:
                yield SentenceChange("removed", old=text), oi, None
                continue
            for k in range(j, match):
                yield SentenceChange("added", new=new[k][1]), None, new[k][0]
            ni, new_text = new[match]
            yield SentenceChange("changed", text, new_text, word_segments(text, new_text)), oi, ni
            j = match + 1
        for k in range(j, j2):
            yield SentenceChange("added", new=new[k][1]), None, new[k][0]


# -- showing a diff ----------------------------------------------------------------------------

_ANSI = {"-": "\x1b[31;9m", "+": "\x1b[32;4m", "removed": "\x1b[31m", "added": "\x1b[32m", "head": "\x1b[1m"}
_RESET = "\x1b[0m"
_PLAIN_MARKS = {"-": ("[-", "-]"), "+": ("{+", "+}")}


def summary_line(diff: ArticleDiff) -> str:
    c = diff.counts
    title = "; title changed" if diff.title_changed else ""
    plural = "" if c["sentences_added"] == 1 else "s"
    return (f"{c['sentences_added']} sentence{plural} added, {c['sentences_removed']} removed, "
            f"{c['sentences_changed']} changed{title}")


def render_text(diff: ArticleDiff, header: Sequence[str] = (), colour: bool = False) -> str:
    """The diff for a terminal (``colour``: ANSI red/green) or a file (marks ``[-old-]{+new+}``)."""

    def paint(style: str, text: str) -> str:
        return f"{_ANSI[style]}{text}{_RESET}" if colour else text

    def marked(segments: Sequence[Segment]) -> str:
        out = []
        for segment in segments:
            if segment.op == "=":
                out.append(segment.text)
            elif colour:
                out.append(paint(segment.op, segment.text))
            else:
                start, end = _PLAIN_MARKS[segment.op]
                out.append(f"{start}{segment.text}{end}")
        return "".join(out)

    lines = [paint("head", line) for line in header]
    if diff.title_changed:
        lines += ["title changed:", paint("removed", f"  - {diff.old_title}"), paint("added", f"  + {diff.new_title}")]
    for paragraph in diff.paragraphs:
        lines.append(f"paragraph {paragraph.number} {paragraph.action}:")
        for sentence in paragraph.sentences:
            if sentence.action == "added":
                lines.append(paint("added", f"  + {sentence.new}"))
            elif sentence.action == "removed":
                lines.append(paint("removed", f"  - {sentence.old}"))
            else:
                lines.append(f"  ~ {marked(sentence.segments)}")
    if not diff.paragraphs and not diff.title_changed:
        lines.append("no change in title or text")
    lines.append(summary_line(diff))
    return "\n".join(lines) + "\n"


_CSS = """
body{font:16px/1.6 system-ui,sans-serif;max-width:50em;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.3em} .meta{color:#666;font-size:.9em} .summary{font-weight:bold}
section{border-inline-start:4px solid #ccc;padding:.2em 1em;margin:1em 0}
section.added{border-color:#2a2} section.removed{border-color:#c22} section.changed{border-color:#d90}
h2{font-size:1em;color:#555;margin:.3em 0} p{margin:.4em 0}
p.added,ins{background:#dfd;text-decoration:none} p.removed,del{background:#fdd}
p.added::before{content:"+ ";color:#2a2} p.removed::before{content:"\\2212  ";color:#c22}
"""


def render_html(diff: ArticleDiff, *, title: str, meta: Sequence[str] = (), language: str | None = None) -> str:
    """One self-contained page (inline CSS, no script, nothing fetched); right-to-left for Arabic."""
    lang = (language or "").split("-")[0].lower()
    direction = "rtl" if lang in RTL_LANGUAGES else "ltr"
    e = html.escape
    body = [f"<h1>{e(title)}</h1>"]
    body += [f'<p class="meta">{e(line)}</p>' for line in meta]
    body.append(f'<p class="summary">{e(summary_line(diff))}</p>')
    if diff.title_changed:
        body.append('<section class="changed"><h2>title changed</h2>'
                    f'<p class="removed"><del>{e(diff.old_title)}</del></p><p class="added"><ins>{e(diff.new_title)}</ins></p></section>')
    for paragraph in diff.paragraphs:
        items = []
        for sentence in paragraph.sentences:
            if sentence.action == "added":
                items.append(f'<p class="added"><ins>{e(sentence.new)}</ins></p>')
            elif sentence.action == "removed":
                items.append(f'<p class="removed"><del>{e(sentence.old)}</del></p>')
            else:
                marks = "".join(e(s.text) if s.op == "=" else f"<{'del' if s.op == '-' else 'ins'}>{e(s.text)}</{'del' if s.op == '-' else 'ins'}>"
                                for s in sentence.segments)
                items.append(f'<p class="changed">{marks}</p>')
        body.append(f'<section class="{paragraph.action}"><h2>paragraph {paragraph.number} {paragraph.action}</h2>'
                    + "".join(items) + "</section>")
    return (f'<!DOCTYPE html>\n<html lang="{e(lang or "und")}" dir="{direction}">\n<head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{e(title)}</title>'
            f"<style>{_CSS}</style></head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n")
