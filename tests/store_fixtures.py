"""Fixtures and builders for the report store and report tests: a throw-away PostgreSQL
database per session, a fresh store per test on each dialect, and runs with exact numbers.

Import the fixtures into a test module: `from store_fixtures import store_url, pg_url  # noqa: F401`."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from conftest import PG_ADMIN_URL, unavailable

from reconciler.checks.types import with_reason
from reconciler.reasons import drift_reason, hour_reason, hourly_check_reason
from reconciler.results import CheckResult, CompareResult, HourCount, RunResult, worst
from reconciler.thresholds import Threshold
from reconciler.timeutil import HOUR, Window

UTC = timezone.utc
T0 = datetime(2026, 11, 27, 10, tzinfo=UTC)
PROVENANCE = {"tool_version": "0.1.0", "config_fingerprint": "sha256:feedface",
              "source_names": {"old": "mysql://legacy:s3cret@old-db/events", "new": "postgresql://new-db/events"}}


def _admin_engine():
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as e:
        engine.dispose()
        unavailable(f"PostgreSQL not reachable at {sa.engine.make_url(PG_ADMIN_URL).render_as_string()}: "
                    f"{str(e.orig).strip().splitlines()[0]}")
    return engine


@pytest.fixture(scope="session")
def pg_database():
    """URL of a database created for this test session and dropped after it."""
    admin = _admin_engine()
    name = f"reconciler_test_store_{os.getpid()}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def pg_url(request):
    """The session database, emptied: every test starts from no schema at all."""
    url = request.getfixturevalue("pg_database")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store/reconciler.db"
    return request.getfixturevalue("pg_url")


def drift(old: int, new: int) -> float | None:
    if old == 0:
        return 0.0 if new == 0 else None
    return round((new - old) / old * 100, 4)


def hour_counts(start: datetime, counts: list[tuple[int, int]], threshold: float = 1.0) -> list[HourCount]:
    out = []
    for i, (old, new) in enumerate(counts):
        d = drift(old, new)
        status = "fail" if d is None or abs(d) > threshold else "pass"
        row = {"old": old, "new": new, "drift_pct": d}
        reason = (drift_reason(old, new, d, Threshold.symmetric(threshold, "%")) if status == "fail"
                  else hour_reason(row, []))
        out.append(HourCount(start + i * HOUR, old, new, d, status, reason=reason))
    return out


def make_compare(dataset: str, start: datetime, counts: list[tuple[int, int]], *, rows_status: str = "pass",
                 samples: dict | None = None, totals: dict | None = None) -> CompareResult:
    hours = hour_counts(start, counts)
    window = Window(start, start + len(counts) * HOUR)
    old, new = sum(c[0] for c in counts), sum(c[1] for c in counts)
    base = {"old": old, "new": new, "matched": None, "mismatched": None, "missing_in_new": None,
            "extra_in_new": None, "duplicates_old": 0, "duplicates_new": 0, "drift_pct": drift(old, new),
            "match_pct": None}
    status = worst([h.status for h in hours] + [rows_status])
    return CompareResult(dataset=dataset, window=window, status=status, totals={**base, **(totals or {})},
                         hours=hours, samples=samples or {"missing_in_new": [], "extra_in_new": [], "mismatched": []},
                         timings={"counts": 0.25, "total": 0.5}, mode="rows" if totals else "counts")


def make_run(job: str, start: datetime, counts: list[tuple[int, int]], *, dataset: str = "device_events",
             rows_status: str = "pass", results: list | None = None, started: datetime | None = None) -> RunResult:
    compare = make_compare(dataset, start, counts, rows_status=rows_status)
    started = started or compare.window.end + timedelta(minutes=10)
    checks = results if results is not None else [
        CheckResult("event_counts", compare.status, observed=compare.totals["drift_pct"], threshold=Threshold.symmetric(1.0, "%"),
                    violations=sum(h.status == "fail" for h in compare.hours), window=compare.window)]
    return RunResult(job=job, window=compare.window, started_at=started, finished_at=started + timedelta(seconds=3),
                     status=worst([compare.status] + [c.status for c in checks]), results=checks,
                     compares=[compare])


def evidence_run() -> RunResult:
    """The run the HTML and JSON report tests render: three hours, the second drifts by
    +1.5 %, row differences of every kind, a critical booking rule violated, a health check."""
    start = T0
    window = Window(start, start + 3 * HOUR)
    samples = {
        "missing_in_new": [{"key": {"event_id": 17}, "old": {"event_id": 17, "device_id": "lock-7",
                                                            "event_type": "unlock", "value": 1.0}}],
        "extra_in_new": [{"key": {"event_id": 99}, "new": {"event_id": 99, "device_id": "lock-9",
                                                          "event_type": "lock", "value": 0.0}}],
        "mismatched": [{"key": {"event_id": 42},
                        "old": {"event_id": 42, "device_id": "sensor-3", "event_type": "temp", "value": 21.5},
                        "new": {"event_id": 42, "device_id": "sensor-3", "event_type": "temp", "value": 23.75},
                        "columns": ["value"]}],
    }
    totals = {"matched": 3990, "mismatched": 6, "missing_in_new": 4, "extra_in_new": 24, "match_pct": 99.1551}
    compare = make_compare("device_events", start, [(1000, 1000), (2000, 2030), (1000, 990)],
                           rows_status="fail", samples=samples, totals=totals)
    compare = replace(compare, timings={"counts": 0.21, "checksums": 2.4, "fetch": 0.3, "total": 2.91})
    started = window.end + timedelta(minutes=10)
    booking = with_reason(CheckResult(
        "no_overlapping_bookings", "fail", observed=2, threshold=Threshold.at_most(0, "violations"), violations=2,
        as_of=started, samples=[{"booking_a": 101, "booking_b": 102, "property_id": 5,
                                 "check_in": "2026-11-20", "check_out": "2026-11-23"}],
        details={"severity": "critical", "source": "new", "classification": "new", "file": "no_overlapping_bookings.sql",
                 "duration_s": 0.042}, check_type="sql", config_check="bookings"))
    health = with_reason(CheckResult("queue.dlq_depth", "pass", observed=0, threshold=Threshold.at_most(10, "messages"),
                                     as_of=started, details={"key": "events:dlq", "duration_s": 0.01},
                                     check_type="health", config_check="queue"))
    counts = CheckResult("hourly_count_drift", "fail", observed={"unexpected": 1, "of": 3},
                         threshold=Threshold.symmetric(1.0, "%"), violations=1, window=window,
                         details={"column": "drift_pct", "unexpected_index": ["2026-11-27T11:00:00Z"],
                                  "duration_s": 0.21}, check_type="counts", config_check="event_counts")
    counts = replace(counts, reason=hourly_check_reason(counts, [h.to_dict() for h in compare.hours]))
    rows = CheckResult("row_match", "fail", observed={"unexpected": 2, "of": 3}, threshold=Threshold.at_least(99.9, "%"),
                       violations=2, window=window, details={"column": "match_pct", "duration_s": 2.7},
                       reason="match 99.155 % < 99.9 %: 34 of 4 024 rows differ (4 missing, 24 extra, 6 changed)",
                       check_type="rows", config_check="event_rows")
    return RunResult(job="hourly-shadow", window=window, started_at=started, finished_at=started + timedelta(seconds=4),
                     status="fail", results=[counts, rows, booking, health], compares=[compare])
