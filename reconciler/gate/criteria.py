"""Each criterion of a phase judged over the evidence: met, not met or incomplete, with the
worst hour or moment. Pure functions over `Evidence`; no I/O, no clock."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.config.phases import CriterionConfig
from reconciler.formatting import count, number, percent
from reconciler.gate.evidence import Evidence
from reconciler.reasons import duplicates_reason, plural
from reconciler.results import EMPTY, ERROR, FAIL, PASS, SKIPPED, StoredResult
from reconciler.timeutil import HOUR, iso, parse_time


def parse_iso(text: str):
    return parse_time(text, None)

MET, NOT_MET, INCOMPLETE = "met", "not met", "incomplete"
EVIDENCE_VERDICTS = (PASS, FAIL)  # `error`, `empty` and a missing verdict are no evidence
LISTED = 5  # hours named on a criterion's line; the JSON lists them all


@dataclass(frozen=True)
class Worst:
    at: str                 # an hour (ISO) or a moment
    value: object
    run_id: int | None
    dataset: str | None = None
    text: str = ""

    def to_dict(self) -> dict:
        return {"at": self.at, "value": self.value, "run_id": self.run_id, "dataset": self.dataset, "text": self.text}


@dataclass(frozen=True)
class Outcome:
    criterion: str
    state: str
    summary: str
    bound: dict
    worst: Worst | None = None
    gaps: list = field(default_factory=list)     # [{"dataset", "hour", "reason", "run_id"}]
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"criterion": self.criterion, "state": self.state, "summary": self.summary, "bound": self.bound,
                "worst": self.worst.to_dict() if self.worst else None, "gaps": self.gaps, **self.extra}


def period_hours(ev: Evidence) -> list:
    return ev.period.hours()


def gap_ranges(gaps: list) -> list[dict]:
    """Consecutive hours of one dataset with one reason, merged: {dataset, first, last, hours, reason}."""
    ranges: list[dict] = []
    for g in gaps:
        last = ranges[-1] if ranges else None
        if last and last["dataset"] == g.get("dataset") and last["reason"] == g["reason"] \
                and parse_iso(g["hour"]) - parse_iso(last["last"]) == HOUR:
            last["last"], last["hours"] = g["hour"], last["hours"] + 1
        else:
            ranges.append({"dataset": g.get("dataset"), "first": g["hour"], "last": g["hour"], "hours": 1,
                           "reason": g["reason"]})
    return ranges


def _gap_text(gaps: list) -> str:
    ranges = gap_ranges(gaps)

    def one(r):
        where = f"{r['dataset']} " if r["dataset"] else ""
        if r["hours"] == 1:
            return f"{where}{r['first']} ({r['reason']})"
        return f"{where}{r['first']} … {r['last']} ({r['hours']} hours, {r['reason']})"

    named = ", ".join(one(r) for r in ranges[:LISTED])
    return named + (f" and {len(ranges) - LISTED} more" if len(ranges) > LISTED else "")


def judged(ev: Evidence):
    """(dataset, hour, ledger row) of every hour with a conclusive verdict, and the gaps."""
    found, gaps = [], []
    for dataset in ev.datasets:
        for hour in period_hours(ev):
            row = ev.ledger.get((dataset, hour))
            verdict = row["verdict"] if row else None
            if verdict in EVIDENCE_VERDICTS:
                found.append((dataset, hour, row))
            else:
                reason = verdict if verdict in (ERROR, EMPTY) else ("no run" if row is None else f"{row['state']}")
                gaps.append({"dataset": dataset, "hour": iso(hour), "reason": reason,
                             "run_id": row["run_id"] if row else None})
    return found, gaps


def coverage(ev: Evidence, cfg: CriterionConfig) -> Outcome:
    found, gaps = judged(ev)
    total = len(ev.datasets) * len(period_hours(ev))
    bound = {"hours": total}
    if not ev.datasets:
        return Outcome("coverage", INCOMPLETE, "no dataset is judged hour by hour (phases.*.datasets)", bound)
    if gaps:
        return Outcome("coverage", INCOMPLETE, f"{count(len(found))} of {count(total)} dataset-hours judged; not judged: "
                       f"{_gap_text(gaps)}", bound, gaps=gaps)
    return Outcome("coverage", MET, f"all {count(total)} dataset-hours judged (pass or fail)", bound)


def _unjudged_note(gaps) -> str:
    return f"; {len(gaps)} hour(s) without evidence (see coverage)" if gaps else ""


def drift(ev: Evidence, cfg: CriterionConfig) -> Outcome:
    limit = cfg.bound("drift", "max_abs_pct")
    bound = {"max_abs_pct": limit}
    found, gaps = judged(ev)
    over, worst = [], None
    for dataset, hour, row in found:
        value = row["drift_pct"]
        if value is None:
            undefined = (row["old"] or 0) == 0 and (row["new"] or 0) > 0
            if undefined:
                w = Worst(iso(hour), None, row["run_id"], dataset, f"rows only in new (old 0, new {count(row['new'])})")
                over.append(w)
                worst = w if worst is None or worst.value is not None else worst
            continue
        w = Worst(iso(hour), value, row["run_id"], dataset, percent(value, 2, sign=True))
        if abs(value) > limit:
            over.append(w)
        if worst is None or (worst.value is not None and abs(value) > abs(worst.value)):
            worst = w
    if over:
        named = ", ".join(f"{w.dataset} {w.at} {w.text}" for w in over[:LISTED])
        more = f" and {len(over) - LISTED} more" if len(over) > LISTED else ""
        first = max(over, key=lambda w: float("inf") if w.value is None else abs(w.value))
        # an hour with rows only in new has no drift: the suite's drift check leaves it to a
        # not-null check (drift_defined); here it is counted apart, so the numbers add up
        undefined = sum(1 for w in over if w.value is None)
        beyond = len(over) - undefined
        what = " and ".join(part for part in (
            f"{beyond} hour(s) beyond ±{number(limit)} %" if beyond else "",
            f"{undefined} hour(s) with drift undefined (rows only in new)" if undefined else "") if part)
        return Outcome("drift", NOT_MET, f"{what}: {named}{more}", bound, first,
                       gaps=[{"dataset": w.dataset, "hour": w.at, "reason": w.text, "run_id": w.run_id} for w in over])
    if not found:
        return Outcome("drift", INCOMPLETE, "no judged hour in the period", bound)
    state = INCOMPLETE if gaps else MET
    return Outcome("drift", state, f"within ±{number(limit)} % in all {len(found)} judged hours{_unjudged_note(gaps)}",
                   bound, worst)


def _match_of(totals: dict):
    keys = ("matched", "mismatched", "missing_in_new", "extra_in_new")
    if any(totals.get(k) is None for k in keys):
        return None
    denominator = sum(int(totals[k]) for k in keys)
    return int(totals["matched"]), denominator


def match(ev: Evidence, cfg: CriterionConfig) -> Outcome:
    limit = cfg.bound("match", "min_pct")
    bound = {"min_pct": limit}
    found, gaps = judged(ev)
    below, worst, matched, rows = [], None, 0, 0
    no_rows, any_doubled = [], False
    for dataset, hour, row in found:
        run, totals = ev.totals.get((dataset, hour), (row["run_id"], None))
        counted = _match_of(totals) if totals is not None else None
        if counted is None:
            no_rows.append({"dataset": dataset, "hour": iso(hour), "reason": "no row-level comparison",
                            "run_id": run})
            continue
        ok, total = counted
        matched, rows = matched + ok, rows + total
        pct = 100.0 if total == 0 else ok / total * 100
        doubled = int(totals.get("duplicates_new") or 0)
        w = Worst(iso(hour), round(pct, 4), run, dataset, f"{percent(pct, 4)} ({count(total - ok)} of {count(total)} differ)"
                  + (f", {duplicates_reason(doubled, 0)}" if doubled else ""))
        if pct < limit or doubled:
            below.append(w)
        any_doubled = any_doubled or bool(doubled)
        if worst is None or pct < worst.value:
            worst = w
    period_pct = round(matched / rows * 100, 4) if rows else None
    extra = {"period_match_pct": period_pct, "rows": rows, "matched": matched}
    if below or (period_pct is not None and period_pct < limit):
        named = ", ".join(f"{w.dataset} {w.at} {w.text}" for w in below[:LISTED])
        more = f" and {len(below) - LISTED} more" if len(below) > LISTED else ""
        failing = f"below {number(limit)} %" + (" or with a key held twice in new" if any_doubled else "")
        text = (f"{len(below)} hour(s) {failing}: {named}{more}" if below else "") + \
               (f"{'; ' if below else ''}period {percent(period_pct, 4)} over {count(rows)} rows")
        return Outcome("match", NOT_MET, text, bound, min(below, key=lambda w: w.value) if below else worst,
                       gaps=[{"dataset": w.dataset, "hour": w.at, "reason": w.text, "run_id": w.run_id} for w in below],
                       extra=extra)
    missing = gaps + no_rows
    if rows == 0:
        return Outcome("match", INCOMPLETE, "no hour compared row by row in the period", bound, gaps=missing,
                       extra=extra)
    state = INCOMPLETE if missing else MET
    note = f"; {len(no_rows)} judged hour(s) without a row comparison" if no_rows else ""
    return Outcome("match", state, f"≥ {number(limit)} % in every compared hour; period {percent(period_pct, 4)} over {count(rows)} "
                   f"rows{note}{_unjudged_note(gaps)}", bound, worst, gaps=no_rows, extra=extra)


def _errors(found: list[StoredResult]) -> list[StoredResult]:
    return [s for s in found if s.result.status == ERROR]


def _moment(stored: StoredResult) -> str:
    return iso(stored.moment.replace(microsecond=0))


def _lag_value(stored: StoredResult, percentile: str):
    return (stored.result.observed or {}).get(percentile)


def lag(ev: Evidence, cfg: CriterionConfig) -> Outcome:
    """Hour by hour from windowed lag results (a lag check with an ingestion column); without
    them, from the newest-event age measured at moments."""
    limit, percentile = cfg.bound("lag", "max_seconds"), cfg.bound("lag", "percentile")
    bound = {"max_seconds": limit, "percentile": percentile}
    hourly = ev.hourly("lag")
    if hourly:
        return _hourly("lag", ev, hourly, limit, lambda s: _lag_value(s, percentile), bound,
                       (f"{percentile} lag", percentile), "s", "no lag result")
    ages = ev.point_in_time("lag")
    return _point_in_time("lag", ages, limit, lambda s: (s.result.observed or {}).get("seconds"), bound, "s",
                          "no processing-lag evidence: configure a `lag` check (ingested_column) on the new dataset",
                          "newest event age")


def _hourly(name, ev: Evidence, hourly: list[StoredResult], limit, value_of, bound, names, unit,
            none_text) -> Outcome:
    """A criterion over windowed results, hour by hour (per dataset where they have one): not
    met with every hour above the limit, incomplete naming the hours without a value. `names`:
    what is measured in full ("p99 lag") and short ("p99")."""
    what, short = names
    by_hour: dict[tuple, StoredResult] = {}
    for stored in hourly:  # by hour, newest run last: the newest judgement of an hour wins
        dataset = stored.result.details.get("dataset")
        for hour in stored.result.window.hours():
            by_hour[(dataset, hour)] = stored
    values = [(key, s, value_of(s)) for key, s in sorted(by_hour.items(), key=lambda kv: kv[0][1])]
    measured = [(key, s, v) for key, s, v in values if v is not None]
    over = [(key, s, v) for key, s, v in measured if v > limit]
    worst = None
    if measured:
        (dataset, hour), s, v = max(measured, key=lambda x: x[2])
        worst = Worst(iso(hour), v, s.run_id, dataset, f"{short} {number(v)} {unit}")
    if over:
        return Outcome(name, NOT_MET, f"{len(over)} hour(s) with {what} above {number(limit)} {unit}; worst "
                       f"{worst.at} {worst.text}", bound, worst,
                       gaps=[{"dataset": d, "hour": iso(h), "reason": f"{short} {number(v)} {unit}", "run_id": s.run_id}
                             for (d, h), s, v in over])
    datasets = sorted({d for d, _ in by_hour}, key=str)
    missing = [{"dataset": d, "hour": iso(h), "reason": none_text}
               for d in datasets for h in period_hours(ev) if (d, h) not in by_hour]
    missing += [{"dataset": d, "hour": iso(h), "reason": "error"} for (d, h), s, _ in values if s.result.status == ERROR]
    missing.sort(key=lambda g: (str(g["dataset"]), g["hour"]))
    if missing:
        return Outcome(name, INCOMPLETE, f"{short} within {number(limit)} {unit} where measured; not measured: "
                       f"{_gap_text(missing)}", bound, worst, gaps=missing)
    return Outcome(name, MET, f"{short} within {number(limit)} {unit} in every hour", bound, worst)


def _point_in_time(name, found: list[StoredResult], limit, value_of, bound, unit, none_text, what) -> Outcome:
    if not found:
        return Outcome(name, INCOMPLETE, none_text, bound)
    measured = [(s, value_of(s)) for s in found if value_of(s) is not None]
    worst = None
    if measured:
        s, v = max(measured, key=lambda x: x[1])
        worst = Worst(_moment(s), v, s.run_id, None, f"{what} {number(v)} {unit}")
    over = [(s, v) for s, v in measured if v > limit]
    if over or any(s.result.status == FAIL and value_of(s) is None for s in found):
        count = len(over) or 1
        return Outcome(name, NOT_MET, f"{count} measurement(s) above {number(limit)} {unit}; worst {worst.at} "
                       f"{worst.text}" if worst else f"{what} failed", bound, worst)
    errors = _errors(found)
    if errors:
        return Outcome(name, INCOMPLETE, f"{len(errors)} measurement(s) in error, e.g. {_moment(errors[0])}",
                       bound, worst)
    if not measured:
        return Outcome(name, INCOMPLETE, f"{len(found)} measurement(s), none with a value", bound)
    return Outcome(name, MET, f"{len(measured)} measurement(s), all within {number(limit)} {unit}", bound, worst)


def latency(ev: Evidence, cfg: CriterionConfig) -> Outcome:
    """Hour by hour from a Prometheus source's histogram (windowed latency results); else from
    the measurements taken at moments (a scrape, a query)."""
    limit, percentile = cfg.bound("latency", "max_ms"), cfg.bound("latency", "percentile")
    hourly = ev.hourly("latency")
    if hourly:
        return _hourly("latency", ev, hourly, limit, lambda s: (s.result.observed or {}).get(percentile),
                       {"max_ms": limit, "percentile": percentile}, (f"{percentile} write latency", percentile), "ms",
                       "no latency result")
    return _point_in_time("latency", ev.point_in_time("latency"), limit,
                          lambda s: (s.result.observed or {}).get(percentile),
                          {"max_ms": limit, "percentile": percentile}, "ms",
                          "no write-latency evidence: configure a `latency` check", f"{percentile}")


def queues(ev: Evidence, cfg: CriterionConfig) -> Outcome:
    limit = cfg.bound("queues", "max_depth")
    found = ev.point_in_time("queues")
    out = _point_in_time("queues", found, limit,
                         lambda s: s.result.observed if isinstance(s.result.observed, int) else None,
                         {"max_depth": limit}, "entries", "no dead-letter-queue evidence: configure a `health` check",
                         "depth")
    growing = [s for s in found if s.result.details.get("warning") == "growing"]
    if growing and out.state == MET:
        return Outcome(out.criterion, out.state, f"{out.summary}; warning: grew in {len(growing)} run(s), last at "
                       f"{_moment(growing[-1])}", out.bound, out.worst)
    return out


def new_and_inherited(result) -> tuple[int | None, int]:
    """(new, inherited) violations of a rule run on both sides, (None, 0) for a rule run on one:
    its `violations` count every row of the new side, inherited ones too, yet only the new fail it."""
    d = result.details or {}
    if d.get("source") == "both" and d.get("new") is not None:
        return int(d["new"]), int(d.get("inherited") or 0)
    return None, 0


def failing_violations(result) -> int:
    """The violations that make a rule fail: the new ones of a rule run on both sides."""
    new, _ = new_and_inherited(result)
    return new if new is not None else int(result.violations or 0)


def _violations_text(result) -> str:
    n = failing_violations(result)
    new, inherited = new_and_inherited(result)
    if new is None:
        return plural(n, "violation")
    return plural(n, "new violation") + (f" and {count(inherited)} inherited from old" if inherited else "")


def bookings(ev: Evidence, cfg: CriterionConfig) -> Outcome:
    severity = cfg.bound("bookings", "severity")
    bound = {"severity": severity}
    rules = ev.point_in_time("bookings")
    if not rules:
        return Outcome("bookings", INCOMPLETE, "no booking rule ran in the period", bound)
    counted = ("critical",) if severity == "critical" else ("critical", "warning")
    bad = [s for s in rules if s.result.status == FAIL and s.result.details.get("severity") in counted]
    runs = {s.run_id for s in rules}
    if bad:
        s = max(bad, key=lambda s: failing_violations(s.result))
        worst = Worst(_moment(s), failing_violations(s.result), s.run_id, None,
                      f"{s.result.check}: {_violations_text(s.result)}")
        return Outcome("bookings", NOT_MET, f"{severity} violations in {count(len({b.run_id for b in bad}))} of "
                       f"{plural(len(runs), 'run')}: {_violations_by_rule(bad)}; worst {worst.at} {worst.text}",
                       bound, worst)
    errors = _errors(rules)
    if errors:
        return Outcome("bookings", INCOMPLETE, f"{plural(len(errors), 'rule result')} in error, e.g. "
                       f"{errors[0].result.check} at {_moment(errors[0])}", bound)
    return Outcome("bookings", MET, f"no {severity} violation in {plural(len(runs), 'run')} "
                   f"({plural(len(rules), 'rule result')})", bound)


def _violations_by_rule(bad: list) -> str:
    """Each violated rule: its violations in its latest failing run, and in how many runs it failed."""
    by_rule: dict[str, list] = {}
    for s in sorted(bad, key=_moment):
        by_rule.setdefault(s.result.check, []).append(s)
    return ", ".join(f"{rule}: {_violations_text(found[-1].result)} "
                     f"(failed in {plural(len(found), 'run')})" for rule, found in sorted(by_rule.items()))


JUDGES = {"coverage": coverage, "drift": drift, "match": match, "lag": lag, "latency": latency, "queues": queues,
          "bookings": bookings}


def clean_hours(ev: Evidence) -> int:
    """Consecutive hours, back from the period's end, in which every dataset passed."""
    count = 0
    for hour in reversed(period_hours(ev)):
        rows = [ev.ledger.get((d, hour)) for d in ev.datasets]
        if not ev.datasets or any(r is None or r["verdict"] != PASS for r in rows):
            break
        count += 1
    return count


# the other phases' criteria, in modules of their own that build on the above
from reconciler.gate.cutover import CUTOVER_JUDGES  # noqa: E402
from reconciler.gate.history import history_verified  # noqa: E402
from reconciler.gate.traffic import TRAFFIC_JUDGES  # noqa: E402

JUDGES.update(TRAFFIC_JUDGES)
JUDGES.update(CUTOVER_JUDGES)
JUDGES["history_verified"] = history_verified

__all__ = ["JUDGES", "MET", "NOT_MET", "INCOMPLETE", "Outcome", "Worst", "clean_hours", "HOUR", "SKIPPED"]
