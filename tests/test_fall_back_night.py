"""The night Madrid falls back (2026-10-25, 03:00 CEST -> 02:00 CET, at 01:00Z), through the
whole product: the old side a MariaDB DATETIME(3) of naive local times, the new side a
TimescaleDB hypertable, the hourly job walked by the service's own wakes with a simulated
clock, its verdicts in the ledger and the gate's drift and match over the night. Before,
the repeated hour's two UTC hours failed every year (12/0 and 0/6 kinds of counts, every
second-pass row "mismatched" by an hour), which kept the 7-day gate from a go for a week."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from rowdiff_fixtures import load_events, new_table, old_table, server_url
from service_fixtures import SimulatedClock, runs_by_hour, walk, write_project

from reconciler.config import load_config
from reconciler.gate.evaluate import evaluate_gate
from reconciler.service.scheduler import Service
from reconciler.timeutil import HOUR

UTC = timezone.utc
CUT = datetime(2026, 10, 25, 1, tzinfo=UTC)   # the second pass of 02:00-03:00 local begins
START, END = CUT - 3 * HOUR, CUT + 3 * HOUR


def events() -> list[dict]:
    out, t, i = [], START, 1
    while t < END:
        out.append({"id": i, "device_id": f"dev-{i % 5:04d}", "event_type": "temperature",
                    "value": round(i * 0.25, 2), "time": t})
        t += timedelta(seconds=30, milliseconds=7)
        i += 1
    return out


def test_the_night_of_the_fall_back_is_judged_hour_by_hour_without_a_false_failure(request, tmp_path):
    data = events()
    old_url = server_url(request, "mariadb", "night_old")
    new_url = server_url(request, "timescaledb", "night_new")
    load_events(old_url, old_table("legacy_events"), data, zone="Europe/Madrid")
    load_events(new_url, new_table("device_events"), data, kind="timescaledb")
    path = write_project(tmp_path, old_url, new_url, job={"max_catchup_hours": "12"},
                         old_side="{source: old, table: legacy_events, time: ts, key: [id], "
                                  "timezone: Europe/Madrid}")
    loaded = load_config(path)
    clock = SimulatedClock(START + HOUR)
    service = Service(loaded, clock=clock)
    try:
        walk(service, clock, END + 15 * timedelta(minutes=1))
        judged = runs_by_hour(service.store)
        ledger = {row["hour"]: (row["verdict"], row["old"], row["new"])
                  for row in service.store.ledger("device_events")}
        report = evaluate_gate(service.store, loaded, clock.now, start=START, end=END)
    finally:
        service.close()
        service.store.close()

    per_hour = 120  # one event each 30.007 s
    assert [judged[START + h * HOUR][-1] for h in range(6)] == ["pass"] * 6
    # 00:00Z and 01:00Z are the two passes of local 02:00-03:00: each carries the pair's rows
    assert [ledger[START + h * HOUR] for h in range(6)] == \
        [("pass", per_hour, per_hour)] * 2 + [("pass", 2 * per_hour, 2 * per_hour)] * 2 + [("pass", per_hour, per_hour)] * 2
    states = {o.criterion: o.state for o in report.outcomes}
    assert (states["coverage"], states["drift"], states["match"]) == ("met", "met", "met")
