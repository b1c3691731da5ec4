"""SQLite: the embedded demo. Timestamps are ISO text (or epoch numbers); the database
is opened read-only through a `mode=ro` URI; a progress handler enforces the timeout."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import sqlalchemy as sa

from reconciler.dialects.base import Dialect


class SQLiteDialect(Dialect):
    name = "sqlite"

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

    def float_text(self, col):
        return sa.func.rc_real(col)

    def hash60(self, text_expr):
        return sa.func.rc_hash60(text_expr, type_=sa.BigInteger)

    def hash_sum(self, hash_expr):
        return sa.func.rc_hashsum(hash_expr)
