"""PostgreSQL (psycopg 3)."""

from __future__ import annotations

import sqlalchemy as sa

from reconciler.dialects.base import Dialect


class PostgresDialect(Dialect):
    name = "postgresql"

    def setup_session(self, dbapi_conn, timeout_s, read_only):
        with dbapi_conn.cursor() as cur:
            if read_only:
                cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            cur.execute(f"SET statement_timeout = {int(timeout_s * 1000)}")
            cur.execute("SET TIME ZONE 'UTC'")
        dbapi_conn.commit()

    def hour_bucket(self, col, seconds, kind):
        hour = sa.func.date_trunc("hour", col)
        if seconds == 3600:
            return hour
        minutes = seconds // 60
        return hour + sa.func.floor(sa.func.date_part("minute", col) / minutes) * sa.text(
            f"interval '{minutes} minutes'"
        )
