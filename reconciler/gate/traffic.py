"""The traffic-split phase's criteria, over the stored hourly `traffic` results (the new
system's figures as Prometheus gave them at each hour's end) and the ledger's row totals:

- `error_rate`: the new system's errors / requests over the period < 0.1 %;
- `p99_latency`: the new system's p99 < 500 ms in every hour;
- `stable_split`: the last 7 days every hour at full split (>= 99.9 %) within both bounds;
- `discrepancy`: the rows that differ in each hour's row comparison <= 1 % of its rows.

The figures are judged by reconciler/checks/traffic/judge.py; here they become outcomes that
name the worst hour and the run that measured it. An hour without a measurement makes a
criterion incomplete, listed as a gap, as in shadow."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from reconciler.checks.traffic import judge
from reconciler.checks.traffic.hourly import discrepancy_of, hour_traffic
from reconciler.checks.types.traffic import TRAFFIC
from reconciler.config.phases import CriterionConfig
from reconciler.formatting import number
from reconciler.gate.criteria import INCOMPLETE, LISTED, MET, NOT_MET, Outcome, Worst, _gap_text, judged
from reconciler.gate.evidence import Evidence
from reconciler.results import FAIL, PASS, StoredResult
from reconciler.timeutil import Window, iso

STATES = {judge.MET: MET, judge.NOT_MET: NOT_MET, judge.INCOMPLETE: INCOMPLETE}
NO_TRAFFIC = "no traffic measured"
CONFIGURE = "no traffic evidence: configure a `traffic` check (a Prometheus source) in an hourly job"


def traffic_hours(ev: Evidence) -> dict[datetime, StoredResult]:
    """hour -> the stored traffic result in force (the newest run's)."""
    by_hour: dict[datetime, StoredResult] = {}
    for stored in ev.hourly(TRAFFIC):  # newest run last
        for hour in stored.result.window.hours():
            if ev.period.start <= hour < ev.period.end:
                by_hour[hour] = stored
    return by_hour


def measured_hours(by_hour: dict) -> list:
    """The figures of the judged hours (not those skipped for an unknown figure), as
    HourTraffic, by hour: every criterion counts the same hours."""
    return [hour_traffic(s.result.observed or {}, h) for h, s in sorted(by_hour.items())
            if s.result.status in (PASS, FAIL)]


def _gaps(ev: Evidence, by_hour: dict, measured_hours: set, unmeasured: str) -> list[dict]:
    """The period's hours not in `measured_hours`, each with why: no result, the reason its
    result was not judged, or `unmeasured` (a judged hour without the criterion's figure)."""
    out = []
    for hour in ev.period.hours():
        stored = by_hour.get(hour)
        if hour not in measured_hours:
            reason = NO_TRAFFIC if stored is None else unmeasured if stored.result.status in (PASS, FAIL) \
                else stored.result.reason or str(stored.result.status)
            out.append({"dataset": None, "hour": iso(hour), "reason": reason,
                        "run_id": stored.run_id if stored else None})
    return out


def _worst(by_hour: dict, hour: datetime | None, value, text: str) -> Worst | None:
    if hour is None:
        return None
    stored = by_hour.get(hour)
    return Worst(iso(hour), value, stored.run_id if stored else None, None, text)


def _outcome(name: str, verdict, bound: dict, worst: Worst | None, gaps: list, summary: str,
             failing: list | None = None) -> Outcome:
    """`gaps`: the hours not measured; `failing`: the hours that broke the bound (listed instead)."""
    state = STATES[verdict.status]
    if state == INCOMPLETE and gaps:
        summary += f"; {len(gaps)} of {verdict.hours_expected} hours not measured: {_gap_text(gaps)}"
    listed = failing if failing else gaps if state != MET else []
    return Outcome(name, state, summary, bound, worst, gaps=listed,
                   extra={"observed": verdict.observed, "hours_measured": verdict.hours_measured,
                          "hours_expected": verdict.hours_expected})


def error_rate(ev: Evidence, cfg: CriterionConfig) -> Outcome:
    limit = cfg.bound("error_rate", "max_pct")
    bound = {"max_pct": limit}
    by_hour = traffic_hours(ev)
    if not by_hour:
        return Outcome("error_rate", INCOMPLETE, CONFIGURE, bound)
    hours = measured_hours(by_hour)
    verdict = judge.error_rate_criterion(hours, ev.period, judge.TrafficBounds(max_error_rate_pct=limit))
    measured = {h.hour for h in hours if h.new.error_rate_pct is not None}
    top = max((h for h in hours if h.hour in measured), key=lambda h: h.new.error_rate_pct, default=None)
    worst = None if top is None else _worst(
        by_hour, top.hour, top.new.error_rate_pct,
        f"error rate {number(top.new.error_rate_pct)} % ({number(top.new.errors)} of {number(top.new.requests)} requests)")
    return _outcome("error_rate", verdict, bound, worst,
                    _gaps(ev, by_hour, measured, "the new system's error rate not measured"), verdict.text)


def p99_latency(ev: Evidence, cfg: CriterionConfig) -> Outcome:
    limit = cfg.bound("p99_latency", "max_ms")
    bound = {"max_ms": limit}
    by_hour = traffic_hours(ev)
    if not by_hour:
        return Outcome("p99_latency", INCOMPLETE, CONFIGURE, bound)
    hours = measured_hours(by_hour)
    verdict = judge.p99_criterion(hours, ev.period, judge.TrafficBounds(max_p99_ms=limit))
    measured = {h.hour for h in hours if h.new.p99_ms is not None}
    over = [h for h in hours if h.new.p99_ms is not None and h.new.p99_ms >= limit]
    worst = _worst(by_hour, verdict.worst_hour, verdict.observed, f"p99 {number(verdict.observed)} ms"
                   if verdict.observed is not None else "")
    summary = (f"{len(over)} hour(s) with p99 ≥ {number(limit)} ms; " if over else "") + verdict.text
    failing = [{"dataset": None, "hour": iso(h.hour), "reason": f"p99 {number(h.new.p99_ms)} ms",
                "run_id": by_hour[h.hour].run_id} for h in over]
    return _outcome("p99_latency", verdict, bound, worst,
                    _gaps(ev, by_hour, measured, "the new system's p99 not measured"), summary, failing)


def _own_or_phase(ev: Evidence, cfg: CriterionConfig, criterion: str, key: str):
    """stable_split's `key` when it sets one, else the phase's `criterion`'s (or its default)."""
    if getattr(cfg, key) is not None:
        return getattr(cfg, key)
    return (ev.criteria.get(criterion) or CriterionConfig()).bound(criterion, key)


def stable_split(ev: Evidence, cfg: CriterionConfig) -> Outcome:
    days = cfg.bound("stable_split", "days")
    full = cfg.bound("stable_split", "min_split_pct")
    max_error = _own_or_phase(ev, cfg, "error_rate", "max_pct")
    max_p99 = _own_or_phase(ev, cfg, "p99_latency", "max_ms")
    bound = {"days": days, "min_split_pct": full, "max_pct": max_error, "max_ms": max_p99}
    by_hour = traffic_hours(ev)
    if not by_hour:
        return Outcome("stable_split", INCOMPLETE, CONFIGURE, bound)
    bounds = judge.TrafficBounds(max_error_rate_pct=max_error, max_p99_ms=max_p99, full_split_pct=full,
                                 stable_days=days)
    hours = measured_hours(by_hour)
    verdict = judge.stability_criterion(hours, ev.period, bounds)
    span = Window(max(ev.period.start, ev.period.end - timedelta(days=days)), ev.period.end)
    states = {h.hour: judge.hour_is_stable(h, bounds) for h in hours}
    broken = [h for h in hours if states[h.hour] is False and span.start <= h.hour]
    in_span = Evidence(span, ev.observed_until, ev.datasets, {}, {}, {})
    gaps = _gaps(in_span, by_hour, {h for h, s in states.items() if s is not None},
                 "the split, the new system's error rate or p99 not measured")
    if broken:
        first = broken[0]
        worst = _worst(by_hour, first.hour, first.split_min_pct, _hour_text(first, bounds))
        summary = (f"{len(broken)} of {len(span.hours())} hours off full split or out of bounds, first "
                   f"{worst.at} {worst.text}; stable for the last {verdict.stable_hours} hours")
        failing = [{"dataset": None, "hour": iso(h.hour), "reason": _hour_text(h, bounds),
                    "run_id": by_hour[h.hour].run_id} for h in broken]
        return _outcome("stable_split", verdict, bound, worst, gaps, summary, failing)
    since = verdict.stable_since
    worst = _worst(by_hour, since, verdict.stable_hours, f"first of {verdict.stable_hours} stable hours at "
                   f"≥ {number(full)} %") if since else None
    summary = f"{verdict.stable_hours} of {days * 24} hours stable at ≥ {number(full)} % split" + \
              (f" since {iso(since)}" if since else "")
    return _outcome("stable_split", verdict, bound, worst, gaps, summary)


def _hour_text(h, bounds: judge.TrafficBounds) -> str:
    """An unstable hour's figures, each bound it broke said beside its figure."""
    if h.split_min_pct is None:
        return "split not measured"
    split, rate, p99 = h.split_min_pct, h.new.error_rate_pct, h.new.p99_ms
    parts = [f"split {number(split)} % (lowest)" + (f" < {number(bounds.full_split_pct)} %"
                                                  if split < bounds.full_split_pct else ""),
             "error rate n/a" if rate is None else f"error rate {format(rate, 'g')} %" + (
                 f" ≥ {number(bounds.max_error_rate_pct)} %" if rate >= bounds.max_error_rate_pct else ""),
             "p99 n/a" if p99 is None else f"p99 {format(p99, 'g')} ms" + (
                 f" ≥ {number(bounds.max_p99_ms)} ms" if p99 >= bounds.max_p99_ms else "")]
    return ", ".join(parts)


def discrepancy(ev: Evidence, cfg: CriterionConfig) -> Outcome:
    """Per judged hour, from the totals of its newest comparison (as `match`)."""
    limit = cfg.bound("discrepancy", "max_pct")
    bound = {"max_pct": limit}
    found, gaps = judged(ev)
    over, worst, differing, rows, no_rows = [], None, 0, 0, []
    for dataset, hour, row in found:
        run, totals = ev.totals.get((dataset, hour), (row["run_id"], None))
        counted = discrepancy_of(totals) if totals is not None else None
        if counted is None:
            no_rows.append({"dataset": dataset, "hour": iso(hour), "reason": "no row-level comparison",
                            "run_id": run})
            continue
        differing, rows = differing + counted["differing"], rows + counted["rows"]
        w = Worst(iso(hour), counted["pct"], run, dataset,
                  f"{number(counted['pct'])} % ({counted['differing']} of {counted['rows']} rows differ)")
        if counted["pct"] > limit:
            over.append(w)
        if worst is None or counted["pct"] > worst.value:
            worst = w
    period_pct = round(differing / rows * 100, 6) if rows else None
    extra = {"period_discrepancy_pct": period_pct, "rows": rows, "differing": differing}
    if over:
        named = ", ".join(f"{w.dataset} {w.at} {w.text}" for w in over[:LISTED])
        more = f" and {len(over) - LISTED} more" if len(over) > LISTED else ""
        return Outcome("discrepancy", NOT_MET, f"{len(over)} hour(s) above {number(limit)} %: {named}{more}", bound,
                       max(over, key=lambda w: w.value),
                       gaps=[{"dataset": w.dataset, "hour": w.at, "reason": w.text, "run_id": w.run_id}
                             for w in over], extra=extra)
    missing = gaps + no_rows
    if rows == 0:
        return Outcome("discrepancy", INCOMPLETE, "no hour compared row by row in the period", bound, gaps=missing,
                       extra=extra)
    note = f"; not measured: {_gap_text(missing)}" if missing else ""
    return Outcome("discrepancy", INCOMPLETE if missing else MET,
                   f"≤ {number(limit)} % in every compared hour; period {number(period_pct)} % ({differing} of {rows} rows "
                   f"differ){note}", bound, worst, gaps=missing, extra=extra)


def _ratio_text(value: float) -> str:
    return "∞" if value == math.inf else number(value)


def _ratio(name: str, figure: str, what: str):
    """new / old of `figure` in every hour both systems served (an hour at full split has no old
    figure: nothing to compare); not met in any hour above `max_ratio`."""
    def judge_ratio(ev: Evidence, cfg: CriterionConfig) -> Outcome:
        limit = cfg.bound(name, "max_ratio")
        bound = {"max_ratio": limit}
        by_hour = traffic_hours(ev)
        if not by_hour:
            return Outcome(name, INCOMPLETE, CONFIGURE, bound)
        ratios = []
        for h in measured_hours(by_hour):
            new, old = getattr(h.new, figure), getattr(h.old, figure)
            if new is None or old is None or not h.old.requests or not h.new.requests:
                continue
            ratio = round(new / old, 4) if old else (1.0 if not new else math.inf)  # old 0, new > 0: worse by any factor
            ratios.append((h.hour, ratio, new, old))
        if not ratios:
            return Outcome(name, INCOMPLETE, f"no hour in which both systems served, to compare {what} (at full "
                           "split the plan's criteria are error_rate and p99_latency)", bound)
        hour, value, new, old = max(ratios, key=lambda r: r[1])
        worst = _worst(by_hour, hour, value, f"{what} {number(new)} new / {number(old)} old = {_ratio_text(value)}")
        over = [r for r in ratios if r[1] > limit]
        if over:
            return Outcome(name, NOT_MET, f"{len(over)} of {len(ratios)} hour(s) both systems served above × "
                           f"{number(limit)}; worst {worst.at} {worst.text}", bound, worst,
                           gaps=[{"dataset": None, "hour": iso(h), "reason": f"× {_ratio_text(v)}",
                                  "run_id": by_hour[h].run_id} for h, v, _, _ in over])
        return Outcome(name, MET, f"≤ × {number(limit)} in all {len(ratios)} hour(s) both systems served; worst "
                       f"{worst.at} {worst.text}", bound, worst)
    return judge_ratio


TRAFFIC_JUDGES = {"error_rate_ratio": _ratio("error_rate_ratio", "error_rate_pct", "error rate"),
                  "p99_latency_ratio": _ratio("p99_latency_ratio", "p99_ms", "p99"),
                  "error_rate": error_rate, "p99_latency": p99_latency, "stable_split": stable_split,
                  "discrepancy": discrepancy}
