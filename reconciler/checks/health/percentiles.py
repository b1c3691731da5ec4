"""p50 / p95 / p99 / max of a numeric expression, computed by the database.

PostgreSQL: `percentile_cont(p) WITHIN GROUP (ORDER BY x)`. MariaDB/MySQL and SQLite have
no ordered-set aggregate, so the same continuous percentile is computed from window
functions: rank the values with ROW_NUMBER() OVER (ORDER BY x) and COUNT(*) OVER (), then,
with pos = 1 + p * (n - 1), interpolate between the values ranked floor(pos) and
floor(pos) + 1 — exactly percentile_cont's definition, in one aggregate over the ranks."""

from __future__ import annotations

import sqlalchemy as sa

QUANTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}
NATIVE = "percentile_cont"
RANKED = "row_number interpolation"


def method(dialect_name: str) -> str:
    return NATIVE if dialect_name == "postgresql" else RANKED


def percentile_select(values: sa.Subquery, dialect) -> sa.Select:
    """SELECT n, p50, p95, p99, max over the column `v` of `values`."""
    v = values.c.v
    if dialect.name == "postgresql":
        parts = [sa.func.percentile_cont(sa.literal_column(repr(q))).within_group(v) for q in QUANTILES.values()]
        return sa.select(sa.func.count(v), *parts, sa.func.max(v))
    ranked = sa.select(v, sa.func.row_number().over(order_by=v).label("rn"),
                       sa.func.count().over().label("n")).where(v.isnot(None)).subquery("ranked")
    parts = []
    for q in QUANTILES.values():
        pos = sa.literal_column("1") + sa.literal_column(repr(q)) * (ranked.c.n - 1)
        low = dialect.floor(pos)
        frac = pos - low
        parts.append(sa.func.sum(sa.case((ranked.c.rn == low, ranked.c.v * (1 - frac)), else_=0))
                     + sa.func.sum(sa.case((ranked.c.rn == low + 1, ranked.c.v * frac), else_=0)))
    return sa.select(sa.func.coalesce(sa.func.max(ranked.c.n), 0), *parts, sa.func.max(ranked.c.v))


def read_percentiles(conn, values: sa.Subquery, dialect) -> dict:
    """{"count", "p50", "p95", "p99", "max"} (None when there are no values), rounded to µs."""
    row = conn.execute(percentile_select(values, dialect)).one()
    n = int(row[0] or 0)
    names = ("p50", "p95", "p99", "max")
    return {"count": n, **{k: (round(float(x), 6) if n and x is not None else None) for k, x in zip(names, row[1:])}}
