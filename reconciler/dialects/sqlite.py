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
        return sa.func.strftime("%Y-%m-%d %H:", col) + sa.func.printf(
            "%02d:00", sa.cast(sa.func.strftime("%M", col), sa.Integer) / minutes * minutes
        )

    def bucket_value(self, value):
        if isinstance(value, (int, float)):
            return datetime.fromtimestamp(value, timezone.utc)
        return datetime.fromisoformat(str(value))
