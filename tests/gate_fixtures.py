"""A fabricated ledger for the gate: one run per hour written through the store's own
record_run, with the evidence every shadow criterion reads (row totals, processing lag per
hour, and, as of the run, DLQ depth, write latency and a booking rule). Numbers are exact so
tests can name them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from reconciler.config import load_config
from reconciler.results import CheckResult, CompareResult, HourCount, RunResult, worst
from reconciler.store import ReportStore
from reconciler.store.settings import store_url
from reconciler.thresholds import Threshold
from reconciler.timeutil import HOUR, Window

UTC = timezone.utc
END = datetime(2026, 11, 30, 0, tzinfo=UTC)          # the period is [END - 7 days, END)
START = END - 7 * 24 * HOUR
NOW = END + timedelta(minutes=20)                      # 20 min past END: END - 1h is the last settled hour
PROVENANCE = {"tool_version": "test", "config_fingerprint": "gate", "source_names": ["old", "new"]}


def gate_config(directory: Path, extra: str = ""):
    path = Path(directory) / "schedule.yaml"
    path.write_text(
        "sources:\n  old: {url: \"sqlite:///old.db\"}\n  new: {url: \"sqlite:///new.db\"}\n"
        "datasets:\n  device_events:\n"
        "    old: {source: old, table: legacy_events, time: ts, key: [id]}\n"
        "    new: {source: new, table: device_events, time: time, key: [event_id]}\n"
        "report_store: {url: \"sqlite:///store/reconciler.db\", directory: out}\n" + extra)
    return load_config(path)


def open_store(loaded) -> ReportStore:
    store = ReportStore(store_url(loaded))
    store.upgrade()
    return store


def hour_run(hour: datetime, *, old: int = 1000, new: int = 1000, mismatched: int = 0, lag_p99: float = 1.5,
             dlq: int = 0, latency_p99: float = 4.0, booking_violations: int = 0, duplicates_new: int = 0,
             booking_inherited: int | None = None) -> RunResult:
    """`booking_inherited`: the overlap rule as run on both sides, which records its new and
    inherited violations apart (`booking_violations` are then the new ones)."""
    window = Window(hour, hour + HOUR)
    drift = round((new - old) / old * 100, 4) if old else (0.0 if new == 0 else None)
    hour_status = "fail" if drift is None or abs(drift) > 1.0 else "pass"
    matched = min(old, new) - mismatched
    totals = {"old": old, "new": new, "matched": matched, "mismatched": mismatched,
              "missing_in_new": max(0, old - new), "extra_in_new": max(0, new - old),
              "duplicates_old": 0, "duplicates_new": duplicates_new, "drift_pct": drift}
    denominator = matched + mismatched + totals["missing_in_new"] + totals["extra_in_new"]
    totals["match_pct"] = round(matched / denominator * 100, 4)
    rows_status = "pass" if totals["match_pct"] >= 99.9 else "fail"
    compare = CompareResult("device_events", window, worst([hour_status, rows_status]), totals,
                            [HourCount(hour, old, new, drift, hour_status)], {}, {"total": 0.1}, mode="rows")
    started = hour + HOUR + timedelta(minutes=10)
    results = [
        CheckResult("pipeline_lag.processing_lag", "pass" if lag_p99 <= 5 else "fail",
                    observed={"count": 1000, "p50": 0.5, "p95": 1.0, "p99": lag_p99, "max": lag_p99 + 0.5},
                    threshold=Threshold(max=5.0, unit="s", text="at p99"), window=window, check_type="lag",
                    config_check="pipeline_lag",
                    details={"measure": "processing_lag", "dataset": "device_events", "seconds": lag_p99}),
        CheckResult("pipeline_dlq.dlq_depth.events:dlq", "pass" if dlq == 0 else "fail", observed=dlq,
                    threshold=Threshold.at_most(0, "messages"), as_of=started, check_type="health",
                    config_check="pipeline_dlq", details={"measure": "dlq_depth", "key": "events:dlq"}),
        CheckResult("write.write_latency", "pass" if latency_p99 <= 10 else "fail",
                    observed={"count": 500, "p50": 1.0, "p95": 3.0, "p99": latency_p99, "max": 20.0},
                    threshold=Threshold(max=10.0, unit="ms", text="at p99"), as_of=started, check_type="latency",
                    config_check="write", details={"measure": "write_latency"}),
        CheckResult("no_overlapping_bookings", "fail" if booking_violations else "pass", observed=booking_violations,
                    threshold=0, violations=booking_violations + (booking_inherited or 0), as_of=started,
                    check_type="sql", config_check="bookings",
                    details={"severity": "critical", "source": "both", "classification": "new"}
                    | ({"new": booking_violations, "inherited": booking_inherited}
                       if booking_inherited is not None else {})),
    ]
    return RunResult("hourly-shadow", window, started, started + timedelta(seconds=5),
                     worst([compare.status] + [r.status for r in results]), results, [compare])


def record(store: ReportStore, run: RunResult) -> int:
    return store.record_run(run, now=run.finished_at, **PROVENANCE)


def fabricate_week(store: ReportStore, *, skip=(), special=None, start: datetime = START, end: datetime = END) -> dict:
    """One green run per hour of [start, end), except hours in `skip`; `special` maps an
    hour to keyword arguments of hour_run. Returns {hour: run id}."""
    special = special or {}
    ids = {}
    hour = start
    while hour < end:
        if hour not in skip:
            ids[hour] = record(store, hour_run(hour, **special.get(hour, {})))
        hour += HOUR
    return ids
