"""The `caggs` check against real TimescaleDB continuous aggregates: skipped -- not passed --
without the extension or without an aggregate; a fresh aggregate passes; rows inserted
after the last refresh into an hour older than `refresh_lag` fail that hour with its counts;
a real-time aggregate (materialized_only = false) is judged on its materialised part only;
15-minute buckets are added up per hour, day buckets refused; a refresh policy, run as a
job or by the background scheduler, makes a stale aggregate pass."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from integrity_fixtures import run_cli

from reconciler.checks.caggs import MisalignedBuckets, compare_hourly, roll_up
from reconciler.checks.registry import CheckContext, run_check
from reconciler.config import load_config
from reconciler.errors import ConfigError
from reconciler.sources.connection import open_sources
from reconciler.thresholds import Threshold
from reconciler.timeutil import HOUR, Window

UTC = timezone.utc
T0 = datetime(2026, 3, 8, 10, tzinfo=UTC)
EVENTS_PER_HOUR = [3, 5, 2, 4]          # 10:00, 11:00, 12:00, 13:00
WINDOW = Window(T0, T0 + 4 * HOUR)
LATER = WINDOW.end + 3 * HOUR           # every hour of the window is older than the 2 h refresh lag

TABLE = ("CREATE TABLE device_events (event_id bigint NOT NULL, device_id text NOT NULL, event_type text NOT NULL, "
         "value double precision, time timestamptz NOT NULL, PRIMARY KEY (event_id, time))")
HOURLY = ("CREATE MATERIALIZED VIEW {name} WITH (timescaledb.continuous{options}) AS "
          "SELECT time_bucket('{width}', time) AS bucket, count(*) AS events FROM device_events GROUP BY 1 "
          "WITH {data}")


def events() -> list[dict]:
    rows, next_id = [], 1
    for h, n in enumerate(EVENTS_PER_HOUR):
        for i in range(n):
            rows.append({"event_id": next_id, "device_id": f"dev-{i}", "event_type": "motion", "value": None,
                         "time": T0 + h * HOUR + timedelta(minutes=7 * i, milliseconds=250)})
            next_id += 1
    # outside the window
    rows.append({"event_id": next_id, "device_id": "dev-x", "event_type": "motion", "value": None,
                 "time": T0 - timedelta(seconds=1)})
    rows.append({"event_id": next_id + 1, "device_id": "dev-x", "event_type": "motion", "value": None,
                 "time": WINDOW.end})
    return rows


def insert(engine, *rows: tuple[int, datetime]) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO device_events VALUES (:id, 'dev-late', 'motion', NULL, :t)"),
                     [{"id": i, "t": t} for i, t in rows])


class Tsdb:
    """The test database: device_events as a hypertable with 1-hour chunks, and helpers to
    define continuous aggregates on it (in AUTOCOMMIT: a refresh cannot run in a transaction)."""

    def __init__(self, url: str):
        self.url = url
        self.engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")

    def reset(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS device_events CASCADE")
            conn.exec_driver_sql(TABLE)
            conn.exec_driver_sql("SELECT create_hypertable('device_events', by_range('time', INTERVAL '1 hour'))")
            conn.execute(sa.text("INSERT INTO device_events VALUES (:event_id, :device_id, :event_type, :value, "
                                 ":time)"), events())

    def aggregate(self, name: str, width: str = "1 hour", real_time: bool = False, data: bool = True) -> None:
        options = ", timescaledb.materialized_only = false" if real_time else ""
        with self.engine.connect() as conn:
            conn.exec_driver_sql(HOURLY.format(name=name, options=options, width=width,
                                               data="DATA" if data else "NO DATA"))

    def refresh(self, name: str) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql(f"CALL refresh_continuous_aggregate('{name}', NULL, NULL)")

    def scalar(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()


@pytest.fixture(scope="module")
def tsdb_database(make_timescale_database):
    db = Tsdb(make_timescale_database("caggs"))
    yield db
    db.engine.dispose()


@pytest.fixture
def tsdb(tsdb_database):
    tsdb_database.reset()
    return tsdb_database


@pytest.fixture(scope="module")
def plain_pg(make_pg_database):
    url = make_pg_database("caggs")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS device_events")
        conn.exec_driver_sql(TABLE)
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


def run_caggs(loaded, now: datetime = LATER, window: Window = WINDOW):
    sources = open_sources(loaded)
    try:
        [result] = run_check(CheckContext(loaded, sources, window, now=now), "events_caggs").results
    finally:
        for s in sources.values():
            s.dispose()
    return result


def named(tmp_path, tsdb, aggregate: str, extra: str = ""):
    return config(tmp_path, tsdb.url, f"{{type: caggs, dataset: device_events, aggregate: {aggregate}{extra}}}")


# ------------------------------------------------------------------ skipped, never passed

def test_caggs_is_skipped_not_passed_on_plain_postgresql(tmp_path, plain_pg):
    result = run_caggs(config(tmp_path, plain_pg))
    assert (result.check, result.status, result.message) == (
        "events_caggs", "skipped", "source 'new' has no TimescaleDB extension")
    assert (result.observed, result.violations, result.samples) == (None, 0, [])
    assert (result.config_check, result.check_type) == ("events_caggs", "caggs")


def test_a_job_of_only_a_skipped_caggs_check_does_not_exit_as_failed(tmp_path, plain_pg, monkeypatch, capfd):
    loaded = config(tmp_path, plain_pg)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capfd, "--config", loaded.path, "run", "caggs-only", "--start", "2026-03-08T10:00Z",
                           "--end", "2026-03-08T11:00Z", "--format", "json")
    doc = json.loads(out)
    assert [r["status"] for r in doc["runs"]] == ["skipped"]
    assert code == 0, "skipped is not 'a check failed' (DESIGN.md exit codes)"


def test_a_hypertable_without_an_aggregate_is_skipped(tmp_path, tsdb):
    result = run_caggs(config(tmp_path, tsdb.url))
    assert (result.status, result.message) == ("skipped", "no continuous aggregate on device_events")
    result = run_caggs(named(tmp_path, tsdb, "nope"))
    assert (result.status, result.message) == ("skipped", "no continuous aggregate nope")


# ------------------------------------------------------------------ materialised aggregates

def test_a_fresh_aggregate_found_in_the_catalogue_passes(tmp_path, tsdb):
    tsdb.aggregate("events_hourly")
    result = run_caggs(config(tmp_path, tsdb.url))
    assert (result.status, result.observed, result.violations, result.samples) == ("pass", 0, 0, [])
    assert result.window == WINDOW
    assert result.message is None
    assert {k: result.details[k] for k in ("aggregate", "bucket", "read_from", "real_time", "watermark")} == {
        "aggregate": "public.events_hourly", "bucket": "1 hour", "read_from": "public.events_hourly",
        "real_time": False, "watermark": "2026-03-08T15:00:00Z"}


def test_rows_inserted_after_the_refresh_fail_their_hour_with_the_counts(tmp_path, tsdb):
    tsdb.aggregate("events_hourly")
    insert(tsdb.engine, (101, T0 + HOUR + timedelta(minutes=50)), (102, T0 + HOUR + timedelta(minutes=51)))
    result = run_caggs(config(tmp_path, tsdb.url))
    assert (result.status, result.observed, result.violations) == ("fail", 1, 1)
    assert result.threshold == Threshold.at_most(0, "differing hours")
    assert result.samples == [{"hour": "2026-03-08T11:00:00Z", "aggregate": 5, "raw": 7}]
    assert result.message == ("1 hour differs from the raw table: rows arrived after the last refresh, or the "
                              "refresh policy is behind (CALL refresh_continuous_aggregate('public.events_hourly', "
                              "'2026-03-08T11:00:00Z', '2026-03-08T14:00:00Z') refreshes them)")

    tsdb.refresh("events_hourly")
    assert run_caggs(config(tmp_path, tsdb.url)).status == "pass"


def test_only_hours_older_than_the_refresh_lag_are_judged(tmp_path, tsdb):
    tsdb.aggregate("events_hourly")
    insert(tsdb.engine, (101, T0 + HOUR), (102, T0 + 2 * HOUR))   # 11:00 and 12:00 now stale
    # refresh lag 2 h at 14:30: [10:00, 12:00) is judged, 12:00 is too young to be
    result = run_caggs(config(tmp_path, tsdb.url), now=T0 + timedelta(hours=4, minutes=30))
    assert result.window == Window(T0, T0 + 2 * HOUR)
    assert result.samples == [{"hour": "2026-03-08T11:00:00Z", "aggregate": 5, "raw": 6}]
    inside_lag = run_caggs(config(tmp_path, tsdb.url), now=T0 + HOUR)
    assert (inside_lag.status, inside_lag.message) == ("skipped", "window is within the refresh lag (2:00:00)")


# ------------------------------------------------------------------ real-time aggregates

def test_a_real_time_aggregate_is_judged_on_its_materialised_part_only(tmp_path, tsdb):
    tsdb.aggregate("events_live", real_time=True, data=False)   # nothing materialised yet
    # through the view every hour looks right: real-time aggregation reads the raw table
    assert tsdb.scalar("SELECT sum(events) FROM events_live WHERE bucket >= :s AND bucket < :e",
                       s=WINDOW.start, e=WINDOW.end) == 14
    result = run_caggs(config(tmp_path, tsdb.url))
    assert (result.status, result.observed) == ("fail", 4)
    assert result.samples == [{"hour": f"2026-03-08T{10 + h}:00:00Z", "aggregate": 0, "raw": n}
                              for h, n in enumerate(EVENTS_PER_HOUR)]
    materialization = tsdb.scalar("SELECT materialization_hypertable_schema || '.' || materialization_hypertable_name "
                                  "FROM timescaledb_information.continuous_aggregates WHERE view_name = 'events_live'")
    assert result.details["read_from"] == materialization and materialization.startswith("_timescaledb_internal.")
    assert (result.details["real_time"], result.details["watermark"]) == (True, None)
    assert result.message == (f"real-time aggregate (materialized_only = false): compared its materialised part "
                              f"only, read from {materialization}, not through the view, which computes "
                              f"unmaterialised hours from the raw table; 4 hours differ from the raw table: rows "
                              f"arrived after the last refresh, or the refresh policy is behind (CALL "
                              f"refresh_continuous_aggregate('public.events_live', '2026-03-08T10:00:00Z', "
                              f"'2026-03-08T14:00:00Z') refreshes them)")

    tsdb.refresh("events_live")
    fresh = run_caggs(config(tmp_path, tsdb.url))
    assert (fresh.status, fresh.details["watermark"]) == ("pass", "2026-03-08T15:00:00Z")
    insert(tsdb.engine, (101, T0 + 3 * HOUR + timedelta(minutes=1)))  # below the watermark, after the refresh
    stale = run_caggs(config(tmp_path, tsdb.url))
    assert stale.samples == [{"hour": "2026-03-08T13:00:00Z", "aggregate": 4, "raw": 5}]


# ------------------------------------------------------------------ other bucket widths

def test_fifteen_minute_buckets_are_added_up_per_hour(tmp_path, tsdb):
    tsdb.aggregate("events_15m", width="15 minutes")
    result = run_caggs(config(tmp_path, tsdb.url))
    assert (result.status, result.details["bucket"], result.message) == (
        "pass", "15 minutes", "buckets of 15 minutes added up per hour")
    insert(tsdb.engine, (101, T0 + 2 * HOUR + timedelta(minutes=47)))
    stale = run_caggs(config(tmp_path, tsdb.url))
    assert stale.samples == [{"hour": "2026-03-08T12:00:00Z", "aggregate": 2, "raw": 3}]


def test_the_hourly_aggregate_is_preferred_over_a_finer_one_and_day_buckets_are_never_chosen(tmp_path, tsdb):
    tsdb.aggregate("events_daily", width="1 day")
    tsdb.aggregate("events_15m", width="15 minutes")
    tsdb.aggregate("events_hourly")
    assert run_caggs(config(tmp_path, tsdb.url)).details["aggregate"] == "public.events_hourly"


def test_day_buckets_are_refused_with_the_reason(tmp_path, tsdb):
    tsdb.aggregate("events_daily", width="1 day")
    loaded = named(tmp_path, tsdb, "events_daily")
    with pytest.raises(ConfigError) as named_error:
        run_caggs(loaded)
    assert str(named_error.value) == (
        f"{loaded.path}:10: checks.events_caggs.aggregate: public.events_daily (1 day buckets): the caggs check "
        f"compares hourly counts, so it needs an aggregate whose buckets divide an hour (1 hour, 15 minutes, ...); "
        f"a coarser one cannot be compared with an hour of raw rows. Define an hourly continuous aggregate on "
        f"public.device_events (a daily one can be built on it) and name it with `aggregate:`")
    with pytest.raises(ConfigError, match=r"checks\.events_caggs: public\.events_daily \(1 day buckets\)"):
        run_caggs(config(tmp_path, tsdb.url))


def test_the_cli_refuses_day_buckets_with_exit_2(tmp_path, tsdb, monkeypatch, capfd):
    tsdb.aggregate("events_daily", width="1 day")
    loaded = named(tmp_path, tsdb, "events_daily")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capfd, "--config", loaded.path, "run", "caggs-only", "--start", "2026-03-08T10:00Z",
                             "--end", "2026-03-08T11:00Z")
    assert (code, out) == (2, "")
    assert "checks.events_caggs.aggregate: public.events_daily (1 day buckets)" in err


def test_an_aggregate_of_another_hypertable_is_refused(tmp_path, tsdb):
    with tsdb.engine.connect() as conn:
        conn.exec_driver_sql("CREATE TABLE other_events (time timestamptz NOT NULL)")
        conn.exec_driver_sql("SELECT create_hypertable('other_events', by_range('time', INTERVAL '1 hour'))")
        conn.exec_driver_sql("CREATE MATERIALIZED VIEW other_hourly WITH (timescaledb.continuous) AS SELECT "
                             "time_bucket('1 hour', time) AS bucket, count(*) AS events FROM other_events GROUP BY 1")
    try:
        with pytest.raises(ConfigError, match=r"checks\.events_caggs\.aggregate: continuous aggregate "
                                              r"public\.other_hourly aggregates public\.other_events, not the "
                                              r"dataset's table device_events \(datasets\.device_events\.new\.table\)"):
            run_caggs(named(tmp_path, tsdb, "other_hourly"))
    finally:
        with tsdb.engine.connect() as conn:
            conn.exec_driver_sql("DROP TABLE other_events CASCADE")


def test_a_wrong_count_column_is_named(tmp_path, tsdb):
    tsdb.aggregate("events_hourly")
    loaded = named(tmp_path, tsdb, "events_hourly", ", count_column: n")
    with pytest.raises(ConfigError, match=r"checks\.events_caggs\.count_column: column 'n' does not exist in "
                                          r"continuous aggregate public\.events_hourly \(columns: bucket, events\)"):
        run_caggs(loaded)


# ------------------------------------------------------------------ refresh policies

def add_policy(tsdb, name: str) -> int:
    return tsdb.scalar(f"SELECT add_continuous_aggregate_policy('{name}', start_offset => NULL, "
                       f"end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '1 day', "
                       f"initial_start => now() + INTERVAL '1 day')")


def test_a_refresh_policy_run_as_a_job_makes_a_stale_aggregate_pass(tmp_path, tsdb):
    tsdb.aggregate("events_hourly", data=False)
    assert run_caggs(config(tmp_path, tsdb.url)).observed == 4   # nothing materialised
    job = add_policy(tsdb, "events_hourly")
    with tsdb.engine.connect() as conn:
        conn.exec_driver_sql(f"CALL run_job({job})")
    result = run_caggs(config(tmp_path, tsdb.url))
    assert (result.status, result.observed) == ("pass", 0)


def wait_for_job(tsdb, job: int, deadline_s: float) -> None:
    """Until the background scheduler has run `job` successfully once, or fail at the deadline."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        done = tsdb.scalar("SELECT total_successes FROM timescaledb_information.job_stats WHERE job_id = :j", j=job)
        if done:
            return
        time.sleep(0.2)
    errors = tsdb.scalar("SELECT string_agg(err_message, '; ') FROM timescaledb_information.job_errors "
                         "WHERE job_id = :j", j=job)
    pytest.fail(f"the background scheduler did not run job {job} within {deadline_s}s ({errors or 'no error'})")


def test_a_refresh_policy_run_by_the_background_scheduler_makes_it_pass(tmp_path, tsdb):
    tsdb.aggregate("events_hourly")
    insert(tsdb.engine, (101, T0 + timedelta(minutes=5)))
    assert run_caggs(config(tmp_path, tsdb.url)).samples == [
        {"hour": "2026-03-08T10:00:00Z", "aggregate": 3, "raw": 4}]
    job = add_policy(tsdb, "events_hourly")
    tsdb.scalar("SELECT job_id FROM alter_job(:j, next_start => now())", j=job)
    wait_for_job(tsdb, job, deadline_s=60)
    assert run_caggs(config(tmp_path, tsdb.url)).status == "pass"


# ------------------------------------------------------------------ pure parts

def hourly(counts) -> dict:
    return {T0 + h * HOUR: n for h, n in enumerate(counts)}


def test_compare_hourly_names_exactly_the_differing_hours():
    raw, stale = hourly([3, 5, 2, 4]), {T0: 3, T0 + HOUR: 4, T0 + 3 * HOUR: 4}
    assert compare_hourly(stale, raw, WINDOW.hours()) == [
        {"hour": "2026-03-08T11:00:00Z", "aggregate": 4, "raw": 5},
        {"hour": "2026-03-08T12:00:00Z", "aggregate": 0, "raw": 2},
    ]
    assert compare_hourly(raw, raw, WINDOW.hours()) == []
    assert compare_hourly({}, {}, WINDOW.hours()) == []


def test_roll_up_adds_buckets_per_hour_and_refuses_misaligned_ones():
    quarter = timedelta(minutes=15)
    assert roll_up([(T0, 1), (T0 + quarter, 2), (T0 + 3 * quarter, 3), (T0 + HOUR, 4)], 900) == {T0: 6,
                                                                                                T0 + HOUR: 4}
    with pytest.raises(MisalignedBuckets, match="bucket 2026-03-08T10:30:00Z does not start on a multiple of 1:00:00"):
        roll_up([(T0 + 2 * quarter, 1)], 3600)
