"""Judging a dataset's evidence: its Great Expectations suite or the built-in thresholds
over the hourly evidence; a snapshot's completeness and per-group summaries. Each verdict
leaves with its reason. `compare_dataset` is the one entry: collect, then judge."""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from reconciler.compare.dataset import DatasetEvidence, collect_evidence, explain_evidence, log_timings
from reconciler.compare.drift import drift_exceeds
from reconciler.compare.snapshot import SnapshotEvidence, collect_snapshot
from reconciler.config.loader import LoadedConfig
from reconciler.reasons import hhmm, hour_reason, hourly_check_reason
from reconciler.results import (
    DEFAULT_SAMPLE_LIMIT,
    EMPTY,
    FAIL,
    PASS,
    CheckResult,
    CompareResult,
    HourCount,
    Mode,
    worst,
)
from reconciler.sources.connection import Source, opened_sources
from reconciler.thresholds import DEFAULT_DRIFT_PCT, DEFAULT_MATCH_PCT, Threshold, value_set_words
from reconciler.timeutil import Window


def suite_for(loaded: LoadedConfig, dataset: str) -> Path | None:
    """The suite of the dataset's counts or rows check, else expectations/DATASET.json if it exists."""
    from reconciler.checks.types.dataset import DatasetComparisonConfig

    for check in loaded.config.checks.values():
        if isinstance(check, DatasetComparisonConfig) and check.dataset == dataset and check.suite:
            return loaded.suite_path(check.suite)
    default = loaded.suite_path(dataset)
    return default if default.is_file() else None


def builtin_judgement(rows: list[dict], window: Window,
                      sample_limit: int = DEFAULT_SAMPLE_LIMIT) -> list[CheckResult]:
    """Used only when a dataset has no suite: the DESIGN.md defaults (drift within
    ±1 %, and with rows: match at least 99.9 %, no truncated comparison, no key held twice
    in new)."""
    def check(name, bad, threshold, shown, judged=None):
        # observed as docs/json-contract.md has it for a check over the hours, as a suite's:
        # N of the M hours judged broke it (its samples hold each such hour's value)
        judged = len(rows) if judged is None else judged
        return CheckResult(name, FAIL if bad else PASS, observed={"unexpected": len(bad), "of": judged},
                           threshold=threshold,
                           violations=len(bad),
                           samples=[{"hour": r["hour"], shown: r[shown]} for r in bad[:sample_limit]],
                           window=window, details={"unexpected_index": [r["hour"] for r in bad], "column": shown})

    drift = [r for r in rows if drift_exceeds(r["drift_pct"], DEFAULT_DRIFT_PCT)]
    results = [check("hourly_count_drift", drift, Threshold.symmetric(DEFAULT_DRIFT_PCT, "%"), "drift_pct")]
    if rows and "match_pct" in rows[0]:
        low = [r for r in rows if r["match_pct"] is not None and r["match_pct"] < DEFAULT_MATCH_PCT]
        results.append(check("row_match", low, Threshold.at_least(DEFAULT_MATCH_PCT, "%"), "match_pct",
                             sum(1 for r in rows if r["match_pct"] is not None)))
        cut = [r for r in rows if r["truncated"]]
        results.append(check("row_diff_complete", cut,
                             Threshold(value_set=(False,), text=value_set_words("truncated", (False,))), "truncated"))
        doubled = [r for r in rows if r.get("duplicates_new")]
        results.append(check("new_keys_unique", doubled, Threshold.at_most(0, "keys"), "duplicates_new"))
    return results


def judge(suite: Path | None, rows: list[dict], window: Window, sample_limit: int = DEFAULT_SAMPLE_LIMIT):
    """Run the suite over the hourly evidence; returns (check results, failing hours)."""
    if suite is None:
        results = builtin_judgement(rows, window, sample_limit)
        failing = {h for r in results if r.status == FAIL for h in r.details["unexpected_index"]}
        return results, failing
    import pandas as pd

    from reconciler.checks.suites import failing_indexes, validate_frame

    frame = pd.DataFrame(list(rows))
    if frame.empty:
        frame = pd.DataFrame(columns=["hour", "old", "new", "drift_pct"])
    frame["drift_pct"] = frame["drift_pct"].astype("float64")
    results = validate_frame(suite, frame, window, sample_limit=sample_limit)
    return results, failing_indexes(results)


def explain(checks: list[CheckResult], failing: set, evidence: list[dict],
            totals: dict) -> tuple[list[CheckResult], list[HourCount]]:
    """The judged checks with their reasons, and the hours with their classes and reasons."""
    defined_by = next((c.check for c in checks if (c.details or {}).get("column") == "drift_pct"
                       and c.threshold is not None and not c.threshold.has_bounds), None)
    checks = [replace(c, reason=hourly_check_reason(c, evidence, totals, undefined_by=defined_by)) for c in checks]
    return checks, [_hour_count(r, failing, checks) for r in evidence]


def _hour_count(row: dict, failing: set, checks: list[CheckResult]) -> HourCount:
    """One hour of evidence as a HourCount, with its row classes and the reason of its verdict."""
    flagging = [c for c in checks if c.status == FAIL and row["hour"] in (c.details.get("unexpected_index") or ())]
    return HourCount(datetime.fromisoformat(row["hour"].replace("Z", "+00:00")), row["old"], row["new"],
                     row["drift_pct"], FAIL if row["hour"] in failing else PASS,
                     missing_in_new=row.get("missing_in_new"), extra_in_new=row.get("extra_in_new"),
                     mismatched=row.get("mismatched"), reason=hour_reason(row, flagging) + _pair_note(row),
                     duplicates_old=row.get("duplicates_old"), duplicates_new=row.get("duplicates_new"))


def _pair_note(row: dict) -> str:
    if not row.get("paired_with"):
        return ""
    return (f" (these numbers are those of {hhmm(row['hour'])} and {hhmm(row['paired_with'])} UTC together: a "
            "fall-back repeats that local hour, and a naive time cannot tell its two passes apart)")


def judge_evidence(evidence: DatasetEvidence, suite: Path | None, *, sample_limit: int = DEFAULT_SAMPLE_LIMIT,
                   reporter=None, started: float | None = None) -> CompareResult:
    """The windowed evidence judged by `suite` (or the built-in thresholds), with reasons."""
    started = time.perf_counter() if started is None else started
    if reporter and suite is not None:
        reporter("judging the evidence with the expectation suite")
    rows = list(evidence.hours)
    t = time.perf_counter()
    checks, failing = judge(suite, rows, evidence.window, sample_limit)
    timings = {**evidence.timings, "suite": time.perf_counter() - t, "total": time.perf_counter() - started}
    checks, hours = explain(checks, failing, rows, evidence.totals)
    log_timings(evidence.dataset, evidence.window, timings)
    return CompareResult(dataset=evidence.dataset, window=evidence.window, status=worst(c.status for c in checks),
                         totals=evidence.totals, hours=hours, samples=evidence.samples, timings=timings,
                         checks=checks, truncated=evidence.truncated, mode=evidence.mode)


def complete_check(evidence: SnapshotEvidence, sample_limit: int = DEFAULT_SAMPLE_LIMIT) -> CheckResult:
    """A snapshot passes when every selected old row exists in new with equal fields. Rows
    only in new are reported, not failed: the new system may have taken bookings of its own."""
    from reconciler.checks.types.dataset import completeness_reason

    classes = evidence.classes
    failing = classes["missing_in_new"] + classes["mismatched"]
    result = (CheckResult(
        f"{evidence.dataset}.complete", FAIL if failing or evidence.truncated else PASS, observed=dict(classes),
        threshold=Threshold.at_most(0, "rows missing or changed"), violations=failing,
        samples=(evidence.samples["missing_in_new"] + evidence.samples["mismatched"])[:sample_limit],
        message="truncated by the row budget" if evidence.truncated else None,
        details={"severity": "critical", "source": "both"}))
    return replace(result, reason=completeness_reason(result))


def summary_check(dataset: str, ds, summaries: dict) -> CheckResult:
    """Fails when any group's row or distinct count differs between old and new."""
    from reconciler.checks.types.dataset import summary_reason

    rows, bad = [], []
    for group in sorted(set(summaries["old"]) | set(summaries["new"])):
        old, new = summaries["old"].get(group, (0, 0)), summaries["new"].get(group, (0, 0))
        row = {ds.summary_by: group, "old": old[0], "new": new[0]}
        if ds.summary_distinct:
            row |= {f"old_{ds.summary_distinct}": old[1], f"new_{ds.summary_distinct}": new[1]}
        rows.append(row)
        if old != new:
            bad.append(row)
    result = CheckResult(f"{dataset}.summary", FAIL if bad else PASS, observed=rows,
                         threshold=Threshold(text="equal on both sides"), violations=len(bad), samples=bad,
                         details={"severity": "critical", "source": "both", "summary_by": ds.summary_by})
    return replace(result, reason=summary_reason(result))


def judge_snapshot(loaded: LoadedConfig, evidence: SnapshotEvidence, started: float, as_of: datetime) -> CompareResult:
    """A snapshot dataset has no hours but the moment it was read: its completeness and, with
    summary_by, its summaries."""
    ds = loaded.config.datasets[evidence.dataset]
    checks = [complete_check(evidence, ds.diff.sample_limit)]
    if evidence.summaries is not None:
        checks.append(summary_check(evidence.dataset, ds, evidence.summaries))
    checks = [replace(c, as_of=as_of) for c in checks]
    timings = {**evidence.timings, "total": time.perf_counter() - started}
    return CompareResult(dataset=evidence.dataset, window=None, status=worst(c.status for c in checks),
                         totals=evidence.totals, hours=[], samples=evidence.samples, timings=timings, checks=checks,
                         truncated=evidence.truncated, mode=Mode.SNAPSHOT, as_of=as_of)


def compare_dataset(loaded: LoadedConfig, dataset: str, window: Window | None, *, rows: bool = False,
                    sources: dict[str, Source] | None = None, reporter=None,
                    now: datetime | None = None) -> CompareResult:
    """Compare one dataset over one window (a snapshot dataset: every selected row as of
    `now`, and no window) and judge it."""
    started = time.perf_counter()
    if loaded.config.datasets[dataset].snapshot:
        now = now or datetime.now(timezone.utc)
        evidence = collect_snapshot(loaded, dataset, sources=sources, reporter=reporter, now=now)
        return judge_snapshot(loaded, evidence, started, now)
    suite = suite_for(loaded, dataset)
    if suite is not None:
        from reconciler.checks import suites

        suites.preload()
    with ExitStack() as stack:
        if sources is None:  # opened once: a failing hour's findings reuse the connections
            sources = stack.enter_context(opened_sources(loaded))
        evidence = collect_evidence(loaded, dataset, window, rows=rows, sources=sources, reporter=reporter, now=now)
        result = judge_evidence(evidence, suite, sample_limit=loaded.config.datasets[dataset].diff.sample_limit,
                                reporter=reporter, started=started)
        return with_findings(loaded, evidence, result, sources=sources, now=now)


EMPTY_REASON = "no rows on either side"  # not the passing figures ("drift 0.00 %, match 100 %") it would keep


def mark_empty_hours(loaded: LoadedConfig, compare: CompareResult) -> CompareResult:
    """An hour with no row on either side proves nothing: `empty`, not `pass`, unless the
    dataset says quiet hours are normal (`allow_empty_hours`). A comparison none of whose
    hours held a row is `empty` (a window or filter that selects nothing never passes); one
    with rows elsewhere keeps its verdict, its quiet hours marked. The one rule of
    `reconciler compare` and of the runs `run` stores; compare_dataset judges counts and rows."""
    ds = loaded.config.datasets.get(compare.dataset)
    if ds is None or ds.allow_empty_hours or compare.window is None:
        return compare
    hours = [replace(h, status=EMPTY, reason=EMPTY_REASON) if h.old == 0 and h.new == 0 and h.status == PASS else h
             for h in compare.hours]
    nothing = bool(hours) and all(h.status == EMPTY for h in hours)
    return replace(compare, hours=hours, status=EMPTY if nothing else compare.status)


def with_findings(loaded: LoadedConfig, evidence: DatasetEvidence, result: CompareResult, *,
                  sources: dict[str, Source] | None = None, now: datetime | None = None) -> CompareResult:
    """The result with the findings of its failing hours that have differing rows; a result
    without such an hour is returned as it is, at no cost."""
    hours = [h.hour for h in result.hours
             if h.status == FAIL and (h.missing_in_new or 0) + (h.extra_in_new or 0) + (h.mismatched or 0)]
    if not hours or evidence.diff is None:
        return result
    started = time.perf_counter()
    findings = explain_evidence(loaded, evidence, hours, sources=sources, now=now)
    spent = time.perf_counter() - started
    timings = {**result.timings, "findings": spent, "total": result.timings.get("total", 0.0) + spent}
    return replace(result, findings=findings, timings=timings)
