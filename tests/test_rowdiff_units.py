"""The pure parts of the row diff: exact comparison, keys, classification, segment
arithmetic. No database."""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from reconciler.compare.rowdiff.classify import Row, Tally, match_rows, settle_unmatched, split_duplicates
from reconciler.compare.rowdiff.columns import (
    BOOL,
    DECIMAL,
    FLOAT,
    INT,
    TEXT,
    TIMESTAMP,
    ColumnSpec,
    comparison_type,
    native_type,
)
from reconciler.compare.rowdiff.normalize import epoch_us, equal, key_of, value_of
from reconciler.compare.rowdiff.segments import Segment, batches, from_units, merge_adjacent, offset_regions, to_units
from reconciler.config.models import ColumnConfig
from reconciler.dialects.sqlite_functions import HashSum, real_text, row_hash60
from reconciler.dialects.sqlite_functions import epoch_us as sqlite_epoch_us
from reconciler.sources.timeaxis import TimeAxis

UTC = timezone.utc
H = timedelta(hours=1)
NEW_YORK = TimeAxis("naive", ZoneInfo("America/New_York"))
UTC_AXIS = TimeAxis("aware", ZoneInfo("UTC"))


def spec(ctype: str, name: str = "v", **settings) -> ColumnSpec:
    return ColumnSpec(name, name, name, ctype, ctype, ctype, ColumnConfig(**settings))


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ---------------------------------------------------------------- normalize.equal


@pytest.mark.parametrize("a, b, settings, expected", [
    (1.0, 1.0, {}, True),
    (0.1 + 0.2, 0.3, {}, False),  # no tolerance: exact
    (0.1 + 0.2, 0.3, {"tolerance": 1e-9}, True),
    (10.0, 10.000001, {"tolerance": 0.000001}, True),  # exactly the tolerance apart (in decimal)
    (0.1, 0.100001, {"tolerance": 0.000001}, True),  # 1.0000000000287557e-06 apart in binary: still equal
    (10.0, 10.0000011, {"tolerance": 0.000001}, False),
    (-0.0, 0.0, {}, True),
    (-5e-7, 5e-7, {"tolerance": 1e-6}, True),
    (-5e-7, 5.1e-7, {"tolerance": 1e-6}, False),
    (100.0, 101.0, {"relative_tolerance": 0.01}, True),  # 1 <= 0.01 * 101
    (100.0, 101.5, {"relative_tolerance": 0.01}, False),
    (1e-12, 2e-12, {"relative_tolerance": 0.01}, False),
    (1e-12, 2e-12, {"relative_tolerance": 0.01, "tolerance": 1e-9}, True),  # either tolerance suffices
    (math.nan, math.nan, {}, True),
    (math.nan, 1.0, {"tolerance": 1e9}, False),
    (1.0, math.nan, {"relative_tolerance": 1.0}, False),
    (math.inf, math.inf, {}, True),
    (None, None, {}, True),
    (None, 0.0, {"tolerance": 1.0}, False),  # NULL equals only NULL, whatever the tolerance
    (0.0, None, {}, False),
])
def test_equal_floats(a, b, settings, expected):
    assert equal(a, b, spec(FLOAT, **settings), "ms") is expected


def test_equal_null_text_and_ints():
    assert equal(None, "", spec(TEXT), "ms") is False
    assert equal("", "", spec(TEXT), "ms") is True
    assert equal("a", "a ", spec(TEXT), "ms") is False
    assert equal(None, 0, spec(INT), "ms") is False
    assert equal(0, 0, spec(INT), "ms") is True


@pytest.mark.parametrize("precision, delta_us, expected", [
    ("ms", 0, True), ("ms", 999, True), ("ms", -999, True), ("ms", 1000, False), ("ms", -1000, False),
    ("s", 999_999, True), ("s", 1_000_000, False),
    ("us", 0, True), ("us", 1, False),
])
def test_equal_timestamps_within_one_precision_unit(precision, delta_us, expected):
    a = 1_835_438_400_123_456
    assert equal(a, a + delta_us, spec(TIMESTAMP), precision) is expected


def test_timestamp_tolerance_in_seconds_widens_the_precision():
    assert equal(0, 1_500_000, spec(TIMESTAMP, tolerance=1.5), "ms") is True
    assert equal(0, 1_500_001, spec(TIMESTAMP, tolerance=1.5), "ms") is False


# ---------------------------------------------------------------- value_of, key_of


def test_value_of_normalizes_every_driver_shape():
    ts = spec(TIMESTAMP)
    assert value_of(utc(2028, 2, 29, 12, 0, 0, 123999), ts, UTC_AXIS, "ms") == 1835438400123999
    assert value_of("2028-02-29 12:00:00.123999", ts, UTC_AXIS, "ms") == 1835438400123999
    assert value_of("2028-02-29T12:00:00.123999Z", ts, NEW_YORK, "ms") == 1835438400123999  # offset wins
    assert value_of(1835438400.123999, ts, UTC_AXIS, "ms") == 1835438400123999  # epoch seconds
    # naive wall-clock 07:00 in New York on 2028-02-29 (EST, -5) is 12:00 UTC
    assert value_of(datetime(2028, 2, 29, 7, 0, 0, 123999), ts, NEW_YORK, "ms") == 1835438400123999
    assert value_of(Decimal("12.345000"), spec(DECIMAL), None, "ms") == 12.345
    assert value_of("12.5", spec(FLOAT), None, "ms") == 12.5
    assert value_of(True, spec(BOOL), None, "ms") == 1
    assert value_of("t", spec(BOOL), None, "ms") == 1
    assert value_of(" 42 ", spec(INT), None, "ms") == 42
    assert value_of(b"caf\xc3\xa9", spec(TEXT), None, "ms") == "café"
    assert value_of("  Ñandú ", spec(TEXT, trim=True, casefold=True), None, "ms") == "ñandú"
    assert value_of(None, spec(TEXT), None, "ms") is None
    assert value_of("", spec(TEXT), None, "ms") == ""


def test_naive_times_in_a_repeated_hour_are_read_as_the_first_pass():
    first = value_of(datetime(2026, 11, 1, 1, 30), spec(TIMESTAMP), NEW_YORK, "ms")
    assert first == epoch_us(utc(2026, 11, 1, 5, 30), None)  # EDT, not the EST pass at 06:30 UTC


def test_key_of_floors_time_to_the_precision_and_unifies_numbers():
    specs = [spec(TEXT, "device"), spec(TIMESTAMP, "time"), spec(TEXT, "type")]
    t = utc(2026, 1, 15, 10, 0, 0, 123999)
    assert key_of(["d1", t, "motion"], specs, UTC_AXIS, "ms") == ("d1", 1768471200123, "motion")
    assert key_of(["d1", t, "motion"], specs, UTC_AXIS, "s") == ("d1", 1768471200, "motion")
    assert key_of(["d1", t, "motion"], specs, UTC_AXIS, "us") == ("d1", 1768471200123999, "motion")
    # engines that round or truncate sub-unit digits agree only below the unit
    assert key_of(["d1", t - timedelta(microseconds=999), "m"], specs, UTC_AXIS, "ms")[1] == 1768471200123
    assert key_of(["d1", t - timedelta(microseconds=1000), "m"], specs, UTC_AXIS, "ms")[1] == 1768471200122
    assert key_of([7.0, Decimal("7"), 7], [spec(FLOAT), spec(DECIMAL), spec(INT)], None, "ms") == (7, 7, 7)
    assert key_of([7.5], [spec(FLOAT)], None, "ms") == (7.5,)
    assert key_of([None, "", "0"], [spec(TEXT)] * 3, None, "ms") == (None, "", "0")


def test_comparison_types_of_the_two_sides():
    import sqlalchemy as sa

    assert native_type(sa.Numeric(12, 6)) == DECIMAL and native_type(sa.Numeric(12, 0)) == INT
    assert comparison_type(DECIMAL, FLOAT) == FLOAT
    assert comparison_type(INT, BOOL) == BOOL  # a side is boolean: a legacy TINYINT(1) holding 2 is true
    assert comparison_type(TIMESTAMP, TEXT) == TIMESTAMP
    assert comparison_type(TEXT, INT) == TEXT


# ---------------------------------------------------------------- classify

HOUR = utc(2026, 1, 15, 10)
SPECS = [spec(INT, "event_id"), spec(FLOAT, "value", tolerance=0.001), spec(TEXT, "event_type")]


def row(key: int, value, kind: str = "motion", hour=HOUR) -> Row:
    return Row((key,), (key, value, kind), {"event_id": key, "value": value, "event_type": kind}, hour)


def test_split_duplicates_keeps_the_first_row_and_counts_the_others():
    tally = Tally()
    rows = [row(1, 1.0), row(2, 2.0), row(1, 9.0), row(1, 1.0, hour=HOUR + H)]
    first = split_duplicates(rows, tally, "old", ["event_id"])
    assert {k: r.values for k, r in first.items()} == {(1,): (1, 1.0, "motion"), (2,): (2, 2.0, "motion")}
    assert tally.duplicates_old == Counter({HOUR: 1, HOUR + H: 1})
    assert [s["key"] for s in tally.samples["duplicates_old"]] == [{"event_id": 1}, {"event_id": 1}]
    assert tally.samples["duplicates_old"][0]["old"] == {"event_id": 1, "value": 9.0, "event_type": "motion"}
    assert tally.total("duplicates_new") == 0


def test_match_rows_classifies_and_returns_the_unmatched():
    tally = Tally()
    old = {(k,): r for k, r in [(1, row(1, 1.0)), (2, row(2, 2.0)), (3, row(3, None)), (4, row(4, 4.0)),
                                (5, row(5, 5.0, "door_open"))]}
    new = {(k,): r for k, r in [(1, row(1, 1.0005)), (2, row(2, 2.5)), (3, row(3, 0.0)), (6, row(6, 6.0)),
                                (5, row(5, 5.0, "door_close"))]}
    only_old, only_new = match_rows(old, new, SPECS, "ms", tally, ["event_id"])
    assert (list(only_old), list(only_new)) == ([(4,)], [(6,)])
    assert (tally.total("matched"), tally.total("mismatched")) == (1, 3)
    assert [(s["key"]["event_id"], s["columns"]) for s in tally.samples["mismatched"]] == \
        [(2, ["value"]), (3, ["value"]), (5, ["event_type"])]
    null_vs_zero = tally.samples["mismatched"][1]
    assert (null_vs_zero["old"]["value"], null_vs_zero["new"]["value"]) == (None, 0.0)


def test_settle_unmatched_counts_missing_and_extra_per_hour_and_bounds_samples():
    tally = Tally(sample_limit=2)
    only_old = {(k,): row(k, 1.0, hour=HOUR + (k % 2) * H) for k in range(1, 6)}
    only_new = {(9,): row(9, 1.0)}
    settle_unmatched(only_old, only_new, tally, ["event_id"])
    assert tally.missing_in_new == Counter({HOUR + H: 3, HOUR: 2})
    assert tally.extra_in_new == Counter({HOUR: 1})
    assert [s["key"] for s in tally.samples["missing_in_new"]] == [{"event_id": 1}, {"event_id": 2}]
    assert tally.samples["extra_in_new"] == [{"key": {"event_id": 9}, "new": {"event_id": 9, "value": 1.0,
                                                                              "event_type": "motion"}}]


# ---------------------------------------------------------------- segments


def test_units_round_trip_and_floor():
    t = utc(2028, 2, 29, 23, 59, 59, 999999)
    assert to_units(t, 1000) == 1835481599999
    assert to_units(t, 1) == 1835481599999999
    assert to_units(t, 1_000_000) == 1835481599
    assert from_units(1835481599999, 1000) == utc(2028, 2, 29, 23, 59, 59, 999000)
    assert from_units(to_units(t, 1), 1) == t
    assert to_units(utc(1969, 12, 31, 23, 59, 59, 999500), 1000) == -1  # floor, not truncation


def test_merge_adjacent_joins_touching_time_segments_only():
    segs = [Segment(10, 20), Segment(0, 10), Segment(25, 30), Segment(20, 21, 64, 3), Segment(30, 40)]
    assert merge_adjacent(segs) == [Segment(0, 20), Segment(20, 21, 64, 3), Segment(25, 40)]
    assert merge_adjacent([]) == []


def test_batches_group_consecutive_segments_up_to_the_limit():
    segs = [Segment(i, i + 1) for i in range(6)]
    sizes = dict(zip(segs, [3, 4, 10, 1, 1, 2]))
    assert batches(segs, sizes, 7) == [segs[0:2], segs[2:3], segs[3:6]]
    assert batches(segs, sizes, 100) == [segs]
    assert batches(segs, sizes, 1) == [[s] for s in segs]  # at least one segment each


def test_offset_regions_cut_at_every_dst_change():
    ny, berlin = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin")
    # New York springs forward at 07:00 UTC on 2026-03-08
    assert offset_regions(utc(2026, 3, 8, 5), utc(2026, 3, 8, 9), [ny]) == \
        [(utc(2026, 3, 8, 5), utc(2026, 3, 8, 7)), (utc(2026, 3, 8, 7), utc(2026, 3, 8, 9))]
    # falls back at 06:00 UTC on 2026-11-01; a window not on the hour
    assert offset_regions(utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 45), [ny]) == \
        [(utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6)), (utc(2026, 11, 1, 6), utc(2026, 11, 1, 6, 45))]
    # no change inside: one region; no zone: one region
    assert offset_regions(utc(2026, 1, 15, 0), utc(2026, 1, 16, 0), [ny]) == [(utc(2026, 1, 15), utc(2026, 1, 16))]
    assert offset_regions(utc(2026, 3, 8, 0), utc(2026, 3, 9, 0), []) == [(utc(2026, 3, 8), utc(2026, 3, 9))]
    # two zones, two changes (Berlin springs forward at 01:00 UTC on 2026-03-29)
    spring = offset_regions(utc(2026, 3, 8, 0), utc(2026, 3, 30, 0), [ny, berlin])
    assert [b for _, b in spring] == [utc(2026, 3, 8, 7), utc(2026, 3, 29, 1), utc(2026, 3, 30)]


def test_offset_regions_with_a_half_hour_change():
    lord_howe = ZoneInfo("Australia/Lord_Howe")  # +11 -> +10:30 at 15:00 UTC on 2026-04-04
    regions = offset_regions(utc(2026, 4, 4, 12), utc(2026, 4, 4, 18), [lord_howe])
    assert regions == [(utc(2026, 4, 4, 12), utc(2026, 4, 4, 15)), (utc(2026, 4, 4, 15), utc(2026, 4, 4, 18))]


# ---------------------------------------------------------------- SQLite's registered functions


def test_sqlite_functions_agree_with_the_python_side():
    import hashlib

    text = "V1:1V2:日本"
    assert row_hash60(text) == int(hashlib.md5(text.encode()).hexdigest()[:15], 16) < 2 ** 60
    total = HashSum()
    for v in (2 ** 60 - 1, 2 ** 60 - 1, None, 5):
        total.step(v)
    assert total.finalize() == str(2 * (2 ** 60 - 1) + 5)  # no 64-bit overflow
    assert sqlite_epoch_us("2028-02-29 12:00:00.123999") == 1835438400123999
    assert sqlite_epoch_us("2028-02-29T07:00:00.123999-05:00") == 1835438400123999
    assert [real_text(v) for v in (0.1 + 0.2, -0.0, 1e-7, 100.0, 1e15, 123456789012345.6, 1e-4, math.nan)] == \
        ["0.30000000000000004", "-0", "1e-07", "100", "1e+15", "123456789012345.6", "0.0001", "NaN"]


def _passes(start: datetime, end: datetime, snapshot: bool = False) -> list[tuple[datetime, datetime]]:
    from types import SimpleNamespace

    from reconciler.compare.rowdiff.engine import RowDiff

    return list(RowDiff._passes(SimpleNamespace(ds=SimpleNamespace(snapshot=snapshot)), start, end))


def test_the_first_pass_runs_an_hour_at_a_time_cut_on_whole_hours():
    t = datetime(2026, 1, 1, 0, 30, tzinfo=timezone.utc)
    h = timedelta(hours=1)
    assert _passes(t, t + 2 * h + 10 * timedelta(minutes=1)) == [
        (t, t + 30 * timedelta(minutes=1)), (t + 30 * timedelta(minutes=1), t + h + 30 * timedelta(minutes=1)),
        (t + h + 30 * timedelta(minutes=1), t + 2 * h + 10 * timedelta(minutes=1))]
    day = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert len(_passes(day, day + 24 * h)) == 24


def test_a_window_longer_than_a_week_runs_in_at_most_168_passes_of_whole_hours():
    day = datetime(2026, 1, 1, tzinfo=timezone.utc)
    passes = _passes(day, day + 10 * 24 * timedelta(hours=1))
    assert len(passes) == 120 and {hi - lo for lo, hi in passes} == {timedelta(hours=2)}
    assert len(_passes(day, day + 168 * timedelta(hours=1))) == 168
    assert len(_passes(day, day + 169 * timedelta(hours=1))) == 85


def test_a_snapshot_runs_in_one_pass_over_its_whole_history():
    day = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert _passes(day - timedelta(days=3650), day, snapshot=True) == [(day - timedelta(days=3650), day)]
