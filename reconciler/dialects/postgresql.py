"""PostgreSQL (psycopg 3)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import BIT

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

    def epoch_units(self, col, native, kind, unit_us):
        units = sa.func.extract("epoch", col) * (1_000_000 // unit_us)
        return sa.cast(sa.func.floor(units), sa.BigInteger)

    def int_text(self, col, native):
        if native == "bool":
            return self.text(sa.cast(col, sa.Integer))
        return self.text(sa.cast(col, sa.BigInteger))

    def double_literal(self, value):
        return sa.literal_column(f"{float(value)!r}::float8")

    def float_text(self, col):
        return self.text(sa.cast(col, sa.Float(precision=53)))

    def date_text(self, col):
        return sa.func.to_char(col, "YYYY-MM-DD")

    def hash60(self, text_expr):
        hex15 = sa.literal("x").op("||")(sa.func.substr(sa.func.md5(text_expr), 1, 15))
        return sa.cast(sa.cast(hex15, BIT(60)), sa.BigInteger)
