"""From one run (RunResult or its stored dict) to what the report templates show.
Pure functions: no I/O, no clock."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from reconciler.reasons import reason_for
from reconciler.report.charts import counts_chart, drift_chart
from reconciler.results import CheckResult, RunResult, worst
from reconciler.thresholds import DEFAULT_DRIFT_PCT, Threshold
from reconciler.timeutil import HOUR, floor_hour, iso, parse_time

DEFAULT_DRIFT = Threshold.symmetric(DEFAULT_DRIFT_PCT, "%")
SAMPLE_KINDS = ("mismatched", "missing_in_new", "extra_in_new")
DURATION_KEYS = ("duration_s", "duration", "seconds", "elapsed_s")
CONTEXT_HOURS = 24
# A window this wide is a whole table read at one instant, not a time window (compare/snapshot.py SNAPSHOT_WINDOW).
OPEN_WINDOW_YEARS = (1950, 2100)


def as_run_dict(run) -> dict:
    return run.to_dict() if isinstance(run, RunResult) else run


def run_basename(run: dict) -> str:
    """Stable file name of a stored run's report: `000012-hourly-shadow-20261127T1000Z`."""
    job = re.sub(r"[^A-Za-z0-9_.-]+", "-", run["job"]).strip("-") or "job"
    start = run["window"]["start"].replace("-", "").replace(":", "")[:13] + "Z"
    return f"{int(run['id']):06d}-{job}-{start}" if run.get("id") is not None else f"{job}-{start}"


def plain(value) -> str:
    """A data value as stored: ids without thousands separators, NULL, true/false, JSON."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return show(value)


def show(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


# -- times: to the second, in UTC ---------------------------------------------------------------

def moment(text: str | None) -> str:
    """'2026-11-27T10:00:05.123456Z' as '2026-11-27 10:00:05 UTC'."""
    if not text:
        return ""
    return text.replace("T", " ")[:19] + " UTC"


def span(window: dict | None) -> str:
    """[start, end) compactly: '2026-11-27 10:00:00 → 11:00:00 UTC' within one day."""
    if not window:
        return ""
    if window["start"] == window["end"]:  # a point-in-time run: the moment it judged
        return f"as of {moment(window['start'])}"
    start, end = moment(window["start"])[:-4], moment(window["end"])[:-4]
    if start[:10] == end[:10]:
        end = end[11:]
    return f"{start} → {end} UTC"


def is_open_window(window: dict | None) -> bool:
    if not window or not window.get("start"):
        return False
    low, high = OPEN_WINDOW_YEARS
    return int(window["start"][:4]) < low or int(window["end"][:4]) > high


def when(item: dict, run: dict | None = None) -> dict:
    """A result or comparison is either over a window or read at one instant ("as of"): a
    snapshot, a point-in-time check (`as_of`), or a result with no window of its own."""
    if item.get("as_of"):
        return {"as_of": moment(item["as_of"]), "window": None}
    window = item.get("window")
    if window and window.get("start") and window.get("start") == window.get("end"):  # a point-in-time run
        return {"as_of": moment(window["start"]), "window": None}
    if item.get("mode") == "snapshot" or is_open_window(window):
        return {"as_of": moment((run or {}).get("started_at")), "window": None}
    return {"as_of": None, "window": span(window) if window else None}


# -- results ----------------------------------------------------------------------------------

def threshold_of(value) -> Threshold | None:
    return Threshold.from_dict(value)


def threshold_text(value) -> str:
    threshold = threshold_of(value)
    return threshold.describe() if threshold is not None else ""


def result_of(r: dict) -> CheckResult:
    """A stored result dict as the typed result (its window left out: reasons do not use it)."""
    return CheckResult(r["check"], r["status"], observed=r.get("observed"), threshold=r.get("threshold"),
                       violations=r.get("violations") or 0, samples=r.get("samples") or [],
                       message=r.get("message"), details=dict(r.get("details") or {}), reason=r.get("reason"))


def reason_of(r: dict) -> str:
    """The stored reason; runs stored before reasons existed get one built from their evidence."""
    return r.get("reason") or reason_for(result_of(r))


def duration_of(result: dict) -> float | None:
    details = result.get("details") or {}
    for key in DURATION_KEYS:
        if isinstance(details.get(key), (int, float)):
            return float(details[key])
    return None


RAW_CHARS = 120


def shorten(text: str, limit: int = RAW_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_rows(run: dict) -> list[dict]:
    """Per result: its reason first; the raw observed value (`observed_full`, and shortened)."""
    return [{"check": r["check"], "status": r["status"], "reason": reason_of(r),
             "observed": shorten(show(r.get("observed"))), "observed_full": show(r.get("observed")),
             "threshold": threshold_text(r.get("threshold")), "violations": r.get("violations", 0),
             "duration": duration_of(r), "message": r.get("message"), **when(r, run)}
            for r in run.get("results", [])]


def is_rule(result: dict) -> bool:
    """A relational (SQL) rule, a completeness or a summary check: results whose details carry a severity."""
    return "severity" in (result.get("details") or {})


def rule_violations(run: dict) -> list[dict]:
    """Rules that found rows: their reason and their violating rows, all columns."""
    out = []
    for r in run.get("results", []):
        details = r.get("details") or {}
        if not is_rule(r) or r["status"] == "pass":
            continue
        rows = [row for row in r.get("samples") or [] if isinstance(row, dict)]
        columns = list(dict.fromkeys(k for row in rows for k in row))
        out.append({"rule": r["check"], "status": r["status"], "severity": details["severity"],
                    "source": details.get("source"), "classification": details.get("classification"),
                    "violations": r.get("violations", 0), "reason": reason_of(r), "columns": columns,
                    "rows": [[_sample_cell(row.get(c)) for c in columns] for row in rows], "message": r.get("message")})
    return out


def _sample_cell(value) -> str:
    """A sample cell: nested rows (a completeness sample's key/old/new) as compact JSON."""
    return show(value)


def drift_threshold(compare: dict, default: Threshold = DEFAULT_DRIFT) -> Threshold:
    """The bounds of the check that judges the hourly drift, as that check stored them."""
    for check in compare.get("checks", []):
        details = check.get("details") or {}
        threshold = threshold_of(check.get("threshold"))
        judges_drift = details.get("column") == "drift_pct" or check["check"].endswith("count_drift")
        if judges_drift and threshold is not None and threshold.has_bounds:
            return threshold if threshold.unit else replace(threshold, unit="%")
    return default


def sample_rows(samples: dict) -> list[dict]:
    """Discrepancies side by side: one line per key and column, old value | new value."""
    lines = []
    for kind in SAMPLE_KINDS:
        for sample in samples.get(kind) or []:
            old, new = sample.get("old") or {}, sample.get("new") or {}
            differing = set(sample.get("columns") or [])
            columns = list(dict.fromkeys([*old, *new]))
            for i, column in enumerate(columns):
                lines.append({"kind": kind, "key": show(sample.get("key")), "first": i == 0, "span": len(columns),
                              "column": column,
                              "old": plain(old.get(column)) if kind != "extra_in_new" else "—",
                              "new": plain(new.get(column)) if kind != "missing_in_new" else "—",
                              "differs": column in differing or kind != "mismatched"})
    return lines


def hour_rows(compare: dict) -> list[dict]:
    """The per-hour table: counts, row classes (None in counts mode) and the hour's reason."""
    rows = []
    for h in compare.get("hours") or []:
        rows.append({**h, "missing_in_new": h.get("missing_in_new"), "extra_in_new": h.get("extra_in_new"),
                     "mismatched": h.get("mismatched"), "reason": h.get("reason") or "",
                     "label": moment(h["hour"])[:16]})
    return rows


def chart_hours(compare: dict, context: list[dict] | None) -> list[dict]:
    """What the charts draw: the run's own hours, or, when the run covers few hours, the day
    around them from the store (the run's hours marked `current`)."""
    own = compare.get("hours") or []
    mine = {h["hour"] for h in own}
    hours = context if context and len(context) > len(own) else own
    return [{**h, "current": h["hour"] in mine and hours is not own} for h in hours]


def compare_view(compare: dict, run: dict | None = None, context: list[dict] | None = None) -> dict:
    threshold = drift_threshold(compare)
    samples = compare.get("samples") or {}
    moment_of = when(compare, run)
    snapshot = moment_of["as_of"] is not None
    charted = [] if snapshot else chart_hours(compare, context)
    drawn = [h for h in charted if h.get("old") is not None]
    charts = [counts_chart(charted), drift_chart(charted, threshold)] if len(drawn) >= 2 else []
    return {
        "dataset": compare["dataset"], "status": compare["status"], "mode": compare.get("mode"),
        "truncated": compare.get("truncated"), "totals": compare.get("totals") or {}, **moment_of,
        "hours": [] if snapshot else hour_rows(compare), "threshold": threshold.describe(), "charts": charts,
        "context": bool(charts) and len(charted) > len(compare.get("hours") or []),
        "checks": [{"check": c["check"], "status": c["status"], "reason": reason_of(c)}
                   for c in compare.get("checks", [])],
        "sample_summary": _sample_summary(compare),
        "samples": sample_rows(samples), "timings": compare.get("timings") or {},
    }


def _sample_summary(compare: dict) -> list[dict]:
    """Per kind: samples shown, samples the run collected (before the store's bound), differences in total."""
    samples, collected = compare.get("samples") or {}, compare.get("samples_total") or {}
    totals = compare.get("totals") or {}
    return [{"kind": k, "shown": len(samples.get(k) or []), "collected": collected.get(k, len(samples.get(k) or [])),
             "total": totals.get(k)} for k in SAMPLE_KINDS]


def failing_hours(compare: dict) -> list[dict]:
    hours = compare.get("hours") or []
    if len(hours) <= 1:
        return []  # the checks' reasons already say it
    return [{"label": moment(h["hour"])[:16], "reason": h.get("reason") or h["status"], "status": h["status"]}
            for h in hours if h["status"] != "pass"]


def run_view(run, *, context: dict[str, list[dict]] | None = None) -> dict:
    """Everything a run's page shows. `context`: dataset -> the surrounding hours from the store."""
    run = as_run_dict(run)
    checks = check_rows(run)
    has_rules = any(is_rule(r) for r in run.get("results", []))
    at = when(run, run)
    return {
        "run": run, "title": f"{run['job']} {at['window'] or 'as of ' + at['as_of']} — {run['status'].upper()}",
        "window": at["window"], "as_of": at["as_of"], "started": moment(run.get("started_at")),
        "finished": moment(run.get("finished_at")), "checks": checks, "has_rules": has_rules,
        "rules": rule_violations(run),
        "compares": [compare_view(c, run, (context or {}).get(c["dataset"])) for c in run.get("compares", [])],
        "failing": [c for c in checks if c["status"] in ("fail", "error")],
        "failing_hours": [(c["dataset"], h) for c in run.get("compares", []) for h in failing_hours(c)],
    }


def context_hours(ledger: list[dict], end: datetime, hours: int = CONTEXT_HOURS) -> list[dict]:
    """The `hours` hours before `end` from the store's ledger (latest verdict of each hour);
    hours never judged are gaps."""
    start = end - timedelta(hours=hours)
    by_hour = {floor_hour(r["hour"].astimezone(timezone.utc) if r["hour"].tzinfo else
                          r["hour"].replace(tzinfo=timezone.utc)): r for r in ledger}
    out = []
    for i in range(hours):
        hour = start + i * HOUR
        row = by_hour.get(hour)
        judged = row is not None and row.get("old") is not None and row.get("verdict")
        out.append({"hour": iso(hour), "old": row["old"] if judged else None, "new": row["new"] if judged else None,
                    "drift_pct": row["drift_pct"] if judged else None,
                    "status": row["verdict"] if judged else "none"})
    return out


def timeline(runs: list[dict], now: datetime, days: int) -> list[dict]:
    """`days` rows of 24 hours, oldest day first. A cell shows, for each job, the latest run
    covering that hour (a re-run supersedes), and takes the worst of those statuses."""
    first_day = floor_hour(now).replace(hour=0) - timedelta(days=days - 1)
    latest: dict[tuple, dict] = {}
    for run in sorted(runs, key=lambda r: r["id"]):
        start, end = parse_time(run["window"]["start"], now), parse_time(run["window"]["end"], now)
        hour = floor_hour(start)
        while hour < end:
            latest[(hour, run["job"])] = run
            hour += HOUR
    rows = []
    for d in range(days):
        day = first_day + timedelta(days=d)
        cells = [_cell(day + h * HOUR, latest, now) for h in range(24)]
        rows.append({"day": iso(day)[:10], "cells": cells})
    return rows


def _cell(hour: datetime, latest: dict, now: datetime) -> dict:
    judged = sorted(((job, run) for (h, job), run in latest.items() if h == hour), key=lambda jr: jr[0])
    if not judged:
        return {"hour": iso(hour), "status": "future" if hour > now else "none", "title": f"{iso(hour)}: no run",
                "run": None}
    status = worst(run["status"] for _, run in judged)
    worst_run = next(run for _, run in judged if run["status"] == status)
    title = f"{iso(hour)}: " + ", ".join(f"{job} {run['status']} (run {run['id']})" for job, run in judged)
    return {"hour": iso(hour), "status": status, "title": title, "run": worst_run}
