"""The `caggs` check (TimescaleDB continuous aggregate vs its raw table) on plain PostgreSQL:
skipped -- not passed -- without the extension; the comparison itself (`aggregate_counts`,
`compare_hourly`) with regular views standing in for the aggregate, one of them wrong in
exactly two hours; and the whole check with TimescaleDB's catalogue and `time_bucket`
imitated in the test database."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from reconciler.caggs import aggregate_counts, compare_hourly
from reconciler.checks import CheckContext, run_check
from reconciler.config import load_config
from reconciler.dialects import TimescaleDialect
from reconciler.sources import open_sources
from reconciler.timeutil import HOUR, Window
from reconciler.thresholds import Threshold

from integrity_fixtures import run_cli

UTC = timezone.utc
T0 = datetime(2026, 3, 8, 10, tzinfo=UTC)
EVENTS_PER_HOUR = [3, 5, 2, 4]          # 10:00, 11:00, 12:00, 13:00
WINDOW = Window(T0, T0 + 4 * HOUR)

SETUP = [
    "CREATE TABLE device_events (event_id bigint PRIMARY KEY, device_id text NOT NULL, event_type text NOT NULL, "
    "value double precision, time timestamptz NOT NULL)",
    "CREATE VIEW device_events_hourly AS SELECT date_trunc('hour', time) AS bucket, count(*) AS events "
    "FROM device_events GROUP BY 1",
    # stale: 11:00 short by one event, 12:00 not materialized at all
    "CREATE VIEW device_events_hourly_stale AS SELECT bucket, CASE WHEN bucket = '2026-03-08 11:00+00' "
    "THEN events - 1 ELSE events END AS events FROM device_events_hourly WHERE bucket <> '2026-03-08 12:00+00'",
]


def events() -> list[dict]:
    rows, next_id = [], 1
    for h, n in enumerate(EVENTS_PER_HOUR):
        for i in range(n):
            rows.append({"event_id": next_id, "device_id": f"dev-{i}", "event_type": "motion", "value": None,
                         "time": T0 + h * HOUR + timedelta(minutes=7 * i, milliseconds=250)})
            next_id += 1
    # outside the window on both sides
    rows.append({"event_id": next_id, "device_id": "dev-x", "event_type": "motion", "value": None,
                 "time": T0 - timedelta(seconds=1)})
    rows.append({"event_id": next_id + 1, "device_id": "dev-x", "event_type": "motion", "value": None,
                 "time": WINDOW.end})
    return rows


@pytest.fixture(scope="module")
def events_db(make_pg_database):
    url = make_pg_database("caggs")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS timescaledb_information CASCADE")
        conn.exec_driver_sql("DROP VIEW IF EXISTS device_events_hourly_stale, device_events_hourly")
        conn.exec_driver_sql("DROP TABLE IF EXISTS device_events")
        for statement in SETUP:
            conn.exec_driver_sql(statement)
        conn.execute(sa.text("INSERT INTO device_events VALUES (:event_id, :device_id, :event_type, :value, :time)"),
                     events())
    engine.dispose()
    return url


def config(tmp_path, url: str, check: str = "{type: caggs, dataset: device_events}"):
    path = tmp_path / "schedule.yaml"
    path.write_text(
        "sources:\n"
        f"  old: {{url: \"{url}\"}}\n"
        f"  new: {{url: \"{url}\"}}\n"
        "datasets:\n"
        "  device_events:\n"
        "    old: {source: old, table: device_events, time: time, key: [event_id]}\n"
        "    new: {source: new, table: device_events, time: time, key: [event_id]}\n"
        "    columns: {device_id: , event_type: }\n"
        f"checks:\n  events_caggs: {check}\n"
        "jobs:\n  caggs-only: {cron: \"15 * * * *\", checks: [events_caggs], settle: 0m}\n"
        "report_store: {url: \"sqlite:///store.db\", directory: out}\n"
    )
    return load_config(path)


def run_caggs(loaded, now: datetime, window: Window = WINDOW, timescale: bool = False):
    sources = open_sources(loaded)
    try:
        if timescale:
            with sources["new"].connect():
                pass  # detection done: no extension
            sources["new"]._dialect = TimescaleDialect("imitated")
        [result] = run_check(CheckContext(loaded, sources, window, now=now), "events_caggs").results
    finally:
        for s in sources.values():
            s.dispose()
    return result


def test_caggs_is_skipped_not_passed_on_plain_postgresql(tmp_path, events_db):
    result = run_caggs(config(tmp_path, events_db), now=WINDOW.end + 3 * HOUR)
    assert (result.check, result.status, result.message) == (
        "events_caggs", "skipped", "source 'new' has no TimescaleDB extension")
    assert (result.observed, result.violations, result.samples) == (None, 0, [])
    assert result.details["config_check"] == "events_caggs"


def test_a_job_of_only_a_skipped_caggs_check_does_not_exit_as_failed(tmp_path, events_db, monkeypatch, capfd):
    loaded = config(tmp_path, events_db)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capfd, "--config", loaded.path, "run", "caggs-only", "--start", "2026-03-08T10:00Z",
                             "--end", "2026-03-08T11:00Z", "--format", "json")
    doc = json.loads(out)
    assert [r["status"] for r in doc["runs"]] == ["skipped"]
    assert code == 0, "skipped is not 'a check failed' (DESIGN.md exit codes)"


def hourly(counts) -> dict:
    return {T0 + h * HOUR: n for h, n in enumerate(counts)}


def test_aggregate_counts_reads_the_view_inside_the_window_only(events_db):
    engine = sa.create_engine(events_db)
    with engine.connect() as conn:
        conn.exec_driver_sql("SET TIME ZONE 'America/Bogota'")  # buckets come back at -05:00
        assert aggregate_counts(conn, "device_events_hourly", "bucket", "events", WINDOW) == hourly([3, 5, 2, 4])
        assert aggregate_counts(conn, "public.device_events_hourly_stale", "bucket", "events", WINDOW) == \
               {T0: 3, T0 + HOUR: 4, T0 + 3 * HOUR: 4}
        assert aggregate_counts(conn, "device_events_hourly", "bucket", "events",
                                Window(T0 + HOUR, T0 + 3 * HOUR)) == {T0 + HOUR: 5, T0 + 2 * HOUR: 2}
    engine.dispose()


def test_compare_hourly_names_exactly_the_differing_hours(events_db):
    engine = sa.create_engine(events_db)
    with engine.connect() as conn:
        raw = aggregate_counts(conn, "device_events_hourly", "bucket", "events", WINDOW)
        stale = aggregate_counts(conn, "device_events_hourly_stale", "bucket", "events", WINDOW)
    engine.dispose()
    assert compare_hourly(stale, raw, WINDOW.hours()) == [
        {"hour": "2026-03-08T11:00:00Z", "aggregate": 4, "raw": 5},
        {"hour": "2026-03-08T12:00:00Z", "aggregate": 0, "raw": 2},
    ]
    assert compare_hourly(raw, raw, WINDOW.hours()) == []
    assert compare_hourly({}, {}, WINDOW.hours()) == []


# ------------------------------------------- the whole check, TimescaleDB imitated

@pytest.fixture(scope="module")
def imitated_timescale(events_db):
    """timescaledb_information.continuous_aggregates and time_bucket(interval, timestamptz),
    just enough of TimescaleDB for the check's detection and raw counts."""
    engine = sa.create_engine(events_db)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE SCHEMA timescaledb_information")
        conn.exec_driver_sql("CREATE TABLE timescaledb_information.continuous_aggregates "
                             "(view_schema name, view_name name, hypertable_name name)")
        conn.exec_driver_sql("INSERT INTO timescaledb_information.continuous_aggregates VALUES "
                             "('public', 'device_events_hourly_stale', 'device_events'), "
                             "('public', 'device_events_hourly', 'other_table')")
        conn.exec_driver_sql(
            "CREATE FUNCTION time_bucket(bucket_width interval, ts timestamptz) RETURNS timestamptz "
            "LANGUAGE sql IMMUTABLE AS $$ SELECT to_timestamp(floor(extract(epoch FROM ts) / "
            "extract(epoch FROM bucket_width)) * extract(epoch FROM bucket_width)) $$")
    engine.dispose()
    yield events_db
    engine = sa.create_engine(events_db)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA timescaledb_information CASCADE")
        conn.exec_driver_sql("DROP FUNCTION time_bucket(interval, timestamptz)")
    engine.dispose()


def test_caggs_check_fails_on_the_stale_aggregate_of_the_table(tmp_path, imitated_timescale):
    result = run_caggs(config(tmp_path, imitated_timescale), now=WINDOW.end + 3 * HOUR, timescale=True)
    assert (result.status, result.observed, result.violations) == ("fail", 2, 2)
    assert result.threshold == Threshold.at_most(0, "differing hours")
    assert result.samples == [{"hour": "2026-03-08T11:00:00Z", "aggregate": 4, "raw": 5},
                              {"hour": "2026-03-08T12:00:00Z", "aggregate": 0, "raw": 2}]
    assert result.window == WINDOW
    assert result.details["aggregate"] == "public.device_events_hourly_stale"


def test_caggs_check_passes_on_a_named_consistent_aggregate(tmp_path, imitated_timescale):
    loaded = config(tmp_path, imitated_timescale,
                    "{type: caggs, dataset: device_events, aggregate: device_events_hourly}")
    result = run_caggs(loaded, now=WINDOW.end + 3 * HOUR, timescale=True)
    assert (result.status, result.observed, result.violations, result.samples) == ("pass", 0, 0, [])
    assert result.details["aggregate"] == "public.device_events_hourly"


def test_caggs_check_judges_only_hours_older_than_the_refresh_lag(tmp_path, imitated_timescale):
    # refresh_lag 2h at 14:30 -> only [10:00, 12:00) is judged: 11:00 differs, 12:00 is not looked at
    result = run_caggs(config(tmp_path, imitated_timescale), now=T0 + timedelta(hours=4, minutes=30),
                       timescale=True)
    assert result.window == Window(T0, T0 + 2 * HOUR)
    assert result.samples == [{"hour": "2026-03-08T11:00:00Z", "aggregate": 4, "raw": 5}]
    inside_lag = run_caggs(config(tmp_path, imitated_timescale), now=T0 + HOUR, timescale=True)
    assert (inside_lag.status, inside_lag.message) == ("skipped", "window is within the refresh lag (2:00:00)")


def test_caggs_check_without_an_aggregate_is_skipped(tmp_path, imitated_timescale):
    loaded = config(tmp_path, imitated_timescale, "{type: caggs, dataset: device_events, aggregate: nope}")
    result = run_caggs(loaded, now=WINDOW.end + 3 * HOUR, timescale=True)
    assert (result.status, result.message) == ("skipped", "no continuous aggregate nope")
