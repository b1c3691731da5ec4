"""The literals of a repair file, read back by the real servers: every nasty value a repair may
carry (quotes, backslashes, newlines, non-ASCII, NULL, floats at full precision, big integers,
times with and without their zone) comes back from `SELECT <literal>` as the value it was, on
SQLite, PostgreSQL and MariaDB; on MariaDB also with NO_BACKSLASH_ESCAPES, where a backslash is
no escape and SQLAlchemy's dialect, told so by the server, must not double it."""

from __future__ import annotations

import copy
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from repair_fixtures import NASTY
from rowdiff_fixtures import server_url

from reconciler.repair.sql import literal

AWARE = datetime(2026, 3, 29, 1, 30, 0, 123456, tzinfo=timezone.utc)
NAIVE = datetime(2026, 3, 29, 3, 30, 0, 123000)
FLOATS = [0.1 + 0.2, 2 / 3, 1e-7, 123456789.12345679, -1.7976931348623157e308, 4.9406564584124654e-300, 0.0]
VALUES = [*NASTY, None, 2**62, -(2**62), *FLOATS, Decimal("21.456000"), True, date(2026, 2, 28)]


def select_literal(conn, value):
    statement = sa.select(literal(value).label("v"))
    text = str(statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    return conn.exec_driver_sql(text).scalar(), text


def cast_literal(conn, value, sql_type: str):
    text = str(literal(value).compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    return conn.exec_driver_sql(f"SELECT CAST({text} AS {sql_type})").scalar()


def same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) == bool(b)
    if isinstance(a, (float, Decimal)) and isinstance(b, (float, Decimal, int)):
        return float(a) == float(b)
    if isinstance(a, date) and isinstance(b, str):
        return a.isoformat() == b[:10]
    return a == b


@pytest.mark.parametrize("kind", ["sqlite", "postgresql", "mariadb"])
def test_every_nasty_literal_reads_back_as_itself(request, kind):
    engine = sa.create_engine(server_url(request, kind, "lit"))
    try:
        with engine.connect() as conn:
            for value in VALUES:
                back, text = select_literal(conn, value)
                assert same(value, back), f"{kind}: {text!r} read back as {back!r}"
            if kind == "postgresql":  # as a column of each type reads them
                assert cast_literal(conn, AWARE, "timestamptz") == AWARE
                assert cast_literal(conn, NAIVE, "timestamp") == NAIVE
            elif kind == "mariadb":
                assert str(select_literal(conn, NAIVE)[0]).startswith("2026-03-29 03:30:00.123")
    finally:
        engine.dispose()


def test_mariadb_without_backslash_escapes_gets_backslashes_as_they_are(request):
    engine = sa.create_engine(server_url(request, "mariadb", "lit"))
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')")
            told = copy.copy(conn.dialect)
            told._backslash_escapes = False  # what the dialect reads from a server in that mode
            for value in NASTY:
                text = str(sa.select(literal(value)).compile(dialect=told, compile_kwargs={"literal_binds": True}))
                assert conn.exec_driver_sql(text).scalar() == value, text
            assert "\\\\" not in str(sa.select(literal("a\\b")).compile(dialect=told,
                                                                       compile_kwargs={"literal_binds": True}))
    finally:
        engine.dispose()


def test_the_dialect_learns_the_servers_mode_when_it_connects(request):
    """A dialect initialized on a connection whose mode has NO_BACKSLASH_ESCAPES does not double
    backslashes: the repair renders with the connected dialect of the new source."""
    url = server_url(request, "mariadb", "lit")
    engine = sa.create_engine(url, connect_args={"init_command": "SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'"})
    try:
        with engine.connect() as conn:
            assert conn.dialect._backslash_escapes is False
            assert select_literal(conn, "a\\b")[0] == "a\\b"
    finally:
        engine.dispose()
