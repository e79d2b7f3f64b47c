"""``rusislam-archive report``: one self-contained HTML page about the archive, with charts.

The page needs nothing else to be read (no script, no style sheet, no font, no network): its charts
are SVG drawn by matplotlib and inlined, its markup a Jinja2 template (``templates/report.html``)
with autoescaping. What it shows: articles per month per language (months without articles, inside
a language's span, marked as possible gaps), sources per language, edits (changed versions) per
month, every run (chart and table), the largest pages and the failing ones. Titles keep their
direction: Arabic (and other right-to-left languages) render right to left.
"""

from __future__ import annotations

import io
from collections import Counter
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from archive.census import ArticleCensus, article_census
from archive.latest import article_files
from archive.state import utc_iso
from archive.status import archive_status, failing_pages, largest_pages, open_state_read_only, run_history

TEMPLATES = Path(__file__).with_name("templates")
RTL_LANGUAGES = frozenset({"ar", "fa", "ur", "he", "ps", "yi", "dv", "ckb"})
LARGEST_PAGES = 20
TOP_SOURCES = 15
# One colour per language, the same in every chart (tab10 order); further languages cycle.
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
GAP_COLOUR = "#f4cccc"


def months_between(first: str, last: str) -> list[str]:
    """Every ``YYYY-MM`` from ``first`` to ``last``, both included."""
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def gaps(counts: Counter) -> list[tuple[str, str, int]]:
    """Runs of months without articles between a language's first and last month: (from, to, months)."""
    if not counts:
        return []
    found: list[tuple[str, str, int]] = []
    for month in months_between(min(counts), max(counts)):
        if counts.get(month):
            continue
        if found and found[-1][1] == _previous_month(month):
            start, _, length = found[-1]
            found[-1] = (start, month, length + 1)
        else:
            found.append((month, month, 1))
    return found


def _previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1:04d}-12" if number == 1 else f"{year:04d}-{number - 1:02d}"


def report_data(archive_dir: Path) -> dict[str, Any]:
    """Everything the page shows, as plain values (the template and the charts draw them)."""
    census = article_census(article_files(archive_dir))
    status = archive_status(archive_dir, last_runs=0, census=census)
    runs = run_history(archive_dir)
    largest, failing = [], []
    db = open_state_read_only(archive_dir)
    if db is not None:
        with closing(db):
            largest, failing = largest_pages(db, LARGEST_PAGES), failing_pages(db, 1)
    by_url = {article.url: article for article in census.articles.values()}
    for page in largest + failing:
        article = by_url.get(page["url"])
        page["title"] = article.title if article else None
        page["language"] = article.language if article else None
    by_month = census.by_month()
    languages = list(census.count_by_language())
    return {
        "archive_dir": str(archive_dir),
        "generated": utc_iso(datetime.now(timezone.utc)),
        "status": status,
        "languages": languages,
        "by_month": by_month,
        "gaps": {language: gaps(counts) for language, counts in by_month.items()},
        "undated": {language: count - sum(by_month.get(language, Counter()).values())
                    for language, count in census.count_by_language().items()},
        "sources": {language: sources.most_common(TOP_SOURCES) for language, sources in census.sources_by_language().items()},
        "source_counts": {language: len(sources) for language, sources in census.sources_by_language().items()},
        "edits": census.edits_by_month,
        "runs": runs,
        "largest": largest,
        "failing": failing,
    }


# -- charts -----------------------------------------------------------------------------------


def _colour(languages: Sequence[str], language: str) -> str:
    return COLOURS[list(languages).index(language) % len(COLOURS)]


def _svg(figure) -> Markup:
    """The figure as inline SVG markup (text kept as text, so it stays searchable and small)."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    FigureCanvasSVG(figure)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    svg = buffer.getvalue()
    return Markup(svg[svg.index("<svg"):])


def _figure(height: float, width: float = 11.0):
    # matplotlib is imported here, not at the top: every rusislam-archive command imports every
    # command module, and only this one draws.
    import matplotlib

    matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "rusislam-archive", "font.size": 9})
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def _month_ticks(axes, months: Sequence[str]) -> None:
    step = max(1, len(months) // 24)
    positions = list(range(0, len(months), step))
    axes.set_xticks(positions, [months[i] for i in positions], rotation=60, ha="right")
    axes.set_xlim(-0.6, len(months) - 0.4)


def _stacked_bars(axes, x: Sequence[int], series: Iterable[tuple[str, str, list[int]]], gid: str) -> None:
    """Bars stacked per x; each bar gets the id ``{gid}-{series}-{index}`` (for people's tools and tests)."""
    bottom = [0] * len(x)
    for name, colour, values in series:
        bars = axes.bar(x, values, bottom=bottom, label=name, color=colour, width=0.85)
        for index, bar in enumerate(bars):
            bar.set_gid(f"{gid}-{name}-{index}")
        bottom = [b + v for b, v in zip(bottom, values)]


def _monthly_chart(by_language: dict[str, Counter], languages: Sequence[str], gid: str, label: str,
                   height: float, shade_empty_months: bool) -> Markup | None:
    """Counts per month stacked by language, one colour per language as everywhere in the page
    (None: nothing to draw). Shaded when asked: months that no language has."""
    counted = [month for counts in by_language.values() for month in counts]
    if not counted:
        return None
    months = months_between(min(counted), max(counted))
    figure, axes = _figure(height)
    if shade_empty_months:
        for index, month in enumerate(months):
            if not any(counts.get(month) for counts in by_language.values()):
                axes.axvspan(index - 0.5, index + 0.5, color=GAP_COLOUR, linewidth=0, zorder=0)
    ordered = [language for language in languages if language in by_language]
    ordered += sorted(set(by_language) - set(ordered))
    series = [(language, _colour(list(languages) + ordered, language), [by_language[language].get(month, 0) for month in months])
              for language in ordered]
    _stacked_bars(axes, range(len(months)), series, gid)
    _month_ticks(axes, months)
    axes.set_ylabel(label)
    axes.legend(title="language", frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _svg(figure)


def articles_chart(data: dict[str, Any]) -> Markup | None:
    """Articles per publication month, stacked by language; months no language has are shaded."""
    return _monthly_chart(data["by_month"], data["languages"], "articles", "articles published", 3.6, True)


def edits_chart(data: dict[str, Any]) -> Markup | None:
    """Changed versions per month they were fetched, stacked by language (None: no edits yet)."""
    return _monthly_chart(data["edits"], data["languages"], "edits", "changed versions", 3.0, False)


def runs_chart(data: dict[str, Any]) -> Markup | None:
    """Pages fetched, new and changed articles and errors of each run (grouped bars; a log scale once
    runs fetch thousands of pages)."""
    runs = data["runs"]
    if not runs:
        return None
    measures = (("fetched", "#4c72b0"), ("new", "#55a868"), ("changed", "#dd8452"), ("errors", "#c44e52"))
    figure, axes = _figure(3.2)
    width = 0.8 / len(measures)
    for offset, (measure, colour) in enumerate(measures):
        x = [index + (offset - (len(measures) - 1) / 2) * width for index in range(len(runs))]
        bars = axes.bar(x, [run[measure] for run in runs], width=width, label=measure, color=colour)
        for index, bar in enumerate(bars):
            bar.set_gid(f"runs-{measure}-{index}")
    step = max(1, len(runs) // 20)
    positions = list(range(0, len(runs), step))
    axes.set_xticks(positions, [(runs[i]["started"] or "?")[:19].replace("T", " ") for i in positions],
                    rotation=30, ha="right")
    axes.set_xlim(-0.6, max(len(runs), 8) - 0.4)  # a few runs keep bars of a normal width
    if max(run["fetched"] for run in runs) > 500:
        axes.set_yscale("symlog", linthresh=10)  # thousands of pages beside a few errors
    axes.yaxis.set_major_formatter("{x:,.0f}")
    axes.set_ylabel("per run")
    axes.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _svg(figure)


# -- the page ---------------------------------------------------------------------------------


def render_report(archive_dir: Path) -> str:
    """The report of the archive as one HTML document."""
    data = report_data(archive_dir)
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                              trim_blocks=True, lstrip_blocks=True)
    environment.filters["direction"] = lambda language: "rtl" if language in RTL_LANGUAGES else "auto"
    template = environment.get_template("report.html")
    charts = {"articles": articles_chart(data), "edits": edits_chart(data), "runs": runs_chart(data)}
    return template.render(data=data, charts=charts, colours={language: _colour(data["languages"], language)
                                                              for language in data["languages"]})
