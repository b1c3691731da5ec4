"""The migration plan's judgements of the traffic-split phase, as pure functions over measured
hours (measure.py): no clock, no I/O.

Alerts, per hour: the new error rate exceeds the old one by more than 0.5 points; the new p99
exceeds the old p99 x 1.5. (The plan's third alert, a discrepancy rate above 1 %, is the row
checks' match rate, not a Prometheus figure.)

Phase criteria, over a period (whole UTC hours; a missing hour makes a criterion incomplete,
a failing one makes it not met, as in shadow):
- `error_rate`: the new system's errors / requests over every measured hour of the period < 0.1 %;
- `p99_latency`: the new system's p99 < 500 ms in every hour (quantiles do not add up across
  hours, so the worst hour is the one judged);
- `stable_at_full_split`: the last 7 days (168 hours) each at full split — the lowest split of
  the hour >= 99.9 % — with that hour's new error rate < 0.1 % and p99 < 500 ms. "Stable"
  means no hour of the 7 days dipped below full traffic or broke either bound."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from reconciler.checks.traffic.measure import HourTraffic
from reconciler.formatting import number
from reconciler.timeutil import HOUR, Window, hour_starts, iso

MET, NOT_MET, INCOMPLETE = "met", "not_met", "incomplete"


@dataclass(frozen=True)
class TrafficBounds:
    """The plan's numbers; every one can be given otherwise."""

    max_error_rate_increase_points: float = 0.5
    max_p99_ratio: float = 1.5
    max_error_rate_pct: float = 0.1
    max_p99_ms: float = 500.0
    full_split_pct: float = 99.9
    stable_days: int = 7


PLAN = TrafficBounds()


@dataclass(frozen=True)
class Alert:
    """One hour in which the new system did worse than the old by more than the plan allows."""

    hour: datetime
    kind: str  # "error_rate" or "p99_latency"
    new: float
    old: float
    limit: float  # the value the new figure exceeded
    text: str


def unknown_figures(hour: HourTraffic) -> list[tuple[str, str]]:
    """(system, figure) of each figure the hour's alerts or the phase criteria need that
    Prometheus gave nothing for ("split", "gauge" for a split gauge); [] when the hour can be
    judged. Without the new system's request count nothing else is asked; the old system's
    errors and p99 only when it served (at 100 % there is nothing to compare)."""
    if hour.new.requests is None:
        return [("new", "requests")]
    unknown = [("new", f) for f in ("errors", "p99_ms") if getattr(hour.new, f) is None and hour.new.requests > 0]
    if hour.split_pct is None:
        unknown.append(("old", "requests") if hour.split_from == "requests" and hour.old.requests is None
                       else ("split", "gauge"))
    elif hour.old.requests is None and (hour.split_min_pct is None or hour.split_min_pct < 100):
        unknown.append(("old", "requests"))  # the gauge says the old system served: the alerts compare with it
    if hour.old.requests:
        unknown += [("old", f) for f in ("errors", "p99_ms") if getattr(hour.old, f) is None]
    return unknown


def hour_alerts(hour: HourTraffic, bounds: TrafficBounds = PLAN) -> list[Alert]:
    """The plan's alerts for one hour; none where a figure of either system is unknown (an
    hour at 100 % has no old error rate to compare with; an hour with unknown_figures is not
    judged at all)."""
    alerts = []
    new_rate, old_rate = hour.new.error_rate_pct, hour.old.error_rate_pct
    if new_rate is not None and old_rate is not None:
        limit = round(old_rate + bounds.max_error_rate_increase_points, 6)
        if new_rate > limit:
            alerts.append(Alert(hour.hour, "error_rate", new_rate, old_rate, limit,
                                f"error rate {number(new_rate)} % on the new system against {number(old_rate)} % on the old: "
                                f"more than {number(bounds.max_error_rate_increase_points)} points above"))
    new_p99, old_p99 = hour.new.p99_ms, hour.old.p99_ms
    if new_p99 is not None and old_p99 is not None:
        limit = round(old_p99 * bounds.max_p99_ratio, 6)
        if new_p99 > limit:
            alerts.append(Alert(hour.hour, "p99_latency", new_p99, old_p99, limit,
                                f"p99 latency {number(new_p99)} ms on the new system against {number(old_p99)} ms on the old: "
                                f"above {number(bounds.max_p99_ratio)} x the old ({number(limit)} ms)"))
    return alerts


@dataclass(frozen=True)
class CriterionVerdict:
    criterion: str
    status: str
    observed: float | None
    bound: float
    hours_expected: int
    hours_measured: int
    worst_hour: datetime | None
    text: str


@dataclass(frozen=True)
class Stability(CriterionVerdict):
    """`stable_since`: start of the unbroken run of stable hours that ends with the period
    (None when its last hour is not stable); `stable_hours`: that run's length."""

    stable_since: datetime | None = None
    stable_hours: int = 0


def _by_hour(hours: list[HourTraffic], period: Window) -> tuple[list[datetime], dict[datetime, HourTraffic]]:
    expected = [h for h in hour_starts(period.start, period.end) if h >= period.start and h + HOUR <= period.end]
    return expected, {h.hour: h for h in hours if period.start <= h.hour and h.hour + HOUR <= period.end}


def _settle(criterion: str, failing: bool, missing: int, expected: int, **verdict) -> CriterionVerdict:
    status = NOT_MET if failing else INCOMPLETE if missing or not expected else MET
    return CriterionVerdict(criterion, status, hours_expected=expected, hours_measured=expected - missing, **verdict)


def error_rate_criterion(hours: list[HourTraffic], period: Window, bounds: TrafficBounds = PLAN) -> CriterionVerdict:
    expected, found = _by_hour(hours, period)
    measured = [found[h] for h in expected if h in found and found[h].new.error_rate_pct is not None]
    requests = sum(h.new.requests for h in measured)
    errors = sum(h.new.errors for h in measured)
    rate = round(errors / requests * 100, 6) if requests else None
    worst = max(measured, key=lambda h: h.new.error_rate_pct, default=None)
    failing = rate is not None and rate >= bounds.max_error_rate_pct
    text = (f"new error rate {number(rate)} % ({number(errors)} of {number(requests)} requests) against < "
            f"{number(bounds.max_error_rate_pct)} %" if rate is not None else "no hour with the new system's requests and errors measured")
    return _settle("error_rate", failing, len(expected) - len(measured), len(expected), observed=rate,
                   bound=bounds.max_error_rate_pct, worst_hour=worst.hour if worst else None, text=text)


def p99_criterion(hours: list[HourTraffic], period: Window, bounds: TrafficBounds = PLAN) -> CriterionVerdict:
    expected, found = _by_hour(hours, period)
    measured = [found[h] for h in expected if h in found and found[h].new.p99_ms is not None]
    worst = max(measured, key=lambda h: h.new.p99_ms, default=None)
    observed = worst.new.p99_ms if worst else None
    failing = observed is not None and observed >= bounds.max_p99_ms
    text = (f"worst hourly p99 {number(observed)} ms ({iso(worst.hour)}) against < {number(bounds.max_p99_ms)} ms"
            if worst else "no hour with the new system's p99 measured")
    return _settle("p99_latency", failing, len(expected) - len(measured), len(expected), observed=observed,
                   bound=bounds.max_p99_ms, worst_hour=worst.hour if worst else None, text=text)


def hour_is_stable(hour: HourTraffic | None, bounds: TrafficBounds = PLAN) -> bool | None:
    """True: at full split within both bounds; False: it broke one; None: not measured."""
    if hour is None:
        return None
    figures = (hour.split_min_pct, hour.new.error_rate_pct, hour.new.p99_ms)
    if any(f is not None for f in figures) and (
            (hour.split_min_pct is not None and hour.split_min_pct < bounds.full_split_pct)
            or (hour.new.error_rate_pct is not None and hour.new.error_rate_pct >= bounds.max_error_rate_pct)
            or (hour.new.p99_ms is not None and hour.new.p99_ms >= bounds.max_p99_ms)):
        return False
    return None if any(f is None for f in figures) else True


def stability_criterion(hours: list[HourTraffic], period: Window, bounds: TrafficBounds = PLAN) -> Stability:
    """The last `stable_days` of `period`, every hour stable (hour_is_stable)."""
    span = timedelta(days=bounds.stable_days)
    last = Window(max(period.start, period.end - span), period.end)
    expected, found = _by_hour(hours, last)
    states = [hour_is_stable(found.get(h), bounds) for h in expected]
    streak = next((i for i, s in enumerate(reversed(states)) if s is not True), len(states))
    failing = [h for h, s in zip(expected, states) if s is False]
    needed = bounds.stable_days * 24
    missing = sum(s is None for s in states) + needed - len(expected)  # a period shorter than the span
    text = (f"{len(failing)} of {len(expected)} hours off full split or out of bounds (first {iso(failing[0])})"
            if failing else f"{streak} of {needed} hours stable at >= {number(bounds.full_split_pct)} %")
    verdict = _settle("stable_at_full_split", bool(failing), missing, needed, observed=float(streak),
                      bound=float(needed), worst_hour=failing[0] if failing else None, text=text)
    return Stability(**vars(verdict), stable_since=expected[-streak] if streak else None, stable_hours=streak)


def judge_phase(hours: list[HourTraffic], period: Window, bounds: TrafficBounds = PLAN) -> list[CriterionVerdict]:
    """The phase's three criteria over `period`."""
    return [error_rate_criterion(hours, period, bounds), p99_criterion(hours, period, bounds),
            stability_criterion(hours, period, bounds)]
