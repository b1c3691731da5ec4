"""Connections to the report store: SQLite tuned for several writers (WAL, busy timeout,
BEGIN IMMEDIATE for writes), PostgreSQL as is. Passwords never leave this module."""

from __future__ import annotations

import functools
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url

from reconciler.errors import ConfigError, StoreUnavailable, first_line
from reconciler.redact import safe_url as redact_url
from reconciler.sources.urls import with_default_driver

SQLITE_BUSY_TIMEOUT_MS = 30_000
IMMEDIATE = "sqlite_begin_immediate"


def make_store_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except (exc.ArgumentError, ValueError):
        raise ConfigError(f"report_store.url: {redact_url(url)!r} is not a SQLAlchemy URL "
                          "(e.g. sqlite:///reports/reconciler.db or postgresql+psycopg://host/db)") from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    parsed = with_default_driver(parsed)
    connect_args = {"connect_timeout": 10} if parsed.get_backend_name() == "postgresql" else {}
    try:
        return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    except ImportError as e:
        raise ConfigError(f"report_store.url: driver for {parsed.drivername!r} is not installed ({e.name})") from None
    except exc.NoSuchModuleError:
        raise ConfigError(f"report_store.url: unsupported database {parsed.get_backend_name()!r} "
                          "(supported: sqlite, postgresql)") from None


def _sqlite_engine(parsed) -> Engine:
    if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # A deferred transaction that later writes can fail with SQLITE_BUSY without waiting;
        # writers take the write lock up front instead.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(IMMEDIATE) else "BEGIN")

    return engine


def writer(engine: Engine) -> Engine:
    """The engine whose transactions take the write lock at BEGIN (SQLite); the same engine elsewhere."""
    return engine.execution_options(**{IMMEDIATE: True}) if engine.dialect.name == "sqlite" else engine


def store_errors(method):
    """Turn a database that cannot be reached or used into SourceError (exit 3), password removed."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (exc.OperationalError, exc.InterfaceError) as e:
            raise StoreUnavailable(f"report store {self.display_url}: {first_line(e)}") from e

    return wrapper

