"""From one run (RunResult or its stored dict) to what the report templates show.
Pure functions: no I/O, no clock."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

from reconciler.report.charts import counts_chart, drift_chart
from reconciler.results import RunResult, worst
from reconciler.timeutil import HOUR, floor_hour, iso, parse_time

DEFAULT_DRIFT_THRESHOLD = 1.0
SAMPLE_KINDS = ("mismatched", "missing_in_new", "extra_in_new")
DURATION_KEYS = ("duration_s", "duration", "seconds", "elapsed_s")


def as_run_dict(run) -> dict:
    return run.to_dict() if isinstance(run, RunResult) else run


def run_basename(run: dict) -> str:
    """Stable file name of a stored run's report: `000012-hourly-shadow-20261127T1000Z`."""
    job = re.sub(r"[^A-Za-z0-9_.-]+", "-", run["job"]).strip("-") or "job"
    start = run["window"]["start"].replace("-", "").replace(":", "")[:13] + "Z"
    return f"{int(run['id']):06d}-{job}-{start}" if run.get("id") is not None else f"{job}-{start}"


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
        return json.dumps(value, sort_keys=True)
    return str(value)


def duration_of(result: dict) -> float | None:
    details = result.get("details") or {}
    for key in DURATION_KEYS:
        if isinstance(details.get(key), (int, float)):
            return float(details[key])
    return None


def check_rows(run: dict) -> list[dict]:
    return [{"check": r["check"], "status": r["status"], "observed": show(r.get("observed")),
             "threshold": show(r.get("threshold")), "violations": r.get("violations", 0),
             "duration": duration_of(r), "message": r.get("message")} for r in run.get("results", [])]


def rule_violations(run: dict) -> list[dict]:
    """Booking (SQL) rules that found rows: the ones whose details carry a severity."""
    out = []
    for r in run.get("results", []):
        details = r.get("details") or {}
        if "severity" not in details or r["status"] == "pass":
            continue
        rows = r.get("samples") or []
        columns = list(dict.fromkeys(k for row in rows if isinstance(row, dict) for k in row))
        out.append({"rule": r["check"], "status": r["status"], "severity": details["severity"],
                    "source": details.get("source"), "classification": details.get("classification"),
                    "violations": r.get("violations", 0), "columns": columns,
                    "rows": [[show(row.get(c)) for c in columns] for row in rows if isinstance(row, dict)],
                    "message": r.get("message")})
    return out


def drift_threshold(compare: dict, default: float = DEFAULT_DRIFT_THRESHOLD) -> float:
    for check in compare.get("checks", []):
        if isinstance(check.get("threshold"), (int, float)) and "count" in check["check"]:
            return float(check["threshold"])
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
                              "old": show(old.get(column)) if kind != "extra_in_new" else "—",
                              "new": show(new.get(column)) if kind != "missing_in_new" else "—",
                              "differs": column in differing or kind != "mismatched"})
    return lines


def compare_view(compare: dict, default_threshold: float) -> dict:
    threshold = drift_threshold(compare, default_threshold)
    samples = compare.get("samples") or {}
    return {
        "dataset": compare["dataset"], "window": compare["window"], "status": compare["status"],
        "mode": compare.get("mode"), "truncated": compare.get("truncated"), "totals": compare.get("totals") or {},
        "hours": compare.get("hours") or [], "threshold": threshold,
        "charts": [counts_chart(compare.get("hours") or []), drift_chart(compare.get("hours") or [], threshold)],
        "sample_summary": _sample_summary(compare),
        "samples": sample_rows(samples), "timings": compare.get("timings") or {},
    }


def _sample_summary(compare: dict) -> list[dict]:
    """Per kind: samples shown, samples the run collected (before the store's bound), differences in total."""
    samples, collected = compare.get("samples") or {}, compare.get("samples_total") or {}
    totals = compare.get("totals") or {}
    return [{"kind": k, "shown": len(samples.get(k) or []), "collected": collected.get(k, len(samples.get(k) or [])),
             "total": totals.get(k)} for k in SAMPLE_KINDS]


def run_view(run, *, drift_threshold_pct: float = DEFAULT_DRIFT_THRESHOLD) -> dict:
    run = as_run_dict(run)
    return {
        "run": run, "title": f"{run['job']} {run['window']['start']} — {run['status'].upper()}",
        "checks": check_rows(run), "rules": rule_violations(run),
        "compares": [compare_view(c, drift_threshold_pct) for c in run.get("compares", [])],
        "failing": [c for c in check_rows(run) if c["status"] in ("fail", "error")],
    }


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
