"""What every dialect provides. Subclasses hold only what differs between engines."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa


class Dialect:
    name = "generic"
    has_time_bucket = False

    def setup_session(self, dbapi_conn, timeout_s: float, read_only: bool) -> None:
        """Read-only session, statement timeout, session time zone UTC."""

    def hour_bucket(self, col, seconds: int, kind: str):
        """SQL expression for the wall-clock start of the `seconds`-wide bucket holding `col`.
        `kind` is the time column's storage kind (see timeaxis.TimeAxis.kind)."""
        raise NotImplementedError

    def bucket_value(self, value) -> datetime:
        """What the driver returned for hour_bucket(), as a datetime (naive = wall clock)."""
        if isinstance(value, datetime):
            return value
        return datetime.fromisoformat(str(value))

    def describe(self) -> str:
        return self.name

    def bucket_sql_literal(self, seconds: int) -> str:
        minutes = seconds // 60
        return f"{minutes} minutes"

    @staticmethod
    def ordinal(n: int):
        return sa.literal_column(str(n))
