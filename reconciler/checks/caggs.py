"""The `caggs` check: a TimescaleDB continuous aggregate's hourly counts against its raw
hypertable, for the hours older than `refresh_lag`.

- The aggregate comes from TimescaleDB's catalogue: the one named by `aggregate:`, or the
  one defined on the dataset's new-side table (the widest whose buckets divide an hour).
- Only what the aggregate has materialised is compared. A real-time aggregate
  (materialized_only = false) computes unmaterialised buckets from the raw table at query
  time, so reading it through its view would compare the raw table with itself: its
  materialization hypertable is read instead, and the result says so.
- Buckets finer than an hour (15 minutes, ...) are added up per hour. Coarser ones (a day)
  are refused with a configuration error: the check judges the job's hourly windows, and a
  day bucket cannot be compared with part of a day; point it at an hourly aggregate (a
  daily one is usually a rollup of it, and checking that one covers raw -> aggregate).
- No extension, or no aggregate: `skipped` with the reason, never `pass`."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from reconciler.dialects.timescale_catalog import Aggregate, find_aggregates, watermark
from reconciler.errors import ConfigError
from reconciler.results import FAIL, PASS, SKIPPED, CheckResult
from reconciler.thresholds import Threshold
from reconciler.timeutil import Window, floor_hour, iso


class MisalignedBuckets(ValueError):
    """A bucket that does not start on a multiple of its width within its hour (an origin,
    offset or time zone moved it): it would straddle two hours."""


def read_buckets(conn, relation: str, bucket_column: str, count_column: str, window: Window) -> list[tuple]:
    """(bucket start as aware UTC, count) of `relation` for buckets starting in the window."""
    schema, _, name = relation.rpartition(".")
    view = sa.table(name, sa.column(bucket_column), sa.column(count_column), schema=schema or None)
    stmt = (sa.select(view.c[bucket_column], view.c[count_column])
            .where(view.c[bucket_column] >= window.start, view.c[bucket_column] < window.end))
    out = []
    for bucket, count in conn.execute(stmt):
        bucket = bucket.replace(tzinfo=timezone.utc) if bucket.tzinfo is None else bucket.astimezone(timezone.utc)
        out.append((bucket, int(count or 0)))
    return out


def roll_up(buckets: list[tuple], bucket_seconds: float = 3600) -> dict:
    """{UTC hour: count} from buckets that divide an hour."""
    width = timedelta(seconds=bucket_seconds)
    out: dict[datetime, int] = {}
    for bucket, count in buckets:
        hour = floor_hour(bucket)
        if (bucket - hour) % width:
            raise MisalignedBuckets(f"bucket {iso(bucket)} does not start on a multiple of {width} within its hour")
        out[hour] = out.get(hour, 0) + count
    return out


def aggregate_counts(conn, relation: str, bucket_column: str, count_column: str, window: Window,
                     bucket_seconds: float = 3600) -> dict:
    return roll_up(read_buckets(conn, relation, bucket_column, count_column, window), bucket_seconds)


def compare_hourly(aggregate: dict, raw: dict, hours: list[datetime]) -> list[dict]:
    """Hours where the aggregate's count differs from the raw table's."""
    return [{"hour": iso(h), "aggregate": aggregate.get(h, 0), "raw": raw.get(h, 0)}
            for h in hours if aggregate.get(h, 0) != raw.get(h, 0)]


def choose_aggregate(ctx, name: str, cfg, table: str, conn) -> Aggregate | str:
    """The aggregate to judge, or the reason there is none (a `skipped` message). An
    aggregate that cannot be compared hour by hour is a configuration error."""
    if cfg.aggregate:
        found = find_aggregates(conn, name=cfg.aggregate)
        if not found:
            return f"no continuous aggregate {cfg.aggregate}"
        where = ctx.loaded.where("checks", name, "aggregate")
    elif not table:
        return "the new side is a query: name the continuous aggregate with `aggregate:`"
    else:
        found = find_aggregates(conn, table=table)
        if not found:
            return f"no continuous aggregate on {table}"
        where = ctx.loaded.where("checks", name)
    if cfg.aggregate and table and table.rpartition(".")[2] != found[0].hypertable.rpartition(".")[2]:
        raise ConfigError(f"{where}: continuous aggregate {found[0].view} aggregates {found[0].hypertable}, not "
                          f"the dataset's table {table} (datasets.{cfg.dataset}.new.table)")
    usable = [a for a in found if a.divides_an_hour]
    if not usable:
        listed = ", ".join(f"{a.view} ({a.bucket_text()} buckets)" for a in found)
        raise ConfigError(f"{where}: {listed}: the caggs check compares hourly counts, so it needs an aggregate "
                          f"whose buckets divide an hour (1 hour, 15 minutes, ...); a coarser one cannot be compared "
                          f"with an hour of raw rows. Define an hourly continuous aggregate on "
                          f"{found[0].hypertable} (a daily one can be built on it) and name it with `aggregate:`")
    return max(usable, key=lambda a: a.bucket_seconds)


def check_continuous_aggregate(ctx, name, cfg) -> CheckResult:
    from reconciler.compare.counts import count_by_hour
    from reconciler.compare.sides import open_sides, prepare_side

    ds = ctx.loaded.config.datasets[cfg.dataset]
    side = open_sides(ctx.loaded, cfg.dataset, ctx.sources, ctx.now)["new"]
    cutoff = min(ctx.window.end, floor_hour(ctx.now - cfg.refresh_lag))
    with side.source.connect() as conn:
        if not side.source.dialect.has_time_bucket:
            return CheckResult(name, SKIPPED, window=ctx.window,
                               message=f"source {ds.new.source!r} has no TimescaleDB extension")
        chosen = choose_aggregate(ctx, name, cfg, ds.new.table or "", conn)
        if isinstance(chosen, str):
            return CheckResult(name, SKIPPED, window=ctx.window, message=chosen)
        if cutoff <= ctx.window.start:
            return CheckResult(name, SKIPPED, window=ctx.window,
                               message=f"window is within the refresh lag ({cfg.refresh_lag})")
        judged = Window(ctx.window.start, cutoff)
        source = chosen.materialization if chosen.real_time else chosen.view
        _require_columns(ctx, name, cfg, conn, source, chosen)
        prepare_side(ctx.loaded, cfg.dataset, side, conn)
        raw = count_by_hour(side.source, side.rel, side.axis, judged, conn)
        buckets = read_buckets(conn, source, cfg.bucket_column, cfg.count_column, judged)
        materialised_until = watermark(conn, chosen)
    try:
        agg = roll_up(buckets, chosen.bucket_seconds)
    except MisalignedBuckets as e:
        raise ConfigError(f"{ctx.loaded.where('checks', name)}: continuous aggregate {chosen.view}: {e} "
                          f"(a time_bucket origin, offset or time zone); the caggs check needs buckets aligned "
                          f"to UTC hours") from None
    bad = compare_hourly(agg, raw, judged.hours())
    details = {"aggregate": chosen.view, "bucket": chosen.bucket_text(), "read_from": source,
               "real_time": chosen.real_time,
               "watermark": iso(materialised_until) if materialised_until else None}
    notes = []
    if chosen.real_time:
        notes.append(f"real-time aggregate (materialized_only = false): compared its materialised part only, "
                     f"read from {source}, not through the view, which computes unmaterialised hours from the "
                     f"raw table")
    if chosen.bucket_seconds != 3600:
        notes.append(f"buckets of {chosen.bucket_text()} added up per hour")
    if bad:
        differ = f"{len(bad)} hours differ" if len(bad) != 1 else "1 hour differs"
        notes.append(f"{differ} from the raw table: rows arrived after the last refresh, or the refresh policy is "
                     f"behind (CALL refresh_continuous_aggregate('{chosen.view}', '{bad[0]['hour']}', "
                     f"'{iso(judged.end)}') refreshes them)")
    return CheckResult(name, FAIL if bad else PASS, observed=len(bad), threshold=Threshold.at_most(0, "differing hours"),
                       violations=len(bad), samples=bad[:ds.diff.sample_limit], window=judged,
                       message="; ".join(notes) or None, details=details)


def _require_columns(ctx, name, cfg, conn, relation: str, chosen: Aggregate) -> None:
    schema, _, table = relation.rpartition(".")
    present = list(conn.execute(sa.select(sa.text("*")).select_from(sa.table(table, schema=schema or None))
                                .where(sa.false())).keys())
    for key, column in (("bucket_column", cfg.bucket_column), ("count_column", cfg.count_column)):
        if column not in present:
            raise ConfigError(f"{ctx.loaded.where('checks', name, key)}: column {column!r} does not exist in "
                              f"continuous aggregate {chosen.view} (columns: {', '.join(present)})")
