"""The `traffic` check's results: one per hour of the window, measured on a Prometheus source
at the hour's end (measure.py), judged by the plan's alerts (judge.py) and by the discrepancy
rate, the share of rows that differ in the same hour's row comparison of `dataset` (read
through the check context: this run's comparison, else the newest one the store holds)."""

from __future__ import annotations

from datetime import datetime

from reconciler.checks.traffic.judge import TrafficBounds, hour_alerts, unknown_figures
from reconciler.checks.traffic.measure import ERROR_SERIES_LOOKBACK, HourTraffic, figure_selectors, measure_hours
from reconciler.config.prometheus import PrometheusMetricsConfig
from reconciler.formatting import number
from reconciler.results import FAIL, PASS, SKIPPED, CheckResult
from reconciler.sources.prometheus import prometheus_source
from reconciler.thresholds import Threshold
from reconciler.timeutil import iso

ROW_CLASSES = ("matched", "mismatched", "missing_in_new", "extra_in_new")


def discrepancy_of(totals: dict | None) -> dict | None:
    """{"pct", "differing", "rows"}: rows missing, extra or changed over every compared row
    (100 - match %); None without a row-level comparison."""
    if not totals or any(totals.get(k) is None for k in ROW_CLASSES):
        return None
    rows = sum(int(totals[k]) for k in ROW_CLASSES)
    differing = rows - int(totals["matched"])
    return {"pct": round(differing / rows * 100, 6) if rows else 0.0, "differing": differing, "rows": rows}


def bounds_of(cfg) -> TrafficBounds:
    return TrafficBounds(max_error_rate_increase_points=cfg.max_error_rate_increase_points,
                         max_p99_ratio=cfg.max_p99_ratio)


FIGURES = {"requests": "request count", "errors": "error count", "p99_ms": "p99 latency"}


def _unknown_text(system: str, figure: str, metrics: PrometheusMetricsConfig) -> str:
    if system == "split":
        return f"the split is unknown: the split gauge {metrics.split_gauge} returned nothing in the hour"
    side = getattr(metrics, system)
    selector = figure_selectors(side)[figure]
    text = f"the {system} system's {FIGURES[figure]} is unknown: {selector} returned no series"
    if figure == "requests" and system == "old" and metrics.split_gauge:
        text += ", while the split gauge says it served in the hour: nothing to compare the new system with"
    elif figure == "requests" and system == "old":
        text += (", so the split new / (old + new) cannot be computed (if the old system is switched off, give the "
                 "split as a gauge, `metrics.split_gauge`, or keep its request counter exported)")
    elif figure == "errors":
        days = ERROR_SERIES_LOOKBACK.days
        requests = side.requests.partition("{")[0]
        text += (f", nor in the {days} days before (a misspelt name? A counter created by its first error: "
                 f"initialise it to 0 at start, or count errors with a label of the request counter, e.g. "
                 f"{requests}{{code=~\"5..\"}})")
    elif figure == "p99_ms" and side.latency.endswith("_bucket"):
        text += " (name the histogram without _bucket: the suffix is added)"
    elif figure == "p99_ms":
        text = text.replace("returned no series", "returned nothing in the hour")
    return text


def not_judged(hour: HourTraffic, metrics: PrometheusMetricsConfig) -> str | None:
    """Why the hour cannot be judged: each figure it needs that Prometheus gave nothing for,
    with the series that returned nothing; None when it can be judged."""
    if hour.new.requests == 0:
        return "the new system served no request in this hour"
    return "; ".join(_unknown_text(system, figure, metrics) for system, figure in unknown_figures(hour)) or None


def hour_result(name: str, cfg, hour: HourTraffic, discrepancy: dict | None, source: str,
                metrics: PrometheusMetricsConfig) -> CheckResult:
    """One hour: failing on any of the plan's three alerts; skipped when a figure they or the
    phase criteria need is unknown, or the new system served nothing."""
    alerts = [a.kind for a in hour_alerts(hour, bounds_of(cfg))]
    if discrepancy is not None and discrepancy["pct"] > cfg.max_discrepancy_pct:
        alerts.append("discrepancy")
    why_not = not_judged(hour, metrics)
    status = SKIPPED if why_not else FAIL if alerts else PASS
    observed = {k: v for k, v in hour.to_dict().items() if k != "hour"}
    observed["discrepancy"] = discrepancy
    bounds = {"max_error_rate_increase_points": cfg.max_error_rate_increase_points,
              "max_p99_ratio": cfg.max_p99_ratio, "max_discrepancy_pct": cfg.max_discrepancy_pct}
    threshold = Threshold(text=f"new error rate ≤ old + {number(cfg.max_error_rate_increase_points)} points, new p99 ≤ "
                               f"old p99 × {number(cfg.max_p99_ratio)}, discrepancy ≤ {number(cfg.max_discrepancy_pct)} %")
    details = {"measure": "traffic", "source": source, "evaluated_at": iso(hour.window.end), "alerts": alerts,
               "bounds": bounds}
    if cfg.dataset:
        details["dataset"] = cfg.dataset
    return CheckResult(f"{name}.traffic", status, observed=observed, threshold=threshold, violations=len(alerts),
                       window=hour.window, details=details,
                       message=why_not)


def traffic_results(ctx, name: str, cfg) -> list[CheckResult]:
    source = prometheus_source(ctx.loaded, cfg.source, ("checks", name, "source"))
    out = []
    for hour in measure_hours(source, ctx.window):
        discrepancy = discrepancy_of(ctx.row_totals(cfg.dataset, hour.hour)) if cfg.dataset else None
        out.append(hour_result(name, cfg, hour, discrepancy, cfg.source, source.config.metrics))
    return out


def hour_traffic(observed: dict, hour: datetime) -> HourTraffic:
    """A stored result's observed figures back as the HourTraffic they were measured as."""
    from reconciler.checks.traffic.measure import SystemHour

    def system(d: dict) -> SystemHour:
        return SystemHour(**{k: d.get(k) for k in ("requests", "errors", "p50_ms", "p95_ms", "p99_ms")})

    return HourTraffic(hour, system(observed.get("old") or {}), system(observed.get("new") or {}),
                       observed.get("split_pct"), observed.get("split_min_pct"), observed.get("split_from") or "")
