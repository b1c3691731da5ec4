"""Write latency of the new system, judged at `latency_percentile` against `max_latency_ms`
(default 10 ms). Either from SQL on the new system (`latency_query`: rows of `latency_ms`,
whose percentiles the database computes, or one row of `p50_ms` / `p95_ms` / `p99_ms` /
`max_ms`), or from a Prometheus histogram scraped from `metrics_url`: the quantile of the
writes between the previous run's scrape and this one (or between two scrapes
`scrape_interval` apart, or, with neither, since the service started). Or, with a Prometheus
`source`, over each hour at its end (latency_prometheus.py)."""

from __future__ import annotations

import math
import time
import urllib.request

import sqlalchemy as sa

from reconciler.checks.health.percentiles import QUANTILES, read_percentiles
from reconciler.errors import ConfigError, SourceError
from reconciler.results import FAIL, PASS, SKIPPED, CheckResult
from reconciler.thresholds import Threshold
from reconciler.timeutil import iso

DEFAULT_MAX_LATENCY_MS = 10.0
SCRAPE_TIMEOUT_S = 10


def scrape_histogram(url: str, metric: str) -> dict[float, float]:
    """{upper bound in the metric's unit: cumulative count}, summed over every other label."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        with urllib.request.urlopen(url, timeout=SCRAPE_TIMEOUT_S) as response:
            text = response.read().decode("utf-8")
    except (OSError, ValueError) as e:
        raise SourceError(f"metrics endpoint {url} is unreachable: {e}") from None
    buckets: dict[float, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name != metric:
            continue
        for sample in family.samples:
            if sample.name == f"{metric}_bucket":
                le = float(sample.labels["le"])
                buckets[le] = buckets.get(le, 0.0) + sample.value
    if not buckets:
        raise SourceError(f"metrics endpoint {url} has no histogram named {metric!r}")
    return dict(sorted(buckets.items()))


def counters_reset(current: dict[float, float], previous: dict[float, float]) -> bool:
    return set(previous) != set(current) or any(current[le] < previous[le] for le in current)


def bucket_delta(current: dict[float, float], previous: dict[float, float] | None) -> dict[float, float]:
    """Writes between two scrapes; after a counter reset (the service restarted) the current counts."""
    if not previous or counters_reset(current, previous):
        return dict(current)
    return {le: current[le] - previous[le] for le in current}


def histogram_quantile(q: float, buckets: dict[float, float]) -> float | None:
    """Prometheus' histogram_quantile: linear interpolation inside the bucket that holds the
    rank; a rank in the +Inf bucket gives the highest finite bound. None without observations."""
    bounds = sorted(buckets)
    total = buckets[bounds[-1]] if bounds else 0
    if not bounds or total <= 0:
        return None
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for le in bounds:
        count = buckets[le]
        if count >= rank:
            if math.isinf(le):
                finite = [b for b in bounds if not math.isinf(b)]
                return finite[-1] if finite else None
            if count == lower_count:
                return le
            return lower_bound + (le - lower_bound) * (rank - lower_count) / (count - lower_count)
        lower_bound, lower_count = le, count
    return None


def histogram_percentiles(buckets: dict[float, float], scale: float) -> dict:
    total = max(buckets.values()) if buckets else 0
    out = {"count": int(total)}
    for name, q in QUANTILES.items():
        value = histogram_quantile(q, buckets)
        out[name] = round(value * scale, 6) if value is not None else None
    value = histogram_quantile(1.0, buckets)
    out["max"] = round(value * scale, 6) if value is not None else None
    return out


def measure_histogram(url: str, metric: str, previous: dict | None = None, between=None):
    """(delta buckets, current buckets, basis). `previous`: {le: count} from the last run;
    `between`: called between two scrapes when there is no previous one (sleep, or a test's hook)."""
    if previous is None and between is not None:
        previous = scrape_histogram(url, metric)
        between()
        basis = "two scrapes"
    else:
        basis = "since the last run" if previous is not None else "since the service started"
    current = scrape_histogram(url, metric)
    if previous is not None and counters_reset(current, previous):
        basis = "since the service restarted"
    return bucket_delta(current, previous), current, basis


def latency_results(ctx, name: str, cfg) -> list[CheckResult]:
    if cfg.reads_prometheus:
        from reconciler.checks.health.latency_prometheus import prometheus_latency_results

        return prometheus_latency_results(ctx, name, cfg)
    bound = cfg.max_latency_ms if cfg.max_latency_ms is not None else DEFAULT_MAX_LATENCY_MS
    threshold = Threshold(max=bound, unit="ms", text=f"at {cfg.latency_percentile}")
    check = f"{name}.write_latency"
    details = {"measure": "write_latency", "as_of": iso(ctx.now)}
    if cfg.latency_query:
        observed = _from_sql(ctx, name, cfg)
        details["method"] = observed.pop("method")
    else:
        last = ctx.previous(check)
        stored = last.result.details.get("buckets") if last is not None else None
        previous = {float(le): n for le, n in stored} if stored else None
        interval = cfg.scrape_interval.total_seconds()
        between = (lambda: time.sleep(interval)) if previous is None and interval > 0 else None
        delta, current, basis = measure_histogram(cfg.metrics_url, cfg.histogram, previous, between)
        observed = histogram_percentiles(delta, 1000.0)
        details.update(method="prometheus histogram", basis=basis, metric=cfg.histogram,
                       buckets=[[("+Inf" if math.isinf(le) else le), n] for le, n in current.items()])
        if last is not None and previous is not None:
            details["since_run"] = last.run_id
    value = observed.get(cfg.latency_percentile)
    status = SKIPPED if value is None else (PASS if value <= bound else FAIL)
    details["ms"] = value
    return [CheckResult(check, status, observed=observed, threshold=threshold, violations=int(status == FAIL),
                        message="no writes measured" if value is None else None, details=details)]


def _from_sql(ctx, name, cfg) -> dict:
    if cfg.source not in ctx.sources:
        raise ConfigError(f"{ctx.loaded.where('checks', name, 'source')}: {cfg.source!r} is not a database source")
    source = ctx.sources[cfg.source]
    with source.connect() as conn:
        probe = conn.execute(sa.text(f"SELECT * FROM ({cfg.latency_query}) AS q WHERE 1 = 0"))
        columns = list(probe.keys())
        if "latency_ms" in columns:
            values = sa.select(sa.column("latency_ms").label("v")).select_from(
                sa.text(f"({cfg.latency_query}) AS q")).subquery("latencies")
            return {**read_percentiles(conn, values, source.dialect), "method": source.dialect.percentile_method}
        row = conn.execute(sa.text(cfg.latency_query)).mappings().first() or {}
    given = {k: row.get(f"{k}_ms") for k in ("p50", "p95", "p99", "max")}
    if all(v is None for v in given.values()) and not any(f"{k}_ms" in columns for k in given):
        raise ConfigError(f"{ctx.loaded.where('checks', name, 'latency_query')}: the query must return a "
                          f"latency_ms column, or p50_ms / p95_ms / p99_ms / max_ms (it returns {', '.join(columns)})")
    return {**{k: (float(v) if v is not None else None) for k, v in given.items()}, "method": "sql percentiles"}
