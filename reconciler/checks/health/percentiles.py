"""p50 / p95 / p99 / max of a numeric expression, computed by the database: the dialect
builds the statement (`Dialect.percentile_select`: PostgreSQL's percentile_cont, elsewhere
the same continuous percentile from ROW_NUMBER() interpolation) and names its method."""

from __future__ import annotations

import sqlalchemy as sa

QUANTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}


def read_percentiles(conn, values: sa.Subquery, dialect) -> dict:
    """{"count", "p50", "p95", "p99", "max"} (None when there are no values), rounded to µs."""
    row = conn.execute(dialect.percentile_select(values.c.v, list(QUANTILES.values()))).one()
    n = int(row[0] or 0)
    names = ("p50", "p95", "p99", "max")
    return {"count": n, **{k: (round(float(x), 6) if n and x is not None else None) for k, x in zip(names, row[1:])}}
