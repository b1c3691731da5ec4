"""The pure parts of verify: UTC days, runs of hours, totals added up as compare's."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from reconciler.verify.days import ceil_day, day_range, differences, equal_totals, floor_day, runs_of_hours, sum_totals

UTC = timezone.utc
H = timedelta(hours=1)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_days_are_utc_and_rounded_out():
    plus_two = timezone(timedelta(hours=2))
    assert floor_day(datetime(2026, 11, 21, 1, 30, tzinfo=plus_two)) == utc(2026, 11, 20)
    assert ceil_day(utc(2026, 11, 20, 0, 0, 0, 1)) == utc(2026, 11, 21)
    assert ceil_day(utc(2026, 11, 20)) == utc(2026, 11, 20)
    assert day_range(utc(2026, 11, 20), utc(2026, 11, 23)) == [utc(2026, 11, 20), utc(2026, 11, 21), utc(2026, 11, 22)]


def test_runs_of_hours_join_consecutive_hours():
    t = utc(2026, 11, 20)
    assert runs_of_hours([t + 5 * H, t, t + H, t + 7 * H, t + 6 * H]) == [(t, t + 2 * H), (t + 5 * H, t + 8 * H)]
    assert runs_of_hours([]) == []


def test_totals_add_up_with_compare_ratios():
    day1 = {"old": 100, "new": 97, "matched": 97, "missing_in_new": 3, "duplicates_old": 0}
    day2 = equal_totals(50)
    assert sum_totals([day1, day2]) == {
        "old": 150, "new": 147, "matched": 147, "mismatched": 0, "missing_in_new": 3, "extra_in_new": 0,
        "duplicates_old": 0, "duplicates_new": 0, "unverified": 0, "drift_pct": -2.0, "match_pct": 98.0}
    assert differences(sum_totals([day1, {"duplicates_new": 2, "mismatched": 1}])) == 6
    assert sum_totals([]) == {**equal_totals(0), "match_pct": 100.0, "drift_pct": 0.0}
