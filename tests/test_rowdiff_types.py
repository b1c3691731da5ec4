"""Column types whose equal values each engine spells differently: a legacy MariaDB table
against a TimescaleDB hypertable holding the same 400 events. Equal rows must agree in the
checksum (nothing fetched: at production rates a fetch of every row runs out of budget
and fails the hour), and a real difference must still be found.

- a timestamp with a `tolerance` (old DATETIME truncated to the second): hashed on the
  tolerance's grid;
- numbers with `tolerance` and `relative_tolerance`: hashed on the absolute tolerance's grid;
- `real` against DOUBLE: the float4 hashed as the driver reads it (its shortest text);
- TINYINT(1) holding 2 against boolean true: non-zero is true, in Python and in SQL;
- CHAR(36) uppercase against uuid: lowercase on both sides, keys included;
- JSON text against jsonb: no spelling both engines compute, told up front; PostgreSQL json
  against TimescaleDB jsonb: both hash the jsonb text."""

from __future__ import annotations

import json
import logging
import random
import struct
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from rowdiff_fixtures import NO_DIFFERENCES, H, differences, mismatched_columns, server_url, utc
from timescale_fixtures import make_hypertable

from reconciler.checks.judgement import compare_dataset
from reconciler.config import load_config
from reconciler.timeutil import Window

START = utc(2026, 11, 20, 10)
WINDOW = Window(START, START + H)
N = 400
CHANGED = 7  # the event every difference test changes on the new side


def events() -> list[dict]:
    rnd, rnd2 = random.Random(5), random.Random(6)
    out = []
    for i in range(1, N + 1):
        t = START + timedelta(milliseconds=rnd.randrange(3_600_000))
        out.append(dict(
            id=i, t=t, u=str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
            temp=round(rnd.uniform(-10, 40), 2), active=rnd.random() < 0.5,
            reading=i * 0.01,  # on the 0.001 grid; new adds 0.0003 (within the tolerance)
            payload={"b": rnd.randrange(100), "a": [1, 2, {"z": 1, "y": "é"}], "c": None},
            seen=t + timedelta(milliseconds=rnd.randrange(1000)),
            r2=round(rnd2.uniform(-50, 50), 7),  # more digits than a real holds
        ))
    return out


def old_rows(data: list[dict]) -> list[dict]:
    """The legacy writer's spellings: every third uuid uppercase, 2 for some true flags, JSON
    text with its own key order and spacing, seen_at truncated to the second."""
    return [dict(id=e["id"], ts=e["t"].replace(tzinfo=None), uuid=e["u"].upper() if e["id"] % 3 == 0 else e["u"],
                 temp=e["temp"], active=(2 if e["id"] % 5 == 0 else 1) if e["active"] else 0,
                 reading=e["reading"], payload=json.dumps(e["payload"], ensure_ascii=e["id"] % 2 == 0),
                 seen_at=e["seen"].replace(tzinfo=None, microsecond=0), r2=e["r2"])
            for e in data]


def new_rows(data: list[dict], change: dict | None = None) -> list[dict]:
    rows = [dict(time=e["t"], event_id=e["id"], uuid=e["u"], temp=e["temp"], active=e["active"],
                 reading=e["reading"] + 0.0003, payload=e["payload"], seen_at=e["seen"], r2=e["r2"]) for e in data]
    for column, value in (change or {}).items():
        rows[CHANGED - 1][column] = value(rows[CHANGED - 1][column])
    return rows


OLD_TABLE = ("CREATE TABLE legacy_types (id BIGINT PRIMARY KEY, ts DATETIME(3) NOT NULL, uuid CHAR(36) NOT NULL, "
             "temp DOUBLE, active TINYINT(1), reading DOUBLE, payload LONGTEXT, seen_at DATETIME, r2 DOUBLE, "
             "KEY (ts)) "
             "DEFAULT CHARSET=utf8mb4")
NEW_TABLE = ("CREATE TABLE {name} (time timestamptz NOT NULL, event_id bigint NOT NULL, uuid uuid, temp real, "
             "active boolean, reading double precision, payload {json}, seen_at timestamptz(3), r2 real)")


def load(url: str, create: str, table: str, rows: list[dict], hypertable: bool = False) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
            conn.exec_driver_sql(create)
        if hypertable:
            make_hypertable(engine, table, "time")
        columns = list(rows[0])
        stmt = sa.text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})")
        if isinstance(rows[0].get("payload"), dict):  # a document for the new side's jsonb
            stmt = stmt.bindparams(sa.bindparam("payload", type_=sa.JSON))
        with engine.begin() as conn:
            conn.execute(stmt, rows)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def data():
    return events()


@pytest.fixture(scope="module")
def old_url(request, data):
    url = server_url(request, "mariadb", "types_old")
    load(url, OLD_TABLE, "legacy_types", old_rows(data))
    return url


@pytest.fixture(scope="module")
def new_url(request):
    return server_url(request, "timescaledb", "types_new")


def new_table(new_url: str, data: list[dict], name: str, change: dict | None = None, json_type: str = "jsonb") -> str:
    load(new_url, NEW_TABLE.format(name=name, json=json_type), name, new_rows(data, change), hypertable=True)
    return name


def compare(tmp_path, old_url, new_url, new_table_name: str, columns: str, key: str = "id", new_key: str = "event_id",
            old_table: str = "legacy_types", old_time: str = "ts"):
    path = tmp_path / "schedule.yaml"
    path.write_text(
        "sources:\n"
        f"  old: {{url: \"{old_url}\"}}\n"
        f"  new: {{url: \"{new_url}\"}}\n"
        "datasets:\n"
        "  device_events:\n"
        f"    old: {{source: old, table: {old_table}, time: {old_time}, key: [{key}]}}\n"
        f"    new: {{source: new, table: {new_table_name}, time: time, key: [{new_key}]}}\n"
        f"    columns: {{{columns}}}\n"
        "    time_precision: ms\n"
        "    diff: {sample_limit: 1000}\n")
    return compare_dataset(load_config(path), "device_events", WINDOW, rows=True)


def fetched(result) -> tuple:
    return result.totals["rows_fetched"].get("old", 0), result.totals["rows_fetched"].get("new", 0)


@pytest.fixture(scope="module")
def same(new_url, data):
    """The new table holding the very events of the old one."""
    return new_table(new_url, data, "types_same")


# ------------------------------------------------------------------ tolerance grid


def test_a_timestamp_within_its_tolerance_is_settled_by_the_checksum(tmp_path, old_url, new_url, same):
    """Before: all 400 rows fetched (the exact epoch was hashed whatever the tolerance)."""
    result = compare(tmp_path, old_url, new_url, same, "seen_at: {tolerance: 1}")

    assert differences(result) == NO_DIFFERENCES
    assert result.totals["matched"] == N
    assert fetched(result) == (0, 0)


def test_a_timestamp_beyond_its_tolerance_is_still_found(tmp_path, old_url, new_url, data):
    """1.5 s later than the old second is beyond the tolerance of 1 s; exactly 1 s later is
    within it but in the next grid cell: fetched, and judged equal in Python."""
    table = new_table(new_url, data, "types_seen", change={"seen_at": lambda v: v.replace(microsecond=0)
                                                            + timedelta(milliseconds=1500)})
    result = compare(tmp_path, old_url, new_url, table, "seen_at: {tolerance: 1}")
    assert mismatched_columns(result) == {CHANGED: ["seen_at"]}
    assert fetched(result) == (1, 1)

    table = new_table(new_url, data, "types_seen", change={"seen_at": lambda v: v.replace(microsecond=0)
                                                            + timedelta(seconds=1)})
    result = compare(tmp_path, old_url, new_url, table, "seen_at: {tolerance: 1}")
    assert differences(result) == NO_DIFFERENCES
    assert fetched(result) == (1, 1)


def test_numbers_with_an_absolute_and_a_relative_tolerance_are_hashed_on_the_grid(tmp_path, old_url, new_url, same):
    """reading + 0.0003 with tolerance 0.001: before, a relative_tolerance beside the absolute
    one turned the grid off and all 400 rows were fetched."""
    result = compare(tmp_path, old_url, new_url, same,
                     "reading: {tolerance: 0.001, relative_tolerance: 0.000001}")

    assert differences(result) == NO_DIFFERENCES
    assert fetched(result) == (0, 0)


def test_a_number_beyond_its_tolerance_is_still_found(tmp_path, old_url, new_url, data):
    table = new_table(new_url, data, "types_reading", change={"reading": lambda v: v + 0.0012})
    result = compare(tmp_path, old_url, new_url, table, "reading: {tolerance: 0.001, relative_tolerance: 0.000001}")

    assert mismatched_columns(result) == {CHANGED: ["reading"]}
    assert fetched(result) == (1, 1)


# ------------------------------------------------------------------ real against double


def test_a_real_equal_to_its_double_is_settled_by_the_checksum(tmp_path, old_url, new_url, same):
    """Before: 388 of 400 fetched, the real widened to float8 (-5.289999961853027) against the
    double -5.29, while the driver reads the real as '-5.29' and Python finds them equal."""
    result = compare(tmp_path, old_url, new_url, same, "temp: {}")

    assert differences(result) == NO_DIFFERENCES
    assert fetched(result) == (0, 0)


def test_a_real_that_differs_from_its_double_is_still_found(tmp_path, old_url, new_url, data):
    table = new_table(new_url, data, "types_temp", change={"temp": lambda v: v + 0.01})
    result = compare(tmp_path, old_url, new_url, table, "temp: {}")

    assert mismatched_columns(result) == {CHANGED: ["temp"]}
    assert fetched(result) == (1, 1)


def test_a_real_within_a_relative_tolerance_of_its_double_is_settled_by_the_checksum(tmp_path, old_url, new_url,
                                                                                     same):
    """r2 holds 7 decimals in old's DOUBLE, a real's rounding of them in new, with
    relative_tolerance 1e-6: every row is equal for Python, none was settled by the checksum
    (before: all 400 fetched, the exact texts differing). Both sides now hash the value
    rounded to float4."""
    result = compare(tmp_path, old_url, new_url, same, "r2: {relative_tolerance: 0.000001}")

    assert differences(result) == NO_DIFFERENCES
    assert fetched(result) == (0, 0)


def test_a_real_beyond_its_relative_tolerance_is_still_found(tmp_path, old_url, new_url, data):
    table = new_table(new_url, data, "types_r2", change={"r2": lambda v: v * (1 + 3e-6)})
    result = compare(tmp_path, old_url, new_url, table, "r2: {relative_tolerance: 0.000001}")

    assert mismatched_columns(result) == {CHANGED: ["r2"]}
    assert fetched(result) == (1, 1)


def test_a_relative_tolerance_finer_than_a_real_keeps_the_exact_text(tmp_path, old_url, new_url, same):
    """1e-7 is below two float4 roundings (2**-22): rounding both sides to float4 could merge
    values Python tells apart, so the exact texts are hashed and the rows judged in Python."""
    result = compare(tmp_path, old_url, new_url, same, "r2: {relative_tolerance: 0.0000001}")

    assert fetched(result)[0] > 300
    assert result.totals["matched"] + result.totals["mismatched"] == N


@pytest.mark.parametrize("setting", ["{}", "{relative_tolerance: 0.000001}"])
def test_a_mariadb_float_is_hashed_as_pymysql_reads_it(tmp_path, old_url, new_url, data, setting):
    """MariaDB FLOAT (single precision) against double precision. PyMySQL reads a FLOAT as
    the server writes it, 6 significant digits: 123456.7 reads as 123457, which Python
    rightly finds unequal to the double 123456.7 (beyond 1e-6 too); the checksum must not
    call them equal either. The other 399 values (2 decimals) are equal and not fetched."""
    old = [dict(id=e["id"], ts=e["t"].replace(tzinfo=None), f=e["temp"]) for e in data]
    new = [dict(time=e["t"], event_id=e["id"], f=e["temp"]) for e in data]
    old[CHANGED - 1]["f"] = new[CHANGED - 1]["f"] = 123456.7
    load(old_url, "CREATE TABLE legacy_f4 (id BIGINT PRIMARY KEY, ts DATETIME(3) NOT NULL, f FLOAT)", "legacy_f4", old)
    load(new_url, "CREATE TABLE events_f8 (time timestamptz NOT NULL, event_id bigint NOT NULL, f double precision)",
         "events_f8", new, hypertable=True)
    result = compare(tmp_path, old_url, new_url, "events_f8", f"f: {setting}", old_table="legacy_f4")

    assert mismatched_columns(result) == {CHANGED: ["f"]}
    assert result.samples["mismatched"][0]["old"]["f"] == 123457.0
    assert fetched(result) == (1, 1)


# ------------------------------------------------------------------ TINYINT(1) against boolean


@pytest.mark.parametrize("setting", ["{}", "{type: bool}"])
def test_a_legacy_flag_of_2_equals_true(tmp_path, old_url, new_url, same, data, setting):
    """Before: the flags stored as 2 were changed rows ('active −1 exactly'), with or
    without type: bool."""
    assert sum(1 for e in data if e["active"] and e["id"] % 5 == 0) == 34
    result = compare(tmp_path, old_url, new_url, same, f"active: {setting}")

    assert differences(result) == NO_DIFFERENCES
    assert fetched(result) == (0, 0)


def test_a_flag_that_differs_is_still_found(tmp_path, old_url, new_url, data):
    table = new_table(new_url, data, "types_active", change={"active": lambda v: not v})
    result = compare(tmp_path, old_url, new_url, table, "active: {}")

    assert mismatched_columns(result) == {CHANGED: ["active"]}
    assert fetched(result) == (1, 1)


# ------------------------------------------------------------------ uuid


def test_an_uppercase_uuid_equals_the_uuid(tmp_path, old_url, new_url, same):
    """Before: 133 of 400 rows 'mismatched, case only'."""
    result = compare(tmp_path, old_url, new_url, same, "uuid: {}")

    assert differences(result) == NO_DIFFERENCES
    assert fetched(result) == (0, 0)


def test_an_uppercase_uuid_key_pairs_with_the_uuid(tmp_path, old_url, new_url, same):
    """Before: 133 missing and 133 extra ('about 33 % missing at random')."""
    result = compare(tmp_path, old_url, new_url, same, "temp: {}", key="uuid", new_key="uuid")

    assert differences(result) == NO_DIFFERENCES
    assert result.totals["matched"] == N
    assert fetched(result) == (0, 0)


def test_a_uuid_key_that_differs_is_still_found(tmp_path, old_url, new_url, data):
    table = new_table(new_url, data, "types_uuid", change={"uuid": lambda v: ("0" if v[0] != "0" else "1") + v[1:]})
    result = compare(tmp_path, old_url, new_url, table, "temp: {}", key="uuid", new_key="uuid")

    assert (result.totals["missing_in_new"], result.totals["extra_in_new"], result.totals["matched"]) == (1, 1, N - 1)


# ------------------------------------------------------------------ JSON


def test_json_text_against_jsonb_is_told_up_front_and_judged_in_python(tmp_path, old_url, new_url, same, caplog):
    """No SQL spelling of a document is common to MariaDB and PostgreSQL: every row is
    fetched (the cost), and the tool says so naming the column."""
    with caplog.at_level(logging.WARNING, logger="reconciler.compare.rowdiff.columns"):
        result = compare(tmp_path, old_url, new_url, same, "payload: {}")

    assert differences(result) == NO_DIFFERENCES
    assert fetched(result) == (N, N)
    [warning] = [r.getMessage() for r in caplog.records if "payload" in r.getMessage()]
    assert warning.startswith("column payload: JSON documents (text on old, jsonb on new) have no spelling both")
    assert "every row of the window is fetched" in warning


@pytest.fixture(scope="module")
def pg_json_url(request, data):
    """The events in a PostgreSQL json column (the text as written: key order and spacing kept)."""
    url = server_url(request, "postgresql", "types_json")
    rows = [{**r, "time": r["time"]} for r in new_rows(data)]
    for row, e in zip(rows, data):
        row["payload"] = json.dumps(e["payload"], ensure_ascii=e["id"] % 2 == 0, indent=e["id"] % 3 or None)
    create = NEW_TABLE.format(name="json_events", json="json")
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS json_events")
            conn.exec_driver_sql(create)
            conn.execute(sa.text("INSERT INTO json_events (time, event_id, uuid, temp, active, reading, payload, "
                                 "seen_at, r2) VALUES (:time, :event_id, :uuid, :temp, :active, :reading, "
                                 "CAST(:payload AS json), :seen_at, :r2)"), rows)
    finally:
        engine.dispose()
    return url


def test_postgresql_json_against_timescaledb_jsonb_hashes_the_jsonb_text(tmp_path, pg_json_url, new_url, same,
                                                                        caplog):
    """Before: all 400 fetched (json keeps the text as written, jsonb its own)."""
    with caplog.at_level(logging.WARNING, logger="reconciler.compare.rowdiff.columns"):
        result = compare(tmp_path, pg_json_url, new_url, same, "payload: {}", key="event_id",
                         old_table="json_events", old_time="time")

    assert differences(result) == NO_DIFFERENCES
    assert fetched(result) == (0, 0)
    assert not [r for r in caplog.records if "payload" in r.getMessage()]


def test_a_document_that_differs_between_json_and_jsonb_is_still_found(tmp_path, pg_json_url, new_url, data):
    table = new_table(new_url, data, "types_payload", change={"payload": lambda v: {**v, "b": v["b"] + 1}})
    result = compare(tmp_path, pg_json_url, new_url, table, "payload: {}", key="event_id", old_table="json_events",
                     old_time="time")

    assert mismatched_columns(result) == {CHANGED: ["payload"]}
    assert fetched(result) == (1, 1)


# ------------------------------------------------------------------ the grids, without a database


def spec(ctype: str, is_key: bool = False, native_old: str = "", native_new: str = "", **settings):
    from reconciler.compare.rowdiff.columns import ColumnSpec
    from reconciler.config.models import ColumnConfig

    return ColumnSpec("c", "c", "c", ctype, native_old, native_new, ColumnConfig(**settings), is_key=is_key)


def test_a_timestamp_grid_never_holds_two_instants_further_apart_than_the_tolerance():
    """Every pair of epochs (in ms) in one floor cell is equal for the Python comparison:
    the grid can only cost a fetch, never hide a difference beyond the tolerance."""
    from reconciler.compare.rowdiff.columns import TIMESTAMP
    from reconciler.compare.rowdiff.normalize import equal

    for tolerance in (1, 1.5, 0.0025, 60):
        s = spec(TIMESTAMP, tolerance=tolerance)
        width = s.time_grid(1000)
        assert width == int(tolerance * 1000)
        rnd = random.Random(tolerance)
        for _ in range(2000):
            a_us, b_us = rnd.randrange(-10**9, 10**9), rnd.randrange(-10**6, 10**6)
            b_us += a_us
            if (a_us // 1000) // width == (b_us // 1000) // width:
                assert equal(a_us, b_us, s, "ms"), (tolerance, a_us, b_us)
    assert spec(TIMESTAMP, tolerance=0.001).time_grid(1000) is None  # one unit: the exact epoch already
    assert spec(TIMESTAMP, tolerance=1, is_key=True).time_grid(1000) is None  # keys pair exactly
    assert spec(TIMESTAMP).time_grid(1000) is None


def test_a_number_grid_is_kept_beside_a_relative_tolerance_and_never_for_a_key():
    from reconciler.compare.rowdiff.columns import FLOAT

    assert spec(FLOAT, tolerance=0.001, relative_tolerance=1e-6).hash_scale == 0.001
    assert spec(FLOAT, relative_tolerance=1e-6).hash_scale is None  # no fixed grid: the exact text
    assert spec(FLOAT, tolerance=0.001, is_key=True).hash_scale is None


def float4(value: float) -> float:
    return struct.unpack("f", struct.pack("f", value))[0]


def as_read(r: float) -> float:
    """What a driver hands Python for the float4 r: its shortest decimal text, as a double."""
    return next(float(t) for t in (f"{r:.{p}g}" for p in range(1, 10)) if float4(float(t)) == r)


def test_values_rounding_to_one_float4_are_equal_within_the_smallest_relative_tolerance():
    """The float4 hash is sound: a double d and the real r it rounds to (read as its text)
    are equal for the Python comparison under relative_tolerance 2**-22, at every magnitude
    of float4's normal range, binade edges included."""
    from reconciler.compare.rowdiff.columns import FLOAT, FLOAT4, FLOAT4_RELATIVE
    from reconciler.compare.rowdiff.normalize import equal

    s = spec(FLOAT, relative_tolerance=FLOAT4_RELATIVE)
    rnd = random.Random(1)
    for _ in range(20000):
        d = rnd.choice([1, -1]) * rnd.uniform(1, 2) * 2.0 ** rnd.randrange(-125, 127)
        if rnd.random() < 0.2:  # just below a power of two, where the float4 step halves
            d = 2.0 ** rnd.randrange(-125, 127) * (1 - rnd.random() * 2 ** -24)
        r = float4(d)
        assert equal(d, as_read(r), s, "ms"), (d, r)
        other = r * (1 + (rnd.random() - 0.5) * 2 ** -23)  # another value of the same float4
        if float4(other) == r:
            assert equal(d, other, s, "ms"), (d, other)
    assert spec(FLOAT, relative_tolerance=1e-7, native_new=_float4()).float4_hashed is False
    assert spec(FLOAT, relative_tolerance=1e-6, native_new=_float4()).float4_hashed is True
    assert spec(FLOAT, relative_tolerance=1e-6).float4_hashed is False  # two doubles: exact texts
    assert spec(FLOAT, tolerance=0.01, relative_tolerance=1e-6, native_new=_float4()).float4_hashed is False
    assert FLOAT4 == "float4"


def _float4():
    from reconciler.compare.rowdiff.columns import FLOAT, FLOAT4, Native

    return Native(FLOAT, FLOAT4)


def test_a_non_zero_number_is_true():
    from reconciler.compare.rowdiff.columns import BOOL, INT
    from reconciler.compare.rowdiff.normalize import value_of

    assert [value_of(raw, spec(BOOL), None, "ms") for raw in (2, -1, 0, 0.5, "2", b"\x02", True)] == [1, 1, 0, 1, 1, 1, 1]
    assert value_of(2, spec(INT), None, "ms") == 2


def test_a_uuid_is_compared_lowercase():
    from reconciler.compare.rowdiff.columns import TEXT, UUID, Native
    from reconciler.compare.rowdiff.normalize import value_of

    u = spec(TEXT, native_new=Native(TEXT, UUID))
    assert u.is_uuid and value_of("6F9619FF-8B86-D011-B42D-00CF4FC964FF", u, None, "ms") == \
        value_of(uuid.UUID("6f9619ff-8b86-d011-b42d-00cf4fc964ff"), u, None, "ms") == "6f9619ff-8b86-d011-b42d-00cf4fc964ff"
    assert not spec(TEXT).is_uuid and value_of("ABC", spec(TEXT), None, "ms") == "ABC"
