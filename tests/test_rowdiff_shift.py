"""A row whose new twin lies in another hour (a time zone or DST shift): hours judged one by
one must pair it as a window holding both hours does, by a keyed look-up in the other hours,
at most 24 h away; the pair is counted in its old row's hour."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rowdiff_fixtures import (
    MS,
    H,
    compare,
    load_events,
    mismatched_columns,
    new_table,
    old_table,
    sample_keys,
    schedule,
    server_url,
    utc,
)

from reconciler.timeutil import Window

BASE = utc(2026, 11, 20, 14)  # the two hours judged: 14:00 and 15:00
KINDS = ("mismatched", "missing_in_new", "extra_in_new")


def event(i: int, t) -> dict:
    return {"id": i, "device_id": f"dev-{i % 7:04d}", "event_type": "temperature", "value": float(i), "time": t}


def at(hour: float, minute: float) -> object:
    return BASE + timedelta(hours=hour, minutes=minute) + 7 * MS


def scenario() -> tuple[list, list]:
    """(old, new): 100 equal rows an hour from 10:00 to 18:00 (and 20 h earlier), then:
    ids 1-4 of hour 14 held one hour later in new, 11-13 of hour 15 one hour earlier, 21-22 of
    hour 15 two hours later (beyond both hours), 31 of hour 14 23 h later (paired), 32 of hour
    14 25 h later (too far: missing, and extra in its own hour), 41-42 and 43 only in old, 51
    and 52 only in new, 61 only in old at 14:30 while both sides hold a row 61 20 h earlier (a
    key used again: that row is 61's twin, so 61 stays missing), 63 only in new at 15:40 while
    both hold 63 at 01:40 the next day."""
    common = [event(10_000 + 100 * h + i, at(h, i * 0.6)) for h in (-20, -4, -3, -2, -1, 0, 1, 2, 3, 11) for i in range(100)]
    old, new = list(common), list(common)
    for i in (1, 2, 3, 4):
        old.append(event(i, at(0, 10 * i)))
        new.append(event(i, at(1, 10 * i)))
    for i in (11, 12, 13):
        old.append(event(i, at(1, 5 * i - 50)))
        new.append(event(i, at(0, 5 * i - 50)))
    for i in (21, 22):
        old.append(event(i, at(1, i)))
        new.append(event(i, at(3, i)))
    old.append(event(31, at(0, 31)))
    new.append(event(31, at(23, 31)))
    old.append(event(32, at(0, 32)))
    new.append(event(32, at(25, 32)))
    old += [event(41, at(0, 41)), event(42, at(0, 42)), event(43, at(1, 43))]
    new += [event(51, at(0, 51)), event(52, at(1, 52))]
    old += [event(61, at(0, 30)), event(61, at(-20, 30))]
    new += [event(61, at(-20, 30))]
    old += [event(63, at(11, 40))]
    new += [event(63, at(1, 40)), event(63, at(11, 40))]
    return old, new


def per_hour(result) -> dict:
    return {h.hour: (h.old, h.new, h.mismatched, h.missing_in_new, h.extra_in_new) for h in result.hours}


PAIRS = [("mariadb", "postgresql", "UTC"), ("postgresql", "postgresql", "UTC"),
         ("mariadb", "timescaledb", "Europe/Madrid")]


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p[0]}-{p[1]}-{p[2].split('/')[-1]}")
def test_hours_judged_one_by_one_pair_a_shifted_row_as_one_window_does(request, pair, tmp_path):
    old_kind, new_kind, zone = pair
    old, new = scenario()
    old_url, new_url = server_url(request, old_kind, "shift_old"), server_url(request, new_kind, "shift_new")
    load_events(old_url, old_table("legacy_shift"), old, zone=None if zone == "UTC" else zone)
    load_events(new_url, new_table("events_shift"), new, kind=new_kind)
    path = schedule(tmp_path, old_url, new_url, old_table="legacy_shift", new_table="events_shift",
                    old_timezone=zone, suite=False)

    both = compare(path, Window(BASE, BASE + 2 * H))
    first, second = compare(path, Window(BASE, BASE + H)), compare(path, Window(BASE + H, BASE + 2 * H))

    expected = {  # (old, new, mismatched, missing, extra)
        BASE: (100 + 4 + 2 + 2 + 1, 100 + 3 + 1, 5, 4, 1),
        BASE + H: (100 + 3 + 2 + 1, 100 + 4 + 2, 5, 1, 2),
    }
    assert per_hour(both) == expected
    assert {**per_hour(first), **per_hour(second)} == expected
    assert [h.reason for h in both.hours] == [h.reason for h in (*first.hours, *second.hours)]
    assert (both.totals["matched"], first.totals["matched"], second.totals["matched"]) == (200, 100, 100)
    assert mismatched_columns(first) == {i: ["time"] for i in (1, 2, 3, 4, 31)}
    assert mismatched_columns(second) == {i: ["time"] for i in (11, 12, 13, 21, 22)}
    assert (sample_keys(first, "missing_in_new"), sample_keys(first, "extra_in_new")) == ({32, 41, 42, 61}, {51})
    assert (sample_keys(second, "missing_in_new"), sample_keys(second, "extra_in_new")) == ({43}, {52, 63})
    assert "not_looked_up" not in first.totals
    shifts = [f.text for f in first.findings if f.about == "mismatched" and "shifted" in f.text]
    assert "4 `time` shifted by +1\xa0h (a time zone)" in shifts, [f.text for f in first.findings]


@pytest.mark.parametrize("budget, expected", [(16, (9, 4, 13)), (20, (9, 1, 9))], ids=["none", "new-only"])
def test_a_window_whose_budget_is_spent_leaves_its_unpaired_rows_as_they_were(request, tmp_path, budget, expected):
    """Fetching the differing rows of hour 14 reads 13 old and 8 new rows. With 16 rows a
    side, neither look-up for twins in other hours fits: the 9 rows missing in new and the 4
    extra stay so, and the totals say 13 were not looked up. With 20, the 4 extra rows' look-up
    fits (3 are old rows of hour 15, moved: they leave this hour), the 9 missing ones' does not."""
    old, new = scenario()
    old_url, new_url = server_url(request, "postgresql", "shiftb_old"), server_url(request, "postgresql", "shiftb_new")
    load_events(old_url, old_table("legacy_shiftb"), old)
    load_events(new_url, new_table("events_shiftb"), new)
    path = schedule(tmp_path, old_url, new_url, old_table="legacy_shiftb", new_table="events_shiftb", suite=False,
                    diff={"max_rows_fetched": budget})

    first = compare(path, Window(BASE, BASE + H))

    [hour] = first.hours
    assert (hour.mismatched, hour.missing_in_new, hour.extra_in_new, first.totals["not_looked_up"]) == (0, *expected)
    assert (first.totals["unverified"], first.totals["matched"]) == (0, 100)


def test_the_look_up_is_keyed_and_bounded_in_time(request, tmp_path):
    """Every look-up names its keys and a time range on both sides of the window (never a
    scan): one statement for the 9 rows missing in new, one for the 4 extra, and one for the
    rivals of each side's twins."""
    import sqlalchemy as sa

    old, new = scenario()
    old_url, new_url = server_url(request, "postgresql", "shiftk_old"), server_url(request, "postgresql", "shiftk_new")
    load_events(old_url, old_table("legacy_shiftk"), old)
    load_events(new_url, new_table("events_shiftk"), new)
    path = schedule(tmp_path, old_url, new_url, old_table="legacy_shiftk", new_table="events_shiftk", suite=False)
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if " IN (" in statement:
            statements.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        first = compare(path, Window(BASE, BASE + H))
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)

    assert (first.hours[0].mismatched, first.hours[0].missing_in_new, first.hours[0].extra_in_new) == (5, 4, 1)
    lookups = [s for s in statements if "legacy_shiftk" in s or "events_shiftk" in s]
    assert len(lookups) == 4, lookups
    for s in lookups:
        key, column = ("id", "ts") if "legacy_shiftk" in s else ("event_id", "time")
        assert f"{key} IN (" in s and s.count(f"{column} >=") == 2 and s.count(f"{column} <") == 2, s
