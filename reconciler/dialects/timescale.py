"""TimescaleDB: PostgreSQL plus time_bucket. Everything else is inherited: the SQL it
emits differs from plain PostgreSQL only in the bucket function. The tests run it on real
hypertables (tests/test_timescale.py, and the TimescaleDB cases of the counts, row-diff and
parity tests); what the catalogue says about continuous aggregates is in timescale_catalog."""

from __future__ import annotations

import sqlalchemy as sa

from reconciler.dialects.postgresql import PostgresDialect


class TimescaleDialect(PostgresDialect):
    name = "timescaledb"
    has_time_bucket = True

    def __init__(self, version: str = ""):
        self.version = version

    def refined(self, conn):
        return self

    def hour_bucket(self, col, seconds, kind):
        return sa.func.time_bucket(sa.text(f"interval '{seconds} seconds'"), col)


DETECT_SQL = "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"
