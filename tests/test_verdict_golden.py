"""Golden terminal and JSON outputs of a failing and a passing run, reasons included: the
hourly evidence judged by the shipped device_events suite (Great Expectations), explained by
reconciler/reasons.py, rendered by the one terminal renderer. `UPDATE_GOLDEN=1` rewrites the
files; review them in the diff. Also: data is never read as rich markup."""

from __future__ import annotations

import io
import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from rich.console import Console

from reconciler.checks.judgement import explain, judge
from reconciler.checks.rules import rules_to_json
from reconciler.checks.types import with_reason
from reconciler.compare.drift import drift_pct, match_pct
from reconciler.report.terminal import render_compare, render_job_runs, render_rules, run_renderable
from reconciler.results import CheckResult, CompareResult, RunResult, StoredWindow, worst
from reconciler.thresholds import Threshold
from reconciler.timeutil import HOUR, Window

UTC = timezone.utc
GOLDEN = Path(__file__).parent / "golden"
SUITE = Path(__file__).parent.parent / "expectations" / "device_events.json"
T0 = datetime(2026, 11, 27, 10, tzinfo=UTC)
MARKUP = "[bold]dev-7[/bold] [x]"


def evidence_hour(hour: datetime, matched: int, changed: int, missing: int, extra: int) -> dict:
    old, new = matched + changed + missing, matched + changed + extra
    return {"hour": hour.strftime("%Y-%m-%dT%H:00:00Z"), "old": old, "new": new, "drift_pct": drift_pct(old, new),
            "matched": matched, "mismatched": changed, "missing_in_new": missing, "extra_in_new": extra,
            "duplicates_old": 0, "duplicates_new": 0, "match_pct": match_pct(matched, changed, missing, extra),
            "truncated": False}


def build_run(evidence: list[dict], samples: dict, rules: list[CheckResult]) -> RunResult:
    window = Window(T0, T0 + len(evidence) * HOUR)
    totals = {k: sum(r[k] for r in evidence) for k in ("old", "new", "matched", "mismatched", "missing_in_new",
                                                       "extra_in_new", "duplicates_old", "duplicates_new")}
    totals["drift_pct"] = drift_pct(totals["old"], totals["new"])
    totals["match_pct"] = match_pct(totals["matched"], totals["mismatched"], totals["missing_in_new"],
                                    totals["extra_in_new"])
    checks, failing = judge(SUITE, evidence, window)
    checks, hours = explain(checks, failing, evidence, totals)
    compare = CompareResult(dataset="device_events", window=window, status=worst(c.status for c in checks),
                            totals=totals, hours=hours, samples=samples, checks=checks, mode="rows",
                            timings={"connect": 0.01, "checksums": 0.8, "fetch": 0.1, "suite": 0.2, "total": 1.11})
    results = checks + [with_reason(r) for r in rules]
    started = window.end + timedelta(minutes=10)
    return RunResult(job="hourly-shadow", window=window, started_at=started, finished_at=started + timedelta(seconds=2),
                     status=worst(r.status for r in results), results=results, compares=[compare])


def overlapping(new: int, inherited: int) -> CheckResult:
    rows = [{"classification": "new", "booking_id": 16, "other_booking_id": 901, "property_id": 1}][:new]
    status = "fail" if new else "pass"
    return CheckResult("no_overlapping_bookings", status, observed=new,
                       threshold=Threshold.at_most(0, "new violations"), violations=new + inherited, samples=rows,
                       details={"severity": "critical" if new else "warning", "source": "both", "new": new,
                                "inherited": inherited, "resolved": 0, "file": "checks/no_overlapping_bookings.sql"},
                       check_type="sql")


def failing_run() -> RunResult:
    evidence = [evidence_hour(T0, 143_880, 20, 100, 40), evidence_hour(T0 + HOUR, 142_000, 0, 2_000, 0)]
    samples = {
        "missing_in_new": [{"key": {"event_id": 17}, "old": {"event_id": 17, "device_id": "dev-0155",
                                                            "event_type": "unlock", "value": 1.0}}],
        "extra_in_new": [{"key": {"event_id": 99}, "new": {"event_id": 99, "device_id": "dev-0009",
                                                          "event_type": "lock", "value": None}}],
        "mismatched": [{"key": {"event_id": 42}, "old": {"event_id": 42, "device_id": MARKUP, "event_type": "temp",
                                                        "value": 21.5},
                        "new": {"event_id": 42, "device_id": MARKUP, "event_type": "temp", "value": 23.75},
                        "columns": ["value"]}],
    }
    return build_run(evidence, samples, [overlapping(3, 2)])


def passing_run() -> RunResult:
    empty = {"missing_in_new": [], "extra_in_new": [], "mismatched": []}
    return build_run([evidence_hour(T0, 144_040, 0, 0, 0)], empty, [overlapping(0, 2)])


def terminal(run: RunResult) -> str:
    out = Console(file=io.StringIO(), width=120, color_system=None, highlight=False)
    entry = StoredWindow(7, run.window, None, run.status, html="reports/runs/000007.html",
                         failing=tuple(r for r in run.results if r.status in ("fail", "error")))
    out.rule("reconciler run")
    render_job_runs([entry], out)
    out.rule("reconciler compare")
    render_compare(run.compares[0], out)
    out.rule("reconciler report show")
    out.print(run_renderable(run))
    return out.file.getvalue()


def spaced(text: str) -> str:
    """Reasons keep thousands together with a no-break space; tests read it as a space."""
    return text.replace("\u00a0", " ")


def matches_golden(name: str, produced: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(produced)
    assert produced == path.read_text()


@pytest.mark.parametrize("name, build", [("verdict_fail", failing_run), ("verdict_pass", passing_run)])
def test_terminal_and_json_match_the_golden_files(name, build):
    run = build()
    matches_golden(f"{name}.txt", terminal(run))
    matches_golden(f"{name}.json", json.dumps(run.to_dict(), indent=2, ensure_ascii=False) + "\n")


def test_the_failing_run_says_why_first():
    run = failing_run()
    reasons = {r.check: spaced(r.reason) for r in run.results if r.status == "fail"}
    assert reasons == {
        "hourly_count_drift": "1 of 2 hours fail: 11:00 drift −1.39 % outside ±1 %: 2 000 fewer events in new",
        "row_match": ("2 of 2 hours fail: 10:00 match 99.889 % < 99.9 %: 160 of 144 040 rows differ "
                      "(100 missing, 40 extra, 20 changed); 11:00 match 98.611 % < 99.9 %: 2 000 of 144 000 rows "
                      "differ (2 000 missing)"),
        "no_overlapping_bookings": "3 new overlapping bookings (2 inherited from old)",
    }
    hours = [h.to_dict() for h in run.compares[0].hours]
    assert [(h["missing_in_new"], h["extra_in_new"], h["mismatched"], h["status"]) for h in hours] == [
        (100, 40, 20, "fail"), (2000, 0, 0, "fail")]
    assert spaced(hours[1]["reason"]) == (
        "drift −1.39 % outside ±1 %: 2 000 fewer events in new; match 98.611 % < 99.9 %: "
        "2 000 of 144 000 rows differ (2 000 missing)")
    assert list(run.results[0].to_dict())[:3] == ["check", "status", "reason"]


def test_markup_in_data_prints_literally():
    run = failing_run()
    text = terminal(run)
    assert f"{MARKUP}" in text and "dev-7 " not in text.replace(MARKUP, "")
    out = Console(file=io.StringIO(), width=200, color_system=None)
    rule = CheckResult("no_overlapping_bookings", "fail", violations=1, samples=[{"guest": MARKUP}],
                       message=f"note {MARKUP}", details={"severity": "critical", "source": "new", "file": "x.sql"},
                       check_type="sql")
    render_rules(rules_to_json([with_reason(rule)]), out)
    assert out.file.getvalue().count(MARKUP) == 1
    suite_row = CheckResult("row_diff_complete", "pass", threshold={"value_set": [False]})
    shown = Console(file=io.StringIO(), width=200, color_system=None)
    shown.print(run_renderable(RunResult("j", run.window, run.started_at, run.finished_at, "pass", [suite_row])))
    assert "in [false]" in shown.file.getvalue()
