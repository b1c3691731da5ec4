"""UTC windows, user-given times and the UTC <-> wall-clock mapping. Pure, no database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from reconciler.sources.timeaxis import AWARE, EPOCH, NAIVE, TEXT, TimeAxis, text_bound
from reconciler.timeutil import Window, floor_hour, hour_starts, iso, parse_time, previous_hour

UTC = timezone.utc
NOW = datetime(2026, 11, 27, 10, 37, 12, 500000, tzinfo=UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("text, expected", [
    ("2026-11-27T10:00Z", utc(2026, 11, 27, 10)),
    ("2026-11-27T10:00:00z", utc(2026, 11, 27, 10)),
    ("2026-11-27T10:00:00.123Z", utc(2026, 11, 27, 10, 0, 0, 123000)),
    ("2026-11-27T10:00:00+02:00", utc(2026, 11, 27, 8)),
    ("2026-11-27T05:00:00-05:00", utc(2026, 11, 27, 10)),
    ("2026-11-27T10:00", utc(2026, 11, 27, 10)),  # naive means UTC
    ("2026-11-27 10:00:00", utc(2026, 11, 27, 10)),
    ("2026-11-27", utc(2026, 11, 27)),
    ("now", NOW),
    ("NOW", NOW),
    ("now-24h", NOW - timedelta(hours=24)),
    ("now - 90m", NOW - timedelta(minutes=90)),
    ("now+1d", NOW + timedelta(days=1)),
    ("7d-ago", NOW - timedelta(days=7)),
    ("2w ago", NOW - timedelta(weeks=2)),
    ("today", utc(2026, 11, 27)),
    ("yesterday", utc(2026, 11, 26)),
    ("  2026-11-27T10:00Z  ", utc(2026, 11, 27, 10)),
])
def test_parse_time(text, expected):
    got = parse_time(text, NOW)
    assert got == expected
    assert got.tzinfo is not None and got.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["tomorrow-ish", "2026-13-01", "2026-11-27T25:00Z", "now-24x", "", "10h"])
def test_parse_time_rejects_garbage_with_the_accepted_forms(text):
    with pytest.raises(ValueError) as e:
        parse_time(text, NOW)
    assert str(e.value) == (
        f"cannot read {text!r} as a time: use ISO 8601 (2026-11-27T10:00Z), a date (2026-11-27), "
        "or a relative form (now-24h, 7d-ago, yesterday)"
    )


@pytest.mark.parametrize("text", ["0001-01-01", "0001-01-01T00:00+05:00", "9999-12-31T23:59:59-05:00",
                                  "9999-12-31", "1899-12-31T23:59Z", "3000-01-01", "now-999999999d",
                                  "now+99999999w", "999999999d-ago"])
def test_parse_time_refuses_times_too_close_to_the_limits_of_datetime(text):
    """No OverflowError, here or later when hours, days or an offset are added."""
    with pytest.raises(ValueError) as e:
        parse_time(text, NOW)
    assert str(e.value) == f"{text!r} is out of range: give a time from 1900 to 2999"


@pytest.mark.parametrize("text, expected", [("1900-01-01", utc(1900, 1, 1)),
                                            ("2999-12-31T23:59:59Z", utc(2999, 12, 31, 23, 59, 59))])
def test_parse_time_accepts_the_ends_of_its_range(text, expected):
    assert parse_time(text, NOW) == expected


def test_window_is_half_open_utc_and_rejects_end_not_after_start():
    w = Window(datetime(2026, 11, 27, 5, tzinfo=ZoneInfo("America/Bogota")), utc(2026, 11, 27, 12))
    assert w.start == utc(2026, 11, 27, 10) and w.start.tzinfo is UTC
    assert w.seconds == 7200
    with pytest.raises(ValueError) as e:
        Window(utc(2026, 11, 27, 11), utc(2026, 11, 27, 10))
    assert str(e.value) == "window end 2026-11-27T10:00:00Z is not after its start 2026-11-27T11:00:00Z"
    with pytest.raises(ValueError) as e:
        Window(utc(2026, 11, 27, 11), utc(2026, 11, 27, 11))
    assert str(e.value) == "window end 2026-11-27T11:00:00Z is not after its start 2026-11-27T11:00:00Z"
    with pytest.raises(ValueError) as e:
        Window(datetime(2026, 11, 27, 10), utc(2026, 11, 27, 11))
    assert str(e.value) == "Window bounds must be timezone-aware"


def test_window_hours_cover_partial_hours():
    w = Window(utc(2026, 11, 27, 10, 30), utc(2026, 11, 27, 12, 15))
    assert w.hours() == [utc(2026, 11, 27, 10), utc(2026, 11, 27, 11), utc(2026, 11, 27, 12)]
    assert [(p.start, p.end) for p in w.hour_windows()] == [
        (utc(2026, 11, 27, 10, 30), utc(2026, 11, 27, 11)),
        (utc(2026, 11, 27, 11), utc(2026, 11, 27, 12)),
        (utc(2026, 11, 27, 12), utc(2026, 11, 27, 12, 15)),
    ]
    assert Window(utc(2026, 11, 27, 10), utc(2026, 11, 27, 11)).hours() == [utc(2026, 11, 27, 10)]
    assert hour_starts(utc(2026, 11, 27, 10), utc(2026, 11, 27, 10, 0, 0, 1)) == [utc(2026, 11, 27, 10)]


def test_floor_hour_and_iso():
    assert floor_hour(utc(2026, 11, 27, 10, 59, 59, 999999)) == utc(2026, 11, 27, 10)
    assert iso(utc(2026, 11, 27, 10)) == "2026-11-27T10:00:00Z"
    assert iso(utc(2026, 11, 27, 10, 0, 0, 120000)) == "2026-11-27T10:00:00.12Z"
    assert iso(datetime(2026, 11, 27, 5, tzinfo=ZoneInfo("America/Bogota"))) == "2026-11-27T10:00:00Z"
    assert Window(utc(2026, 11, 27, 10), utc(2026, 11, 27, 11)).to_dict() == \
        {"start": "2026-11-27T10:00:00Z", "end": "2026-11-27T11:00:00Z"}


def test_previous_hour_respects_the_settle_delay():
    assert previous_hour(utc(2026, 11, 27, 10, 37)) == Window(utc(2026, 11, 27, 9), utc(2026, 11, 27, 10))
    assert previous_hour(utc(2026, 11, 27, 10, 5), timedelta(minutes=10)) == \
        Window(utc(2026, 11, 27, 8), utc(2026, 11, 27, 9))
    assert previous_hour(utc(2026, 11, 27, 10, 10), timedelta(minutes=10)) == \
        Window(utc(2026, 11, 27, 9), utc(2026, 11, 27, 10))


# ---------------------------------------------------------------- TimeAxis


def test_time_axis_from_sample():
    assert TimeAxis.from_sample(utc(2026, 1, 1), "America/Bogota").kind == AWARE
    assert TimeAxis.from_sample(datetime(2026, 1, 1), "America/Bogota").kind == NAIVE
    assert TimeAxis.from_sample(1767225600.5, "America/Bogota").kind == EPOCH
    text = TimeAxis.from_sample("2026-01-01T00:00:00.000", "UTC")
    assert (text.kind, text.text_sep) == (TEXT, "T")
    assert TimeAxis.from_sample("2026-01-01 00:00:00", "UTC").text_sep == " "
    assert TimeAxis.from_sample(None, "UTC").kind == NAIVE  # empty table: nothing to compare with


def test_bounds_compare_with_the_raw_column():
    t = utc(2026, 1, 15, 10, 0, 0, 500000)
    assert TimeAxis(AWARE, ZoneInfo("America/Bogota")).bound(t) == t
    assert TimeAxis(EPOCH, ZoneInfo("UTC")).bound(t) == 1768471200.5
    assert TimeAxis(NAIVE, ZoneInfo("America/Bogota")).bound(t) == datetime(2026, 1, 15, 5, 0, 0, 500000)
    assert TimeAxis(NAIVE, ZoneInfo("Asia/Kolkata")).bound(t) == datetime(2026, 1, 15, 15, 30, 0, 500000)
    assert TimeAxis(TEXT, ZoneInfo("America/Bogota")).bound(t) == "2026-01-15 05:00:00.5"
    assert TimeAxis(TEXT, ZoneInfo("UTC"), "T").bound(utc(2026, 1, 15, 10)) == "2026-01-15T10:00:00"


def test_text_bound_sorts_between_stored_texts_of_any_precision():
    bound = text_bound(datetime(2026, 1, 1, 10))
    assert bound == "2026-01-01 10:00:00"
    assert "2026-01-01 09:59:59.999" < bound <= "2026-01-01 10:00:00" < "2026-01-01 10:00:00.000"
    assert text_bound(datetime(2026, 1, 1, 10, 0, 0, 1000)) == "2026-01-01 10:00:00.001"


def test_wall_is_monotone_across_fall_back():
    """The repeated hour's second pass maps to the end of the repeated wall hour, so
    consecutive UTC windows never overlap on the wall clock."""
    axis = TimeAxis(NAIVE, ZoneInfo("America/New_York"))
    change = utc(2026, 11, 1, 6)  # 02:00 EDT -> 01:00 EST
    assert axis.wall(change - timedelta(hours=1)) == datetime(2026, 11, 1, 1)
    assert axis.wall(change - timedelta(microseconds=1)) == datetime(2026, 11, 1, 1, 59, 59, 999999)
    assert axis.wall(change) == datetime(2026, 11, 1, 2)
    assert axis.wall(change + timedelta(minutes=30)) == datetime(2026, 11, 1, 2)
    assert axis.wall(change + timedelta(hours=1)) == datetime(2026, 11, 1, 2)
    assert axis.wall(change + timedelta(hours=1, minutes=1)) == datetime(2026, 11, 1, 2, 1)
    instants = [change - timedelta(hours=2) + timedelta(minutes=m) for m in range(0, 240, 7)]
    walls = [axis.wall(i) for i in instants]
    assert walls == sorted(walls)


def test_wall_across_spring_forward_gives_the_skipped_hour_to_the_hour_after_the_change():
    """The change's own instant maps to the first skipped wall time: a value stored at 02:30
    (which the clock never showed) is in the UTC hour after the change, where zoneinfo, read
    with the offset before it, puts it, and in no hour twice."""
    axis = TimeAxis(NAIVE, ZoneInfo("Europe/Berlin"))
    change = utc(2026, 3, 29, 1)  # 02:00 CET -> 03:00 CEST
    assert axis.wall(change - timedelta(milliseconds=1)) == datetime(2026, 3, 29, 1, 59, 59, 999000)
    assert axis.wall(change) == datetime(2026, 3, 29, 2)
    assert axis.wall(change + timedelta(milliseconds=1)) == datetime(2026, 3, 29, 3, 0, 0, 1000)
    assert axis.to_utc(datetime(2026, 3, 29, 2, 30)) == change + timedelta(minutes=30)


def test_to_utc_reads_naive_values_in_the_declared_zone():
    axis = TimeAxis(NAIVE, ZoneInfo("America/Bogota"))
    assert axis.to_utc(datetime(2026, 1, 15, 5)) == utc(2026, 1, 15, 10)
    assert axis.to_utc(utc(2026, 1, 15, 10)) == utc(2026, 1, 15, 10)
    ny = TimeAxis(NAIVE, ZoneInfo("America/New_York"))
    assert ny.to_utc(datetime(2026, 11, 1, 1, 30)) == utc(2026, 11, 1, 5, 30)  # first pass


def test_bucket_seconds_are_quarter_hours_only_where_the_offset_is_not_whole_hours():
    start, end = utc(2026, 1, 15, 0), utc(2026, 1, 16, 0)
    assert TimeAxis(NAIVE, ZoneInfo("Asia/Kolkata")).bucket_seconds(start, end) == 900
    assert TimeAxis(NAIVE, ZoneInfo("Asia/Kathmandu")).bucket_seconds(start, end) == 900
    assert TimeAxis(NAIVE, ZoneInfo("America/Bogota")).bucket_seconds(start, end) == 3600
    assert TimeAxis(NAIVE, ZoneInfo("America/New_York")).bucket_seconds(start, end) == 3600
    assert TimeAxis(AWARE, ZoneInfo("Asia/Kolkata")).bucket_seconds(start, end) == 3600
