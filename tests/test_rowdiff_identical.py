"""Identical data, different types on each side: zero differences, and nothing fetched
because the checksums of the two engines agree (one aggregate query per side)."""

from __future__ import annotations

import pytest
from rowdiff_fixtures import (
    NO_DIFFERENCES,
    H,
    compare,
    differences,
    events,
    load_events,
    new_table,
    old_table,
    schedule,
    server_url,
    utc,
)

from reconciler.compare.rowdiff.engine import RowDiff
from reconciler.compare.sides import open_sides, prepare_side
from reconciler.config import load_config
from reconciler.sources.connection import open_sources
from reconciler.timeutil import Window

START = utc(2026, 3, 8, 5)  # America/New_York springs forward at 07:00 UTC, inside the window
HOURS = 4
WINDOW = Window(START, START + HOURS * H)

# (old engine, old zone, new engine): the old side stores naive wall-clock times
PAIRS = [
    # DECIMAL(12,6) / DATETIME(3) / VARCHAR -> double precision / timestamptz / text
    ("mariadb", "America/New_York", "postgresql"),
    ("postgresql", "America/Bogota", "postgresql"),  # numeric(12,6) / timestamp(3) / varchar -> the same
    ("sqlite", "UTC", "sqlite"),
]


@pytest.fixture(scope="module")
def data():
    return events(START, HOURS, rate=0.4)


@pytest.fixture(params=PAIRS, ids=lambda p: f"{p[0]}-{p[2]}")
def identical(request, data, tmp_path):
    old_kind, zone, new_kind = request.param
    old_url, new_url = server_url(request, old_kind, "ident_old"), server_url(request, new_kind, "ident_new")
    load_events(old_url, old_table("legacy_ident", decimal=True), data, zone=zone)
    load_events(new_url, new_table("events_ident"), data)
    return schedule(tmp_path, old_url, new_url, old_table="legacy_ident", new_table="events_ident", old_timezone=zone)


def test_identical_data_with_different_types_has_no_differences_and_fetches_nothing(identical, data):
    result = compare(identical, WINDOW)

    assert differences(result) == NO_DIFFERENCES
    assert result.totals["matched"] == len(data) == 5778
    assert result.totals["match_pct"] == 100.0
    assert result.totals["unverified"] == 0
    assert result.totals["rows_fetched"] == {"old": 0, "new": 0}
    assert (result.status, result.truncated) == ("pass", False)
    assert [(h.hour, h.old, h.new) for h in result.hours] == \
        [(START + k * H, n, n) for k, n in enumerate((1393, 1454, 1475, 1456))]


def test_an_identical_window_costs_one_checksum_query_per_side_per_hour(identical, data):
    loaded = load_config(identical)
    ds = loaded.config.datasets["device_events"]
    sources = open_sources(loaded)
    sides = open_sides(loaded, "device_events", sources)
    try:
        with sources["old"].connect() as old, sources["new"].connect() as new:
            conns = {"old": old, "new": new}
            for name, side in sides.items():
                prepare_side(loaded, "device_events", side, conns[name])
            outcome = RowDiff(ds, sides, WINDOW).run(conns)
    finally:
        for s in sources.values():
            s.dispose()

    # the first pass runs an hour at a time (New York's DST change falls on an hour
    # boundary, so it cuts no hour in two)
    assert outcome.queries == 2 * HOURS == 8
    assert outcome.fetched == {"old": 0, "new": 0}
    assert (outcome.truncated, sum(outcome.unverified.values())) == (False, 0)
    assert "refine" not in outcome.timings
    assert outcome.tally.total("matched") == len(data)
