"""Continuous percentiles (percentile_cont's definition) for engines without an ordered-set
aggregate (MariaDB/MySQL, SQLite): rank the values with ROW_NUMBER() OVER (ORDER BY v) and
COUNT(*) OVER (), then, with pos = 1 + p * (n - 1), interpolate between the values ranked
floor(pos) and floor(pos) + 1, in one aggregate over the ranks."""

from __future__ import annotations

import sqlalchemy as sa


def ranked_percentiles(dialect, v, quantiles) -> sa.Select:
    """SELECT n, one column per quantile, max(v)."""
    ranked = sa.select(v, sa.func.row_number().over(order_by=v).label("rn"),
                       sa.func.count().over().label("n")).where(v.isnot(None)).subquery("ranked")
    parts = []
    for q in quantiles:
        pos = sa.literal_column("1") + sa.literal_column(repr(q)) * (ranked.c.n - 1)
        low = dialect.floor(pos)
        frac = pos - low
        parts.append(sa.func.sum(sa.case((ranked.c.rn == low, ranked.c.v * (1 - frac)), else_=0))
                     + sa.func.sum(sa.case((ranked.c.rn == low + 1, ranked.c.v * frac), else_=0)))
    return sa.select(sa.func.coalesce(sa.func.max(ranked.c.n), 0), *parts, sa.func.max(ranked.c.v))
