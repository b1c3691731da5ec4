"""Every check type through the real CLI path (`reconciler run JOB`: config -> run -> store) on
every engine as the dataset's side: SQLite, MariaDB, PostgreSQL and TimescaleDB (the old side
is a second table on the same server). Every result is `pass` or `fail` as planted -- never
`error` -- except `caggs`, which is `skipped` where there is no TimescaleDB; every run takes
seconds; windowed checks are judged per hour (the lag of each hour in the ledger),
point-in-time ones once, as of the run.

The planted data, two hours from 10:00 UTC, identical on both sides:
- 6 events an hour, one with a negative value (the `sql` rule finds 1 violation: fail);
- ingested 1 s after the event, except one event of 11:00 ingested 40 s late: lag p99 of the
  10:00 hour is 1 s (pass), of the 11:00 hour 1 + 0.95 * 39 = 38.05 s (fail), so the 11:00
  hour of the dataset is a failing hour in the ledger while its rows match;
- 100 writes of 1..100 ms / 20: p99 write latency 4.9505 ms (pass);
- an empty dead-letter queue (pass); device_id never null (suite: pass); on TimescaleDB an
  hourly continuous aggregate refreshed after the load (caggs: pass)."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from integrity_fixtures import run_cli
from sqlalchemy.dialects import mysql

from reconciler.checks.types import CHECK_TYPES
from reconciler.config import load_config
from reconciler.store import open_report_store
from reconciler.timeutil import HOUR, Window, iso

UTC = timezone.utc
T0 = datetime(2026, 3, 8, 10, tzinfo=UTC)
HOURS = 2
NOW = T0 + 5 * HOUR + timedelta(minutes=7)
ENGINES = ("sqlite", "mariadb", "postgresql", "timescaledb")
SECONDS_PER_RUN = 15  # a few seconds each on a loaded 2-core machine; the suite's first run may import GX

EXPECTED = {  # configured check -> its results' statuses, in stored order
    "counted": ["pass"],                                     # hourly_count_drift (built-in judgement)
    "compared": ["pass", "pass", "pass", "pass"],            # drift, row match, row diff complete, new keys unique
    "integrity": ["fail"],                                   # no_negative_values: 1 on new
    "table_suite": ["pass"],                                 # device_id not null
    "dlq": ["pass"],
    "lag_hourly": ["pass", "fail"],                          # 10:00, 11:00 (judged in its own window each)
    "lag_now": ["pass"],                                     # newest event age, bound 10^9 s
    "latency": ["pass"],
}
SCOPE = {"counted": "windowed", "compared": "windowed", "aggregate": "windowed", "lag_hourly": "windowed",
         "integrity": "point_in_time", "table_suite": "point_in_time", "dlq": "point_in_time",
         "lag_now": "point_in_time", "latency": "point_in_time"}


def events() -> list[dict]:
    rows = []
    for h in range(HOURS):
        for i in range(6):
            event_id = h * 6 + i + 1
            t = T0 + h * HOUR + timedelta(minutes=10 * i, milliseconds=250)
            lag = 40.0 if (h, i) == (1, 5) else 1.0
            rows.append({"id": event_id, "time": t, "device": f"dev-{i}", "value": -1.5 if event_id == 3 else 20.0 + i,
                         "ingested": t + timedelta(seconds=lag)})
    return rows


def load(url: str, engine_name: str) -> None:
    engine = sa.create_engine(url)
    aware = engine_name in ("postgresql", "timescaledb")
    time_type = sa.DateTime(timezone=True) if aware else (mysql.DATETIME(fsp=6) if engine_name == "mariadb"
                                                          else sa.DateTime())
    meta = sa.MetaData()
    old = sa.Table("legacy_events", meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                   sa.Column("ts", time_type, nullable=False), sa.Column("device", sa.String(20)),
                   sa.Column("reading", sa.Float))
    new = sa.Table("device_events", meta, sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=False),
                   sa.Column("time", time_type, primary_key=True), sa.Column("device_id", sa.String(20)),
                   sa.Column("value", sa.Float), sa.Column("ingested_at", time_type, nullable=False))
    writes = sa.Table("write_latency", meta, sa.Column("latency_ms", sa.Float))
    meta.drop_all(engine)
    meta.create_all(engine)

    def at(t):
        return t if aware else t.replace(tzinfo=None)

    with engine.begin() as conn:
        if engine_name == "timescaledb":
            conn.exec_driver_sql("SELECT create_hypertable('device_events', by_range('time', INTERVAL '1 hour'))")
        conn.execute(old.insert(), [{"id": e["id"], "ts": at(e["time"]), "device": e["device"],
                                     "reading": e["value"]} for e in events()])
        conn.execute(new.insert(), [{"event_id": e["id"], "time": at(e["time"]), "device_id": e["device"],
                                     "value": e["value"], "ingested_at": at(e["ingested"])} for e in events()])
        conn.execute(writes.insert(), [{"latency_ms": i / 20} for i in range(1, 101)])
    if engine_name == "timescaledb":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("CREATE MATERIALIZED VIEW events_hourly WITH (timescaledb.continuous) AS "
                                 "SELECT time_bucket('1 hour', time) AS bucket, count(*) AS events "
                                 "FROM device_events GROUP BY 1 WITH DATA")
    engine.dispose()


RULE = ("-- description: Readings below zero.\n-- severity: critical\n"
        "SELECT event_id, value FROM device_events WHERE value < 0\n")
SUITE = {"name": "device_events_table", "expectations": [
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "device_id"},
     "meta": {"check": "device_id_not_null", "index_column": "event_id"}}]}


def project(directory, url: str, redis_url: str, dlq_key: str):
    (directory / "checks" / "integrity").mkdir(parents=True)
    (directory / "checks" / "integrity" / "no_negative_values.sql").write_text(RULE)
    (directory / "expectations").mkdir()
    (directory / "expectations" / "device_events_table.json").write_text(json.dumps(SUITE))
    side = ("    old: {source: old, table: legacy_events, time: ts, key: [id]}\n"
            "    new: {source: new, table: device_events, time: time, key: [event_id]}\n"
            "    columns: {device_id: {old: device}, value: {old: reading, tolerance: 0.000001}}\n")
    path = directory / "schedule.yaml"
    path.write_text(
        f"sources:\n  old: {{url: \"{url}\"}}\n  new: {{url: \"{url}\"}}\n  queue: {{url: \"{redis_url}\"}}\n"
        f"datasets:\n  events:\n{side}  events_counted:\n{side}"
        "checks:\n"
        "  counted: {type: counts, dataset: events_counted}\n"
        "  compared: {type: rows, dataset: events}\n"
        "  integrity: {type: sql, rules: checks/integrity}\n"
        "  table_suite: {type: suite, suite: device_events_table, table: device_events}\n"
        f"  dlq: {{type: health, source: queue, dlq_key: \"{dlq_key}\"}}\n"
        "  aggregate: {type: caggs, dataset: events, aggregate: events_hourly}\n"
        "  lag_hourly: {type: lag, dataset: events, ingested_column: ingested_at}\n"
        "  lag_now: {type: lag, dataset: events, max_lag_seconds: 1000000000}\n"
        "  latency: {type: latency, source: new, latency_query: \"SELECT latency_ms FROM write_latency\"}\n"
        "jobs:\n  everything: {cron: \"5 * * * *\", settle: 0m, checks: [counted, compared, integrity, table_suite, "
        "dlq, aggregate, lag_hourly, lag_now, latency]}\n"
        "report_store: {url: \"sqlite:///store/reconciler.db\", directory: out}\n")
    return path


@pytest.fixture(params=ENGINES)
def engine_project(request, tmp_path, redis_url):
    name = request.param
    if name == "sqlite":
        url = f"sqlite:///{tmp_path / 'events.db'}"
    else:
        maker = {"mariadb": "make_mariadb_database", "postgresql": "make_pg_database",
                 "timescaledb": "make_timescale_database"}[name]
        url = request.getfixturevalue(maker)("every_type")
    load(url, name)
    (tmp_path / "store").mkdir()
    return name, project(tmp_path, url, redis_url, f"rc_test:{os.getpid()}:{name}:dlq")


def test_every_check_type_runs_on_every_engine_through_run(engine_project, capfd):
    name, path = engine_project
    code, out, err = run_cli(capfd, "--config", path, "run", "everything", "--start", iso(T0),
                             "--end", iso(T0 + HOURS * HOUR), "--now", iso(NOW), "--format", "json")
    doc = json.loads(out)
    assert code == 1, err  # the planted failures, never exit 3
    assert [r["window"] for r in doc["runs"]] == [Window(T0 + h * HOUR, T0 + (h + 1) * HOUR).to_dict()
                                                  for h in range(HOURS)] + [{"as_of": iso(NOW)}]
    loaded = load_config(path)
    store = open_report_store(loaded)
    try:
        runs = [store.load_run(r["id"]) for r in doc["runs"]]
        ledger = {row["hour"]: row["verdict"] for row in store.ledger("events")}
    finally:
        store.close()
    found: dict[str, list] = {}
    for run in runs:
        assert (run.finished_at - run.started_at).total_seconds() < SECONDS_PER_RUN, (name, run.window)
        for r in run.results:
            assert r.status != "error", (name, r.check, r.message)
            assert (r.window is None) == (SCOPE[r.config_check] == "point_in_time"), (name, r.check)
            assert (r.as_of is None) == (r.window is not None)
            assert r.check_type == loaded.config.checks[r.config_check].type
            found.setdefault(r.config_check, []).append(r)
    statuses = {check: [r.status for r in results] for check, results in found.items()}
    caggs = statuses.pop("aggregate")
    assert statuses == {k: v * (HOURS if k in ("counted", "compared") else 1) for k, v in EXPECTED.items()}
    assert caggs == (["pass"] * HOURS if name == "timescaledb" else ["skipped"] * HOURS)
    # `traffic` reads a Prometheus source, not an engine: end to end in test_traffic_check.py
    assert {r.check_type for rs in found.values() for r in rs} == set(CHECK_TYPES) - {"traffic"}
    assert [r.window for r in found["lag_hourly"]] == [Window(T0 + h * HOUR, T0 + (h + 1) * HOUR) for h in range(HOURS)]
    assert [r.observed["p99"] for r in found["lag_hourly"]] == pytest.approx([1.0, 38.05], abs=1e-3)
    assert found["latency"][0].observed["p99"] == pytest.approx(4.9505, abs=1e-6)
    # the rows match in both hours; the lag of 11:00 makes it a failing hour of its dataset
    assert ledger == {T0: "pass", T0 + HOUR: "fail"}


def test_each_type_names_the_sources_it_connects_to(tmp_path, monkeypatch):
    """What the jobs of the shipped schedule.yaml (and the matrix above) need reachable."""
    from integrity_fixtures import copy_project, use_sources

    from reconciler.checks.types import sources_used

    use_sources(monkeypatch, "sqlite:///old.db", "sqlite:///new.db")
    shipped = load_config(copy_project(tmp_path / "shipped")).config
    assert sources_used(shipped, shipped.jobs["hourly-shadow"].checks) == {"old", "new"}
    assert sources_used(shipped, ["bookings_suite"]) == {"new"}
    assert sources_used(shipped, ["bookings"]) == {"old", "new"}   # source: both
    everything = load_config(project(tmp_path / "matrix", "sqlite:///x.db", "redis://127.0.0.1:6379/0", "k")).config
    by_check = {name: sources_used(everything, [name]) for name in everything.checks}
    assert by_check == {"counted": {"old", "new"}, "compared": {"old", "new"}, "integrity": {"new"},
                        "table_suite": {"new"}, "dlq": {"queue"}, "aggregate": {"new"}, "lag_hourly": {"new"},
                        "lag_now": {"new"}, "latency": {"new"}}
