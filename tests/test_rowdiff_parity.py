"""Normalization parity: the same tricky values stored in PostgreSQL, MariaDB, SQLite and
TimescaleDB (a hypertable split into chunks by id: the time column is NULL in most rows) give the same normalized text per value (SideSQL.encoded, computed by each database)
and the same 60-bit row hash, so equal data never costs a fetch. Where an engine cannot
spell a value the same way, the exact comparison in Python still says equal: that costs
a fetch, never a wrong verdict. Those exceptions are listed, each with its reason."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from rowdiff_fixtures import server_url, utc
from sqlalchemy.dialects import mysql, postgresql
from timescale_fixtures import make_hypertable

from reconciler.compare.rowdiff.columns import BOOL, DECIMAL, FLOAT, INT, TEXT, TIMESTAMP, ColumnSpec, reflect_types
from reconciler.compare.rowdiff.normalize import equal, key_of, value_of
from reconciler.compare.rowdiff.sql import SideSQL
from reconciler.config.models import ColumnConfig, SideConfig, SourceConfig
from reconciler.sources.connection import Source
from reconciler.sources.relation import SideRelation

ENGINES = ("postgresql", "mariadb", "sqlite", "timescaledb")
LONG = "x" * 5000 + "ñ"

# (label, column, value, {spec name: encoded text}); every other column of the row is NULL
CASES = [
    ("0.1+0.2", "f", 0.1 + 0.2, {"f_exact": "0.30000000000000004,", "f_tol": "300000,", "f_half": "1,"}),
    ("-0.0", "f", -0.0, {"f_exact": "-0,", "f_tol": "0,", "f_half": "0,"}),
    ("1e-7", "f", 1e-7, {"f_exact": "1e-07,", "f_tol": "0,", "f_half": "0,"}),
    ("123456789.123456", "f", 123456789.123456,
     {"f_exact": "123456789.123456,", "f_tol": "123456789123456,", "f_half": "246913578,"}),
    ("100.0", "f", 100.0, {"f_exact": "100,", "f_tol": "100000000,", "f_half": "200,"}),
    # exactly on a rounding boundary of the tolerance (q = value / tolerance ends in .5):
    # floor(q + 0.5) everywhere; round() would be half-even on PostgreSQL and MariaDB and
    # half away from zero on SQLite
    ("0.25 / 0.5", "f", 0.25, {"f_exact": "0.25,", "f_tol": "250000,", "f_half": "1,"}),
    ("1.25 / 0.5", "f", 1.25, {"f_exact": "1.25,", "f_tol": "1250000,", "f_half": "3,"}),
    ("-0.25 / 0.5", "f", -0.25, {"f_exact": "-0.25,", "f_tol": "-250000,", "f_half": "0,"}),
    ("-1.25 / 0.5", "f", -1.25, {"f_exact": "-1.25,", "f_tol": "-1250000,", "f_half": "-2,"}),
    ("5e-7 / 1e-6", "f", 5e-7, {"f_exact": "5e-07,", "f_tol": "1,", "f_half": "0,"}),
    ("-5e-7 / 1e-6", "f", -5e-7, {"f_exact": "-5e-07,", "f_tol": "0,", "f_half": "0,"}),
    # value / tolerance beyond 2**53: the value keeps its exact text (an integer text there
    # would be inexact: PostgreSQL's float8 -> numeric cast keeps 15 digits)
    ("123456789012.345", "f", 123456789012.345,
     {"f_exact": "123456789012.345,", "f_tol": "123456789012.345,", "f_half": "246913578025,"}),
    ("1e15", "f", 1e15, {"f_exact": "1e+15,", "f_tol": "1e+15,", "f_half": "2000000000000000,"}),
    ("decimal 123456789.123456789", "d", 123456789.123456789, {"d_tol": "123456789123457,"}),
    ("decimal -0.000000001", "d", -0.000000001, {"d_tol": "0,"}),
    ("empty text", "t", "", {"t": "V0:"}),
    ("ñ", "t", "ñ", {"t": "V1:ñ"}),
    ("Ω", "t", "Ω", {"t": "V1:Ω"}),
    ("日本", "t", "日本", {"t": "V2:日本"}),
    ("emoji", "t", "🦀 crab", {"t": "V6:🦀 crab"}),
    ("long text", "t", LONG, {"t": f"V5001:{LONG}"}),
    ("trailing spaces", "t", "end  ", {"t": "V5:end  "}),
    ("text '0'", "t", "0", {"t": "V1:0"}),
    # UTC instants at America/New_York's spring-forward and fall-back, a leap day, sub-ms jitter
    ("before spring-forward", "ts", utc(2026, 3, 8, 6, 59, 59, 999999),
     {"ts_ms": "1772953199999,", "ts_us": "1772953199999999,"}),
    ("spring-forward", "ts", utc(2026, 3, 8, 7), {"ts_ms": "1772953200000,", "ts_us": "1772953200000000,"}),
    ("before 1970, sub-ms", "ts", utc(1969, 12, 31, 23, 59, 57, 874999), {"ts_ms": "-2126,", "ts_us": "-2125001,"}),
    ("fall-back, first pass", "ts", utc(2026, 11, 1, 5, 30, 0, 500),
     {"ts_ms": "1793511000000,", "ts_us": "1793511000000500,"}),
    ("fall-back, second pass", "ts", utc(2026, 11, 1, 6, 30), {"ts_ms": "1793514600000,",
                                                               "ts_us": "1793514600000000,"}),
    ("leap day", "ts", utc(2028, 2, 29, 23, 59, 59, 999000),
     {"ts_ms": "1835481599999,", "ts_us": "1835481599999000,"}),
    ("sub-ms jitter", "ts", utc(2028, 2, 29, 12, 0, 0, 123999),
     {"ts_ms": "1835438400123,", "ts_us": "1835438400123999,"}),
    ("int 0", "i", 0, {"i": "0,"}),
    ("int -1", "i", -1, {"i": "-1,"}),
    ("int 2**53+1", "i", 2 ** 53 + 1, {"i": "9007199254740993,"}),
    ("int -2**62", "i", -(2 ** 62), {"i": "-4611686018427387904,"}),
    ("true", "b", True, {"b": "1,"}),
    ("false", "b", False, {"b": "0,"}),
    ("all NULL", None, None, {}),
]

# Where MariaDB spells a double differently from PostgreSQL (and SQLite, which spells it as
# PostgreSQL does): CAST(double AS CHAR) writes '0' for -0, '0.0000001' for 1e-07 and
# '1e15' for 1e+15. Only unscaled floats (no absolute tolerance) and values beyond 2**53
# tolerance units take that text, so this costs a fetch of such rows, nothing more.
MARIADB_TEXT = {
    ("-0.0", "f_exact"): "0,",
    ("1e-7", "f_exact"): "0.0000001,",
    ("5e-7 / 1e-6", "f_exact"): "0.0000005,",
    ("-5e-7 / 1e-6", "f_exact"): "-0.0000005,",
    ("1e15", "f_exact"): "1e15,",
    ("1e15", "f_tol"): "1e15,",
}

# SQLite stores a REAL without fraction as an integer on disk: -0.0 reads back as 0.0.
SQLITE_TEXT = {("-0.0", "f_exact"): "0,"}

SPECS = [
    ColumnSpec("f_exact", "f", "f", FLOAT, "", "", ColumnConfig()),
    ColumnSpec("f_tol", "f", "f", FLOAT, "", "", ColumnConfig(tolerance=1e-6)),
    ColumnSpec("f_half", "f", "f", FLOAT, "", "", ColumnConfig(tolerance=0.5)),
    ColumnSpec("d_tol", "d", "d", DECIMAL, "", "", ColumnConfig(tolerance=1e-6)),
    ColumnSpec("t", "t", "t", TEXT, "", "", ColumnConfig()),
    ColumnSpec("ts_ms", "ts", "ts", TIMESTAMP, "", "", ColumnConfig()),
    ColumnSpec("i", "i", "i", INT, "", "", ColumnConfig()),
    ColumnSpec("b", "b", "b", BOOL, "", "", ColumnConfig()),
]
TS_US = ColumnSpec("ts_us", "ts", "ts", TIMESTAMP, "", "", ColumnConfig())


def parity_table(kind: str) -> sa.Table:
    return sa.Table(
        "parity", sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("f", sa.Float(precision=53)),
        sa.Column("d", sa.Numeric(20, 9, asdecimal=False).with_variant(sa.Float(precision=53), "sqlite")),
        sa.Column("t", sa.Text().with_variant(mysql.VARCHAR(6000), "mysql", "mariadb")),
        sa.Column("ts", sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
                  .with_variant(postgresql.TIMESTAMP(timezone=True, precision=6), "postgresql")),
        sa.Column("i", sa.BigInteger),
        sa.Column("b", sa.Boolean),
    )


def rows() -> list[dict]:
    out = []
    for n, (_, column, value, _) in enumerate(CASES):
        row = {"id": n, "f": None, "d": None, "t": None, "ts": None, "i": None, "b": None}
        if column == "ts":
            value = value.replace(tzinfo=None)  # naive UTC: DATETIME(6) and SQLite text; the session is UTC
        if column:
            row[column] = value
        out.append(row)
    return out


@pytest.fixture(scope="module")
def normalized(request):
    """{engine: {"text": {(label, spec): encoded}, "hash": {label: row hash}, "raw": {label: row}}}"""
    out = {}
    for kind in ENGINES:
        url = server_url(request, kind, "parity")
        table = parity_table(kind)
        engine = sa.create_engine(url)
        try:
            table.metadata.drop_all(engine)
            table.metadata.create_all(engine)
            if kind == "timescaledb":
                make_hypertable(engine, "parity", "id", chunk="10")
            with engine.begin() as conn:
                conn.execute(table.insert(), rows())
        finally:
            engine.dispose()
        out[kind] = read_back(url, kind)
    return out


def read_back(url: str, kind: str) -> dict:
    source = Source("s", SourceConfig(url=url))
    cfg = SideConfig(source="s", table="parity", time="ts", key=["id"])
    rel = SideRelation.build(cfg, ["f", "d", "t", "i", "b"])
    try:
        with source.connect() as conn:
            natives = reflect_types(conn, rel, ["f", "d", "t", "ts", "i", "b"], source.dialect)
            specs = [ColumnSpec(s.name, s.old, s.new, s.ctype, natives[s.new], natives[s.new], s.settings)
                     for s in SPECS]
            us_spec = ColumnSpec("ts_us", "ts", "ts", TIMESTAMP, natives["ts"], natives["ts"], TS_US.settings)
            axis = rel.probe_time(conn, "UTC")
            ms_sql = SideSQL(source.dialect, rel, specs, "new", axis.kind, 1000, 0)
            us_sql = SideSQL(source.dialect, rel, [us_spec], "new", axis.kind, 1, 0)
            stmt = sa.select(rel.col("id"), *[ms_sql.encoded(s) for s in specs], us_sql.encoded(us_spec),
                             ms_sql.row_hash(), *[ms_sql.column(s) for s in specs]).order_by(rel.col("id"))
            result = conn.execute(stmt).all()
    finally:
        source.dispose()
    text, hashes, raw = {}, {}, {}
    names = [s.name for s in specs] + ["ts_us"]
    for row in result:
        label = CASES[row[0]][0]
        for name, value in zip(names, row[1:1 + len(names)]):
            text[(label, name)] = value
        hashes[label] = int(row[1 + len(names)])
        raw[label] = dict(zip([s.name for s in specs], row[2 + len(names):]))
    return {"text": text, "hash": hashes, "raw": raw, "axis": axis, "specs": specs}


def expected_text(label: str, spec: str, engine: str) -> str:
    exceptions = {"mariadb": MARIADB_TEXT, "sqlite": SQLITE_TEXT}.get(engine, {})
    if (label, spec) in exceptions:
        return exceptions[(label, spec)]
    case = next(c for c in CASES if c[0] == label)
    return case[3].get(spec, "N")


@pytest.mark.parametrize("engine", ENGINES)
def test_every_value_has_the_expected_normalized_text(normalized, engine):
    got = normalized[engine]["text"]
    expected = {(label, s): expected_text(label, s, engine) for label, *_ in CASES
                for s in [sp.name for sp in SPECS] + ["ts_us"]}
    assert {k: v for k, v in got.items() if v != expected[k]} == {}
    assert len(got) == len(CASES) * (len(SPECS) + 1)


def test_postgresql_and_sqlite_give_identical_text_and_row_hash_for_every_value_but_negative_zero(normalized):
    pg, lite = normalized["postgresql"], normalized["sqlite"]
    assert {k for k in pg["text"] if pg["text"][k] != lite["text"][k]} == set(SQLITE_TEXT)
    assert {label for label in pg["hash"] if pg["hash"][label] != lite["hash"][label]} == {"-0.0"}


def test_timescaledb_gives_postgresqls_text_and_row_hash_for_every_value(request, normalized):
    engine = sa.create_engine(server_url(request, "timescaledb", "parity"))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM show_chunks('parity')").scalar() == 4  # ids 0..36 by 10
    engine.dispose()
    pg, tsdb = normalized["postgresql"], normalized["timescaledb"]
    assert tsdb["text"] == pg["text"]
    assert tsdb["hash"] == pg["hash"]


def test_mariadb_gives_identical_row_hashes_except_where_it_spells_a_double_differently(normalized):
    pg, maria = normalized["postgresql"], normalized["mariadb"]
    differing = {label for label in pg["hash"] if pg["hash"][label] != maria["hash"][label]}
    assert differing == {label for label, _ in MARIADB_TEXT}
    assert {k for k in pg["text"] if pg["text"][k] != maria["text"][k]} == set(MARIADB_TEXT)


def test_a_null_differs_from_zero_and_from_the_empty_string_in_the_checksum(normalized):
    text = normalized["postgresql"]["text"]
    assert (text[("all NULL", "f_exact")], text[("-0.0", "f_tol")], text[("text '0'", "t")],
            text[("empty text", "t")], text[("all NULL", "t")]) == ("N", "0,", "V1:0", "V0:", "N")


@pytest.mark.parametrize("engine", ["mariadb", "sqlite", "timescaledb"])
def test_python_normalization_of_what_each_driver_returns_is_equal_to_postgresqls(normalized, engine):
    """The exact comparison decides: every value read from either engine compares equal with
    PostgreSQL's, including those whose checksum text differs (MARIADB_TEXT), and gives the
    same key."""
    pg, other = normalized["postgresql"], normalized[engine]
    unequal, keys = [], []
    for label, *_ in CASES:
        for spec_pg, spec_other in zip(pg["specs"], other["specs"]):
            a = value_of(pg["raw"][label][spec_pg.name], spec_pg, pg["axis"], "ms")
            b = value_of(other["raw"][label][spec_other.name], spec_other, other["axis"], "ms")
            if not equal(a, b, spec_pg, "ms"):
                unequal.append((label, spec_pg.name, a, b))
            if spec_pg.ctype in (INT, TEXT, TIMESTAMP):
                keys.append((key_of([pg["raw"][label][spec_pg.name]], [spec_pg], pg["axis"], "ms"),
                             key_of([other["raw"][label][spec_other.name]], [spec_other], other["axis"], "ms")))
    assert unequal == []
    assert [(a, b) for a, b in keys if a != b] == []


def test_negative_zero_reads_back_as_zero_where_the_engine_keeps_no_sign(normalized):
    """PostgreSQL keeps -0 (text '-0'); MariaDB's text is '0' and SQLite reads 0.0 back;
    the values compare equal."""
    raw = {engine: normalized[engine]["raw"]["-0.0"]["f_exact"] for engine in ENGINES}
    assert raw["postgresql"] == 0.0 and str(raw["postgresql"]) == "-0.0"
    assert all(v == 0.0 for v in raw.values())
    spec = SPECS[0]
    assert equal(raw["postgresql"], raw["mariadb"], spec, "ms") and equal(raw["postgresql"], raw["sqlite"], spec, "ms")


def test_timestamps_normalize_to_the_same_utc_epoch_on_every_engine(normalized):
    label = "sub-ms jitter"
    got = {e: value_of(normalized[e]["raw"][label]["ts_ms"], normalized[e]["specs"][5], normalized[e]["axis"], "ms")
           for e in ENGINES}
    assert got == {e: 1835438400123999 for e in ENGINES}
    assert {e: normalized[e]["axis"].kind for e in ENGINES} == {"postgresql": "aware", "mariadb": "naive",
                                                                 "sqlite": "text", "timescaledb": "aware"}
