"""An old side storing naive America/New_York wall-clock times against a UTC new side,
across both DST changes of 2026. Spring-forward: nothing differs and nothing is fetched.
Fall-back: the wall hour 01:00-02:00 happens twice, and a naive value cannot say which
pass it belongs to. The new side's rows of the second pass are read one hour back, onto
the wall clock the old side wrote, so the pair of UTC hours is compared as one: equal
rows match without a fetch, and the old side's rows are shared between the two hours in
the new side's proportion. Before, every row of the second pass was "mismatched" by one
hour and both UTC hours failed (12/6 and 0/6), every year, for the whole gate period."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from rowdiff_fixtures import (
    LEGACY,
    NO_DIFFERENCES,
    H,
    compare,
    differences,
    load_events,
    new_table,
    old_table,
    sample_keys,
    schedule,
    server_url,
    utc,
)

from reconciler.checks.judgement import compare_dataset
from reconciler.config import load_config
from reconciler.demo.scenario import to_rows
from reconciler.repair import write_repair
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


def test_fall_back_pairs_the_repeated_hour_without_a_difference_or_a_fetch(dst_schedule):
    result = compare(dst_schedule, Window(FALL - 2 * H, FALL + 2 * H))

    assert differences(result) == NO_DIFFERENCES
    assert result.totals["matched"] == 24
    assert (result.totals["old"], result.totals["new"]) == (24, 24)  # the pair counted once
    assert result.totals["rows_fetched"] == {"old": 0, "new": 0}
    # each hour of the pair carries the pair's evidence: 12 rows a side, and says so
    assert [(h.hour, h.old, h.new, h.status) for h in result.hours] == \
        [(FALL - 2 * H, 6, 6, "pass"), (FALL - H, 12, 12, "pass"), (FALL, 12, 12, "pass"), (FALL + H, 6, 6, "pass")]
    assert result.hours[2].reason == (
        "drift 0.00 %, match 100 % (these numbers are those of 06:00 and 05:00 UTC together: a fall-back "
        "repeats that local hour, and a naive time cannot tell its two passes apart)")


@pytest.mark.parametrize("rows", [True, False], ids=["rows", "counts"])
def test_fall_back_hour_by_hour_each_pass_passes_on_its_own(dst_schedule, rows):
    loaded = load_config(dst_schedule)
    hours = [compare_dataset(loaded, "device_events", Window(t, t + H), rows=rows)
             for t in (FALL - H, FALL)]

    assert [(h.hours[0].old, h.hours[0].new, h.status) for h in hours] == [(12, 12, "pass"), (12, 12, "pass")]
    if rows:
        assert [(differences(h), h.totals["matched"]) for h in hours] == [(NO_DIFFERENCES, 12)] * 2


@pytest.fixture
def lost_in_the_second_pass(request, tmp_path):
    """Three of the second pass's six rows never reached new: the pair holds 12 old rows and
    9 new ones."""
    old_url = server_url(request, "postgresql", "dstm_old")
    new_url = server_url(request, "postgresql", "dstm_new")
    lost = [e for e in FALL_EVENTS if FALL <= e["time"] < FALL + H][:3]
    load_events(old_url, old_table("legacy_dstm"), FALL_EVENTS, zone="America/New_York")
    load_events(new_url, new_table("events_dstm"), [e for e in FALL_EVENTS if e not in lost])
    path = schedule(tmp_path, old_url, new_url, old_table="legacy_dstm", new_table="events_dstm",
                    old_timezone="America/New_York")
    return path, lost


def test_fall_back_rows_missing_in_the_second_pass_fail_both_hours_of_the_pair(lost_in_the_second_pass):
    """Which pass an old row belongs to is unknown, so the pair is judged as one: both hours
    carry its drift (−25 %) and its missing rows, counted once in the window's totals."""
    path, lost = lost_in_the_second_pass
    result = compare(path, Window(FALL - 2 * H, FALL + 2 * H))

    assert sample_keys(result, "missing_in_new") == {e["id"] for e in lost}
    assert {k: v for k, v in differences(result).items() if k != "missing_in_new"} == \
        {"mismatched": 0, "extra_in_new": 0, "duplicates_old": 0, "duplicates_new": 0}
    assert (result.totals["matched"], result.totals["old"], result.totals["new"]) == (21, 24, 21)
    assert [(h.hour, h.old, h.new, h.missing_in_new, h.status) for h in result.hours] == \
        [(FALL - 2 * H, 6, 6, 0, "pass"), (FALL - H, 12, 9, 3, "fail"), (FALL, 12, 9, 3, "fail"),
         (FALL + H, 6, 6, 0, "pass")]


@pytest.mark.parametrize("rows", [True, False], ids=["rows", "counts"])
def test_fall_back_rows_missing_fail_the_second_hour_asked_alone(lost_in_the_second_pass, rows):
    """The hourly job asks for one hour at a time: the second pass's hour alone still
    reports the pair, missing rows included (they used to vanish with the first hour)."""
    path, lost = lost_in_the_second_pass
    result = compare_dataset(load_config(path), "device_events", Window(FALL, FALL + H), rows=rows)

    assert (result.status, result.hours[0].old, result.hours[0].new) == ("fail", 12, 9)
    assert (result.totals["old"], result.totals["new"]) == (12, 9)
    if rows:
        assert sample_keys(result, "missing_in_new") == {e["id"] for e in lost}


def test_repair_does_not_guess_the_instant_of_a_row_a_fall_back_repeats(lost_in_the_second_pass, tmp_path):
    """old's naive 01:00-01:50 names both 05:xxZ and 06:xxZ. An INSERT at the first pass's
    instant (as old's time read as EDT gives) would put the rows an hour early, and the next
    comparison, which pairs the two hours, would call it repaired. They are listed instead."""
    path, lost = lost_in_the_second_pass
    loaded = load_config(path)
    result = write_repair(loaded, "device_events", Window(FALL - H, FALL + H), out_dir=tmp_path / "repairs",
                          command="reconciler repair", now=FALL + 3 * H)

    assert (len(result.plan.inserts), result.needed) == (0, True)
    assert [key for key, _, _ in result.plan.ambiguous] == [{"event_id": e["id"]} for e in lost]
    first = lost[0]["time"]
    assert any(line.startswith(
        f"not repaired: 3 missing rows at a local time a fall-back repeats: old's naive time names two UTC "
        f"instants, and which one is not known: event_id {lost[0]['id']} at "
        f"{(first - 5 * H).replace(tzinfo=None).isoformat(sep=' ')} America/New_York ({iso(first - H)} or {iso(first)})")
        for line in result.header), result.header
    assert "nothing to repair" not in " ".join(result.header)
    assert "3 rows missing in new: INSERTs with old's values for 0 (the other 3 are not repaired: see below)" in \
        result.header


GAP_IDS = (9001, 9002)


@pytest.fixture(params=["postgresql", "mariadb", "sqlite"])
def gap_schedule(request, tmp_path):
    """Two old rows written at wall times the spring-forward skips (02:10 and 02:40 EST on
    2026-03-08, which the clock never showed): read with the offset before the change, as
    zoneinfo and PostgreSQL read them, they are 07:10Z and 07:40Z, where new holds them."""
    old_url = server_url(request, request.param, "gap_old")
    new_url = server_url(request, "postgresql", "gap_new")
    gap = [{"id": i, "device_id": "dev-gap", "event_type": "temperature", "value": 1.5,
            "time": (SPRING - 5 * H).replace(tzinfo=None, minute=m)}  # naive 02:10, 02:40 EST
           for i, m in zip(GAP_IDS, (10, 40))]
    load_events(old_url, old_table("legacy_gap"), SPRING_EVENTS, zone="America/New_York")
    engine = sa.create_engine(old_url)
    with engine.begin() as conn:
        conn.execute(old_table("legacy_gap").insert(), to_rows(gap, LEGACY))
    engine.dispose()
    load_events(new_url, new_table("events_gap"), SPRING_EVENTS + [
        {**e, "time": SPRING + timedelta(minutes=10 if e["id"] == GAP_IDS[0] else 40)} for e in gap])
    return schedule(tmp_path, old_url, new_url, old_table="legacy_gap", new_table="events_gap",
                    old_timezone="America/New_York")


@pytest.mark.parametrize("rows", [True, False], ids=["rows", "counts"])
def test_rows_at_wall_times_a_spring_forward_skips_are_read_with_the_offset_before_it(gap_schedule, rows):
    """They used to be counted in the hour before the change and then left out of the row
    comparison: old 2 rows more than matched + missing, and the hour after short of 2."""
    whole = compare_dataset(load_config(gap_schedule), "device_events", Window(SPRING - 2 * H, SPRING + 3 * H),
                            rows=rows)
    assert [(h.hour, h.old, h.new) for h in whole.hours] == [
        (SPRING - 2 * H, 6, 6), (SPRING - H, 6, 6), (SPRING, 8, 8), (SPRING + H, 6, 6), (SPRING + 2 * H, 6, 6)]
    assert whole.status == "pass"
    if rows:
        assert (differences(whole), whole.totals["matched"], whole.totals["old"]) == (NO_DIFFERENCES, 32, 32)
    for hour in (SPRING - H, SPRING):
        alone = compare_dataset(load_config(gap_schedule), "device_events", Window(hour, hour + H), rows=rows)
        assert [(h.old, h.new) for h in alone.hours] == [(6, 6) if hour < SPRING else (8, 8)]
        if rows:
            assert (differences(alone), alone.totals["matched"]) == (NO_DIFFERENCES, alone.hours[0].old)


def test_a_changed_row_at_a_skipped_wall_time_is_fetched_and_named(gap_schedule):
    engine = sa.create_engine(load_config(gap_schedule).config.sources["new"].url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE events_gap SET value = 2.5 WHERE event_id = {GAP_IDS[1]}")
    engine.dispose()
    result = compare_dataset(load_config(gap_schedule), "device_events", Window(SPRING, SPRING + H), rows=True)
    assert (differences(result), result.totals["matched"]) == ({**NO_DIFFERENCES, "mismatched": 1}, 7)
    assert sample_keys(result, "mismatched") == {GAP_IDS[1]}
