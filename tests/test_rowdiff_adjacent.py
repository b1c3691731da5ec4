"""A natural key holding the time, where the old engine rounded the stored time to the
precision (MySQL's DATETIME(3) does) and the new one keeps microseconds: floored keys one
unit apart are paired, not reported missing + extra."""

from datetime import timedelta

from rowdiff_fixtures import NO_DIFFERENCES, compare, differences, load_events, new_table, old_table, schedule, utc

from reconciler.compare.rowdiff.classify import Row, pair_adjacent_times
from reconciler.compare.rowdiff.columns import ColumnSpec
from reconciler.config.models import ColumnConfig
from reconciler.timeutil import Window


def spec(name, ctype, is_key=False, is_time=False):
    return ColumnSpec(name, name, name, ctype, ctype, ctype, ColumnConfig(), is_key, is_time)


SPECS = [spec("device_id", "text", True), spec("time", "timestamp", True, True), spec("event_type", "text", True)]


def row(key):
    return Row(key, key, {}, None)


def test_keys_one_unit_apart_pair_and_further_ones_do_not():
    old = {k: row(k) for k in [("d1", 124, "t"), ("d2", 500, "t"), ("d3", 700, "t"), ("d4", 900, "t")]}
    new = {k: row(k) for k in [("d1", 123, "t"), ("d2", 502, "t"), ("d3", 701, "x"), ("d4", 901, "t"),
                               ("d4", 899, "t")]}
    assert pair_adjacent_times(old, new, SPECS) == [(("d1", 124, "t"), ("d1", 123, "t")),
                                                    (("d4", 900, "t"), ("d4", 901, "t"))]


def test_no_time_in_the_key_pairs_nothing():
    specs = [spec("event_id", "int", True), spec("time", "timestamp", is_time=True)]
    assert pair_adjacent_times({(1,): row((1,))}, {(2,): row((2,))}, specs) == []


def test_a_time_rounded_up_by_the_old_engine_still_matches_on_a_natural_key(tmp_path):
    start = utc(2026, 11, 27, 10)
    events = [{"id": i, "device_id": f"dev-{i % 3}", "event_type": "temperature", "value": float(i),
               "time": start + timedelta(seconds=i, microseconds=123_600)} for i in range(1, 41)]
    rounded = [dict(e, time=e["time"] + timedelta(microseconds=400)) for e in events]  # .1236 -> .124
    old_url, new_url = f"sqlite:///{tmp_path / 'old.db'}", f"sqlite:///{tmp_path / 'new.db'}"
    load_events(old_url, old_table("legacy_events"), rounded)
    load_events(new_url, new_table("device_events"), events)
    path = schedule(tmp_path, old_url, new_url, old_table="legacy_events", new_table="device_events",
                    key=(["device", "ts", "kind"], ["device_id", "time", "event_type"]), suite=False)
    result = compare(path, Window(start, start + timedelta(hours=1)))
    assert differences(result) == NO_DIFFERENCES
    assert result.totals["matched"] == 40
