"""Findings across hours: consecutive failing hours of a dataset with the same finding are one
story. Pure: a sequence of (hour, verdict, findings) in, stories out.

A story follows one finding's `signature` (counts, times and shares left out, so the same gap,
the same device, the same +1.5 offset in every hour). It starts at the first failing hour that
has the finding and goes on while each next hour fails with it again; it ends at the first
hour that does not: an hour that passed, was empty, was in error or was not judged, or failed
with another finding. An hour with two findings carries two stories at once.

"The same" is the signature, with one tolerance: a loss spread at random through the hour says
how much ("about 3 % of the hour's rows"), so its rate must stay about the same too: within a
factor of RATE_FACTOR of the story's rate so far, or further off only by chance (a two-proportion
z below RATE_Z). Shares of 2.8 %, 3.1 % and 3.0 % are one story; 3 % then 30 % are two."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable

from reconciler.results import FAIL, Finding
from reconciler.timeutil import HOUR, iso

RATE_FACTOR = 2.0
RATE_Z = 3.0
RATED_KINDS = frozenset({"time_spread"})  # findings whose sentence states a rate
UNJUDGED = "unjudged"  # what ends a story when the next hour has no verdict (not judged yet, or skipped)
LEAD = 3  # the findings an hour is told by


@dataclass(frozen=True)
class HourFindings:
    """One hour of a dataset as the store holds it: the verdict in force (pass, fail, empty,
    error; None: not judged), the findings of the run that gave it, and that run
    (`{"id", "job", "window": {"start", "end"}}`, for a link to its report)."""

    hour: datetime
    verdict: str | None
    findings: tuple[Finding, ...] = ()
    run: dict | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Story:
    """One finding over consecutive failing hours: one finding per hour, oldest first, with
    the run of each hour. `ended_by` is what the hour after the last one was (`pass`, `fail`
    with another finding, `empty`, `error`, `unjudged`), None while nothing came after it."""

    signature: str
    findings: tuple[Finding, ...]
    runs: tuple[dict | None, ...] = ()
    ended_by: str | None = None

    @property
    def first_hour(self) -> datetime:
        return self.findings[0].hour

    @property
    def last_hour(self) -> datetime:
        return self.findings[-1].hour

    @property
    def hours(self) -> int:
        return len(self.findings)

    @property
    def latest(self) -> Finding:
        return self.findings[-1]

    @property
    def key(self) -> str:
        """Names this story among every other: its signature and its first hour."""
        return f"{self.signature}@{iso(self.first_hour)}"

    @property
    def rows_range(self) -> tuple[int, int]:
        rows = [f.rows for f in self.findings]
        return min(rows), max(rows)

    @property
    def first_run(self) -> dict | None:
        return self.runs[0] if self.runs else None

    def contains(self, hour: datetime) -> bool:
        return self.first_hour <= hour <= self.last_hour

    def position(self, hour: datetime) -> int | None:
        """1 for the story's first hour, 2 for the next..., None outside it."""
        return int((hour - self.first_hour) / HOUR) + 1 if self.contains(hour) else None

    def finding_at(self, hour: datetime) -> Finding | None:
        position = self.position(hour)
        return self.findings[position - 1] if position else None


def same_fault(story: Iterable[Finding], finding: Finding) -> bool:
    """Does `finding` go on with the story told by `story`'s findings (same signature given)?
    Only a rated finding can differ: its rate must stay about the story's rate."""
    if finding.kind not in RATED_KINDS:
        return True
    earlier = list(story)
    return _about_the_same(sum(f.rows for f in earlier), sum(_hour_rows(f) for f in earlier), finding)


def _about_the_same(big_k: int, big_n: int, finding: Finding) -> bool:
    """`finding`'s rate against a story's pooled rate so far (big_k of big_n rows)."""
    k, n = finding.rows, _hour_rows(finding)
    if not n or not big_n:
        return True
    before, now = big_k / big_n, k / n
    if min(before, now) > 0 and max(before, now) / min(before, now) <= RATE_FACTOR:
        return True
    pooled = (big_k + k) / (big_n + n)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / big_n + 1 / n))
    return spread > 0 and abs(before - now) / spread < RATE_Z


def _hour_rows(finding: Finding) -> int:
    return int(finding.evidence.get("hour_rows") or 0)


def _by_signature(findings: Iterable[Finding]) -> dict[str, Finding]:
    """The hour's findings, one per signature (the first), in their order."""
    out: dict[str, Finding] = {}
    for f in findings:
        out.setdefault(f.signature, f)
    return out


class _Open:
    """A story being built, with its pooled rows (the rate of a rated one)."""

    def __init__(self, finding: Finding, run: dict | None):
        self.findings, self.runs = [finding], [run]
        self.rows, self.hour_rows = finding.rows, _hour_rows(finding)

    def goes_on_with(self, finding: Finding) -> bool:
        return finding.kind not in RATED_KINDS or _about_the_same(self.rows, self.hour_rows, finding)

    def add(self, finding: Finding, run: dict | None) -> None:
        self.findings.append(finding)
        self.runs.append(run)
        self.rows += finding.rows
        self.hour_rows += _hour_rows(finding)

    def story(self, ended_by: str | None) -> Story:
        return Story(self.findings[0].signature, tuple(self.findings), tuple(self.runs), ended_by)


def build_stories(hours: Iterable[HourFindings]) -> list[Story]:
    """The stories of a dataset's hours, by first hour (then as the first hour lists them). An
    hour given twice counts as its last (a recheck replaces the verdict in force); an hour
    missing between two given ones ends every story as `unjudged`."""
    by_hour = {h.hour: h for h in hours}
    done: list[Story] = []
    active: dict[str, _Open] = {}
    previous: datetime | None = None
    for hour in sorted(by_hour):
        item = by_hour[hour]
        if previous is not None and hour - previous > HOUR:
            done += [s.story(UNJUDGED) for s in active.values()]
            active = {}
        previous = hour
        found = _by_signature(item.findings) if item.verdict == FAIL else {}
        going_on: dict[str, _Open] = {}
        for signature, story in active.items():
            finding = found.get(signature)
            if finding is not None and story.goes_on_with(finding):
                story.add(finding, item.run)
                going_on[signature] = story
            else:
                done.append(story.story(item.verdict or UNJUDGED))
        for signature, finding in found.items():
            if signature not in going_on:
                going_on[signature] = _Open(finding, item.run)
        active = going_on
    done += [s.story(None) for s in active.values()]
    order = {}
    for h in sorted(by_hour):
        for i, f in enumerate(by_hour[h].findings):
            order.setdefault((h, f.signature), i)
    return sorted(done, key=lambda s: (s.first_hour, order.get((s.first_hour, s.signature), 0)))


def stories_at(stories: Iterable[Story], hour: datetime) -> list[Story]:
    return [s for s in stories if s.contains(hour)]


def lead_findings(findings: Iterable[Finding], n: int = LEAD) -> list[Finding]:
    """The findings that tell an hour best: the most rows first (in their order on a tie),
    one per signature, at most `n`."""
    unique = list(_by_signature(findings).values())
    ranked = sorted(range(len(unique)), key=lambda i: (-unique[i].rows, i))
    return [unique[i] for i in ranked[:n]]
