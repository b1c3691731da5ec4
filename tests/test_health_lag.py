"""Processing lag per hour on PostgreSQL and TimescaleDB (percentile_cont), MariaDB and SQLite
(ROW_NUMBER() interpolation: the dialects' percentile_select) against hand-computed percentiles, and the
newest event's age when the new table has no ingestion-time column.

Hand computation (continuous percentile, pos = 1 + p * (n - 1), linear between ranks):
hour 10 holds 11 lags 0.1, 0.2, ... 1.0 and 7.0 s: p50 = rank 6 = 0.6; p95 = rank 10.5 =
1.0 + 0.5 * 6.0 = 4.0; p99 = rank 10.9 = 1.0 + 0.9 * 6.0 = 6.4; max 7.0.
hour 11 holds 1, 2, 3, 4 s: p50 = rank 2.5 = 2.5; p95 = rank 3.85 = 3.85; p99 = rank 3.97 = 3.97."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from reconciler.checks.registry import CheckContext, run_check
from reconciler.config import load_config
from reconciler.sources.connection import opened_sources
from reconciler.store import open_report_store
from reconciler.thresholds import Threshold
from reconciler.timeutil import HOUR, Window, iso

UTC = timezone.utc
H10 = datetime(2026, 11, 27, 10, tzinfo=UTC)
WINDOW = Window(H10, H10 + 3 * HOUR)
LAGS = {H10: [0.1 * i for i in range(1, 11)] + [7.0], H10 + HOUR: [1.0, 2.0, 3.0, 4.0]}
EXPECTED = {H10: {"count": 11, "p50": 0.6, "p95": 4.0, "p99": 6.4, "max": 7.0},
            H10 + HOUR: {"count": 4, "p50": 2.5, "p95": 3.85, "p99": 3.97, "max": 4.0}}


def load_events(url: str, time_type) -> None:
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    table = sa.Table("device_events", meta, sa.Column("event_id", sa.Integer, primary_key=True),
                     sa.Column("time", time_type), sa.Column("ingested_at", time_type))
    meta.drop_all(engine)
    meta.create_all(engine)
    rows, event_id = [], 0
    naive = not getattr(time_type, "timezone", False)
    for hour, lags in LAGS.items():
        for i, lag in enumerate(lags):
            event_id += 1
            t = hour + timedelta(minutes=i)
            ingested = t + timedelta(milliseconds=round(lag * 1000))
            rows.append({"event_id": event_id, "time": t.replace(tzinfo=None) if naive else t,
                         "ingested_at": ingested.replace(tzinfo=None) if naive else ingested})
    with engine.begin() as conn:
        conn.execute(table.insert(), rows)
    engine.dispose()


def config(tmp_path, url: str, ingested: bool = True, max_lag: float = 5):
    column = ", ingested_column: ingested_at" if ingested else ""
    path = tmp_path / "schedule.yaml"
    path.write_text(
        f"sources:\n  new: {{url: \"{url}\"}}\n"
        "datasets:\n  device_events:\n"
        "    old: {source: new, table: device_events, time: time, key: [event_id]}\n"
        "    new: {source: new, table: device_events, time: time, key: [event_id]}\n"
        f"checks:\n  lag: {{type: lag, dataset: device_events, max_lag_seconds: {max_lag}{column}}}\n")
    return load_config(path)


def lag_results(loaded, now=None):
    with opened_sources(loaded) as sources:
        return run_check(CheckContext(loaded, sources, WINDOW, now=now or WINDOW.end), "lag").results


@pytest.fixture(params=["postgresql", "timescaledb", "mariadb", "sqlite"])
def engine_url(request, tmp_path):
    if request.param in ("postgresql", "timescaledb"):
        maker = "make_pg_database" if request.param == "postgresql" else "make_timescale_database"
        url = request.getfixturevalue(maker)("lag")
        load_events(url, sa.DateTime(timezone=True))
        return request.param, url
    if request.param == "mariadb":
        url = request.getfixturevalue("make_mariadb_database")("lag")
        from sqlalchemy.dialects.mysql import DATETIME

        load_events(url, DATETIME(fsp=6))
        return "mariadb", url
    url = f"sqlite:///{tmp_path}/new.db"
    load_events(url, sa.DateTime())
    return "sqlite", url


def test_lag_percentiles_per_hour_match_the_hand_computed_values(tmp_path, engine_url):
    engine, url = engine_url
    first, second, third = lag_results(config(tmp_path, url))
    for result, hour in ((first, H10), (second, H10 + HOUR)):
        assert result.check == "lag.processing_lag"
        assert result.window == Window(hour, hour + HOUR)
        assert result.observed["count"] == EXPECTED[hour]["count"]
        for key in ("p50", "p95", "p99", "max"):
            assert result.observed[key] == pytest.approx(EXPECTED[hour][key], abs=1e-6), (engine, hour, key)
        assert result.details["method"] == ("percentile_cont" if engine in ("postgresql", "timescaledb")
                                            else "row_number interpolation")
    assert (first.status, first.threshold, first.violations) == ("fail", Threshold(max=5.0, unit="s", text="at p99"), 1)
    assert (second.status, second.violations) == ("pass", 0)
    assert (third.status, third.observed["count"], third.message) == ("skipped", 0, "no events in this hour")


def test_the_judged_percentile_is_configurable(tmp_path):
    url = f"sqlite:///{tmp_path}/new.db"
    load_events(url, sa.DateTime())
    path = config(tmp_path, url).path
    path.write_text(path.read_text().replace("max_lag_seconds: 5", "max_lag_seconds: 5, lag_percentile: p95"))
    first = lag_results(load_config(path))[0]
    assert (first.status, first.details["seconds"]) == ("pass", 4.0)


def test_without_an_ingestion_column_the_newest_event_age_is_a_point_in_time_result(tmp_path):
    url = f"sqlite:///{tmp_path}/new.db"
    load_events(url, sa.DateTime())
    now = H10 + HOUR + timedelta(minutes=3, seconds=2.5)  # the newest event is at 11:03
    [result] = lag_results(config(tmp_path, url, ingested=False), now=now)
    assert (result.check, result.status, result.observed) == ("lag.newest_event_age", "pass", {"seconds": 2.5})
    assert result.details["measure"] == "newest_event_age" and (result.window, result.as_of) == (None, now)
    assert result.details["newest"] == "2026-11-27T11:03:00Z"
    later = lag_results(config(tmp_path, url, ingested=False), now=now + timedelta(seconds=10))[0]
    assert (later.status, later.observed) == ("fail", {"seconds": 12.5})


# ------------------------------------------------------------ per-hour lag from a job to the gate

def lag_project(tmp_path, url: str):
    """A job of one windowed lag check, and a phase judged on lag alone."""
    path = tmp_path / "schedule.yaml"
    path.write_text(
        f"sources:\n  new: {{url: \"{url}\"}}\n"
        "datasets:\n  device_events:\n"
        "    old: {source: new, table: device_events, time: time, key: [event_id]}\n"
        "    new: {source: new, table: device_events, time: time, key: [event_id]}\n"
        "checks:\n  lag: {type: lag, dataset: device_events, max_lag_seconds: 5, ingested_column: ingested_at}\n"
        "jobs:\n  lagging: {cron: \"0 * * * *\", checks: [lag], settle: 0m}\n"
        "phases:\n  lagonly: {days: 1, criteria: {lag: {}}}\n"
        "report_store: {url: \"sqlite:///store/reconciler.db\", directory: out}\n")
    (tmp_path / "store").mkdir()
    return path


def gate_of(capfd, path, start, end):
    from integrity_fixtures import run_cli

    code, out, _ = run_cli(capfd, "--config", path, "gate", "--phase", "lagonly", "--start", iso(start), "--end",
                           iso(end), "--now", iso(end + HOUR), "--format", "json")
    doc = json.loads(out)
    [lag] = [c for c in doc["criteria"] if c["criterion"] == "lag"]
    assert [c["criterion"] for c in doc["criteria"] if c["state"] != "met"] in ([], ["lag"], ["lag", "period"],
                                                                                ["period"])
    return code, lag


def test_lag_per_hour_is_judged_in_the_ledger_rechecked_and_read_by_the_gate_hour_by_hour(tmp_path, capfd):
    """10:00 has p99 6.4 s (fail), 11:00 3.97 s (pass), 12:00 no event (skipped: not a verdict)."""
    from integrity_fixtures import run_cli

    url = f"sqlite:///{tmp_path}/new.db"
    load_events(url, sa.DateTime())
    path = lag_project(tmp_path, url)
    code, out, _ = run_cli(capfd, "--config", path, "run", "lagging", "--start", iso(H10), "--end",
                           iso(H10 + 3 * HOUR), "--now", iso(H10 + 4 * HOUR), "--format", "json")
    assert (code, [r["status"] for r in json.loads(out)["runs"]]) == (1, ["fail", "pass", "skipped"])
    store = open_report_store(load_config(path))
    try:
        assert {r["hour"]: r["verdict"] for r in store.ledger("device_events")} == {H10: "fail", H10 + HOUR: "pass"}
    finally:
        store.close()
    code, lag = gate_of(capfd, path, H10, H10 + 2 * HOUR)
    assert (code, lag["state"], lag["worst"]["at"], lag["worst"]["value"]) == (1, "not met", iso(H10), 6.4)
    assert lag["summary"] == f"1 hour(s) with p99 lag above 5 s; worst {iso(H10)} p99 6.4 s"
    # the late event of 10:00 is corrected; the hour judged again supersedes its verdict
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE device_events SET ingested_at = time WHERE event_id = 11"))
    engine.dispose()
    code, out, _ = run_cli(capfd, "--config", path, "run", "lagging", "--start", iso(H10), "--end",
                           iso(H10 + HOUR), "--now", iso(H10 + 5 * HOUR), "--format", "json")
    assert (code, [r["status"] for r in json.loads(out)["runs"]]) == (0, ["pass"])
    store = open_report_store(load_config(path))
    try:
        history = [(v["verdict"], v["superseded"], v["changed_from"]) for v in store.ledger_history("device_events", H10)]
    finally:
        store.close()
    assert history == [("fail", True, None), ("pass", False, "fail")]
    code, lag = gate_of(capfd, path, H10, H10 + 2 * HOUR)
    # met; the gate stays incomplete only because 2 hours are not the phase's day
    assert (code, lag["state"], lag["summary"]) == (4, "met", "p99 within 5 s in every hour")
    # an hour the job never judged is named
    code, lag = gate_of(capfd, path, H10, H10 + 4 * HOUR)
    assert (code, lag["state"]) == (4, "incomplete")
    assert lag["gaps"] == [{"dataset": "device_events", "hour": iso(H10 + 3 * HOUR), "reason": "no lag result"}]
