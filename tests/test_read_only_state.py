"""Dialect.read_only_state: is the old database read-only for everyone (not only for our own
read-only session)? PostgreSQL and TimescaleDB (a database with default_transaction_read_only,
or writable), MariaDB (@@global.read_only, only read here: setting it would stop every other
test on the shared server), SQLite (the file's permission bits)."""

from __future__ import annotations

import os
import sqlite3

import pytest
import sqlalchemy as sa

from reconciler.config.models import SourceConfig
from reconciler.dialects.base import ReadOnlyState
from reconciler.sources.connection import Source


def _state(url: str) -> ReadOnlyState:
    source = Source("old", SourceConfig(url=url))
    try:
        with source.connect() as conn:
            return source.dialect.read_only_state(conn)
    finally:
        source.dispose()


def _alter(url: str, statement: str) -> None:
    u = sa.engine.make_url(url)
    admin = sa.create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(statement.format(db=u.database))
    admin.dispose()


@pytest.mark.parametrize("server", ["postgresql", "timescaledb"])
def test_postgresql_database_read_only_for_every_role(request, server):
    maker = "make_pg_database" if server == "postgresql" else "make_timescale_database"
    url = request.getfixturevalue(maker)("read_only_state")
    database = sa.engine.make_url(url).database
    assert _state(url) == ReadOnlyState(False, f"database {database} accepts writes: neither a standby nor "
                                               "default_transaction_read_only = on (ALTER DATABASE ... SET)")
    _alter(url, 'ALTER DATABASE "{db}" SET default_transaction_read_only = on')
    try:
        assert _state(url) == ReadOnlyState(True, f"default_transaction_read_only = on for database {database}, "
                                                  "every role")
    finally:
        _alter(url, 'ALTER DATABASE "{db}" RESET default_transaction_read_only')
    assert _state(url).read_only is False


def test_a_read_only_role_setting_is_not_the_database_being_read_only(make_pg_database):
    url = make_pg_database("read_only_role")
    _alter(url, 'ALTER ROLE postgres IN DATABASE "{db}" SET default_transaction_read_only = on')
    try:
        assert _state(url).read_only is False  # one role only: others may still write
    finally:
        _alter(url, 'ALTER ROLE postgres IN DATABASE "{db}" RESET default_transaction_read_only')


def test_mariadb_reads_the_global_read_only_flag(make_mariadb_database, mariadb_admin):
    url = make_mariadb_database("read_only_state")
    with mariadb_admin.connect() as conn:
        flag = int(conn.exec_driver_sql("SELECT @@global.read_only").scalar())
    assert flag == 0, "the shared MariaDB server is read-only: the other tests cannot run either"
    assert _state(url) == ReadOnlyState(False, "@@global.read_only = 0: the server accepts writes")


def test_sqlite_file_permissions(tmp_path):
    path = tmp_path / "old.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    os.chmod(path, 0o644)
    assert _state(f"sqlite:///{path}") == ReadOnlyState(False, f"{path} is writable (mode -rw-r--r--)")
    os.chmod(path, 0o444)
    assert _state(f"sqlite:///{path}") == ReadOnlyState(True, f"{path} is read-only for everyone (mode -r--r--r--)")
