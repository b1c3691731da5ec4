"""An old side storing naive America/New_York wall-clock times against a UTC new side,
across both DST changes of 2026. Spring-forward: nothing differs and nothing is fetched.
Fall-back: the wall hour 01:00-02:00 happens twice, and a naive value cannot say which
pass it belongs to. Read as the first pass (EDT, as zoneinfo reads it), the rows of the
second pass come out one hour early: each is reported as mismatched in its `time` column
(old = new - 1 h), attributed to the first pass's UTC hour. That is the inherent ambiguity
and the only difference; a side that must be exact there has to store UTC or an offset."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rowdiff_fixtures import (
    NO_DIFFERENCES,
    H,
    compare,
    differences,
    load_events,
    mismatched_columns,
    new_table,
    old_table,
    schedule,
    server_url,
    utc,
)

from reconciler.timeutil import Window, iso

SPRING = utc(2026, 3, 8, 7)  # 02:00 EST -> 03:00 EDT
FALL = utc(2026, 11, 1, 6)  # 02:00 EDT -> 01:00 EST


def every_10_minutes(start, hours: int, first_id: int) -> list[dict]:
    return [{"id": first_id + i, "device_id": f"dev-{i % 7:04d}", "event_type": "temperature",
             "value": round(i * 0.37, 3), "time": start + timedelta(minutes=10 * i, milliseconds=i)}
            for i in range(hours * 6)]


SPRING_EVENTS = every_10_minutes(SPRING - 2 * H, 5, 1)
FALL_EVENTS = every_10_minutes(FALL - 2 * H, 4, 1000)


@pytest.fixture(params=["postgresql", "mariadb", "sqlite"])
def dst_schedule(request, tmp_path):
    old_url = server_url(request, request.param, "dst_old")
    new_url = server_url(request, "postgresql", "dst_new")
    data = SPRING_EVENTS + FALL_EVENTS
    load_events(old_url, old_table("legacy_dst"), data, zone="America/New_York")
    load_events(new_url, new_table("events_dst"), data)
    return schedule(tmp_path, old_url, new_url, old_table="legacy_dst", new_table="events_dst",
                    old_timezone="America/New_York")


def test_spring_forward_has_no_differences_and_fetches_nothing(dst_schedule):
    result = compare(dst_schedule, Window(SPRING - 2 * H, SPRING + 3 * H))

    assert differences(result) == NO_DIFFERENCES
    assert result.totals["matched"] == 30
    assert result.totals["rows_fetched"] == {"old": 0, "new": 0}
    assert [(h.old, h.new) for h in result.hours] == [(6, 6)] * 5


def test_fall_back_differs_only_by_the_second_pass_of_the_repeated_hour(dst_schedule):
    result = compare(dst_schedule, Window(FALL - 2 * H, FALL + 2 * H))

    second_pass = [e for e in FALL_EVENTS if FALL <= e["time"] < FALL + H]
    assert len(second_pass) == 6
    assert mismatched_columns(result) == {e["id"]: ["time"] for e in second_pass}
    shifted = {s["key"]["event_id"]: (s["old"]["time"], s["new"]["time"]) for s in result.samples["mismatched"]}
    assert shifted == {e["id"]: (iso(e["time"] - H), iso(e["time"])) for e in second_pass}
    assert {k: v for k, v in differences(result).items() if k != "mismatched"} == \
        {"missing_in_new": 0, "extra_in_new": 0, "duplicates_old": 0, "duplicates_new": 0}
    assert result.totals["matched"] == 18
    # hourly: the first pass's UTC hour holds both passes on the old side
    assert [(h.hour, h.old, h.new) for h in result.hours] == \
        [(FALL - 2 * H, 6, 6), (FALL - H, 12, 6), (FALL, 0, 6), (FALL + H, 6, 6)]
