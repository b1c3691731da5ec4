"""Findings and one-hour runs that carry them, for the story tests: the sentences and evidence
are the ones compare/findings writes (a spread loss, one device's rows, a gap), the runs are
stored with the real ReportStore (and its Slack lifecycle when the store has it)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from reconciler.results import CheckResult, CompareResult, Finding, HourCount, RunResult
from reconciler.timeutil import HOUR, Window

UTC = timezone.utc
T6 = datetime(2026, 11, 12, 6, tzinfo=UTC)
ROWS = 7200
NBSP = "\u00a0"
PROVENANCE = {"tool_version": "test", "config_fingerprint": "f" * 16, "source_names": ["old", "new"]}


def pct(share: float) -> str:
    return f"{share * 100:.1f}".rstrip("0").rstrip(".") + f"{NBSP}%"


def spread(hour: datetime, missing: int, hour_rows: int = ROWS) -> Finding:
    return Finding(hour=hour, about="missing_in_new", kind="time_spread",
                   text=f"spread through the hour: about {pct(missing / hour_rows)} of the hour's rows missing, at random",
                   rows=missing, share=1.0, signature="missing_in_new|time_spread",
                   evidence={"shape": "spread", "rate": missing / hour_rows, "hour_rows": hour_rows,
                             "per_minute": [missing // 60] * 60, "per_minute_rows": [hour_rows // 60] * 60},
                   sample_keys=[{"event_id": 17}])


def device(hour: datetime, missing: int, value: str = "dev-0341") -> Finding:
    return Finding(hour=hour, about="missing_in_new", kind="dimension",
                   text=f"all {missing} missing rows have `device_id` = {value} (0.6{NBSP}% of the hour's rows)",
                   rows=missing, share=1.0, signature=f"missing_in_new|dimension|device_id|{value}",
                   evidence={"column": "device_id", "hour_rows": ROWS,
                             "values": [{"value": value, "rows": missing, "share": 1.0, "hour_rows": 43,
                                         "hour_share": 0.006, "lift": 167.4}]},
                   sample_keys=[{"event_id": 4411}])


def gap(hour: datetime, missing: int, minutes: int = 10) -> Finding:
    start = hour + timedelta(seconds=13)
    end = start + timedelta(minutes=minutes, seconds=49)
    return Finding(hour=hour, about="missing_in_new", kind="time_gap",
                   text=(f"all {missing} missing rows fall between {start:%H:%M:%S} and {end:%H:%M:%S}, where new "
                         f"has no row at all: a gap of {minutes}{NBSP}min 49{NBSP}s"),
                   rows=missing, share=1.0, signature="missing_in_new|time_gap",
                   evidence={"shape": "concentrated", "hour_rows": ROWS, "rate": missing / ROWS,
                             "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "end": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                             "other_side_rows": 0, "per_minute": [0] * 60, "per_minute_rows": [120] * 60},
                   sample_keys=[{"event_id": 9001}])


def story_run(hour: datetime, findings: list[Finding], *, job: str = "hourly-shadow", dataset: str = "device_events",
              missing: int | None = None) -> RunResult:
    """A one-hour run of a rows check on `dataset`: failing with `findings` (missing rows: the
    largest finding's, or `missing`), passing without."""
    n = missing if missing is not None else max((f.rows for f in findings), default=0)
    status = "fail" if n else "pass"
    window = Window(hour, hour + HOUR)
    match = round((ROWS - n) / ROWS * 100, 3)
    reason = (f"match {match} % < 99.9 %: {n} of {ROWS} rows differ ({n} missing)" if n
              else f"match 100 % ≥ 99.9 %: all {ROWS} rows equal")
    result = CheckResult("row_match", status, observed={"match_pct": match}, threshold={"min_value": 99.9},
                         violations=n, samples=[{"key": {"event_id": i}} for i in range(min(n, 3))], window=window,
                         details={"dataset": dataset}, reason=reason, check_type="rows", config_check="event_rows")
    drift = round(-n / ROWS * 100, 4)
    compare = CompareResult(dataset=dataset, window=window, status=status,
                            totals={"old": ROWS, "new": ROWS - n, "matched": ROWS - n, "mismatched": 0,
                                    "missing_in_new": n, "extra_in_new": 0, "duplicates_old": 0, "duplicates_new": 0,
                                    "drift_pct": drift, "match_pct": match},
                            hours=[HourCount(hour, ROWS, ROWS - n, drift, status, missing_in_new=n, extra_in_new=0,
                                             mismatched=0)],
                            samples={"missing_in_new": [], "extra_in_new": [], "mismatched": []},
                            timings={"total": 0.5}, checks=[result], mode="rows", findings=list(findings))
    at = hour + HOUR + timedelta(minutes=10)
    return RunResult(job=job, window=window, started_at=at, finished_at=at, status=status, results=[result],
                     compares=[compare])


def record_hour(store, hour: datetime, findings: list[Finding], *, now: datetime | None = None, **options) -> int:
    run = story_run(hour, findings, **options)
    return store.record_run(run, now=now or run.finished_at, **PROVENANCE)
