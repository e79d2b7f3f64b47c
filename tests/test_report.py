"""`rusislam-archive report`: one self-contained HTML file, checked in a real browser (Debian's chromium)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from archive.report import gaps, months_between, render_report
from tests.conftest import ROOT
from tests.mirror.content import real_arabic_article

pytest_plugins = ["tests.archive_fixtures"]  # the session's mirror crawl: fixture mirror_crawl

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")


def _latest_articles(archive: Path) -> dict[str, dict]:
    latest: dict[str, dict] = {}
    for path in sorted((archive / "articles").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record["id"] not in latest or record.get("version", 1) >= latest[record["id"]].get("version", 1):
                latest[record["id"]] = record
    return latest


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_argument("--window-size=1280,1600")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_report_of_the_mirror_crawl_in_chromium(mirror_crawl, browser, tmp_path):
    _, crawl = mirror_crawl
    report = tmp_path / "report.html"
    made = subprocess.run([sys.executable, "-m", "crawler.cli", "report", str(crawl.archive_dir), "-o", str(report)],
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                          timeout=120)
    assert made.returncode == 0 and made.stderr == "", made.stderr
    html = report.read_text(encoding="utf-8")
    # Self-contained: nothing to fetch (no script, style sheet, image or font from elsewhere).
    assert not re.search(r"""<(script|img|iframe)\b|(src|href)=["']?(https?:|//)|url\((?!#)|@import""", html)

    browser.get(report.as_uri())
    screenshot = tmp_path / "report.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0

    # Articles per month: one bar per language and month, as high as the JSON lines say.
    latest = _latest_articles(crawl.archive_dir)
    months = Counter((record["language"], record["published"][:7]) for record in latest.values() if record["published"])
    bars = browser.execute_script(
        """
        const found = {};
        for (const g of document.querySelectorAll('#chart-articles svg g[id^="articles-"]')) {
            const box = g.getBBox();
            if (box.height > 0.5) found[g.id] = box.height;
        }
        return found;
        """
    )
    drawn = Counter(bar_id.split("-")[1] for bar_id in bars)
    assert drawn == Counter(language for language, _ in months), bars
    assert browser.execute_script("return document.querySelector('#chart-articles svg').getBoundingClientRect().width") > 300

    # Run history: the crawl is one run, drawn and listed.
    runs_drawn = browser.execute_script(
        "return [...document.querySelectorAll('#chart-runs svg g[id^=\"runs-fetched-\"]')].map(g => g.getBBox().height)"
    )
    assert len(runs_drawn) == 1 and runs_drawn[0] > 0
    summary = json.loads(next((crawl.archive_dir / "runs").glob("*.crawl.json")).read_text())
    run_row = browser.execute_script("return document.querySelectorAll('#run-table tr')[1].innerText")
    assert f"\t{summary['pages']['fetched']}\t{summary['articles']['new']}\t" in run_row

    # The seed article (the real Arabic page) is the largest page: its title, right to left.
    title = real_arabic_article()["title"]
    directions = browser.execute_script(
        """
        return [...document.querySelectorAll('#largest-table .title')]
            .filter(e => e.innerText.trim() === arguments[0])
            .map(e => getComputedStyle(e).direction);
        """,
        title,
    )
    assert directions == ["rtl"]

    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []


def test_report_marks_gaps_and_draws_edits(tmp_path):
    lines = [
        {"id": "a" * 20, "language": "ru", "published": "2024-01-05", "title": "Первая", "url": "http://x/1",
         "fetched_at": "2026-01-02T00:00:00Z", "version": 1, "source": {"name": "TASS", "raw": "ТАСС"}},
        {"id": "b" * 20, "language": "ru", "published": "2024-04-20", "title": "Вторая", "url": "http://x/2",
         "fetched_at": "2026-01-02T00:00:00Z", "version": 1, "source": None},
        {"id": "b" * 20, "language": "ru", "published": "2024-04-20", "title": "Вторая", "url": "http://x/2",
         "fetched_at": "2026-01-20T00:00:00Z", "version": 2, "source": None},
        {"id": "a" * 20, "language": "ru", "published": "2024-01-05", "title": "Первая (испр.)", "url": "http://x/1",
         "fetched_at": "2026-03-09T00:00:00Z", "version": 2, "source": {"name": "TASS", "raw": "ТАСС"}},
    ]
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "site-1.jsonl").write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    html = render_report(tmp_path)
    assert re.findall(r'id="(edits-[^"]+)"', html) == ["edits-ru-0", "edits-ru-1", "edits-ru-2"]  # 2026-01 .. 03
    assert "2024-02 – 2024-03 (2)" in html  # the months between the two articles
    assert ">TASS</td><td class=\"n\">1<" in html and "(no source named)" in html


def test_months_and_gaps():
    assert months_between("2023-11", "2024-02") == ["2023-11", "2023-12", "2024-01", "2024-02"]
    assert gaps(Counter({"2023-11": 2, "2024-02": 1, "2024-04": 1})) == [("2023-12", "2024-01", 2), ("2024-03", "2024-03", 1)]
    assert gaps(Counter()) == []
