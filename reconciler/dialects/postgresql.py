"""PostgreSQL (psycopg 3)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import BIT, JSONB

from reconciler.dialects.base import Dialect, ReadOnlyState

_TRUNC_UNIT = {1: "microseconds", 1000: "milliseconds", 1_000_000: "second"}


class PostgresDialect(Dialect):
    name = "postgresql"
    hash_family = "postgresql"
    percentile_method = "percentile_cont"
    default_driver = "psycopg"

    @classmethod
    def read_only_url(cls, url):
        return url.update_query_dict({"options": "-c default_transaction_read_only=on -c TimeZone=UTC"})

    def refined(self, conn):
        from reconciler.dialects.timescale import DETECT_SQL, TimescaleDialect

        version = conn.exec_driver_sql(DETECT_SQL).scalar()
        conn.rollback()
        return TimescaleDialect(version) if version else self

    def setup_session(self, dbapi_conn, timeout_s, read_only):
        with dbapi_conn.cursor() as cur:
            if read_only:
                cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            cur.execute(f"SET statement_timeout = {int(timeout_s * 1000)}")
            cur.execute("SET TIME ZONE 'UTC'")
        dbapi_conn.commit()

    def read_only_state(self, conn):
        # Our own session is read-only (SET SESSION CHARACTERISTICS), so SHOW says nothing about
        # other users: ask what holds for everyone. A standby refuses every write; otherwise
        # default_transaction_read_only set for the whole server (configuration file, ALTER
        # SYSTEM) or for the database and every role (ALTER DATABASE ... SET).
        if conn.exec_driver_sql("SELECT pg_is_in_recovery()").scalar():
            return ReadOnlyState(True, "server in recovery (a standby): it accepts no writes")
        row = conn.exec_driver_sql(
            "SELECT reset_val, source FROM pg_settings WHERE name = 'default_transaction_read_only'").first()
        if row is not None and row[0] == "on" and row[1] in ("configuration file", "command line"):
            return ReadOnlyState(True, f"default_transaction_read_only = on for the whole server ({row[1]})")
        settings = conn.exec_driver_sql(
            "SELECT s.setdatabase <> 0, s.setconfig FROM pg_db_role_setting s WHERE s.setrole = 0 AND "
            "(s.setdatabase = 0 OR s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()))"
        ).all()
        database = conn.exec_driver_sql("SELECT current_database()").scalar()
        for this_database, config in settings:
            if "default_transaction_read_only=on" in (config or []):
                where = f"database {database}" if this_database else "every database"
                return ReadOnlyState(True, f"default_transaction_read_only = on for {where}, every role")
        conn.rollback()
        return ReadOnlyState(False, f"database {database} accepts writes: neither a standby nor "
                                    "default_transaction_read_only = on (ALTER DATABASE ... SET)")

    def hour_bucket(self, col, seconds, kind):
        hour = sa.func.date_trunc("hour", col)
        if seconds == 3600:
            return hour
        minutes = seconds // 60
        return hour + sa.func.floor(sa.func.date_part("minute", col) / minutes) * sa.text(
            f"interval '{minutes} minutes'"
        )

    def seconds_between(self, earlier, later):
        return sa.extract("epoch", later - earlier)

    def percentile_select(self, v, quantiles):
        parts = [sa.func.percentile_cont(sa.literal_column(repr(q))).within_group(v) for q in quantiles]
        return sa.select(sa.func.count(v), *parts, sa.func.max(v))

    def analyze_statement(self, quoted_table):
        return f"ANALYZE {quoted_table}"

    def epoch_units(self, col, native, kind, unit_us):
        # date_part is double arithmetic, EXTRACT numeric (slower, PostgreSQL 14+). After
        # date_trunc the value is a whole number of units, exact in a double while the
        # epoch in microseconds stays below 2**53 (the years 1685 to 2255).
        if native == "date":
            return sa.cast(sa.func.date_part("epoch", col), sa.BigInteger) * (1_000_000 // unit_us)
        truncated = sa.func.date_trunc(_TRUNC_UNIT[unit_us], col)
        return sa.cast(sa.func.date_part("epoch", truncated) * (1_000_000 // unit_us), sa.BigInteger)

    def slice_of(self, col, native, kind, slice_us):
        # The double epoch of a timestamp is off by less than 0.25 us until the year 2242,
        # while every value and every slice boundary is a whole microsecond: the floor never
        # crosses a boundary. Scaling by a power of two is exact.
        per_second, rest = divmod(1_000_000, slice_us)
        if kind not in ("aware", "naive") or native == "date" or rest or per_second & (per_second - 1):
            return None
        return sa.cast(sa.func.floor(sa.func.date_part("epoch", col) * per_second), sa.BigInteger)

    def int_text(self, col, native):
        if native == "bool":
            return self.text(sa.cast(col, sa.Integer))
        return self.text(sa.cast(col, sa.BigInteger))

    def float4_as_read(self, col):
        # psycopg reads a real as its text ('-5.29', the shortest that gives the float4 back)
        # and Python compares float('-5.29'); real::float8 would be -5.289999961853027
        return sa.cast(sa.cast(col, sa.Text), sa.Float(precision=53))

    def json_text(self, col):
        # jsonb's own text: keys ordered (by length, then bytes), duplicates dropped as
        # Python's json.loads drops them, whitespace fixed; a json column gets it by the cast
        return sa.cast(sa.cast(col, JSONB), sa.Text)

    def double_literal(self, value):
        return sa.literal_column(f"{float(value)!r}::float8")

    def float_text(self, col):
        return self.text(sa.cast(col, sa.Float(precision=53)))

    def date_text(self, col):
        return sa.func.to_char(col, "YYYY-MM-DD")

    def hash60(self, text_expr):
        hex15 = sa.literal("x").op("||")(sa.func.substr(sa.func.md5(text_expr), 1, 15))
        return sa.cast(sa.cast(hex15, BIT(60)), sa.BigInteger)

    def same_family_hash60(self, text_expr):
        # hash_any_extended (PostgreSQL 11+): the same 64 bits on every PostgreSQL and
        # TimescaleDB server; the low 60 are kept so sums stay in the same range as md5's.
        return sa.func.hashtextextended(text_expr, sa.literal_column("0")).op("&")(sa.literal_column(str(2 ** 60 - 1)))
