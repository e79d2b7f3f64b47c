"""Recurring runs with `rusislam-archive run`: only new and changed pages, revisits, versions, crash recovery."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.extract.siteconfig import load_site_config
from crawler.extract.urls import SiteUrls
from tests.conftest import FAST, ROOT
from tests.mirror import MirrorServer
from tests.mirror.requisites import ICON, SCRIPT, STYLESHEET


def run_cli(archive: Path, base_url: str, *extra: str, wait: bool = True, settings: dict | None = None):
    command = [sys.executable, "-m", "crawler.cli", "run", str(archive), "--base-url", base_url, *extra]
    for name, value in {**FAST, **(settings or {})}.items():
        command += ["-s", f"{name}={value}"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if not wait:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def records_of(paths):
    out = []
    for path in paths:
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream, check_digests="raise"):
                out.append((record.rec_type, record.rec_headers, record.http_headers))
    return out


def lines_of(paths):
    return [json.loads(line) for path in paths for line in Path(path).read_text(encoding="utf-8").splitlines() if line]


def article_paths(mirror, urls):
    return [p for p in mirror.requested_paths() if urls.is_article(mirror.base_url + p)]


NEW_ARTICLES = [
    dict(id=90001, language="ru", slug="gsv-obsudila-novye-proekty", layout="modern",
         title="ГСВ обсудила новые гуманитарные проекты", published="2026-11-28", published_raw="28 ноября 2026",
         paragraphs=["Члены Группы стратегического видения обсудили в Казани новые гуманитарные проекты с партнерами из исламских стран.",
                     "Участники договорились подготовить совместную программу на следующий год и расширить образовательные обмены."]),
    dict(id=90002, language="ar", slug="المجموعة-تناقش-مشاريع-جديدة", layout="modern",
         title="المجموعة تناقش مشاريع إنسانية جديدة", published="2026-11-28", published_raw="٢٨ نوفمبر ٢٠٢٦",
         paragraphs=["ناقش أعضاء مجموعة الرؤية الاستراتيجية في قازان مشاريع إنسانية جديدة مع شركاء من الدول الإسلامية.",
                     "واتفق المشاركون على إعداد برنامج مشترك للعام المقبل وتوسيع التبادل التعليمي بين الجامعات."]),
    dict(id=90003, language="en", slug="group-discusses-new-projects", layout="modern",
         title="Group discusses new humanitarian projects", published="2026-11-28", published_raw="November 28, 2026",
         paragraphs=["Members of the Group of Strategic Vision discussed new humanitarian projects with partners from Islamic countries in Kazan.",
                     "The participants agreed to prepare a joint programme for next year and to expand educational exchanges between universities."]),
]


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    """Run 1 on the mirror, run 2 unchanged, run 3 after 3 new articles and 1 edit."""
    archive = tmp_path_factory.mktemp("incremental") / "archive"
    with MirrorServer() as mirror:
        urls = SiteUrls(load_site_config("rusislam").with_origin(mirror.base_url))
        runs = []
        for number in (1, 2, 3):
            if number == 3:
                time.sleep(1.1)  # the edit is stamped after run 1's fetch, to the second
                for fields in NEW_ARTICLES:
                    mirror.site.add_article(**fields)
                edited = next(a for a in mirror.site.articles if a.in_sitemap and a.language == "en")
                mirror.site.edit_article(edited.path, edited.paragraphs[:-1] + ["A paragraph added by the editors after publication."])
            warc_before = set((archive / "warc").glob("*.warc.gz"))
            jsonl_before = set((archive / "articles").glob("*.jsonl"))
            mirror.clear_logs()
            result = run_cli(archive, mirror.base_url)
            runs.append({
                "result": result,
                "requests": list(mirror.requested_paths()),
                "article_requests": article_paths(mirror, urls),
                "warc": sorted(set((archive / "warc").glob("*.warc.gz")) - warc_before),
                "jsonl": sorted(set((archive / "articles").glob("*.jsonl")) - jsonl_before),
                "crawl": json.loads(max((archive / "runs").glob("*.crawl.json"), key=lambda p: p.stat().st_mtime).read_text()),
            })
        yield mirror, urls, archive, runs, edited


def test_run_1_archives_everything(three_runs):
    mirror, urls, archive, runs, _ = three_runs
    run = runs[0]
    assert run["result"].returncode == 0, run["result"].stdout + run["result"].stderr
    lines = lines_of(run["jsonl"])
    assert len(lines) == len(mirror.site.articles) - len(NEW_ARTICLES) == 30
    assert {line["version"] for line in lines} == {1}
    assert all(line["previous_sha1"] == "" for line in lines)
    summaries = sorted((archive / "runs").glob("*.json"))
    summary = json.loads([p for p in summaries if not p.name.endswith(".crawl.json")][0].read_text())
    assert summary["exit_code"] == 0 and summary["crawl"]["articles"]["new"] == 30


def test_run_2_fetches_only_listings_and_writes_revisits(three_runs):
    mirror, urls, archive, runs, _ = three_runs
    run = runs[1]
    assert run["result"].returncode == 0, run["result"].stdout + run["result"].stderr
    assert run["article_requests"] == []
    listing_firsts = {"/novosti/", "/ar/novosti/", "/en/novosti/"}
    expected = {"/robots.txt", "/sitemap.xml", *listing_firsts} | {f"/sitemap-iblock-{l}.xml" for l in ("ru", "ar", "en")}
    # the listings' requisites are asked for again, conditionally (tests/test_requisites.py)
    requisites = [p for p in run["requests"] if p in mirror.site.requisite_paths()]
    assert set(requisites) == {*(f"/upload/logo_{l}.png" for l in ("ru", "ar", "en")), STYLESHEET, SCRIPT, ICON}
    pages = [p for p in run["requests"] if p not in requisites]
    assert set(pages) == expected, pages
    assert len(pages) == len(expected)
    assert lines_of(run["jsonl"]) == []
    # the three language sitemaps are those run 1 read: their entries are not looked up one by one
    assert run["crawl"]["pages"]["sitemaps_unchanged"] == 3
    assert runs[0]["crawl"]["pages"]["sitemaps_unchanged"] == 0
    types = [t for t, _, _ in records_of(run["warc"])]
    assert "response" not in types, "an unchanged page was archived as a full copy again"
    assert types.count("revisit") == len(expected) + len(requisites)
    for kind, headers, _ in records_of(run["warc"]):
        if kind == "revisit":
            assert headers.get_header("WARC-Profile").endswith("/revisit/identical-payload-digest")
            assert headers.get_header("WARC-Refers-To-Target-URI").startswith(mirror.base_url)
            assert headers.get_header("WARC-Refers-To-Date")


def test_run_3_fetches_new_and_changed_articles_only(three_runs):
    mirror, urls, archive, runs, edited = three_runs
    run = runs[2]
    assert run["result"].returncode == 0, run["result"].stdout + run["result"].stderr
    new_paths = {mirror.site.article_by_id(fields["id"]).path for fields in NEW_ARTICLES}
    keys = lambda paths: sorted(urls.canonical_key(mirror.base_url + p) for p in paths)  # noqa: E731
    assert keys(run["article_requests"]) == keys(new_paths | {edited.path})
    requisites = mirror.site.requisite_paths()
    others = [p for p in run["requests"] if p not in run["article_requests"] and p not in requisites]
    assert all(p == "/robots.txt" or p.startswith("/sitemap") for p in others if not urls.is_listing(mirror.base_url + p)), others
    # the new articles top the first listing page; the second shows only known ones: the walk stops there
    listings = {p for p in others if urls.is_listing(mirror.base_url + p)}
    assert listings == {f"{news}{page}" for news in ("/novosti/", "/ar/novosti/", "/en/novosti/") for page in ("", "?PAGEN_1=2")}
    # the new articles are not in the sitemaps (the listings show them); the edit changed the English one
    assert run["crawl"]["pages"]["sitemaps_unchanged"] == 2
    lines = lines_of(run["jsonl"])
    assert len(lines) == 4
    assert sorted(line["version"] for line in lines) == [1, 1, 1, 2]
    changed = next(line for line in lines if line["version"] == 2)
    first = next(line for line in lines_of(runs[0]["jsonl"]) if line["id"] == changed["id"])
    assert changed["previous_sha1"] == first["content_sha1"] != changed["content_sha1"]
    assert "A paragraph added by the editors after publication." in changed["body"]
    # the conditional request carried the stored validators
    edited_request = next(r for r in mirror.requests if r.path in (edited.path,) or urls.canonical_key(mirror.base_url + r.path) == urls.canonical_key(mirror.base_url + edited.path))
    assert edited_request.header("If-None-Match") or edited_request.header("If-Modified-Since")


def test_articles_command_prints_latest_versions(three_runs):
    mirror, urls, archive, runs, edited = three_runs
    shown = subprocess.run([sys.executable, "-m", "crawler.cli", "articles", str(archive)], capture_output=True, text=True,
                           cwd=ROOT, check=True)
    records = [json.loads(line) for line in shown.stdout.splitlines()]
    assert len(records) == len({r["id"] for r in records}) == 33
    assert sorted(r["version"] for r in records).count(2) == 1


def test_a_304_is_archived_as_a_revisit(tmp_path):
    with MirrorServer() as mirror:
        archive = tmp_path / "archive"
        assert run_cli(archive, mirror.base_url).returncode == 0
        mirror.clear_logs()
        result = run_cli(archive, mirror.base_url, "--revisit-after", "0s", "--languages", "en")
        assert result.returncode == 0, result.stdout + result.stderr
        not_modified = [s for s in mirror.served if s.status == 304]
        assert not_modified, "no conditional request was answered 304"
        newest = max((archive / "warc").glob("*.warc.gz"), key=lambda p: p.stat().st_mtime)
        revisits = [(h, http) for kind, h, http in records_of([newest]) if kind == "revisit"]
        assert any(http.get_statuscode() == "304" for _, http in revisits)
        summary = json.loads(max((archive / "runs").glob("*.crawl.json"), key=lambda p: p.stat().st_mtime).read_text())
        assert summary["pages"]["not_modified"] + summary["requisites"]["not_modified"] == len(not_modified)
        assert summary["articles"] == {"new": 0, "changed": 0, "unchanged": 0}


def _crawl_processes(marker: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if marker in cmdline and ("scrapy crawl" in cmdline or "crawler.cli crawl" in cmdline):
                pids.append(int(entry.name))
    return pids


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for its (dead) parent to be reaped by init."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_killed_run_resumes_and_archives_every_article_once(tmp_path):
    archive = tmp_path / "killed-archive"
    with MirrorServer() as mirror:
        slow = {"DOWNLOAD_DELAY": "0.05", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}
        process = run_cli(archive, mirror.base_url, wait=False, settings=slow)
        deadline = time.monotonic() + 60
        while len(mirror.requests) < 25 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(mirror.requests) >= 25, "the crawl did not get going"
        crawls = _crawl_processes(str(archive))
        workers = [child for pid in crawls for child in _children(pid)]
        assert workers, "the crawl has no extraction worker to leave behind"
        for pid in crawls + [process.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait(10)
        assert list((archive / "warc").glob("*.open")), "the kill came too late to leave an open WARC file"
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in workers if _alive(pid)], "an extraction worker outlived the killed crawl"

        result = run_cli(archive, mirror.base_url)
        assert result.returncode == 0, result.stdout + result.stderr
        assert not list((archive / "warc").rglob("*.open"))
        for path in (archive / "warc").glob("*.warc.gz"):
            check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(path)], capture_output=True, text=True)
            assert check.returncode == 0, check.stdout + check.stderr
        lines = lines_of(sorted((archive / "articles").glob("*.jsonl")))
        ids = [line["id"] for line in lines]
        written = sorted(line["canonical_url"] for line in lines)
        assert len(ids) == len(set(ids)) == len(mirror.site.articles), f"an article is missing or was written twice: {written}"
