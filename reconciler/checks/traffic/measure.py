"""Traffic split, hour by hour, from a Prometheus source: requests, errors, error rate and
p50/p95/p99 latency of the old and the new system, and the share of traffic the new one took.

Every figure is a PromQL expression evaluated at the hour's end over that hour
(`increase(...[1h])`, `histogram_quantile(...)`), so a past hour measures the same today as
it did then. None means no data (the metric has no sample in the hour, or a rate of nothing),
never zero, with one exception: an error counter that is known to exist (below) and has no
series in an hour with requests had no error in it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from reconciler.config.prometheus import PrometheusMetricsConfig, SystemMetricsConfig
from reconciler.sources import promql
from reconciler.sources.prometheus import PrometheusSource
from reconciler.timeutil import HOUR, Window, hour_starts, iso

QUANTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}
# an error counter with a series this long before an hour exists: its absence then is no error
ERROR_SERIES_LOOKBACK = timedelta(days=7)


@dataclass(frozen=True)
class SystemHour:
    """One system's traffic in one hour."""

    requests: float | None
    errors: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None

    @property
    def error_rate_pct(self) -> float | None:
        """errors / requests in %; None without requests or without an error count."""
        if self.requests is None or self.errors is None or self.requests <= 0:
            return None
        return round(self.errors / self.requests * 100, 6)

    def to_dict(self) -> dict:
        return {**asdict(self), "error_rate_pct": self.error_rate_pct}


@dataclass(frozen=True)
class HourTraffic:
    """The hour [hour, hour + 1h): both systems and the split, in % of requests sent to the new one.
    `split_min_pct` is the lowest the split went in the hour (the gauge's lowest sample; with the
    request counters, the hour's ratio itself)."""

    hour: datetime
    old: SystemHour
    new: SystemHour
    split_pct: float | None
    split_min_pct: float | None
    split_from: str

    @property
    def window(self) -> Window:
        return Window(self.hour, self.hour + HOUR)

    @property
    def measured(self) -> bool:
        """Both the new system's request count and the split are known."""
        return self.new.requests is not None and self.split_pct is not None

    def to_dict(self) -> dict:
        return {"hour": iso(self.hour), "old": self.old.to_dict(), "new": self.new.to_dict(),
                "split_pct": self.split_pct, "split_min_pct": self.split_min_pct, "split_from": self.split_from}


def system_queries(metrics: SystemMetricsConfig, unit_ms: float, span: timedelta = HOUR) -> dict[str, tuple]:
    """{figure: (PromQL, config key under metrics.SYSTEM, scale)} for one system."""
    matchers = metrics.selector
    out = {"requests": (promql.increase(promql.selector(metrics.requests, matchers), span), "requests", 1.0),
           "errors": (promql.increase(promql.selector(metrics.errors, matchers), span), "errors", 1.0)}
    for name, q in QUANTILES.items():
        out[f"{name}_ms"] = (promql.quantile(q, metrics.latency, matchers, span), "latency", unit_ms)
    return out


def figure_selectors(metrics: SystemMetricsConfig) -> dict[str, str]:
    """{figure: the series selector its query reads} for one system (what to name when a query
    returned nothing)."""
    buckets = promql.selector(metrics.latency, metrics.selector, "_bucket")
    return {"requests": promql.selector(metrics.requests, metrics.selector),
            "errors": promql.selector(metrics.errors, metrics.selector), **{f"{n}_ms": buckets for n in QUANTILES}}


def errors_label_requests(metrics: SystemMetricsConfig) -> bool:
    """The errors are the request counter with matchers (`http_requests_total{code=~"5.."}`):
    while the request counter has series, an hour without an error series had no error."""
    return metrics.errors.partition("{")[0].strip() == metrics.requests.partition("{")[0].strip()


def _no_error_series_as_zero(source: PrometheusSource, metrics: SystemMetricsConfig, key: str,
                             requests: dict, errors: dict, ends: list[datetime]) -> dict:
    """`errors` with 0 in each hour that had requests but no error series, where the error
    counter is known to exist: a label of the request counter, or a series of it within
    ERROR_SERIES_LOOKBACK before the hour's end or in a later hour of `ends` (a counter
    created by its first error). A name that never had a series stays unknown (misspelt?)."""
    blank = [t for t in ends if errors[t] is None and (requests[t] or 0) > 0]
    if not blank:
        return errors
    if errors_label_requests(metrics):
        return {**errors, **{t: 0.0 for t in blank}}
    seen = source.values_at(promql.present(figure_selectors(metrics)["errors"], ERROR_SERIES_LOOKBACK), ends, key)
    later = max((t for t in ends if errors[t] is not None), default=None)
    return {**errors, **{t: 0.0 for t in blank if seen[t] is not None or (later is not None and t < later)}}


def split_from_requests(old: float | None, new: float | None) -> float | None:
    """new / (old + new) in %; None when either is unknown or nothing was served."""
    if old is None or new is None or old + new <= 0:
        return None
    return round(new / (old + new) * 100, 6)


def _scaled(value: float | None, scale: float) -> float | None:
    return None if value is None else round(value * scale, 6)


def measure_hours(source: PrometheusSource, window: Window,
                  metrics: PrometheusMetricsConfig | None = None) -> list[HourTraffic]:
    """Every UTC hour that starts in `window`, measured on `source` (one range query per figure)."""
    metrics = metrics or source.config.metrics
    hours = [h for h in hour_starts(window.start, window.end) if h >= window.start]
    if not hours:
        return []
    ends = [h + HOUR for h in hours]
    unit_ms = 1000.0 if metrics.latency_unit == "s" else 1.0
    figures: dict[str, dict[str, dict[datetime, float | None]]] = {}
    for system in ("old", "new"):
        figures[system] = {}
        for figure, (expr, key, scale) in system_queries(getattr(metrics, system), unit_ms).items():
            values = source.values_at(expr, ends, source.key("metrics", system, key))
            figures[system][figure] = {t: _scaled(v, scale) for t, v in values.items()}
        figures[system]["errors"] = _no_error_series_as_zero(
            source, getattr(metrics, system), source.key("metrics", system, "errors"), figures[system]["requests"],
            figures[system]["errors"], ends)
    gauge = _gauge(source, metrics, ends)
    out = []
    for hour, end in zip(hours, ends):
        old = SystemHour(**{f: figures["old"][f][end] for f in figures["old"]})
        new = SystemHour(**{f: figures["new"][f][end] for f in figures["new"]})
        if gauge is None:
            split = split_from_requests(old.requests, new.requests)
            out.append(HourTraffic(hour, old, new, split, split, "requests"))
        else:
            out.append(HourTraffic(hour, old, new, gauge[0][end], gauge[1][end], "gauge"))
    return out


def _gauge(source, metrics, ends):
    if not metrics.split_gauge:
        return None
    key = source.key("metrics", "split_gauge")
    mean = source.values_at(promql.gauge_average(metrics.split_gauge, HOUR), ends, key)
    low = source.values_at(promql.gauge_minimum(metrics.split_gauge, HOUR), ends, key)
    return ({t: _scaled(v, 1.0) for t, v in mean.items()}, {t: _scaled(v, 1.0) for t, v in low.items()})


def measure_hour(source: PrometheusSource, hour: datetime,
                 metrics: PrometheusMetricsConfig | None = None) -> HourTraffic:
    """The UTC hour starting at `hour` (a whole hour)."""
    if hour != hour.replace(minute=0, second=0, microsecond=0):
        raise ValueError(f"not the start of an hour: {iso(hour)}")
    return measure_hours(source, Window(hour, hour + HOUR), metrics)[0]
