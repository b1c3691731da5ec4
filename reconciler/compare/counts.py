"""Rows per UTC hour on one side, counted by the database."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import sqlalchemy as sa

from reconciler.sources.connection import Source
from reconciler.sources.relation import SideRelation
from reconciler.sources.timeaxis import TimeAxis
from reconciler.timeutil import Window, floor_hour


def count_by_hour(source: Source, rel: SideRelation, axis: TimeAxis, window: Window, conn=None) -> Counter:
    """{UTC hour start: rows} for rows in [window.start, window.end). Buckets are taken in
    the column's wall clock (15-minute buckets where the zone's offset is not whole hours)
    and mapped to UTC hours here."""
    seconds = axis.bucket_seconds(window.start, window.end)
    bucket = source.dialect.hour_bucket(rel.time, seconds, axis.kind).label("bucket")
    stmt = sa.select(bucket, sa.func.count().label("n")).where(*rel.where(axis, window)).group_by(sa.text("1"))
    counts: Counter = Counter()
    if conn is None:
        with source.connect() as c:
            rows = c.execute(stmt).all()
    else:
        rows = conn.execute(stmt).all()
    for value, n in rows:
        if value is None:
            continue
        instant: datetime = axis.to_utc(source.dialect.bucket_value(value))
        counts[floor_hour(instant)] += int(n)
    return counts


def group_summary(rel: SideRelation, axis: TimeAxis, window: Window, by: str, distinct: str | None, conn) -> dict:
    """{value of `by`: (rows, distinct values of `distinct`)} over the side's window and filter."""
    def col(name):
        return rel.relation.c[name] if name in rel.relation.c else sa.column(name)

    counted = [sa.func.count(), sa.func.count(sa.distinct(col(distinct))) if distinct else sa.literal(0)]
    stmt = sa.select(col(by), *counted).where(*rel.where(axis, window)).group_by(sa.text("1"))
    return {str(row[0]): (int(row[1]), int(row[2])) for row in conn.execute(stmt)}
