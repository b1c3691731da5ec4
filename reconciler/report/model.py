"""From one run (StoredRun, RunResult) to what the report templates show; the index from the
store's run summaries.
Pure functions: no I/O, no clock."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from reconciler import formatting
from reconciler.checks.types import is_rule, observed_text_of, reason_for
from reconciler.report.charts import counts_chart, drift_chart
from reconciler.report.observed import result_observed_text
from reconciler.report.why import why_view
from reconciler.results import NOT_PASSING, PASS, CheckResult, CompareResult, RunResult, StoredRun
from reconciler.thresholds import DEFAULT_DRIFT_PCT, Threshold
from reconciler.timeutil import HOUR, Window, floor_hour, iso

DEFAULT_DRIFT = Threshold.symmetric(DEFAULT_DRIFT_PCT, "%")
SAMPLE_KINDS = ("mismatched", "missing_in_new", "extra_in_new")
DURATION_KEYS = ("duration_s", "duration", "seconds", "elapsed_s")
CONTEXT_HOURS = 24


def as_run_dict(run) -> dict:
    """The JSON document of a run: a stored dict as it is (`render_json` keeps its bytes)."""
    return run.to_dict() if isinstance(run, RunResult) else run


def run_basename(run: StoredRun | dict) -> str:
    """Stable file name of a stored run's report: `000012-hourly-shadow-20261127T1000Z`. `run`: a
    StoredRun or a run summary of the store (`runs_overlapping`, `list_runs`)."""
    if isinstance(run, StoredRun):
        job, run_id = run.run.job, run.id
        start = iso(run.run.window.start if run.run.window else run.run.as_of)
    else:
        job, run_id, start = run["job"], run.get("id"), run.get("as_of") or run["window"]["start"]
    job = re.sub(r"[^A-Za-z0-9_.-]+", "-", job).strip("-") or "job"
    start = start.replace("-", "").replace(":", "")[:13] + "Z"
    return f"{int(run_id):06d}-{job}-{start}" if run_id is not None else f"{job}-{start}"


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
        return formatting.count(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


# -- times: to the second, in UTC ---------------------------------------------------------------

def moment(value: datetime | str | None) -> str:
    """2026-11-27 10:00:05.123456 UTC (or its ISO text) as '2026-11-27T10:00:05Z'."""
    return formatting.instant(value)


def span(window: Window | dict | None) -> str:
    """[start, end): '2026-11-27T10:00:00Z → 2026-11-27T11:00:00Z'."""
    if not window:
        return ""
    low, high = (window.start, window.end) if isinstance(window, Window) else (window["start"], window["end"])
    return formatting.span(low, high)


def when(item: CheckResult | CompareResult | RunResult, run: RunResult | None = None) -> dict:
    """A result, comparison or run is over a window or as of one moment (`as_of`)."""
    if item.window is not None:
        return {"as_of": None, "window": span(item.window)}
    as_of = item.as_of or (run.as_of or run.started_at if run is not None else None)
    return {"as_of": moment(as_of), "window": None}


# -- results ----------------------------------------------------------------------------------

def threshold_text(threshold: Threshold | None) -> str:
    return threshold.describe() if threshold is not None else ""


def reason_of(result: CheckResult) -> str:
    """The stored reason; runs stored before reasons existed get one from their type."""
    return result.reason or reason_for(result)


def duration_of(result: CheckResult) -> float | None:
    for key in DURATION_KEYS:
        if isinstance(result.details.get(key), (int, float)):
            return float(result.details[key])
    return None


RAW_CHARS = 120


def shorten(text: str, limit: int = RAW_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_rows(results: list[CheckResult], run: RunResult | None = None) -> list[dict]:
    """Per result: its reason first; the observed value in words (`observed_full`, and shortened)."""
    return [{"check": r.check, "status": r.status, "reason": reason_of(r),
             "observed": observed_text_of(r) or shorten(result_observed_text(r)),
             "observed_full": observed_text_of(r) or result_observed_text(r),
             "threshold": threshold_text(r.threshold), "violations": r.violations,
             "duration": duration_of(r), "message": r.message, **when(r, run)}
            for r in results]



def rule_violations(run: RunResult) -> list[dict]:
    """Rules that found rows: their reason and their violating rows, all columns."""
    out = []
    for r in run.results:
        if not is_rule(r) or r.status == PASS:
            continue
        rows = [row for row in r.samples if isinstance(row, dict)]
        columns = list(dict.fromkeys(k for row in rows for k in row))
        out.append({"rule": r.check, "status": r.status, "severity": r.details["severity"],
                    "source": r.details.get("source"), "classification": r.details.get("classification"),
                    "violations": r.violations, "reason": reason_of(r), "columns": columns,
                    "rows": [[_sample_cell(row.get(c)) for c in columns] for row in rows], "message": r.message})
    return out


def _sample_cell(value) -> str:
    """A sample cell as the terminal and Slack write it (`plain`: ids without digit groups);
    nested rows (a completeness sample's key/old/new) as compact JSON."""
    return plain(value)


def drift_threshold(compare: CompareResult, default: Threshold = DEFAULT_DRIFT) -> Threshold:
    """The bounds of the check that judges the hourly drift, as that check stored them."""
    for check in compare.checks:
        threshold = check.threshold
        judges_drift = check.details.get("column") == "drift_pct" or check.check.endswith("count_drift")
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


def hour_rows(compare: CompareResult) -> list[dict]:
    """The per-hour table: counts, row classes (None in counts mode) and the hour's reason."""
    return [{**h.to_dict(), "reason": h.reason or "", "label": moment(h.hour)} for h in compare.hours]


def chart_hours(compare: CompareResult, context: list[dict] | None) -> list[dict]:
    """What the charts draw: the run's own hours, or, when the run covers few hours, the day
    around them from the store (the run's hours marked `current`)."""
    own = [h.to_dict() for h in compare.hours]
    mine = {h["hour"] for h in own}
    hours = context if context and len(context) > len(own) else own
    return [{**h, "current": h["hour"] in mine and hours is not own} for h in hours]


def compare_view(compare: CompareResult, run: RunResult | None = None, context: list[dict] | None = None,
                 notes: dict[str, list[dict]] | None = None) -> dict:
    threshold = drift_threshold(compare)
    moment_of = when(compare, run)
    snapshot = moment_of["as_of"] is not None
    charted = [] if snapshot else chart_hours(compare, context)
    drawn = [h for h in charted if h.get("old") is not None]
    charts = [counts_chart(charted), drift_chart(charted, threshold)] if len(drawn) >= 2 else []
    return {
        "dataset": compare.dataset, "status": compare.status, "mode": compare.mode,
        "truncated": compare.truncated, "totals": compare.totals, **moment_of,
        "hours": [] if snapshot else hour_rows(compare), "threshold": threshold.describe(), "charts": charts,
        "context": bool(charts) and len(charted) > len(compare.hours),
        "checks": [{"check": c.check, "status": c.status, "reason": reason_of(c)} for c in compare.checks],
        "sample_summary": _sample_summary(compare),
        "samples": sample_rows(compare.samples), "timings": compare.timings, "why": why_view(compare, notes),
    }


def _sample_summary(compare: CompareResult) -> list[dict]:
    """Per kind: samples shown, samples the run collected (before the store's bound), differences in total."""
    samples, collected = compare.samples, compare.samples_total or {}
    return [{"kind": k, "shown": len(samples.get(k) or []), "collected": collected.get(k, len(samples.get(k) or [])),
             "total": compare.totals.get(k)} for k in SAMPLE_KINDS]


def failing_hours(compare: CompareResult) -> list[dict]:
    if len(compare.hours) <= 1:
        return []  # the checks' reasons already say it
    return [{"label": moment(h.hour), "reason": h.reason or h.status, "status": h.status}
            for h in compare.hours if h.status != PASS]


def provenance(stored: StoredRun) -> dict:
    """The head of a run's page: what ran, and where it came from when it was stored."""
    run = stored.run
    return {"id": stored.id, "job": run.job, "status": run.status, "message": run.message,
            "tool_version": stored.tool_version, "config_fingerprint": stored.config_fingerprint,
            "source_names": stored.source_names}


def run_view(run: StoredRun | RunResult | dict, *, context: dict[str, list[dict]] | None = None,
             stories: dict[str, dict[str, list[dict]]] | None = None) -> dict:
    """Everything a run's page shows. A stored dict (an older report's JSON) is read with
    `from_dict` first. `context`: dataset -> the surrounding hours from the store; `stories`:
    dataset -> hour -> the stories the hour belongs to (why.story_notes)."""
    stored = StoredRun.of(run)
    run = stored.run
    checks = check_rows(run.results, run)
    at = when(run, run)
    return {
        "run": provenance(stored),
        "title": f"{run.job} {at['window'] or 'as of ' + at['as_of']} — {run.status.upper()}",
        "window": at["window"], "as_of": at["as_of"], "started": moment(run.started_at),
        "finished": moment(run.finished_at), "checks": checks, "has_rules": any(is_rule(r) for r in run.results),
        "rules": rule_violations(run),
        "compares": [compare_view(c, run, (context or {}).get(c.dataset), (stories or {}).get(c.dataset))
                     for c in run.compares],
        "failing": [c for c in checks if c["status"] in NOT_PASSING],
        "failing_hours": [(c.dataset, h) for c in run.compares for h in failing_hours(c)],
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
