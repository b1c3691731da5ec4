"""Edges of the row diff: magnitudes where value / tolerance passes 2**53, a key repeated
on one side across fetch batches, and SQLite epoch-number time columns."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from rowdiff_fixtures import (
    MS,
    NO_DIFFERENCES,
    H,
    compare,
    differences,
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

START = utc(2026, 5, 4, 12)
WINDOW = Window(START, START + H)
PAIRS = [("mariadb", "postgresql"), ("postgresql", "postgresql"), ("sqlite", "sqlite")]


def event(i: int, value, t=None, kind: str = "temperature") -> dict:
    return {"id": i, "device_id": "dev-0001", "event_type": kind, "value": value,
            "time": t or START + i * 7 * MS + i * 1000 * MS}


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p[0]}-{p[1]}")
def test_large_values_that_differ_by_more_than_the_tolerance_are_never_merged(request, pair, tmp_path):
    """123456789012.345 / 0.000001 is beyond 2**53. PostgreSQL's float8 -> numeric cast keeps
    15 digits, so the checksum used to spell 123456789012.345 and 123456789012.3452 alike
    ('123456789012345000'): equal checksums, a difference 200 times the tolerance silently
    matched. Such values now keep their exact text in the checksum."""
    old = [event(1, 123456789012.345), event(2, 123456789012.345), event(3, 1e15), event(4, 2.5)]
    new = [event(1, 123456789012.3452), event(2, 123456789012.345), event(3, 1e15), event(4, 2.5000004)]
    old_url, new_url = server_url(request, pair[0], "big_old"), server_url(request, pair[1], "big_new")
    load_events(old_url, old_table("legacy_big"), old)
    load_events(new_url, new_table("events_big"), new)
    path = schedule(tmp_path, old_url, new_url, old_table="legacy_big", new_table="events_big")

    result = compare(path, WINDOW)

    assert mismatched_columns(result) == {1: ["value"]}
    assert result.totals["matched"] == 3


def test_a_key_repeated_across_fetch_batches_is_a_duplicate_not_lost(request, tmp_path):
    """Old has event 7 twice (at two times), new once at a third time; one-row batches put
    the three in separate fetches. The second old row is a duplicate; the first is paired
    with new's and differs in time. Before, the pooled row was overwritten and one old row
    vanished from every total."""
    t1, t2, t3 = START + 10 * 60_000 * MS, START + 20 * 60_000 * MS, START + 30 * 60_000 * MS
    common = [event(i, float(i)) for i in range(100, 110)]
    old = common + [event(7, 1.0, t1), event(7, 1.0, t2)]
    new = common + [event(7, 1.0, t3)]
    old_url, new_url = server_url(request, "sqlite", "rep_old"), server_url(request, "sqlite", "rep_new")
    load_events(old_url, old_table("legacy_rep"), old)
    load_events(new_url, new_table("events_rep"), new)
    path = schedule(tmp_path, old_url, new_url, old_table="legacy_rep", new_table="events_rep",
                    diff={"chunk_rows": 1, "fetch_threshold": 1})

    result = compare(path, WINDOW)

    assert sample_keys(result, "duplicates_old") == {7}
    assert mismatched_columns(result) == {7: ["time"]}
    assert {k: v for k, v in differences(result).items() if k not in ("duplicates_old", "mismatched")} == \
        {"missing_in_new": 0, "extra_in_new": 0, "duplicates_new": 0}
    assert result.totals["matched"] == 10
    assert result.totals["rows_fetched"] == {"old": 2, "new": 1}


def test_sqlite_epoch_seconds_against_iso_text_fetch_nothing(request, tmp_path):
    data = [event(i, round(i * 1.1, 3), START + i * 997 * MS) for i in range(1, 200)]
    old_url = server_url(request, "sqlite", "epoch_old")
    new_url = server_url(request, "sqlite", "epoch_new")
    engine = sa.create_engine(old_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS legacy_epoch")
        conn.exec_driver_sql("CREATE TABLE legacy_epoch (id INTEGER, device TEXT, kind TEXT, reading REAL, ts REAL)")
        conn.exec_driver_sql("INSERT INTO legacy_epoch VALUES (?, ?, ?, ?, ?)",
                             [(e["id"], e["device_id"], e["event_type"], e["value"], e["time"].timestamp())
                              for e in data])
    engine.dispose()
    load_events(new_url, new_table("events_epoch"), data)
    path = schedule(tmp_path, old_url, new_url, old_table="legacy_epoch", new_table="events_epoch")

    result = compare(path, WINDOW)

    assert differences(result) == NO_DIFFERENCES
    assert result.totals["matched"] == 199
    assert result.totals["rows_fetched"] == {"old": 0, "new": 0}


@pytest.mark.parametrize("refine", [{}, {"list_rows": 0, "slice_seconds": 1}], ids=["listed", "grouped"])
@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_differences_early_in_a_slice_survive_refinement(request, kind, refine, tmp_path):
    """Refinement splits a 1 s slice into finer groups. With 1000 // 16 = 62 ms groups, the
    group holding a slice's first milliseconds began in the previous slice and was clipped
    to the wrong segment (an empty range): those differences vanished. Widths now divide.
    `listed` reaches single instants in one pass; `grouped` splits level by level."""
    changed = [event(i, float(i), START + i * 1000 * MS * 37 + (i % 60) * MS) for i in range(1, 41)]
    steady = [event(i, float(i), START + (i - 1000) * 1000 * MS * 11 + 500 * MS) for i in range(1000, 1300)]
    old = changed + steady
    new = [dict(e, value=e["value"] + 1) for e in changed] + steady
    old_url, new_url = server_url(request, kind, "early_old"), server_url(request, kind, "early_new")
    load_events(old_url, old_table("legacy_early"), old)
    load_events(new_url, new_table("events_early"), new)
    path = schedule(tmp_path, old_url, new_url, old_table="legacy_early", new_table="events_early",
                    diff={"chunk_rows": 5, "fetch_threshold": 5, **refine})

    result = compare(path, WINDOW)

    assert mismatched_columns(result) == {e["id"]: ["value"] for e in changed}
    assert result.totals["matched"] == 300
    assert result.totals["rows_fetched"] == {"old": 40, "new": 40}


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p[0]}-{p[1]}")
def test_differences_before_1970_are_found(request, pair, tmp_path):
    """Integer division truncates toward zero on every engine: before 1970 a row's first-pass
    slice was one off from the range then read back, and its difference went unseen."""
    start = utc(1969, 12, 31, 23)
    rows = [event(i, float(i), start + timedelta(milliseconds=997 * i + 3)) for i in range(1, 3000)]
    changed = {17, 1234, 2999}
    old = rows
    new = [dict(e, value=e["value"] + 1) if e["id"] in changed else e for e in rows]
    old_url, new_url = server_url(request, pair[0], "pre70_old"), server_url(request, pair[1], "pre70_new")
    load_events(old_url, old_table("legacy_pre70"), old)
    load_events(new_url, new_table("events_pre70"), new)
    path = schedule(tmp_path, old_url, new_url, old_table="legacy_pre70", new_table="events_pre70",
                    diff={"fetch_threshold": 1})

    result = compare(path, Window(start, start + 2 * H))

    assert mismatched_columns(result) == {i: ["value"] for i in sorted(changed)}
    assert result.totals["matched"] == 2999 - 3


def test_json_documents_are_compared_parsed_not_as_text(request, tmp_path):
    """MariaDB keeps JSON as text in whatever spelling it was written; PostgreSQL's jsonb
    reads back as a document. Key order, spacing and 1.0 against 1 are the same document;
    only a different value is a difference."""
    old_url, new_url = server_url(request, "mariadb", "json_old"), server_url(request, "postgresql", "json_new")
    rows = [event(i, 1.0) for i in (1, 2, 3, 4)]
    load_events(old_url, old_table("legacy_json"), rows)
    load_events(new_url, new_table("events_json"), rows)
    old_docs = {1: '{"b":"x","a":1}', 2: '{"a": 1.0, "b": "x"}', 3: '{"a":2}', 4: '[1, {"k": null}]'}
    new_docs = {1: '{"a": 1, "b": "x"}', 2: '{"a":1,"b":"x"}', 3: '{"a":3}', 4: '[1,{"k":null}]'}
    old_engine, new_engine = sa.create_engine(old_url), sa.create_engine(new_url)
    try:
        with old_engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE legacy_json MODIFY reading LONGTEXT")
            for i, doc in old_docs.items():
                conn.execute(sa.text("UPDATE legacy_json SET reading = :d WHERE id = :i"), {"d": doc, "i": i})
        with new_engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE events_json ALTER COLUMN value TYPE jsonb USING '{}'::jsonb")
            for i, doc in new_docs.items():
                conn.execute(sa.text("UPDATE events_json SET value = CAST(:d AS jsonb) WHERE event_id = :i"),
                             {"d": doc, "i": i})
    finally:
        old_engine.dispose()
        new_engine.dispose()
    path = schedule(tmp_path, old_url, new_url, old_table="legacy_json", new_table="events_json",
                    value="{old: reading}")

    result = compare(path, WINDOW)

    assert mismatched_columns(result) == {3: ["value"]}
    assert result.totals["matched"] == 3


def test_a_mariadb_bit_column_reads_as_a_number():
    from reconciler.compare.rowdiff.columns import BOOL, INT, ColumnSpec
    from reconciler.compare.rowdiff.normalize import value_of
    from reconciler.config.models import ColumnConfig

    spec = ColumnSpec("flag", "flag", "flag", BOOL, INT, BOOL, ColumnConfig(), False, False)
    assert [value_of(raw, spec, None, "ms") for raw in (b"\x00", b"\x01", True, "t", 0)] == [0, 1, 1, 1, 0]


@pytest.mark.parametrize("suite", [True, False], ids=["suite", "built-in"])
def test_a_key_written_twice_in_new_fails_its_hour_and_says_so(request, tmp_path, suite):
    """Two of 1 000 events stored twice in new (a retried write): counts drift +0.2 % and
    match stays 100 % (a duplicate is not in match_pct's denominator), so before, the hour
    passed and only the totals knew. The same in old (a legacy table without a unique key)
    is told, not failed: the new system is right to hold each event once."""
    common = [event(i, float(i)) for i in range(1, 1001)]
    old = common + [event(500, 500.0)]
    new = common + [event(17, 17.0), event(18, 18.0)]
    old_url, new_url = server_url(request, "postgresql", "dup_old"), server_url(request, "postgresql", "dup_new")
    load_events(old_url, old_table("legacy_dup"), old)
    load_events(new_url, new_table("events_dup"), new)
    path = schedule(tmp_path, old_url, new_url, old_table="legacy_dup", new_table="events_dup", suite=suite)

    result = compare(path, WINDOW)

    assert (result.totals["duplicates_old"], result.totals["duplicates_new"], result.totals["match_pct"]) == (1, 2, 100.0)
    assert result.status == "fail"
    [hour] = result.hours
    assert (hour.status, hour.duplicates_old, hour.duplicates_new) == ("fail", 1, 2)
    assert hour.reason == "2 keys held twice in new (1 in old)"
    assert hour.to_dict()["duplicates_new"] == 2
    [check] = [c for c in result.checks if (c.details or {}).get("column") == "duplicates_new"]
    assert (check.status, check.reason) == ("fail", "2 keys held twice in new (1 in old)")


def test_a_key_twice_in_old_only_is_told_not_failed(request, tmp_path):
    common = [event(i, float(i)) for i in range(1, 1001)]
    old_url, new_url = server_url(request, "postgresql", "dupo_old"), server_url(request, "postgresql", "dupo_new")
    load_events(old_url, old_table("legacy_dupo"), common + [event(500, 500.0)])
    load_events(new_url, new_table("events_dupo"), common)
    path = schedule(tmp_path, old_url, new_url, old_table="legacy_dupo", new_table="events_dupo")

    result = compare(path, WINDOW)

    [hour] = result.hours
    assert (result.status, hour.status, hour.duplicates_old) == ("pass", "pass", 1)
    assert hour.reason == "drift −0.10 %, match 100 %, 1 key held twice in old"


@pytest.mark.parametrize("pair", [("postgresql", "postgresql"), ("mariadb", "postgresql")], ids=lambda p: f"{p[0]}-{p[1]}")
def test_a_row_rounded_across_an_hour_edge_is_paired_in_each_hourly_window(request, pair, tmp_path):
    """The old side's timestamp(3) rounds 12:59:59.9996 up to 13:00:00.000: the twins differ
    by less than the precision but sit in different hours. A comparison of both hours
    pairs them; hour by hour, each run used to see one as missing and the next as extra.
    Now a row within one unit of the window's edge is looked up beyond it: the pair is
    counted in the hour of its old row, and the other hour leaves it out."""
    base = utc(2026, 5, 4, 11)
    edges = {1: base + H - timedelta(microseconds=500), 2: base + 2 * H - timedelta(microseconds=400),
             3: base + 3 * H - timedelta(microseconds=300)}
    common = [event(i, float(i), base + h * H + timedelta(seconds=i % 3000 + 1))
              for h in range(3) for i in range(10 + 1000 * h, 1010 + 1000 * h)]
    data = common + [event(i, float(i), t) for i, t in edges.items()]
    old_url, new_url = server_url(request, pair[0], "edge_old"), server_url(request, pair[1], "edge_new")
    load_events(old_url, old_table("legacy_edge"), data)
    load_events(new_url, new_table("events_edge"), data)
    path = schedule(tmp_path, old_url, new_url, old_table="legacy_edge", new_table="events_edge", suite=False)

    hours = [compare(path, Window(base + h * H, base + (h + 1) * H)) for h in range(3)]

    rounds = pair[0] == "postgresql"  # MariaDB's DATETIME(3) truncates: no row crosses there
    assert [differences(r) for r in hours] == [NO_DIFFERENCES] * 3
    assert [r.totals["matched"] for r in hours] == ([1000, 1001, 1001] if rounds else [1001, 1001, 1001])
    assert [r.status for r in hours] == ["pass"] * 3
    whole = compare(path, Window(base, base + 3 * H))
    assert (differences(whole), whole.totals["matched"]) == (NO_DIFFERENCES, 3002 if rounds else 3003)


def test_repair_names_the_keys_held_twice_it_leaves_alone(request, tmp_path):
    from datetime import datetime, timezone

    from reconciler.config import load_config
    from reconciler.repair import write_repair

    common = [event(i, float(i)) for i in range(1, 101)]
    old_url, new_url = server_url(request, "postgresql", "dupr_old"), server_url(request, "postgresql", "dupr_new")
    load_events(old_url, old_table("legacy_dupr"), common)
    load_events(new_url, new_table("events_dupr"), common + [event(17, 17.0), event(18, 18.0)])
    path = schedule(tmp_path, old_url, new_url, old_table="legacy_dupr", new_table="events_dupr")

    result = write_repair(load_config(path), "device_events", WINDOW, out_dir=tmp_path / "repairs",
                          command="reconciler repair", now=datetime(2026, 5, 5, tzinfo=timezone.utc))

    assert result.header[-3:] == [
        "not repaired: 0 duplicate key(s) in old (the first row is used) and 2 in new (a DELETE by key would "
        "remove every copy)",
        "  held twice in new: event_id 17; event_id 18",
        "no statement to write: apart from the keys held twice, new equals old in this window"]
