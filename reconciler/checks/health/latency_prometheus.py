"""Latency of the new system from a Prometheus source: the histogram's quantiles over each
hour, evaluated at the hour's end (`histogram_quantile(q, sum by (le) (increase(M_bucket[1h])))`),
so a recheck or a backfill of a past hour gives what that hour measured.

The histogram is the check's `histogram`, else the source's `metrics.new.latency`, with the
source's `metrics.new.selector`. The check is windowed: one result per hour of the window."""

from __future__ import annotations

from datetime import timedelta

from reconciler.results import FAIL, PASS, SKIPPED, CheckResult
from reconciler.sources import promql
from reconciler.sources.prometheus import PrometheusSource, prometheus_source
from reconciler.thresholds import Threshold
from reconciler.timeutil import Window, iso

QUANTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99, "max": 1.0}


def hour_latency(source: PrometheusSource, histogram: str, key: str, window: Window) -> dict:
    """{"p50", "p95", "p99", "max": ms or None, "count": observations or None} of the window."""
    metrics = source.config.metrics
    matchers = metrics.new.selector
    scale = 1000.0 if metrics.latency_unit == "s" else 1.0
    span = timedelta(seconds=window.seconds)
    out = {}
    for name, q in QUANTILES.items():
        value = source.value(promql.quantile(q, histogram, matchers, span), window.end, key)
        out[name] = None if value is None else round(value * scale, 6)
    infinite = ", ".join(m for m in (matchers, 'le="+Inf"') if m)
    count = source.value(promql.increase(promql.selector(histogram, infinite, "_bucket"), span), window.end, key)
    out["count"] = None if count is None else round(count, 6)
    return out


def prometheus_latency_results(ctx, name: str, cfg) -> list[CheckResult]:
    from reconciler.checks.health.latency import DEFAULT_MAX_LATENCY_MS

    source = prometheus_source(ctx.loaded, cfg.source, ("checks", name, "source"))
    if cfg.histogram:
        histogram, key = cfg.histogram, ctx.loaded.where("checks", name, "histogram")
    else:
        histogram, key = source.config.metrics.new.latency, source.key("metrics", "new", "latency")
    bound = cfg.max_latency_ms if cfg.max_latency_ms is not None else DEFAULT_MAX_LATENCY_MS
    threshold = Threshold(max=bound, unit="ms", text=f"at {cfg.latency_percentile}")
    out = []
    for window in ctx.window.hour_windows():
        observed = hour_latency(source, histogram, key, window)
        value = observed[cfg.latency_percentile]
        status = SKIPPED if value is None else (PASS if value <= bound else FAIL)
        details = {"measure": "write_latency", "method": "prometheus query", "source": cfg.source,
                   "metric": histogram, "evaluated_at": iso(window.end), "ms": value}
        out.append(CheckResult(f"{name}.write_latency", status, observed=observed, threshold=threshold,
                               violations=int(status == FAIL), window=window,
                               message="no request measured in this hour" if value is None else None,
                               details=details))
    return out
