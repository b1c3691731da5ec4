"""Hourly counts on real engines: the same scenario on PostgreSQL, MariaDB, SQLite and
TimescaleDB as the old side (legacy schema, naive local times) against PostgreSQL or
TimescaleDB (timestamptz) as the new side, TimescaleDB tables being hypertables with 1-hour
chunks (`time_bucket` counts); hour boundaries; naive times in fixed, DST and half-hour
zones; empty hours."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from conftest import write_schedule
from timescale_fixtures import is_timescale, make_hypertable

from reconciler.checks.judgement import compare_dataset
from reconciler.compare.counts import count_by_hour
from reconciler.compare.drift import drift_pct
from reconciler.config import LoadedConfig, load_config
from reconciler.config.models import SideConfig, SourceConfig
from reconciler.demo.scenario import LEGACY, REFERENCE, demo_scenario, legacy_table, load, reference_table, to_rows
from reconciler.sources.connection import Source
from reconciler.sources.relation import SideRelation
from reconciler.timeutil import Window

UTC = timezone.utc
H = timedelta(hours=1)
MS = timedelta(milliseconds=1)

# America/New_York springs forward at 2026-03-08 07:00 UTC: the scenario crosses it.
START = datetime(2026, 3, 8, tzinfo=UTC)
HOURS = 16
WINDOW = Window(START, START + (HOURS + 1) * H)  # one more hour, empty on both sides

OLD_ENGINES = ["sqlite", "postgresql", "mariadb"]
# (old, new): every old engine against PostgreSQL, and TimescaleDB hypertables on either side
PAIRS = [(old, "postgresql") for old in OLD_ENGINES] + [("postgresql", "timescaledb"), ("timescaledb", "timescaledb")]


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


@pytest.fixture(scope="session")
def scenario():
    return demo_scenario(START, hours=HOURS, rate=0.05)


@pytest.fixture(scope="session")
def sqlite_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("sqlite_engines")


@pytest.fixture(scope="session")
def loaded_tables():
    """(url, table) pairs already loaded this session."""
    return set()


def engine_url(request, kind: str, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{request.getfixturevalue('sqlite_dir') / name}.db"
    if kind == "postgresql":
        return request.getfixturevalue("make_pg_database")(name)
    if kind == "mariadb":
        return request.getfixturevalue("make_mariadb_database")(name)
    if is_timescale(kind):
        return request.getfixturevalue("make_timescale_database")(name)
    raise AssertionError(kind)


def load_table(url: str, table: sa.Table, rows: list[dict], kind: str = "") -> None:
    """Rows into `table`; on TimescaleDB a hypertable with 1-hour chunks."""
    engine = sa.create_engine(url)
    try:
        if is_timescale(kind) and not sa.inspect(engine).has_table(table.name):
            table.metadata.create_all(engine, tables=[table])
            make_hypertable(engine, table.name, "ts" if "ts" in table.c else "time")
        load(engine, table, rows)
    finally:
        engine.dispose()


@pytest.fixture(params=PAIRS, ids="-".join)
def engine_pair(request):
    return request.param


@pytest.fixture
def old_url(request, engine_pair):
    return engine_url(request, engine_pair[0], "old")


@pytest.fixture
def new_url(request, engine_pair, scenario, loaded_tables):
    url = engine_url(request, engine_pair[1], "new")
    if (url, "device_events") not in loaded_tables:
        load_table(url, reference_table(sa.MetaData()), to_rows(scenario.new, REFERENCE), kind=engine_pair[1])
        loaded_tables.add((url, "device_events"))
    return url


def expected_hours(scenario) -> list[tuple]:
    """(hour, old, new, drift_pct, status) as the generator knows them."""
    old, new = scenario.counts("old"), scenario.counts("new")
    out = []
    for hour in WINDOW.hours():
        o, n = old[hour], new[hour]
        drift = 0.0 if o == n == 0 else (None if o == 0 else round((n - o) / o * 100, 4))
        failing = drift is None or abs(drift) > 1.0 or (o > 0 and n == 0)
        out.append((hour, o, n, drift, "fail" if failing else "pass"))
    return out


def test_the_scenario_has_the_faults_these_tests_rely_on(scenario):
    rows = {h: (o, n, d, s) for h, o, n, d, s in expected_hours(scenario)}
    assert rows[START + 6 * H] == (0, 177, None, "fail")  # old system outage
    assert rows[START + 14 * H] == (170, 165, -2.9412, "fail")  # new lost 3 %
    assert rows[START + 15 * H] == (207, 124, -40.0966, "fail")  # late events
    assert rows[START + 9 * H] == (179, 179, 0.0, "pass")  # 4 missing + 4 extra: counts equal
    assert rows[START + 16 * H] == (0, 0, 0.0, "pass")  # nothing on either side
    assert sum(o for o, *_ in rows.values()) == 2719
    assert sum(n for _, n, *_ in rows.values()) == 2808


@pytest.mark.parametrize("zone", ["America/Bogota", "America/New_York", "Asia/Kolkata"])
def test_same_scenario_gives_the_generators_counts_on_every_engine(request, engine_pair, old_url, new_url, scenario,
                                                                   loaded_tables, zone, tmp_path):
    table = f"legacy_{slug(zone)}"
    if (old_url, table) not in loaded_tables:
        load_table(old_url, legacy_table(sa.MetaData(), table), to_rows(scenario.old, LEGACY, zone=zone),
                   kind=engine_pair[0])
        loaded_tables.add((old_url, table))
    path = write_schedule(tmp_path, old_url, new_url, old_table=table, old_timezone=zone)

    result = compare_dataset(load_config(path), "device_events", WINDOW)

    got = [(h.hour, h.old, h.new, h.drift_pct, h.status) for h in result.hours]
    assert got == expected_hours(scenario)
    assert result.status == "fail"
    assert (result.totals["old"], result.totals["new"], result.totals["drift_pct"]) == (2719, 2808, 3.2733)
    by_check = {c.check: (c.status, c.violations) for c in result.checks}
    assert by_check["hourly_count_drift"] == ("fail", 2)  # the loss hour and the late hour
    assert by_check["drift_defined"] == ("fail", 1)  # the outage hour: old 0, new > 0
    assert by_check["new_has_rows"] == ("pass", 0)


# ---------------------------------------------------------------- small hand-made tables

STORAGES = ["sqlite", "postgresql", "mariadb", "postgresql-timestamptz", "timescaledb", "timescaledb-timestamptz"]


def count_side(request, storage: str, times_utc: list[datetime], zone: str, window: Window) -> dict:
    """Load events at `times_utc` into a fresh table (naive wall times in `zone` on the legacy
    schema, or timestamptz on the reference schema) and count them per UTC hour."""
    kind = storage.split("-")[0]
    url = engine_url(request, kind, "small")
    table_name = "t_" + slug(request.node.name)[-50:]
    events = [{"id": i, "device_id": "dev-1", "event_type": "motion", "value": None, "time": t}
              for i, t in enumerate(times_utc, 1)]
    if storage.endswith("timestamptz"):
        table, rows, time_col, key = reference_table(sa.MetaData(), table_name), to_rows(events, REFERENCE), \
            "time", "event_id"
        zone = "UTC"
    else:
        table, rows, time_col, key = legacy_table(sa.MetaData(), table_name), to_rows(events, LEGACY, zone=zone), \
            "ts", "id"
    load_table(url, table, rows, kind=kind)
    source = Source("old", SourceConfig(url=url))
    rel = SideRelation.build(SideConfig(source="old", table=table_name, time=time_col, key=[key], timezone=zone), [])
    try:
        with source.connect() as conn:
            axis = rel.probe_time(conn, zone)
            counts = count_by_hour(source, rel, axis, window, conn)
    finally:
        source.dispose()
    return {h.strftime("%H:%M"): n for h, n in sorted(counts.items())}


BOUNDARY_TIMES = [
    utc(2026, 1, 15, 9, 59, 59, 999000),
    utc(2026, 1, 15, 10, 0, 0, 0),
    utc(2026, 1, 15, 10, 29, 59, 999000),
    utc(2026, 1, 15, 10, 30, 0, 0),
    utc(2026, 1, 15, 10, 59, 59, 999000),
    utc(2026, 1, 15, 11, 0, 0, 0),
    utc(2026, 1, 15, 12, 14, 59, 999000),
    utc(2026, 1, 15, 12, 15, 0, 0),
    utc(2026, 1, 15, 13, 0, 0, 0),
]


NAIVE_STORAGE_ZONES = [(s, z) for s in ("sqlite", "postgresql", "mariadb", "timescaledb")
                       for z in ("UTC", "America/Bogota", "Asia/Kolkata")]


@pytest.mark.parametrize("storage, zone", NAIVE_STORAGE_ZONES + [("postgresql-timestamptz", "UTC"),
                                                                 ("timescaledb-timestamptz", "UTC")])
def test_hour_boundaries(request, storage, zone):
    whole = Window(utc(2026, 1, 15, 9), utc(2026, 1, 15, 14))
    assert count_side(request, storage, BOUNDARY_TIMES, zone, whole) == \
        {"09:00": 1, "10:00": 4, "11:00": 1, "12:00": 2, "13:00": 1}


@pytest.mark.parametrize("storage, zone", NAIVE_STORAGE_ZONES + [("postgresql-timestamptz", "UTC"),
                                                                 ("timescaledb-timestamptz", "UTC")])
def test_10_00_00_000_is_hour_10_and_09_59_59_999_is_hour_9(request, storage, zone):
    times = [utc(2026, 1, 15, 9, 59, 59, 999000), utc(2026, 1, 15, 10, 0, 0, 0), utc(2026, 1, 15, 10, 0, 0, 0)]
    window = Window(utc(2026, 1, 15, 9), utc(2026, 1, 15, 11))
    assert count_side(request, storage, times, zone, window) == {"09:00": 1, "10:00": 2}


@pytest.mark.parametrize("storage", STORAGES)
def test_rows_just_outside_the_window_are_not_counted(request, storage):
    # 09:59:59.999 and 11:00:00.000 are 1 ms outside [10:00, 11:00)
    window = Window(utc(2026, 1, 15, 10), utc(2026, 1, 15, 11))
    assert count_side(request, storage, BOUNDARY_TIMES, "America/Bogota", window) == {"10:00": 4}


@pytest.mark.parametrize("storage", STORAGES)
@pytest.mark.parametrize("zone", ["America/Bogota", "Asia/Kolkata"])
def test_window_not_starting_on_the_hour_counts_only_rows_inside(request, storage, zone):
    window = Window(utc(2026, 1, 15, 10, 30), utc(2026, 1, 15, 12, 15))
    # 10:30:00.000, 10:59:59.999 | 11:00:00.000 | 12:14:59.999 ; not 10:29:59.999 nor 12:15:00.000
    assert count_side(request, storage, BOUNDARY_TIMES, zone, window) == {"10:00": 2, "11:00": 1, "12:00": 1}


@pytest.mark.parametrize("column_type", ["REAL", "INTEGER"])
def test_sqlite_epoch_seconds_are_counted_in_utc(tmp_path, column_type):
    url = f"sqlite:///{tmp_path / 'epoch.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE ev (id INTEGER, t {column_type})")
        for i, t in enumerate(BOUNDARY_TIMES):
            conn.exec_driver_sql("INSERT INTO ev VALUES (?, ?)", (i, t.timestamp()))
    engine.dispose()
    source = Source("old", SourceConfig(url=url))
    rel = SideRelation.build(SideConfig(source="old", table="ev", time="t", key=["id"], timezone="America/Bogota"), [])
    window = Window(utc(2026, 1, 15, 10, 30), utc(2026, 1, 15, 12, 15))
    try:
        with source.connect() as conn:
            axis = rel.probe_time(conn, "America/Bogota")
            counts = count_by_hour(source, rel, axis, window, conn)
    finally:
        source.dispose()
    assert axis.kind == "epoch"  # epoch numbers are UTC whatever zone the side declares
    assert {h.hour: n for h, n in counts.items()} == {10: 2, 11: 1, 12: 1}


def every_10_minutes(start: datetime, hours: int) -> list[datetime]:
    return [start + timedelta(minutes=10 * i) for i in range(hours * 6)]


@pytest.mark.parametrize("storage", ["sqlite", "postgresql", "mariadb", "timescaledb"])
@pytest.mark.parametrize("zone, change", [("America/New_York", utc(2026, 3, 8, 7)),
                                          ("Europe/Berlin", utc(2026, 3, 29, 1))])
def test_naive_times_across_spring_forward_line_up_with_utc(request, storage, zone, change):
    times = every_10_minutes(change - 2 * H, 5)
    local = [t.astimezone(ZoneInfo(zone)) for t in (change - MS, change)]
    assert local[1].utcoffset() - local[0].utcoffset() == H  # the clock jumps forward here
    got = count_side(request, storage, times, zone, Window(change - 2 * H, change + 3 * H))
    hours = [(change + k * H).strftime("%H:%M") for k in range(-2, 3)]
    assert got == {h: 6 for h in hours}
    # a window inside the change, not on the hour
    got = count_side(request, storage, times, zone, Window(change - 25 * timedelta(minutes=1),
                                                           change + 25 * timedelta(minutes=1)))
    # [change - 25 min, change + 25 min): -20, -10 | 0, +10, +20 minutes
    assert got == {(change - H).strftime("%H:%M"): 2, change.strftime("%H:%M"): 3}


@pytest.mark.parametrize("storage", ["sqlite", "postgresql", "mariadb", "timescaledb"])
@pytest.mark.parametrize("zone, change", [("America/New_York", utc(2026, 11, 1, 6)),
                                          ("Europe/Berlin", utc(2026, 10, 25, 1))])
def test_naive_times_across_fall_back_are_attributed_to_the_first_pass(request, storage, zone, change):
    """The hour before `change` (UTC) and the hour after it have the same wall-clock times.
    Naive values cannot tell them apart, so every row of the repeated wall hour is counted
    in the first pass: that UTC hour gets both hours' rows, the second pass gets none. The
    total over a window covering both stays exact. This documents the limit; a side that
    needs exact counts there must store UTC or an offset."""
    times = every_10_minutes(change - 2 * H, 4)
    first, second = change - H, change
    assert first.astimezone(ZoneInfo(zone)).replace(tzinfo=None) == \
        second.astimezone(ZoneInfo(zone)).replace(tzinfo=None)  # same wall clock
    fmt = lambda t: t.strftime("%H:%M")  # noqa: E731
    whole = Window(change - 2 * H, change + 2 * H)
    assert count_side(request, storage, times, zone, whole) == \
        {fmt(change - 2 * H): 6, fmt(first): 12, fmt(change + H): 6}
    assert count_side(request, storage, times, zone, Window(first, second)) == {fmt(first): 12}
    assert count_side(request, storage, times, zone, Window(second, second + H)) == {}
    # half of each pass: wall [01:30, end of the repeated hour) holds 3 rows of each pass
    assert count_side(request, storage, times, zone, Window(first + H / 2, second + H / 2)) == {fmt(first): 6}


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Berlin"])
def test_fall_back_counts_on_the_timestamptz_side_are_exact(request, zone):
    change = {"America/New_York": utc(2026, 11, 1, 6), "Europe/Berlin": utc(2026, 10, 25, 1)}[zone]
    times = every_10_minutes(change - 2 * H, 4)
    got = count_side(request, "postgresql-timestamptz", times, "UTC", Window(change - 2 * H, change + 2 * H))
    assert got == {(change + k * H).strftime("%H:%M"): 6 for k in range(-2, 2)}


# ---------------------------------------------------------------- empty hours, end to end


def sqlite_pair(tmp_path, old_times: list[datetime], new_times: list[datetime], zone: str = "UTC"):
    def events(times):
        return [{"id": i, "device_id": "dev-1", "event_type": "motion", "value": 1.0, "time": t}
                for i, t in enumerate(times, 1)]

    old_url, new_url = f"sqlite:///{tmp_path / 'old.db'}", f"sqlite:///{tmp_path / 'new.db'}"
    load_table(old_url, legacy_table(sa.MetaData()), to_rows(events(old_times), LEGACY, zone=zone))
    load_table(new_url, reference_table(sa.MetaData()), to_rows(events(new_times), REFERENCE))
    return write_schedule(tmp_path, old_url, new_url, old_timezone=zone)


def test_empty_hours_and_an_hour_missing_on_one_side(tmp_path):
    t = utc(2026, 1, 15, 10, 5)
    old = [t, t + MS, t + 2 * MS, t + H, t + H + MS, t + 3 * H]
    new = [t, t + MS, t + 2 * MS, t + 2 * H, t + 3 * H]
    path = sqlite_pair(tmp_path, old, new, zone="America/Bogota")

    result = compare_dataset(load_config(path), "device_events", Window(utc(2026, 1, 15, 10), utc(2026, 1, 15, 15)))

    assert [(h.hour.hour, h.old, h.new, h.drift_pct, h.status) for h in result.hours] == [
        (10, 3, 3, 0.0, "pass"),
        (11, 2, 0, -100.0, "fail"),  # missing entirely in the new system
        (12, 0, 1, None, "fail"),  # missing entirely in the old system: drift undefined
        (13, 1, 1, 0.0, "pass"),
        (14, 0, 0, 0.0, "pass"),  # nothing on either side: no drift
    ]
    assert result.status == "fail"
    assert (result.totals["old"], result.totals["new"], result.totals["drift_pct"]) == (6, 5, -16.6667)


def test_both_sides_empty_passes_with_zero_drift(tmp_path):
    path = sqlite_pair(tmp_path, [utc(2026, 1, 15, 8)], [utc(2026, 1, 15, 8)])

    result = compare_dataset(load_config(path), "device_events", Window(utc(2026, 1, 15, 10), utc(2026, 1, 15, 12)))

    assert [(h.hour.hour, h.old, h.new, h.drift_pct, h.status) for h in result.hours] == \
        [(10, 0, 0, 0.0, "pass"), (11, 0, 0, 0.0, "pass")]
    assert (result.status, result.totals["old"], result.totals["new"], result.totals["drift_pct"]) == \
        ("pass", 0, 0, 0.0)


# ---------------------------------------------------------------- drift arithmetic


@pytest.mark.parametrize("old, new, expected", [
    (100, 100, 0.0),
    (100, 99, -1.0),
    (100, 101, 1.0),
    (3, 4, 33.3333),
    (3, 2, -33.3333),
    (7, 8, 14.2857),
    (6, 5, -16.6667),
    (720000, 719800, -0.0278),
    (1, 0, -100.0),
    (0, 0, 0.0),
    (0, 1, None),
    (0, 5000, None),
    (3, 9, 200.0),
])
def test_drift_pct_is_signed_and_rounded_to_four_places(old, new, expected):
    assert drift_pct(old, new) == expected


def test_drift_threshold_is_strictly_above_one_percent():
    from reconciler.compare.drift import drift_exceeds

    assert [drift_exceeds(d, 1.0) for d in (0.0, 1.0, -1.0, 1.0001, -1.0001, None)] == \
        [False, False, False, True, True, True]


def test_match_pct():
    from reconciler.compare.drift import match_pct

    assert match_pct(719500, 200, 300, 100) == 99.9167
    assert match_pct(0, 0, 0, 0) == 100.0
    assert match_pct(2, 1, 0, 0) == 66.6667


def test_the_datasets_sample_limit_bounds_the_verdicts_samples(tmp_path):
    t = utc(2026, 1, 15, 10, 5)
    path = sqlite_pair(tmp_path, [t, t + H, t + H + MS, t + 2 * H], [t, t + 2 * H, t + 2 * H + MS])
    loaded = load_config(path)
    ds = loaded.config.datasets["device_events"]
    one = ds.model_copy(update={"diff": ds.diff.model_copy(update={"sample_limit": 1})})
    loaded = LoadedConfig(loaded.config.model_copy(update={"datasets": {"device_events": one}}), loaded.path,
                          loaded.lines)

    result = compare_dataset(loaded, "device_events", Window(utc(2026, 1, 15, 10), utc(2026, 1, 15, 13)))

    drift = next(c for c in result.checks if c.check == "hourly_count_drift")
    assert (drift.status, drift.violations) == ("fail", 2)
    assert [(s["hour"], s["drift_pct"]) for s in drift.samples] == [("2026-01-15T11:00:00Z", -100.0)]
