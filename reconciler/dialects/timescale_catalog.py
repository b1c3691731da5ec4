"""What TimescaleDB's catalogue says about continuous aggregates: which exist on a
hypertable, their bucket width, whether they are real-time (materialized_only = false),
where their materialised rows live and up to where they are materialised (watermark).

Only `timescaledb_information.continuous_aggregates` (public, stable since 2.0) and the
watermark function are used; the bucket width is read from the view's own definition, so
nothing here depends on the internal catalogue tables, which change between releases."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

FIND_AGGREGATES = sa.text(
    "SELECT view_schema, view_name, hypertable_schema, hypertable_name, materialized_only, "
    "materialization_hypertable_schema, materialization_hypertable_name, view_definition "
    "FROM timescaledb_information.continuous_aggregates "
    "WHERE CASE WHEN :name <> '' THEN view_name = :name AND (:schema = '' OR view_schema = :schema) "
    "ELSE hypertable_name = :table AND (:schema = '' OR hypertable_schema = :schema) END "
    "ORDER BY view_schema, view_name"
)
INTERVAL_SECONDS = sa.text("SELECT extract(epoch FROM CAST(:width AS interval))")
WATERMARK = sa.text(
    "SELECT _timescaledb_functions.cagg_watermark(h.id) FROM _timescaledb_catalog.hypertable h "
    "WHERE h.schema_name = :schema AND h.table_name = :table"
)
_BUCKET = re.compile(r"time_bucket\(\s*'([^']+)'::interval", re.IGNORECASE)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Aggregate:
    view: str                 # schema.name of the continuous aggregate
    hypertable: str           # schema.name of the raw hypertable it aggregates
    materialized_only: bool
    materialization: str      # schema.name of its materialization hypertable
    bucket_seconds: float | None  # None: not a time_bucket over an interval (an integer time column)

    @property
    def real_time(self) -> bool:
        return not self.materialized_only

    def bucket_text(self) -> str:
        if self.bucket_seconds is None:
            return "an unknown width"
        seconds = self.bucket_seconds
        for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
            if seconds >= size and seconds % size == 0:
                n = int(seconds // size)
                return f"{n} {unit}{'s' if n != 1 else ''}"
        return f"{seconds:g} seconds"

    @property
    def divides_an_hour(self) -> bool:
        s = self.bucket_seconds
        return bool(s) and s == int(s) and 3600 % int(s) == 0


def find_aggregates(conn, *, name: str = "", table: str = "") -> list[Aggregate]:
    """The continuous aggregate called `name` ("view" or "schema.view"), or else every one
    defined on the hypertable `table` ("table" or "schema.table")."""
    wanted = name or table
    schema, _, bare = wanted.rpartition(".")
    params = {"name": bare if name else "", "table": "" if name else bare, "schema": schema}
    out = []
    for row in conn.execute(FIND_AGGREGATES, params).all():
        match = _BUCKET.search(row.view_definition or "")
        seconds = float(conn.execute(INTERVAL_SECONDS, {"width": match.group(1)}).scalar()) if match else None
        out.append(Aggregate(view=f"{row.view_schema}.{row.view_name}",
                             hypertable=f"{row.hypertable_schema}.{row.hypertable_name}",
                             materialized_only=bool(row.materialized_only),
                             materialization=f"{row.materialization_hypertable_schema}."
                                             f"{row.materialization_hypertable_name}",
                             bucket_seconds=seconds))
    return out


def watermark(conn, aggregate: Aggregate) -> datetime | None:
    """Where the materialised part ends (the start of the first bucket not materialised),
    or None when nothing is materialised yet or this TimescaleDB cannot say."""
    schema, _, table = aggregate.materialization.rpartition(".")
    try:
        with conn.begin_nested():
            value = conn.execute(WATERMARK, {"schema": schema, "table": table}).scalar()
    except DBAPIError:
        return None
    if value is None:
        return None
    try:
        return _EPOCH + timedelta(microseconds=int(value))
    except OverflowError:  # the minimum of the time type: nothing materialised
        return None
