"""TimescaleDB helpers of the tests: turn a test table into a hypertable with 1-hour chunks,
compress every chunk, list the chunks, and capture and EXPLAIN the SQL an engine runs.

Storage kinds used by the cross-engine tests: "timescaledb" (a hypertable) and
"timescaledb-compressed" (the same, every chunk compressed, segment by device)."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import datetime, timezone

import sqlalchemy as sa

HYPERTABLE_KINDS = ("timescaledb", "timescaledb-compressed")
CHUNK_NAME = re.compile(r"\b(?:compress)?_hyper_\d+_\d+_chunk\b")


def is_timescale(kind: str) -> bool:
    return kind.split("-")[0] == "timescaledb"


def make_hypertable(engine: sa.Engine, table: str, time_column: str, chunk: str = "1 hour") -> None:
    """`table` (empty) as a hypertable on `time_column` (any partitioning column: a number
    `chunk` for an integer one). A primary key must hold the
    partitioning column: (key) becomes (key, time), as a production hypertable has it."""
    with engine.begin() as conn:
        pk = conn.execute(sa.text(
            "SELECT c.conname, array_agg(a.attname::text ORDER BY k.n) FROM pg_constraint c "
            "CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, n) "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum "
            "WHERE c.conrelid = CAST(:t AS regclass) AND c.contype = 'p' GROUP BY c.conname"), {"t": table}).first()
        if pk is not None and time_column not in pk[1]:
            columns = ", ".join(f'"{c}"' for c in [*pk[1], time_column])
            conn.exec_driver_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{pk[0]}"')
            conn.exec_driver_sql(f'ALTER TABLE "{table}" ADD PRIMARY KEY ({columns})')
        width = chunk if chunk.isdigit() else f"INTERVAL '{chunk}'"  # an integer column takes a number
        conn.execute(sa.text(f"SELECT create_hypertable(CAST(:t AS regclass), by_range(:c, {width}))"),
                     {"t": table, "c": time_column})


def compress_all(engine: sa.Engine, table: str, segment_by: str, order_by: str) -> int:
    """Enable compression (segment by device, order by time) and compress every chunk;
    returns how many chunks are compressed afterwards."""
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"ALTER TABLE \"{table}\" SET (timescaledb.compress, timescaledb.compress_segmentby = '{segment_by}', "
            f"timescaledb.compress_orderby = '{order_by}')")
        conn.execute(sa.text("SELECT compress_chunk(c, if_not_compressed => true) "
                             "FROM show_chunks(CAST(:t AS regclass)) c"), {"t": table})
    with engine.connect() as conn:
        states = conn.execute(sa.text("SELECT is_compressed FROM timescaledb_information.chunks "
                                      "WHERE hypertable_name = :t"), {"t": table}).scalars().all()
    assert states and all(states), f"{table}: not every chunk was compressed ({states})"
    return len(states)


def chunks(conn, table: str) -> dict[str, tuple[datetime, datetime]]:
    """{chunk name: (range start, range end)} of a hypertable, from TimescaleDB's catalogue.
    The catalogue shows a naive `timestamp` range as that wall-clock time taken as UTC: it
    comes back naive here, comparable with the naive bounds an engine binds."""
    rows = conn.execute(sa.text(
        "SELECT chunk_name, range_start, range_end, primary_dimension_type FROM timescaledb_information.chunks "
        "WHERE hypertable_name = :t"), {"t": table}).all()

    def as_stored(value, kind):
        return value.astimezone(timezone.utc).replace(tzinfo=None) if kind == "timestamp without time zone" else value

    return {name: (as_stored(lo, kind), as_stored(hi, kind)) for name, lo, hi, kind in rows}


def compressed_chunk_of(conn) -> dict[str, str]:
    """{compressed chunk name: the chunk it holds}: a plan over compressed data names both."""
    rows = conn.exec_driver_sql(
        "SELECT cc.table_name, c.table_name FROM _timescaledb_catalog.chunk c "
        "JOIN _timescaledb_catalog.chunk cc ON cc.id = c.compressed_chunk_id").all()
    return dict(rows)


@contextmanager
def captured_statements(*engines: sa.Engine):
    """Every (statement, parameters) the engines send while the block runs."""
    seen: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _executemany):
        seen.append((statement, parameters))

    for engine in engines:
        sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        for engine in engines:
            sa.event.remove(engine, "before_cursor_execute", capture)


def planned_chunks(url: str, statement: str, parameters) -> set[str]:
    """The chunks PostgreSQL plans to scan for `statement` with its own parameters
    (EXPLAIN, psycopg binding them as the engine did); compressed chunks are named by the
    chunk they hold."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            dbapi = conn.connection.dbapi_connection
            with dbapi.cursor() as cur:
                cur.execute("SET TIME ZONE 'UTC'")
                cur.execute("EXPLAIN " + statement, parameters)
                plan = "\n".join(row[0] for row in cur.fetchall())
            holders = compressed_chunk_of(conn)
    finally:
        engine.dispose()
    return {holders.get(name, name) for name in CHUNK_NAME.findall(plan)}


def overlapping(chunk_ranges: dict[str, tuple[datetime, datetime]], ranges: list[tuple]) -> set[str]:
    """The chunks whose [start, end) meets any of the half-open `ranges`."""
    return {name for name, (lo, hi) in chunk_ranges.items() for start, end in ranges if lo < end and start < hi}
