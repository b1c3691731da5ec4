"""The first pass reads each hour as one count and hash sum; only an hour that differs is
read again by time slice. The findings still get that hour's rows per minute on both
sides, exactly, and equal hours are counted and matched without their slices."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from rowdiff_fixtures import H, events, load_events, new_table, old_table, schedule, server_url, utc

from reconciler.compare.rowdiff.engine import RowDiff
from reconciler.compare.sides import open_sides, prepare_side
from reconciler.config import load_config
from reconciler.sources.connection import open_sources
from reconciler.timeutil import Window

START = utc(2026, 5, 4, 10)
HOURS = 3
WINDOW = Window(START, START + HOURS * H)
EPOCH_MINUTE = timedelta(minutes=1)


@pytest.fixture(scope="module")
def data():
    return events(START, HOURS, rate=0.4)


def _changed(data):
    """New side: 3 rows of the second hour lost, one value of it changed."""
    second = [e for e in data if START + H <= e["time"] < START + 2 * H]
    lost = {e["id"] for e in second[10:13]}
    changed = next(e for e in second[20:] if e["value"] is not None)
    new = [dict(e, value=e["value"] + 2.5) if e is changed else e for e in data if e["id"] not in lost]
    return new, lost, changed["id"]


def _minutes(rows, hour) -> Counter:
    first = int((hour - utc(1970, 1, 1)) / EPOCH_MINUTE)
    return Counter(first + int((e["time"] - hour) / EPOCH_MINUTE) for e in rows if hour <= e["time"] < hour + H)


@pytest.fixture(params=["sqlite", "postgresql"])
def outcome(request, data, tmp_path):
    kind = request.param
    old_url, new_url = server_url(request, kind, "hier_old"), server_url(request, kind, "hier_new")
    new, lost, changed = _changed(data)
    load_events(old_url, old_table("legacy_hier"), data)
    load_events(new_url, new_table("events_hier"), new)
    path = schedule(tmp_path, old_url, new_url, old_table="legacy_hier", new_table="events_hier")
    loaded = load_config(path)
    sources = open_sources(loaded)
    sides = open_sides(loaded, "device_events", sources)
    try:
        with sources["old"].connect() as old, sources["new"].connect() as new_conn:
            conns = {"old": old, "new": new_conn}
            for name, side in sides.items():
                prepare_side(loaded, "device_events", side, conns[name])
            result = RowDiff(loaded.config.datasets["device_events"], sides, WINDOW).run(conns)
            options = {name: dict(c.get_execution_options()) for name, c in conns.items()}
    finally:
        for s in sources.values():
            s.dispose()
    return result, new, lost, changed, options


def test_only_the_differing_hour_is_read_by_slice_and_its_minutes_are_exact(outcome, data):
    result, new, lost, changed, _ = outcome
    second = START + H
    per_hour_old = [sum(1 for e in data if START + k * H <= e["time"] < START + (k + 1) * H) for k in range(HOURS)]

    assert [result.hour_old[START + k * H] for k in range(HOURS)] == per_hour_old
    assert [result.hour_new[START + k * H] for k in range(HOURS)] == \
        [per_hour_old[0], per_hour_old[1] - 3, per_hour_old[2]]
    t = result.tally
    assert (t.total("missing_in_new"), t.total("mismatched"), t.total("extra_in_new")) == (3, 1, 0)
    assert {r.raw[0] for r in t.kept["missing_in_new"]} == lost
    assert [old.raw[0] for old, _, _ in t.kept["mismatched"]] == [changed]
    assert [t.matched[START + k * H] for k in range(HOURS)] == \
        [per_hour_old[0], per_hour_old[1] - 4, per_hour_old[2]]
    # rows per minute: exactly those of the differing hour, on each side; the equal hours were never sliced
    assert result.minute_old == _minutes(data, second)
    assert result.minute_new == _minutes(new, second)
    assert sum(result.minute_old.values()) == per_hour_old[1]


def test_equal_hours_cost_one_aggregate_each_side(outcome):
    result, *_ = outcome
    # per side: 3 hourly aggregates and 1 sliced pass of the second hour; its differing
    # 0.25 s slices hold one row each at 0.4 events/s, so they are fetched at once; then one
    # keyed look-up in new, outside the window, of the 3 lost rows' keys (a twin in another hour)
    assert result.queries == 2 * (HOURS + 1) + 1 == 9
    assert result.fetched == {"old": 4, "new": 1}
    assert "refine" not in result.timings


def test_fetching_streams_per_statement_and_leaves_the_connections_as_they_were(outcome):
    """A streamed fetch set on the connection itself would make every later checksum a
    PostgreSQL cursor, which plans without parallel workers: the hours after the first
    differing one cost twice as much."""
    *_, options = outcome
    assert options == {"old": {}, "new": {}}
