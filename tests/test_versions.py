"""history, diff (text and HTML) and versions on an archive with known edits, Arabic among them:
the sentences reported added, removed and changed are exactly the edited ones."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from archive.diff import diff_articles, split_sentences
from archive.jsonl import JsonLinesWriter
from crawler.cli import main
from tests.conftest import ROOT

AR_1 = "ناقش أعضاء مجموعة الرؤية الاستراتيجية في قازان مشاريع إنسانية جديدة مع شركاء من الدول الإسلامية."
AR_1_EDITED = "ناقش أعضاء مجموعة الرؤية الاستراتيجية في موسكو مشاريع إنسانية جديدة مع شركاء من الدول الإسلامية."
AR_2 = "واتفق المشاركون على إعداد برنامج مشترك للعام المقبل وتوسيع التبادل التعليمي بين الجامعات."
AR_3 = "وحضر الاجتماع سفراء عدد من الدول العربية."
AR_NEW_PARAGRAPH = "وسيعقد الاجتماع المقبل في الرياض. وأكد المشاركون أهمية الحوار."
RU_1 = "Члены Группы обсудили в Казани новые гуманитарные проекты."
RU_1_EDITED = "Члены Группы обсудили в Казани новые образовательные проекты."
RU_2 = "Участники договорились подготовить совместную программу."
RU_ADDED = "Следующая встреча пройдет в Грозном."

AR_V1 = {"title": "المجموعة تناقش مشاريع إنسانية جديدة", "body": f"{AR_1} {AR_2} {AR_3}\nفقرة ثانية لا تتغير."}
AR_V2 = {"title": "المجموعة تناقش مشاريع جديدة في موسكو", "body": f"{AR_1_EDITED} {AR_2}\nفقرة ثانية لا تتغير."}
AR_V3 = {"title": AR_V2["title"], "body": AR_V2["body"] + "\n" + AR_NEW_PARAGRAPH}
RU_V1 = {"title": "ГСВ обсудила проекты", "body": f"{RU_1} {RU_2}"}
RU_V2 = {"title": "ГСВ обсудила проекты", "body": f"{RU_1_EDITED} {RU_2} {RU_ADDED}"}


def line(article_id, language, version, fields, fetched_at, offset):
    url = f"https://russia-islworld.ru/{'ar/novosti//مشاريع' if language == 'ar' else 'novosti/proekty'}-2026-11-28-{article_id}"
    return {"id": article_id, "url": url, "canonical_url": url, "language": language, **fields,
            "fetched_at": fetched_at, "content_sha1": f"{article_id}-sha-{version}", "version": version,
            "previous_sha1": f"{article_id}-sha-{version - 1}" if version > 1 else None,
            "warc": {"file": f"rusislam-{version}.warc.gz", "offset": offset, "length": 100, "record_id": "<urn:x>"}}


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("versions") / "archive"
    runs = [
        [line("ar1", "ar", 1, AR_V1, "2026-11-28T09:00:00Z", 10), line("ru1", "ru", 1, RU_V1, "2026-11-28T09:00:05Z", 20),
         line("en1", "en", 1, {"title": "Unchanged", "body": "Nothing changes here."}, "2026-11-28T09:00:07Z", 30)],
        [line("ar1", "ar", 2, AR_V2, "2026-11-28T15:00:00Z", 40), line("ru1", "ru", 2, RU_V2, "2026-11-28T15:00:03Z", 50)],
        [line("ar1", "ar", 3, AR_V3, "2026-12-02T15:00:00Z", 60)],
    ]
    for number, records in enumerate(runs, 1):
        with JsonLinesWriter(root / "articles" / f"rusislam-2026112{number}T090000Z.jsonl") as writer:
            for record in records:
                writer.write(record)
    return root


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], cwd=ROOT, capture_output=True, text=True)


def test_sentences_split_at_arabic_and_latin_ends():
    assert split_sentences(f"{AR_1} {AR_2} هل تغير شيء؟ نعم.") == [AR_1, AR_2, "هل تغير شيء؟", "نعم."]
    assert split_sentences("He said: «Yes.» Then left.") == ["He said: «Yes.»", "Then left."]


def test_the_diff_reports_exactly_the_edited_sentences():
    ar = diff_articles(AR_V1, AR_V2)
    assert ar.changed_sentences() == {"added": [], "removed": [AR_3], "changed": [{"old": AR_1, "new": AR_1_EDITED}]}
    assert ar.title_changed and ar.counts["paragraphs_changed"] == 1
    changed = next(s for s in ar.sentences if s.action == "changed")
    assert [(s.op, s.text) for s in changed.segments if s.op != "="] == [("-", "قازان"), ("+", "موسكو")]
    added = diff_articles(AR_V2, AR_V3)
    assert added.changed_sentences() == {"added": split_sentences(AR_NEW_PARAGRAPH), "removed": [], "changed": []}
    assert (added.counts["paragraphs_added"], added.counts["paragraphs_changed"], added.title_changed) == (1, 0, False)
    ru = diff_articles(RU_V1, RU_V2)
    assert ru.changed_sentences() == {"added": [RU_ADDED], "removed": [], "changed": [{"old": RU_1, "new": RU_1_EDITED}]}


def test_history_lists_the_versions_by_id_or_by_url(archive, capsys):
    assert main(["history", str(archive), "ar1"]) == 0
    by_id = capsys.readouterr().out.splitlines()
    assert by_id[0] == "#version\tfetched_at\tcontent_sha1\ttitle\twarc_file\twarc_offset"
    assert by_id[1:] == [
        f"1\t2026-11-28T09:00:00Z\tar1-sha-1\t{AR_V1['title']}\trusislam-1.warc.gz\t10",
        f"2\t2026-11-28T15:00:00Z\tar1-sha-2\t{AR_V2['title']}\trusislam-2.warc.gz\t40",
        f"3\t2026-12-02T15:00:00Z\tar1-sha-3\t{AR_V3['title']}\trusislam-3.warc.gz\t60",
    ]
    # the URL as a browser shows it (not percent-encoded) finds the same article
    assert main(["history", str(archive), "https://russia-islworld.ru/ar/novosti//مشاريع-2026-11-28-ar1/"]) == 0
    assert capsys.readouterr().out.splitlines() == by_id


def test_history_of_an_unknown_article_fails_with_one_line(archive):
    result = cli("history", str(archive), "nope")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"rusislam-archive history: no article with id or URL 'nope' in {archive / 'articles'}"]


def test_diff_text_marks_words_and_shows_the_title(archive):
    result = cli("diff", str(archive), "ar1", "--from", "1", "--to", "2")
    assert result.returncode == 0, result.stderr
    assert "\x1b[" not in result.stdout  # not a terminal: plain text
    lines = result.stdout.splitlines()
    assert lines[1].startswith("--- version 1, fetched 2026-11-28T09:00:00Z") and lines[2].startswith("+++ version 2")
    assert lines[3:] == [
        "title changed:", f"  - {AR_V1['title']}", f"  + {AR_V2['title']}",
        "paragraph 1 changed:",
        "  ~ " + AR_1_EDITED.replace("موسكو", "[-قازان-]{+موسكو+}"),
        f"  - {AR_3}",
        "0 sentences added, 1 removed, 1 changed; title changed",
    ]
    # default: the last two versions; colour when asked
    last = cli("diff", str(archive), "ar1", "--color", "always")
    assert "paragraph 3 added:" in last.stdout and "\x1b[32m" in last.stdout
    assert last.stdout.splitlines()[-1] == "2 sentences added, 0 removed, 0 changed"


def test_diff_html_is_one_self_contained_right_to_left_page(archive, tmp_path):
    page = tmp_path / "diff.html"
    result = cli("diff", str(archive), "ar1", "--from", "1", "--to", "2", "--html", "-o", str(page))
    assert result.returncode == 0 and result.stdout == "" and result.stderr == ""
    text = page.read_text(encoding="utf-8")
    assert '<html lang="ar" dir="rtl">' in text
    assert "<del>قازان</del><ins>موسكو</ins>" in text
    assert f"<del>{AR_3}</del>" in text and f"<ins>{AR_V2['title']}</ins>" in text
    assert not re.search(r"(src|href)=|<script|@import|url\(", text), "the page must need nothing from elsewhere"
    ru = tmp_path / "ru.html"
    assert cli("diff", str(archive), "ru1", "--html", "-o", str(ru)).returncode == 0
    assert 'dir="ltr"' in ru.read_text(encoding="utf-8")
    again = cli("diff", str(archive), "ru1", "--html", "-o", str(ru))
    assert again.returncode == 2 and "exists; pass --overwrite" in again.stderr
    assert cli("diff", str(archive), "ru1", "--html").returncode == 2
    missing = cli("diff", str(archive), "ru1", "--from", "1", "--to", "7")
    assert missing.returncode == 1 and "has no version 7" in missing.stderr


def test_versions_writes_one_line_per_consecutive_pair(archive, tmp_path):
    out = tmp_path / "edits.jsonl"
    result = cli("versions", str(archive), "-o", str(out))
    assert result.returncode == 0, result.stderr
    edits = [json.loads(text) for text in out.read_text(encoding="utf-8").splitlines()]
    assert [(e["id"], e["from_version"], e["to_version"]) for e in edits] == [("ar1", 1, 2), ("ar1", 2, 3), ("ru1", 1, 2)]
    first = edits[0]
    assert (first["language"], first["from_fetched_at"], first["to_fetched_at"], first["from_sha1"], first["to_sha1"]) == (
        "ar", "2026-11-28T09:00:00Z", "2026-11-28T15:00:00Z", "ar1-sha-1", "ar1-sha-2")
    assert (first["sentences_added"], first["sentences_removed"], first["sentences_changed"]) == (0, 1, 1)
    assert first["sentences"] == {"added": [], "removed": [AR_3], "changed": [{"old": AR_1, "new": AR_1_EDITED}]}
    assert (first["old_title"], first["new_title"]) == (AR_V1["title"], AR_V2["title"])
    assert edits[1]["sentences"]["added"] == split_sentences(AR_NEW_PARAGRAPH) and edits[1]["new_title"] is None
    assert edits[2]["sentences"] == {"added": [RU_ADDED], "removed": [], "changed": [{"old": RU_1, "new": RU_1_EDITED}]}
