"""A generated scenario with known injected differences: the row diff reports exactly the
injected keys, class by class, on MariaDB -> PostgreSQL, PostgreSQL -> PostgreSQL,
SQLite -> SQLite, PostgreSQL -> TimescaleDB and TimescaleDB -> TimescaleDB (hypertables with
1-hour chunks; once more with every chunk compressed). The old side stores naive
America/Bogota wall-clock times."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from rowdiff_fixtures import (
    MS,
    H,
    compare,
    events,
    load_events,
    mismatched_columns,
    new_table,
    old_table,
    pick,
    sample_keys,
    schedule,
    server_url,
    utc,
)

from reconciler.timeutil import Window

START = utc(2026, 1, 15, 10)
WINDOW = Window(START, START + 2 * H)
US = timedelta(microseconds=1)

PAIRS = [("mariadb", "postgresql"), ("postgresql", "postgresql"), ("sqlite", "sqlite"),
         ("postgresql", "timescaledb"), ("timescaledb", "timescaledb"),
         ("timescaledb-compressed", "timescaledb-compressed")]


@dataclass
class Injected:
    old: list
    new: list
    missing: set = field(default_factory=set)
    extra: set = field(default_factory=set)
    mismatched: dict = field(default_factory=dict)
    duplicates_old: set = field(default_factory=set)
    duplicates_new: set = field(default_factory=set)
    matched: int = 0


def inject() -> Injected:
    base = events(START, 2, rate=0.3, seed=5)
    rng = random.Random(3)
    taken: set = set()
    measured = [e for e in base if e["value"] is not None]
    unmeasured = [e for e in base if e["value"] is None]
    old = {e["id"]: dict(e) for e in base}
    new = {e["id"]: dict(e) for e in base}
    out = Injected([], [])

    for e in pick(rng, base, 6, taken):  # deleted in the new system
        del new[e["id"]]
        out.missing.add(e["id"])
    for e in pick(rng, measured, 5, taken):  # changed value
        new[e["id"]]["value"] = round(e["value"] + 0.5, 3)
        out.mismatched[e["id"]] = ["value"]
    for e in pick(rng, base, 4, taken):  # changed text
        new[e["id"]]["event_type"] = e["event_type"].upper()
        out.mismatched[e["id"]] = ["event_type"]
    for e in pick(rng, unmeasured, 3, taken):  # NULL in the old system, 0 in the new
        new[e["id"]]["value"] = 0.0
        out.mismatched[e["id"]] = ["value"]
    for e in pick(rng, measured, 2, taken):  # 0 in the old system, NULL in the new
        old[e["id"]]["value"] = 0.0
        new[e["id"]]["value"] = None
        out.mismatched[e["id"]] = ["value"]
    for i, e in enumerate(pick(rng, measured, 6, taken)):  # within the tolerance 0.000001: equal
        new[e["id"]]["value"] = e["value"] + (4e-7 if i % 2 else -9e-7)
    for i, e in enumerate(pick(rng, base, 6, taken)):  # jitter below the precision (ms): equal
        new[e["id"]]["time"] = e["time"] + (400 * US if i % 2 else -300 * US)

    old_rows, new_rows = list(old.values()), list(new.values())
    for e in pick(rng, base, 3, taken):  # duplicate key in the old system (a second, identical row)
        old_rows.append(dict(old[e["id"]]))
        out.duplicates_old.add(e["id"])
    for e in pick(rng, base, 2, taken):
        new_rows.append(dict(new[e["id"]]))
        out.duplicates_new.add(e["id"])
    next_id = max(old) + 1
    for k in range(5):  # only in the new system
        t = START + timedelta(seconds=rng.randrange(7200), milliseconds=rng.randrange(1000))
        new_rows.append({"id": next_id + k, "device_id": "dev-9000", "event_type": "motion", "value": None, "time": t})
        out.extra.add(next_id + k)
    # just outside the window: never counted
    outside = next_id + 10
    old_rows.append({"id": outside, "device_id": "dev-9001", "event_type": "battery", "value": 1.0,
                     "time": START - MS})
    new_rows.append({"id": outside, "device_id": "dev-9001", "event_type": "battery", "value": 2.0,
                     "time": START - MS})
    old_rows.append({"id": outside + 1, "device_id": "dev-9001", "event_type": "motion", "value": None,
                     "time": START - MS})
    new_rows.append({"id": outside + 2, "device_id": "dev-9001", "event_type": "motion", "value": None,
                     "time": WINDOW.end})
    out.old, out.new = old_rows, new_rows
    out.matched = len(base) - len(out.missing) - len(out.mismatched)
    return out


@pytest.fixture(scope="module")
def injected():
    return inject()


# how differing slices are narrowed before rows are fetched: not at all (few rows differ),
# listed per instant in one pass, or split by GROUP BY level by level
REFINE = {"fetched": {}, "listed": {"fetch_threshold": 1}, "grouped": {"fetch_threshold": 1, "list_rows": 0}}


@pytest.fixture(params=[(pair, refine) for pair in PAIRS for refine in REFINE],
                ids=lambda p: f"{p[0][0]}-{p[0][1]}-{p[1]}")
def scenario_schedule(request, injected, tmp_path):
    (old_kind, new_kind), refine = request.param
    old_url, new_url = server_url(request, old_kind, "scn_old"), server_url(request, new_kind, "scn_new")
    load_events(old_url, old_table("legacy_scn", decimal=True), injected.old, zone="America/Bogota", kind=old_kind)
    load_events(new_url, new_table("events_scn"), injected.new, kind=new_kind)
    return schedule(tmp_path, old_url, new_url, old_table="legacy_scn", new_table="events_scn",
                    old_timezone="America/Bogota", diff=REFINE[refine])


def test_the_scenario_injects_what_the_test_expects(injected):
    assert (len(injected.old), len(injected.new), injected.matched) == (2088, 2086, 2063)
    assert (len(injected.missing), len(injected.extra), len(injected.mismatched)) == (6, 5, 14)


def test_injected_differences_are_found_key_by_key(scenario_schedule, injected):
    result = compare(scenario_schedule, WINDOW)

    assert sample_keys(result, "missing_in_new") == injected.missing
    assert sample_keys(result, "extra_in_new") == injected.extra
    assert mismatched_columns(result) == injected.mismatched
    assert sample_keys(result, "duplicates_old") == injected.duplicates_old
    assert sample_keys(result, "duplicates_new") == injected.duplicates_new
    assert result.totals["matched"] == injected.matched
    assert result.totals["match_pct"] == round(2063 / (2063 + 14 + 6 + 5) * 100, 4) == 98.8027
    assert (result.totals["unverified"], result.truncated, result.status) == (0, False, "fail")
    # only the differing slices were fetched: a few rows around each difference
    assert 0 < result.totals["rows_fetched"]["old"] <= 120 and 0 < result.totals["rows_fetched"]["new"] <= 120
    # the hourly counts leave the rows just outside the window out
    assert [(h.old, h.new) for h in result.hours] == [
        (sum(1 for e in injected.old if START <= e["time"] < START + H),
         sum(1 for e in injected.new if START <= e["time"] < START + H)),
        (sum(1 for e in injected.old if START + H <= e["time"] < WINDOW.end),
         sum(1 for e in injected.new if START + H <= e["time"] < WINDOW.end)),
    ]
    assert sum(h.old for h in result.hours) == 2086 and sum(h.new for h in result.hours) == 2084


def test_samples_show_old_and_new_values_side_by_side(scenario_schedule, injected):
    result = compare(scenario_schedule, WINDOW)

    null_vs_zero = [s for s in result.samples["mismatched"]
                    if s["old"]["value"] is None and s["new"]["value"] == 0.0]
    zero_vs_null = [s for s in result.samples["mismatched"]
                    if s["old"]["value"] == 0.0 and s["new"]["value"] is None]
    assert (len(null_vs_zero), len(zero_vs_null)) == (3, 2)
    sample = null_vs_zero[0]
    original = next(e for e in injected.old if e["id"] == sample["key"]["event_id"])
    assert sample["old"] == {"event_id": original["id"], "time": original["time"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                             .replace("000Z", "Z"), "device_id": original["device_id"],
                             "event_type": original["event_type"], "value": None}
    assert sample["columns"] == ["value"]
