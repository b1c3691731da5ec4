"""Helpers of the row-diff tests: event tables with the types each engine really uses, a
schedule.yaml with row-diff settings (written by conftest's write_schedule, then adjusted),
compare runs, and the keys of each class of difference."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa
from conftest import write_schedule
from sqlalchemy.dialects import mysql, postgresql
from timescale_fixtures import compress_all, is_timescale, make_hypertable

from reconciler.checks.judgement import compare_dataset
from reconciler.config import load_config
from reconciler.demo.scenario import LEGACY, REFERENCE, generate_events, load, to_rows
from reconciler.timeutil import Window

UTC = timezone.utc
H = timedelta(hours=1)
MS = timedelta(milliseconds=1)
US = timedelta(microseconds=1)
KINDS = ("missing_in_new", "extra_in_new", "mismatched", "duplicates_old", "duplicates_new")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def server_url(request, kind: str, name: str) -> str:
    """A fresh database (or SQLite file) for `name` on the engine `kind`."""
    if kind == "sqlite":
        directory = request.getfixturevalue("tmp_path_factory").getbasetemp() / "rowdiff_sqlite"
        directory.mkdir(exist_ok=True)
        return f"sqlite:///{directory / name}.db"
    if kind == "postgresql":
        return request.getfixturevalue("make_pg_database")(name)
    if kind == "mariadb":
        return request.getfixturevalue("make_mariadb_database")(name)
    if is_timescale(kind):
        return request.getfixturevalue("make_timescale_database")(name)
    raise AssertionError(kind)


def backend(url: str) -> str:
    return sa.engine.make_url(url).get_backend_name()


def old_table(name: str, decimal: bool = False) -> sa.Table:
    """The legacy schema without a primary key (duplicates must be storable): VARCHAR
    texts, naive DATETIME(3) / timestamp(3) times, a DOUBLE or DECIMAL(12,6) reading."""
    reading = sa.Numeric(12, 6, asdecimal=False) if decimal else sa.Float(precision=53)
    return sa.Table(
        name, sa.MetaData(),
        sa.Column("id", sa.BigInteger, nullable=False, index=True),
        sa.Column("device", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("reading", reading.with_variant(sa.Float(precision=53), "sqlite")),
        sa.Column("ts", sa.DateTime().with_variant(mysql.DATETIME(fsp=3), "mysql", "mariadb")
                  .with_variant(postgresql.TIMESTAMP(precision=3), "postgresql"), nullable=False, index=True),
    )


def new_table(name: str) -> sa.Table:
    """The reference schema without a primary key: text, double precision, timestamptz
    (DATETIME(6) in UTC on MariaDB, ISO text on SQLite)."""
    return sa.Table(
        name, sa.MetaData(),
        sa.Column("event_id", sa.BigInteger, nullable=False, index=True),
        sa.Column("device_id", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("value", sa.Float(precision=53)),
        sa.Column("time", sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
                  nullable=False, index=True),
    )


def load_events(url: str, table: sa.Table, events: list[dict], zone: str | None = None,
                kind: str = "") -> None:
    """Events (generator dicts, aware UTC times) into `table`, naive in `zone` if given;
    scenario.load also ANALYZEs, so PostgreSQL plans the range queries on the index.
    kind "timescaledb": a hypertable with 1-hour chunks; "timescaledb-compressed": the
    same with every chunk compressed (segment by device, order by time)."""
    legacy = "ts" in table.c
    names = LEGACY if legacy else REFERENCE
    engine = sa.create_engine(url)
    try:
        table.metadata.drop_all(engine, tables=[table])
        if is_timescale(kind):
            table.metadata.create_all(engine, tables=[table])
            make_hypertable(engine, table.name, "ts" if legacy else "time")
        load(engine, table, to_rows(events, names, zone=zone))
        if kind == "timescaledb-compressed":
            compress_all(engine, table.name, "device" if legacy else "device_id", "ts" if legacy else "time")
            with engine.begin() as conn:
                conn.exec_driver_sql(f'ANALYZE "{table.name}"')
    finally:
        engine.dispose()


def schedule(directory: Path, old_url: str, new_url: str, *, old_table: str, new_table: str,
             old_timezone: str = "UTC", diff: dict | None = None, key: tuple[list, list] | None = None,
             precision: str = "ms", value: str = "{old: reading, tolerance: 0.000001}", suite: bool = True) -> Path:
    """conftest.write_schedule's device-event dataset with row-diff settings added: `diff`
    (DiffConfig keys; sample_limit defaults to 1000 so that samples hold every key), `key`
    ((old key columns, new key columns)), the time precision and the value column."""
    path = write_schedule(directory, old_url, new_url, old_table=old_table, new_table=new_table,
                          old_timezone=old_timezone, suite=suite)
    text = path.read_text()
    settings = {"sample_limit": 1000, **(diff or {})}
    replacements = [
        ("    time_precision: ms\n",
         f"    time_precision: {precision}\n    diff: {{{', '.join(f'{k}: {v}' for k, v in settings.items())}}}\n"),
        ("      value: {old: reading, tolerance: 0.000001}\n", f"      value: {value}\n"),
    ]
    if key is not None:
        replacements += [("key: [id]}", f"key: [{', '.join(key[0])}]}}"),
                         ("key: [event_id]}", f"key: [{', '.join(key[1])}]}}")]
    for old, new in replacements:
        assert old in text, f"write_schedule no longer writes {old!r}"
        text = text.replace(old, new)
    path.write_text(text)
    return path


def compare(path: Path, window: Window):
    return compare_dataset(load_config(path), "device_events", window, rows=True)


def sample_keys(result, kind: str, *names: str) -> set:
    """The keys of one class of difference (samples hold them all: sample_limit 1000)."""
    rows = result.samples[kind]
    assert len(rows) == result.totals[kind], f"{kind}: samples cut short, raise sample_limit"
    names = names or ("event_id",)
    return {tuple(r["key"][n] for n in names) if len(names) > 1 else r["key"][names[0]] for r in rows}


def mismatched_columns(result, *names: str) -> dict:
    names = names or ("event_id",)
    return {(tuple(r["key"][n] for n in names) if len(names) > 1 else r["key"][names[0]]): r["columns"]
            for r in result.samples["mismatched"]}


def differences(result) -> dict:
    return {k: result.totals[k] for k in ("mismatched", "missing_in_new", "extra_in_new", "duplicates_old",
                                          "duplicates_new")}


NO_DIFFERENCES = {"mismatched": 0, "missing_in_new": 0, "extra_in_new": 0, "duplicates_old": 0, "duplicates_new": 0}


def events(start: datetime, hours: int, rate: float, seed: int = 11) -> list[dict]:
    """Generated events; measurement kinds carry a value, the others NULL."""
    return generate_events(start, hours, rate, seed)


def pick(rng: random.Random, pool: list, k: int, taken: set) -> list:
    """k items of pool not yet taken (by id), marked as taken."""
    free = [e for e in pool if e["id"] not in taken]
    chosen = rng.sample(free, k)
    taken.update(e["id"] for e in chosen)
    return chosen
