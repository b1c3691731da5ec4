"""Keys and refinement: a composite natural key (device_id, time, event_type) at millisecond
precision, and one instant holding more rows than the split threshold (refined into key
partitions, never looping, never dropping a partition)."""

from __future__ import annotations

import random
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

from reconciler.timeutil import Window, iso

US = timedelta(microseconds=1)
PAIRS = [("mariadb", "postgresql"), ("postgresql", "postgresql"), ("sqlite", "sqlite")]
NATURAL = (["device", "ts", "kind"], ["device_id", "time", "event_type"])
KEY = ("device_id", "time", "event_type")


def natural_key(e: dict) -> tuple:
    t = e["time"]
    return e["device_id"], iso(t.replace(microsecond=t.microsecond // 1000 * 1000)), e["event_type"]


# ---------------------------------------------------------------- composite natural key

START = utc(2026, 2, 10, 8)
WINDOW = Window(START, START + H)


@pytest.fixture(scope="module")
def natural():
    rng = random.Random(21)
    seen, base = set(), []
    for e in events(START, 1, rate=0.5, seed=21):
        if natural_key(e) not in seen:  # the natural key is unique in the source data
            seen.add(natural_key(e))
            base.append(e)
    old = [dict(e) for e in base]
    new = {e["id"]: dict(e) for e in base}
    taken: set = set()
    expected = {"missing": set(), "extra": set(), "mismatched": {}, "duplicates_old": set()}
    for e in pick(rng, base, 4, taken):
        del new[e["id"]]
        expected["missing"].add(natural_key(e))
    for e in pick(rng, [e for e in base if e["value"] is not None], 3, taken):
        new[e["id"]]["value"] = e["value"] + 1
        expected["mismatched"][natural_key(e)] = ["value"]
    for e in pick(rng, base, 2, taken):  # time 1 ms later: keys one unit apart pair, the time differs
        new[e["id"]]["time"] = e["time"] + MS
        expected["mismatched"][natural_key(e)] = ["time"]
    for e in pick(rng, base, 3, taken):  # 0.4 ms later, inside the same millisecond: the same key
        new[e["id"]]["time"] = e["time"] + 400 * US
    for e in pick(rng, base, 2, taken):
        old.append(dict(e))
        expected["duplicates_old"].add(natural_key(e))
    extra = {"id": 10 ** 6, "device_id": "dev-0001", "event_type": "motion", "value": None,
             "time": START + timedelta(minutes=30, milliseconds=7)}
    expected["extra"].add(natural_key(extra))
    expected["matched"] = len(base) - 4 - 3 - 2
    return old, list(new.values()) + [extra], expected


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p[0]}-{p[1]}")
def test_composite_natural_key_with_millisecond_time(request, natural, pair, tmp_path):
    old_rows, new_rows, expected = natural
    old_url, new_url = server_url(request, pair[0], "nat_old"), server_url(request, pair[1], "nat_new")
    load_events(old_url, old_table("legacy_nat"), old_rows, zone="America/Bogota")
    load_events(new_url, new_table("events_nat"), new_rows)
    path = schedule(tmp_path, old_url, new_url, old_table="legacy_nat", new_table="events_nat",
                    old_timezone="America/Bogota", key=NATURAL)

    result = compare(path, WINDOW)

    assert sample_keys(result, "missing_in_new", *KEY) == expected["missing"]
    assert sample_keys(result, "extra_in_new", *KEY) == expected["extra"]
    assert mismatched_columns(result, *KEY) == expected["mismatched"]
    assert sample_keys(result, "duplicates_old", *KEY) == expected["duplicates_old"]
    assert result.totals["duplicates_new"] == 0
    assert result.totals["matched"] == expected["matched"] == 1824
    assert (result.totals["missing_in_new"], result.totals["extra_in_new"]) == (4, 1)


# ---------------------------------------------------------------- one crowded instant

BURST = utc(2026, 2, 10, 10, 20, 0, 123000)
BURST_WINDOW = Window(utc(2026, 2, 10, 10), utc(2026, 2, 10, 11))


@pytest.fixture(scope="module")
def burst():
    """300 events at one millisecond (a batch import) among ordinary traffic; differences
    both inside the instant and at 30 other instants."""
    rng = random.Random(8)
    background = events(BURST_WINDOW.start, 1, rate=0.2, seed=8)
    crowd = [{"id": 50_000 + i, "device_id": f"dev-{i % 40:04d}", "event_type": "temperature",
              "value": round(rng.uniform(-20, 80), 3), "time": BURST} for i in range(300)]
    base = background + crowd
    old = [dict(e) for e in base]
    new = {e["id"]: dict(e) for e in base}
    taken: set = set()
    expected = {"missing": set(), "extra": set(), "mismatched": set()}
    for e in pick(rng, crowd, 4, taken) + pick(rng, background, 2, taken):
        del new[e["id"]]
        expected["missing"].add(e["id"])
    for e in pick(rng, crowd, 3, taken) + pick(rng, [e for e in background if e["value"] is not None], 25, taken):
        new[e["id"]]["value"] = e["value"] + 2
        expected["mismatched"].add(e["id"])
    extra = [{"id": 90_000 + k, "device_id": "dev-0001", "event_type": "motion", "value": None, "time": BURST}
             for k in range(2)]
    expected["extra"] = {e["id"] for e in extra}
    expected["matched"] = len(base) - 6 - 28
    return old, list(new.values()) + extra, expected


@pytest.mark.parametrize("pair", [("postgresql", "postgresql"), ("sqlite", "sqlite")], ids=lambda p: p[0])
def test_an_instant_with_more_rows_than_the_split_threshold(request, burst, pair, tmp_path):
    old_rows, new_rows, expected = burst
    old_url, new_url = server_url(request, pair[0], "burst_old"), server_url(request, pair[1], "burst_new")
    load_events(old_url, old_table("legacy_burst"), old_rows)
    load_events(new_url, new_table("events_burst"), new_rows)
    path = schedule(tmp_path, old_url, new_url, old_table="legacy_burst", new_table="events_burst",
                    diff={"chunk_rows": 20, "fetch_threshold": 20})

    result = compare(path, BURST_WINDOW)

    assert sample_keys(result, "missing_in_new") == expected["missing"]
    assert sample_keys(result, "extra_in_new") == expected["extra"]
    assert set(mismatched_columns(result)) == expected["mismatched"]
    assert result.totals["matched"] == expected["matched"] == 996
    assert (result.totals["unverified"], result.truncated) == (0, False)
    # the instant was split by key: only its differing partitions were fetched, not its 300 rows
    assert result.totals["rows_fetched"]["old"] < 150 and result.totals["rows_fetched"]["new"] < 150
