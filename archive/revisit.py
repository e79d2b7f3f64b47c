"""Which archived pages a run checks again, and in which order: the revisit policy.

News articles change most in their first hours and days, then rarely (NewsEdits, NAACL 2022;
diffengine rechecks an entry once the time since its last check reaches 0.2 x its age). So a page
is *due* when the time since its last check is at least ``ratio`` x its age, clamped between
``min_interval`` (never more often) and ``max_interval`` (at least that often). The age runs from
the article's published date, else from the page's first capture. ``RevisitPolicy.every(d)`` is
the fixed interval of ``-a revisit_after=30d``: everything last checked ``d`` or longer ago.

A run checks at most ``budget`` pages, the most overdue first (time since the last check divided
by the page's interval), so one run never floods the site and young articles, whose intervals are
short, are not starved by a back catalogue due once a month.

Pure code over the state store's rows (``StateStore.revisit_candidates``); the crawl and the
benchmark (``bench/revisits.py``) call the same functions with their own clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable, NamedTuple

from archive.state import RevisitCandidate


@dataclass(frozen=True)
class RevisitPolicy:
    """A page is due once ``now - last check >= clamp(ratio * age, min_interval, max_interval)``."""

    ratio: float
    min_interval: timedelta
    max_interval: timedelta

    def __post_init__(self) -> None:
        if not 0 <= self.ratio < 1:
            # the age grows while the page waits: at ratio >= 1 the interval outruns the wait
            raise ValueError(f"revisit ratio must be at least 0 and below 1, got {self.ratio}")
        if self.min_interval < timedelta(0) or self.max_interval < self.min_interval:
            raise ValueError(f"revisit intervals must satisfy 0 <= min ({self.min_interval}) <= max ({self.max_interval})")

    @classmethod
    def every(cls, interval: timedelta) -> "RevisitPolicy":
        """The fixed interval of ``revisit_after``: due once last checked ``interval`` ago or longer."""
        return cls(ratio=0.0, min_interval=interval, max_interval=interval)

    @classmethod
    def of_site(cls, rules) -> "RevisitPolicy":
        """The policy of a site's ``revisit:`` block (``SiteConfig.revisit``: ratio,
        min_interval_hours, max_interval_days), for the crawl and the benchmark alike."""
        return cls(rules.ratio, timedelta(hours=rules.min_interval_hours), timedelta(days=rules.max_interval_days))

    def interval(self, age: timedelta) -> timedelta:
        """How long a page of this age may go unchecked."""
        return min(max(max(age, timedelta(0)) * self.ratio, self.min_interval), self.max_interval)

    def urgency(self, page: RevisitCandidate, now: datetime) -> float | None:
        """Time since the page's last check in units of its interval (>= 1: due), None when not due."""
        checked = parse_utc(page.fetched_at)
        if checked is None:
            return math.inf
        born = parse_utc(page.published) or parse_utc(page.first_fetched) or checked
        waited = now - checked
        interval = self.interval(now - born)
        if waited < interval:
            return None
        return math.inf if interval <= timedelta(0) else waited / interval


class RevisitPlan(NamedTuple):
    """The pages a run checks, most overdue first, and how many were due in all."""

    due: int
    pages: list[RevisitCandidate]


def plan_revisits(candidates: Iterable[RevisitCandidate], policy: RevisitPolicy | None, now: datetime,
                  budget: int | None = None) -> RevisitPlan:
    """The due pages among ``candidates`` at ``now``; at most ``budget`` (None or 0: no limit) of
    them, the most overdue first (ties: the longest unchecked, then by key, so plans repeat)."""
    if policy is None:
        return RevisitPlan(0, [])
    due = []
    for page in candidates:
        urgency = policy.urgency(page, now)
        if urgency is not None:
            due.append((-urgency, page.fetched_at, page.key, page))
    due.sort(key=lambda item: item[:3])
    chosen = due[:budget] if budget else due
    return RevisitPlan(len(due), [page for *_, page in chosen])


def parse_utc(text: str | None) -> datetime | None:
    """An ISO 8601 date or time as an aware UTC datetime (a date alone: its midnight, UTC;
    a naive time: UTC); None when absent or unreadable (a page keeps the dates it has)."""
    if not text or not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)
