"""The engine on real TimescaleDB hypertables (1-hour chunks): the window predicate prunes
chunks for counts, checksums, listings and fetches (every statement the engine sends is
captured and EXPLAINed with its own parameters: it plans exactly the chunks its time
ranges meet, and nothing outside the window), on both sides (naive wall-clock times on the
old side), uncompressed and with every chunk compressed; and compressed chunks give the
same counts and row diff as uncompressed ones."""

from __future__ import annotations

import random
from datetime import datetime

import pytest
import sqlalchemy as sa
from rowdiff_fixtures import MS, H, differences, events, load_events, new_table, old_table, schedule, server_url, utc
from timescale_fixtures import captured_statements, chunks, overlapping, planned_chunks

from reconciler.checks.judgement import compare_dataset
from reconciler.config import load_config
from reconciler.sources.connection import open_sources
from reconciler.timeutil import Window

START = utc(2026, 1, 15, 8)                 # data 08:00 - 14:00 UTC, 1-hour chunks
WINDOW = Window(START + 2 * H, START + 4 * H)  # [10:00, 12:00): two chunks per table
ZONE = "America/Bogota"                      # the old side's naive wall clock (UTC-5)
NEW_TABLES = {"uncompressed": "events_plain", "compressed": "events_packed"}


def inject(base: list[dict]) -> tuple[list[dict], dict]:
    """The new side: 3 rows deleted, 2 values changed, 1 extra row, all inside the window."""
    rng = random.Random(9)
    inside = [e for e in base if WINDOW.start <= e["time"] < WINDOW.end and e["value"] is not None]
    touched = rng.sample(inside, 5)
    new = {e["id"]: dict(e) for e in base}
    for e in touched[:3]:
        del new[e["id"]]
    for e in touched[3:]:
        new[e["id"]]["value"] = e["value"] + 1.0
    extra = {"id": max(new) + 1, "device_id": "dev-0001", "event_type": "motion", "value": None,
             "time": WINDOW.start + 30 * 60 * 1000 * MS}
    expected = {"missing_in_new": 3, "mismatched": 2, "extra_in_new": 1}
    return [*new.values(), extra], expected


@pytest.fixture(scope="module")
def hypertables(request):
    """One TimescaleDB database: the old side (legacy schema, naive Bogota times) and the
    same new side twice, uncompressed and compressed."""
    base = events(START, 6, rate=0.15, seed=21)
    new, expected = inject(base)
    url = server_url(request, "timescaledb", "engine")
    load_events(url, old_table("legacy_ts"), base, zone=ZONE, kind="timescaledb")
    load_events(url, new_table(NEW_TABLES["uncompressed"]), new, kind="timescaledb")
    load_events(url, new_table(NEW_TABLES["compressed"]), new, kind="timescaledb-compressed")
    in_window = [e for e in base if WINDOW.start <= e["time"] < WINDOW.end]
    return {"url": url, "expected": expected, "old_rows": len(in_window), "new_rows": len(in_window) - 3 + 1}


def config(tmp_path, url: str, new_table_name: str):
    path = schedule(tmp_path, url, url, old_table="legacy_ts", new_table=new_table_name, old_timezone=ZONE,
                    suite=False)
    return load_config(path)


def test_the_tables_are_hypertables_with_hourly_chunks_compressed_where_asked(hypertables):
    engine = sa.create_engine(hypertables["url"])
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT hypertable_name, count(*), count(*) FILTER (WHERE is_compressed), "
            "min(range_end - range_start), max(range_end - range_start) "
            "FROM timescaledb_information.chunks GROUP BY 1 ORDER BY 1").all()
    engine.dispose()
    hour = H
    assert [tuple(r) for r in rows] == [("events_packed", 6, 6, hour, hour), ("events_plain", 6, 0, hour, hour),
                                        ("legacy_ts", 6, 0, hour, hour)]


@pytest.mark.parametrize("storage", NEW_TABLES)
def test_compressed_chunks_give_the_same_counts_and_row_diff(tmp_path, hypertables, storage):
    expected = hypertables["expected"]
    rows = compare_dataset(config(tmp_path, hypertables["url"], NEW_TABLES[storage]), "device_events", WINDOW,
                           rows=True)
    counts = compare_dataset(config(tmp_path, hypertables["url"], NEW_TABLES[storage]), "device_events", WINDOW)

    assert differences(rows) == {**expected, "duplicates_old": 0, "duplicates_new": 0}
    assert (rows.totals["old"], rows.totals["new"]) == (hypertables["old_rows"], hypertables["new_rows"])
    assert rows.totals["matched"] == hypertables["old_rows"] - 3 - 2
    assert [(h.hour, h.old, h.new) for h in rows.hours] == [(h.hour, h.old, h.new) for h in counts.hours]
    assert sum(h.old for h in counts.hours) == hypertables["old_rows"]
    assert sum(h.new for h in counts.hours) == hypertables["new_rows"]
    assert (rows.status, rows.totals["unverified"], rows.truncated) == ("fail", 0, False)


def test_uncompressed_and_compressed_agree_key_by_key(tmp_path, hypertables):
    def keys(result):
        return {kind: sorted(s["key"]["event_id"] for s in result.samples[kind])
                for kind in ("missing_in_new", "extra_in_new", "mismatched")}

    plain, packed = (compare_dataset(config(tmp_path, hypertables["url"], NEW_TABLES[s]), "device_events", WINDOW,
                                     rows=True) for s in ("uncompressed", "compressed"))
    assert keys(plain) == keys(packed)
    assert [len(v) for v in keys(packed).values()] == [3, 1, 2]
    assert [h.to_dict() for h in plain.hours] == [h.to_dict() for h in packed.hours]


def window_ranges(parameters: dict) -> list[tuple[datetime, datetime]]:
    """The time ranges a statement's parameters bound: (w_start, w_end) of the counts, or
    (lo0, hi0), (lo1, hi1), ... of the row diff's segments."""
    pairs = [(parameters["w_start"], parameters["w_end"])] if "w_start" in parameters else []
    i = 0
    while f"lo{i}" in parameters:
        pairs.append((parameters[f"lo{i}"], parameters[f"hi{i}"]))
        i += 1
    return pairs


def kind_of(statement: str) -> str:
    """By what the statement selects: hourly buckets, (slice, count, hash sum), rows
    (c0, c1, ...), or one (instant, hash) per row."""
    text = " ".join(statement.split()).lower()
    if "time_bucket(" in text:
        return "counts"
    if "count(*) as n" in text:
        return "checksums"
    if " as c0" in text:
        return "look-up" if " in (" in text else "fetch"
    assert " as g" in text and " as h" in text, statement
    return "listing"


@pytest.mark.parametrize("storage", NEW_TABLES)
@pytest.mark.parametrize("refine", ["fetched", "listed"])
def test_every_windowed_statement_scans_only_the_chunks_of_its_ranges(tmp_path, hypertables, storage, refine):
    url = hypertables["url"]
    table = NEW_TABLES[storage]
    path = schedule(tmp_path, url, url, old_table="legacy_ts", new_table=table, old_timezone=ZONE, suite=False,
                    diff={"fetch_threshold": 1} if refine == "listed" else {})
    loaded = load_config(path)
    sources = open_sources(loaded)
    try:
        with captured_statements(sources["old"].engine, sources["new"].engine) as seen:
            compare_dataset(loaded, "device_events", WINDOW, sources=sources)
            result = compare_dataset(loaded, "device_events", WINDOW, rows=True, sources=sources)
    finally:
        for s in sources.values():
            s.dispose()
    assert differences(result)["missing_in_new"] == 3
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        chunk_ranges = {t: chunks(conn, t) for t in ("legacy_ts", table)}
    engine.dispose()
    # the window [10:00, 12:00) UTC is [05:00, 07:00) on the old side's Bogota wall clock
    window_chunks = {"legacy_ts": overlapping(chunk_ranges["legacy_ts"], [(datetime(2026, 1, 15, 5),
                                                                          datetime(2026, 1, 15, 7))]),
                     table: overlapping(chunk_ranges[table], [(WINDOW.start, WINDOW.end)])}
    assert [len(c) for c in window_chunks.values()] == [2, 2]

    planned: dict[tuple[str, str], set] = {}
    for statement, parameters in seen:
        ranges = window_ranges(parameters) if isinstance(parameters, dict) else []
        if not ranges:
            continue
        side = "legacy_ts" if "legacy_ts" in statement else table
        got = planned_chunks(url, statement, parameters)
        assert got == overlapping(chunk_ranges[side], ranges), (side, kind_of(statement), ranges)
        if kind_of(statement) == "look-up":  # a moved row's twin: keyed, within a day of the window
            continue
        assert got <= window_chunks[side]
        planned.setdefault((side, kind_of(statement)), set()).update(got)
    kinds = {"fetched": {"counts", "checksums", "fetch"}, "listed": {"counts", "checksums", "listing", "fetch"}}[refine]
    assert {k for _, k in planned} == kinds
    for side in window_chunks:
        # counts and checksums read the whole window, so each plans exactly the window's chunks
        assert planned[(side, "counts")] == planned[(side, "checksums")] == window_chunks[side]
        assert planned[(side, "fetch")] and planned[(side, "fetch")] <= window_chunks[side]


def test_a_timescaledb_source_is_detected_and_its_session_is_read_only_utc(hypertables):
    from reconciler.config.models import SourceConfig
    from reconciler.sources.connection import Source

    source = Source("new", SourceConfig(url=hypertables["url"]))
    try:
        with source.connect() as conn:
            version = conn.exec_driver_sql("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'").scalar()
            settings = conn.exec_driver_sql("SELECT current_setting('transaction_read_only'), "
                                            "current_setting('TimeZone')").one()
        assert (source.dialect.name, source.dialect.has_time_bucket) == ("timescaledb", True)
        assert source.dialect.version == version
        assert tuple(settings) == ("on", "UTC")
    finally:
        source.dispose()
