"""TimescaleDB continuous aggregate vs its raw hypertable. The comparison SQL is plain
PostgreSQL (a view stands in for the aggregate in tests); only the detection differs."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from reconciler.results import FAIL, PASS, SKIPPED, CheckResult
from reconciler.thresholds import Threshold
from reconciler.timeutil import Window, floor_hour, iso

FIND_AGGREGATE = sa.text(
    "SELECT view_schema, view_name FROM timescaledb_information.continuous_aggregates "
    "WHERE view_name = :name OR (:name = '' AND hypertable_name = :table) LIMIT 1"
)


def aggregate_counts(conn, relation: str, bucket_column: str, count_column: str, window: Window) -> dict:
    schema, _, name = relation.rpartition(".")
    view = sa.table(name, sa.column(bucket_column), sa.column(count_column), schema=schema or None)
    stmt = (sa.select(view.c[bucket_column], view.c[count_column])
            .where(view.c[bucket_column] >= window.start, view.c[bucket_column] < window.end))
    out = {}
    for bucket, count in conn.execute(stmt):
        bucket = bucket.replace(tzinfo=timezone.utc) if bucket.tzinfo is None else bucket.astimezone(timezone.utc)
        out[floor_hour(bucket)] = out.get(floor_hour(bucket), 0) + int(count or 0)
    return out


def compare_hourly(aggregate: dict, raw: dict, hours: list[datetime]) -> list[dict]:
    """Hours where the aggregate's count differs from the raw table's."""
    return [{"hour": iso(h), "aggregate": aggregate.get(h, 0), "raw": raw.get(h, 0)}
            for h in hours if aggregate.get(h, 0) != raw.get(h, 0)]


def check_continuous_aggregate(ctx, name, cfg) -> CheckResult:
    from reconciler.compare import open_sides, prepare_side
    from reconciler.counts import count_by_hour

    ds = ctx.loaded.config.datasets[cfg.dataset]
    side = open_sides(ctx.loaded, cfg.dataset, ctx.sources, ctx.now)["new"]
    now = ctx.now
    cutoff = min(ctx.window.end, floor_hour(now - cfg.refresh_lag))
    with side.source.connect() as conn:
        if not side.source.dialect.has_time_bucket:
            return CheckResult(name, SKIPPED, window=ctx.window,
                               message=f"source {ds.new.source!r} has no TimescaleDB extension")
        table = (ds.new.table or "").rpartition(".")[2]
        found = conn.execute(FIND_AGGREGATE, {"name": cfg.aggregate or "", "table": table}).first()
        if found is None:
            return CheckResult(name, SKIPPED, window=ctx.window,
                               message=f"no continuous aggregate {cfg.aggregate or 'on ' + table}")
        if cutoff <= ctx.window.start:
            return CheckResult(name, SKIPPED, window=ctx.window,
                               message=f"window is within the refresh lag ({cfg.refresh_lag})")
        judged = Window(ctx.window.start, cutoff)
        prepare_side(ctx.loaded, cfg.dataset, side, conn)
        raw = count_by_hour(side.source, side.rel, side.axis, judged, conn)
        agg = aggregate_counts(conn, f"{found[0]}.{found[1]}", cfg.bucket_column, cfg.count_column, judged)
    bad = compare_hourly(agg, raw, judged.hours())
    return CheckResult(name, FAIL if bad else PASS, observed=len(bad), threshold=Threshold.at_most(0, "differing hours"),
                       violations=len(bad), samples=bad[:20], window=judged,
                       details={"aggregate": f"{found[0]}.{found[1]}"})
