"""SQLite: the embedded demo. Timestamps are ISO text (or epoch numbers); the database
is opened read-only through a `mode=ro` URI; a progress handler enforces the timeout."""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite as sqlite_types

from reconciler.dialects.base import Dialect, ReadOnlyState
from reconciler.errors import ConfigError, SourceError


class SQLiteDialect(Dialect):
    name = "sqlite"

    @classmethod
    def anchored(cls, url, base):
        database = url.database
        if not database or database == ":memory:" or database.startswith("file:") or Path(database).is_absolute():
            return url
        return url.set(database=str(Path(base) / database))

    @classmethod
    def read_only_url(cls, url):
        if not url.database:
            return url
        return url.set(database=f"file:{Path(url.database).resolve()}?mode=ro").update_query_dict({"uri": "true"})

    def engine_arguments(self, url, source):
        """A `mode=ro` URI connection (read_only) with our functions registered; a missing file
        is an unreachable source, not a new empty database."""
        database = url.database or ""
        if database in ("", ":memory:"):
            raise ConfigError(f"source {source.name!r}: an in-memory SQLite database has no data to compare")
        path = Path(database)
        if not path.exists():
            raise SourceError(f"source {source.name!r} ({source.safe_url}): database file {path} does not exist")
        # percent-encoded: a '#' or '?' in the path would otherwise end it and drop mode=ro
        uri = f"file:{quote(str(path.resolve()))}?mode={'ro' if source.config.read_only else 'rw'}"
        busy_timeout = source.config.statement_timeout.total_seconds()

        def creator():
            from reconciler.dialects.sqlite_functions import ClockedConnection, register_functions

            conn = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=busy_timeout,
                                   factory=ClockedConnection)
            register_functions(conn)
            return conn

        return url, {"pool_pre_ping": False, "creator": creator}

    def install_engine_hooks(self, engine):
        @sa.event.listens_for(engine, "before_cursor_execute")
        def start_clock(conn, *_args):
            clock = getattr(conn.connection.dbapi_connection, "_reconciler_clock", None)
            if clock is not None:
                clock["start"] = time.monotonic()

    def seconds_between(self, earlier, later):
        later_us = sa.func.rc_epoch_us(later, type_=sa.BigInteger)  # sqlite_functions.epoch_us, on every connection
        earlier_us = sa.func.rc_epoch_us(earlier, type_=sa.BigInteger)
        return (later_us - earlier_us) / sa.literal_column("1000000.0")

    def analyze_statement(self, quoted_table):
        return "ANALYZE"

    def utc_timestamp_type(self):
        return _DateAwareTimestamp()

    def setup_session(self, dbapi_conn, timeout_s, read_only):
        deadline_holder = {"start": None}

        def on_progress():
            start = deadline_holder["start"]
            if start is None:
                return 0
            return 1 if time.monotonic() - start > timeout_s else 0

        dbapi_conn.set_progress_handler(on_progress, 100000)
        dbapi_conn._reconciler_clock = deadline_holder
        if read_only:
            dbapi_conn.execute("PRAGMA query_only = ON")

    def read_only_state(self, conn):
        # our connection is mode=ro and query_only: what counts is whether anyone can write the
        # file (its permission bits), whoever opens it
        path = next((row[2] for row in conn.exec_driver_sql("PRAGMA database_list") if row[1] == "main"), "")
        if not path:
            return ReadOnlyState(None, "an in-memory or temporary database has no file to check")
        mode = os.stat(path).st_mode
        if mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
            return ReadOnlyState(False, f"{path} is writable (mode {stat.filemode(mode)})")
        return ReadOnlyState(True, f"{path} is read-only for everyone (mode {stat.filemode(mode)})")

    def hour_bucket(self, col, seconds, kind):
        if kind == "epoch":
            return sa.cast(col / seconds, sa.Integer) * seconds
        if seconds == 3600:
            return sa.func.strftime("%Y-%m-%d %H:00:00", col)
        minutes = seconds // 60
        # || (not +: strftime() is untyped) and integer floor division (not /: true division)
        return sa.func.strftime("%Y-%m-%d %H:", col, type_=sa.String).concat(
            sa.func.printf("%02d:00", sa.cast(sa.func.strftime("%M", col), sa.Integer) // minutes * minutes)
        )

    def bucket_value(self, value):
        if isinstance(value, (int, float)):
            return datetime.fromtimestamp(value, timezone.utc)
        return datetime.fromisoformat(str(value))

    def epoch_units(self, col, native, kind, unit_us):
        if kind == "epoch":
            # rounded like the Python side (round(value * 1e6)), then integer division
            micros = sa.cast(sa.func.round(col * sa.literal_column("1000000.0")), sa.Integer)
        else:
            micros = sa.func.rc_epoch_us(col, type_=sa.BigInteger)
        return micros if unit_us == 1 else self.floor_div(micros, unit_us)

    def int_text(self, col, native):
        return self.text(sa.cast(col, sa.Integer))

    def as_double(self, col):
        return col * sa.literal_column("1.0")

    def floor(self, expr):
        """floor() without the optional math functions: CAST truncates toward zero."""
        truncated = sa.cast(expr, sa.Integer)
        return truncated - sa.cast(expr < truncated, sa.Integer)

    def to_bigint(self, expr):
        return expr

    def float4_rounded_text(self, col, exact):
        return None  # REAL is a double: no single-precision cast

    def float_text(self, col):
        return sa.func.rc_real(col)

    def hash60(self, text_expr):
        return sa.func.rc_hash60(text_expr, type_=sa.BigInteger)

    def hash_sum(self, hash_expr):
        return sa.func.rc_hashsum(hash_expr)


class _DateAwareTimestamp(sqlite_types.DATETIME):
    """A timestamp at midnight is bound as its date, so that it compares equal to a DATE
    column's text ('2026-11-27' rather than '2026-11-27 00:00:00.000000')."""

    def bind_processor(self, dialect):
        default = super().bind_processor(dialect)

        def process(value):
            if isinstance(value, datetime) and value.time() == datetime.min.time():
                return value.date().isoformat()
            return default(value)

        return process
