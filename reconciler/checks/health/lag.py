"""Processing lag of the new system: per hour, the delay between an event's time and the
moment the new system stored it (`ingested_column`), as p50/p95/p99/max computed in the
database and judged at `lag_percentile` against `max_lag_seconds` (default 5 s). Without an
ingestion column: the age of the newest event at run time, a point-in-time result."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from reconciler.checks.health.percentiles import read_percentiles
from reconciler.dialects.sqlite_functions import epoch_us
from reconciler.errors import ConfigError
from reconciler.results import FAIL, PASS, SKIPPED, CheckResult
from reconciler.sources.relation import SideRelation
from reconciler.thresholds import Threshold
from reconciler.timeutil import HOUR, Window, iso

DEFAULT_MAX_LAG_SECONDS = 5.0
_EPOCH = datetime(1970, 1, 1)


def _side(ctx, name, cfg):
    dataset = ctx.loaded.config.datasets[cfg.dataset]
    side = dataset.new
    if side.source not in ctx.sources:
        raise ConfigError(f"{ctx.loaded.where('checks', name, 'dataset')}: the new side's source "
                          f"{side.source!r} is not a database source")
    return side, ctx.sources[side.source]


def _bound(cfg) -> float:
    return cfg.max_lag_seconds if cfg.max_lag_seconds is not None else DEFAULT_MAX_LAG_SECONDS


def processing_lag_results(ctx, name: str, cfg) -> list[CheckResult]:
    """One result per UTC hour of `ctx.window` (a windowed check: the registry gives it the
    job's window, never an open one)."""
    side, source = _side(ctx, name, cfg)
    bound = _bound(cfg)
    rel = SideRelation.build(side, [cfg.ingested_column], now=ctx.now)
    threshold = Threshold(max=bound, unit="s", text=f"at {cfg.lag_percentile}")
    out = []
    with source.connect() as conn:
        axis = rel.probe_time(conn, side.timezone)
        lag = source.dialect.seconds_between(rel.time, rel.col(cfg.ingested_column))
        for hour in ctx.window.hours():
            window = Window(max(hour, ctx.window.start), min(hour + HOUR, ctx.window.end))
            values = sa.select(lag.label("v")).select_from(rel.relation).where(*rel.where(axis, window)).subquery("lags")
            observed = read_percentiles(conn, values, source.dialect)
            value = observed[cfg.lag_percentile]
            status = SKIPPED if value is None else (PASS if value <= bound else FAIL)
            out.append(CheckResult(
                f"{name}.processing_lag", status, observed=observed, threshold=threshold,
                violations=int(status == FAIL), window=window,
                message="no events in this hour" if value is None else None,
                details={"measure": "processing_lag", "dataset": cfg.dataset, "column": cfg.ingested_column,
                         "method": source.dialect.percentile_method, "seconds": value}))
    return out


def newest_event_age(ctx, name: str, cfg) -> CheckResult:
    """The age of the newest event before `ctx.now` (a point-in-time check)."""
    side, source = _side(ctx, name, cfg)
    bound = _bound(cfg)
    rel = SideRelation.build(side, [], now=ctx.now)
    with source.connect() as conn:
        axis = rel.probe_time(conn, side.timezone)
        newest_raw = conn.execute(sa.select(sa.func.max(rel.time)).select_from(rel.relation)
                                  .where(rel.time < sa.bindparam("now", axis.bound(ctx.now)))).scalar()
    details = {"measure": "newest_event_age", "dataset": cfg.dataset, "as_of": iso(ctx.now)}
    threshold = Threshold.at_most(bound, "s")
    if newest_raw is None:
        return CheckResult(f"{name}.newest_event_age", FAIL, observed=None, threshold=threshold, violations=1,
                           message="the new system holds no event before now", details=details)
    newest = _as_utc(newest_raw, axis)
    age = round((ctx.now - newest).total_seconds(), 3)
    details["newest"] = iso(newest)
    return CheckResult(f"{name}.newest_event_age", PASS if age <= bound else FAIL, observed={"seconds": age},
                       threshold=threshold, violations=int(age > bound), details=details)


def _as_utc(value, axis) -> datetime:
    """A time column's value (datetime, ISO text or epoch number) as aware UTC."""
    if isinstance(value, datetime):
        return axis.to_utc(value)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), timezone.utc)
    wall = _EPOCH + timedelta(microseconds=epoch_us(value))  # offset-aware text comes back as UTC
    return axis.to_utc(wall) if "+" not in str(value)[10:] and not str(value).endswith("Z") else wall.replace(
        tzinfo=timezone.utc)
