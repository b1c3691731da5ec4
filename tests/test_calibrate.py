"""`reconciler calibrate`: a source compared with itself. Read twice with nothing written in
between: zero drift, every row matched. Rows written between the reads (a callback stands in
for the settle delay): the drift it reports is exactly the rows added, hour by hour. A primary
against a replica that lags by a row: that row is the noise."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from integrity_fixtures import run_cli

from reconciler.compare.calibrate import calibrate_dataset
from reconciler.config import load_config
from reconciler.timeutil import HOUR, Window

UTC = timezone.utc
H10 = datetime(2026, 11, 27, 10, tzinfo=UTC)
WINDOW = Window(H10, H10 + 2 * HOUR)


def make_events(url: str, per_hour: int = 50, first_id: int = 1) -> sa.Table:
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    table = sa.Table("device_events", meta, sa.Column("event_id", sa.Integer, primary_key=True),
                     sa.Column("time", sa.DateTime(timezone=True)), sa.Column("device_id", sa.String(20)),
                     sa.Column("value", sa.Float))
    meta.drop_all(engine)
    meta.create_all(engine)
    add_events(engine, table, [H10 + timedelta(seconds=60 * i) for i in range(per_hour)]
               + [H10 + HOUR + timedelta(seconds=60 * i) for i in range(per_hour)], first_id)
    engine.dispose()
    return table


def add_events(engine, table, times, first_id):
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"event_id": first_id + i, "time": t, "device_id": f"lock-{i % 7}",
                                       "value": i * 0.5} for i, t in enumerate(times)])


def config(tmp_path, new_url: str):
    path = tmp_path / "schedule.yaml"
    path.write_text(
        f"sources:\n  old: {{url: \"sqlite:///{tmp_path}/old.db\"}}\n  new: {{url: \"{new_url}\"}}\n"
        "datasets:\n  device_events:\n"
        "    old: {source: old, table: legacy_events, time: ts, key: [id]}\n"
        "    new: {source: new, table: device_events, time: time, key: [event_id]}\n"
        "    columns: {device_id: {old: device}, value: {old: reading, tolerance: 0.000001}}\n")
    return load_config(path)


def test_a_table_read_twice_has_no_drift(tmp_path):
    url = f"sqlite:///{tmp_path}/new.db"
    make_events(url)
    reads = []
    result = calibrate_dataset(config(tmp_path, url), "device_events", WINDOW, between=lambda: reads.append(1))
    assert reads == [1]
    assert [(h["first"], h["second"], h["rows_added"], h["drift_pct"]) for h in result.hours] == [
        (50, 50, 0, 0.0), (50, 50, 0, 0.0)]
    assert (result.drift_noise_pct, result.rows_added, result.match_pct) == (0.0, 0, 100.0)
    assert (result.totals["matched"], result.totals["mismatched"]) == (100, 0)
    assert (result.suggested_drift_pct, result.configured_drift_pct) == (0.01, 1.0)


def test_the_drift_reported_equals_the_rows_added_between_the_reads(tmp_path):
    url = f"sqlite:///{tmp_path}/new.db"
    table = make_events(url)

    def late_rows():  # 3 late events land in hour 10 and 1 in hour 11 while we wait
        engine = sa.create_engine(url)
        add_events(engine, table, [H10 + timedelta(minutes=59, seconds=s) for s in (1, 2, 3)]
                   + [H10 + HOUR + timedelta(minutes=59)], first_id=1000)
        engine.dispose()

    result = calibrate_dataset(config(tmp_path, url), "device_events", WINDOW, between=late_rows)
    assert [(h["first"], h["second"], h["rows_added"], h["drift_pct"]) for h in result.hours] == [
        (50, 53, 3, 6.0), (50, 51, 1, 2.0)]
    assert (result.rows_added, result.drift_noise_pct) == (4, 6.0)
    assert result.suggested_drift_pct == 12.0
    assert result.to_dict()["configured_above_noise"]["drift"] is False


def test_a_primary_against_a_lagging_replica(tmp_path, make_pg_database):
    primary, replica = make_pg_database("calibrate_primary"), make_pg_database("calibrate_replica")
    make_events(primary)
    make_events(replica)
    engine = sa.create_engine(replica)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM device_events WHERE event_id = 75")  # not replicated yet
    engine.dispose()
    result = calibrate_dataset(config(tmp_path, primary), "device_events", WINDOW, replica_url=replica)
    assert result.mode == "replica"
    assert [(h["first"], h["second"], h["rows_added"]) for h in result.hours] == [(50, 50, 0), (50, 49, -1)]
    assert (result.drift_noise_pct, result.totals["missing_in_new"], result.match_pct) == (2.0, 1, 99.0)
    assert (result.suggested_drift_pct, result.suggested_match_pct) == (4.0, 98.0)


def test_the_calibrate_command(tmp_path, capfd, monkeypatch):
    url = f"sqlite:///{tmp_path}/new.db"
    make_events(url)
    loaded = config(tmp_path, url)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capfd, "--config", loaded.path, "calibrate", "device_events", "--start", "2026-11-27T10:00Z",
                           "--end", "2026-11-27T12:00Z", "--settle", "0s", "--format", "json")
    doc = json.loads(out)
    assert (code, doc["mode"], doc["noise"], doc["suggested"]) == (
        0, "read twice", {"max_abs_drift_pct": 0.0, "rows_added": 0, "match_pct": 100.0},
        {"max_abs_drift_pct": 0.01, "min_match_pct": 99.9999})
    code, out, _ = run_cli(capfd, "--config", loaded.path, "calibrate", "device_events", "--start", "2026-11-27T10:00Z",
                           "--end", "2026-11-27T12:00Z", "--settle", "0s")
    assert code == 0
    assert out.splitlines()[-1] == ("suggested: drift threshold ±0.01 % (configured ±1 %); "
                                    "match ≥ 99.9999 % (configured 99.9 %)")


@pytest.mark.parametrize("args, message", [
    (["nope", "--start", "2026-11-27T10:00Z", "--end", "2026-11-27T12:00Z"], "reconciler: unknown dataset 'nope'"),
    (["device_events", "--start", "2026-11-27T12:00Z", "--end", "2026-11-27T10:00Z"], "reconciler: bad window"),
    (["device_events", "--start", "2026-11-27T10:00Z", "--end", "2026-11-27T12:00Z", "--settle", "soon"],
     "reconciler: --settle: expected a duration"),
])
def test_bad_input_exits_2(tmp_path, capfd, args, message):
    loaded = config(tmp_path, f"sqlite:///{tmp_path}/new.db")
    code, out, err = run_cli(capfd, "--config", loaded.path, "calibrate", *args)
    assert (code, out) == (2, "")
    assert err.startswith(message)


def test_an_unreachable_side_is_named_as_configured(tmp_path, capfd):
    """The message names the side's own source ('old'), not the internal names of the two reads."""
    path = tmp_path / "schedule.yaml"
    path.write_text(
        'sources:\n  old: {url: "postgresql://bob:secret@127.0.0.1:1/x", connect_timeout: 2s}\n'
        f'  new: {{url: "sqlite:///{tmp_path}/new.db"}}\n'
        "datasets:\n  device_events:\n"
        "    old: {source: old, table: legacy_events, time: ts, key: [id]}\n"
        "    new: {source: new, table: device_events, time: time, key: [event_id]}\n")
    code, out, err = run_cli(capfd, "--config", path, "calibrate", "device_events", "--side", "old",
                             "--start", "2026-11-27T10:00Z", "--end", "2026-11-27T12:00Z", "--settle", "0s")
    assert (code, out) == (3, "")
    assert err.startswith("reconciler: source 'old' (postgresql://bob:***@127.0.0.1:1/x) is unreachable: ")
