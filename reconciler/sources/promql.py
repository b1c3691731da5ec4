"""PromQL written in one place: selectors from a configured metric plus a side's label
matchers, and the windowed expressions evaluated at the end of a window. Pure strings.

Range ends: Prometheus 2 includes both ends of `[1h]` in a range, Prometheus 3 only the right
one. Counters are read with `increase()`, which is exact in both when a sample sits on each
hour boundary and, in 3, when the counter grows evenly in the hour (its extrapolation then
restores the first interval). Gauges are averaged over the half-open hour `[start, end)`:
`[1h] offset 1ms` selects exactly those samples in both versions."""

from __future__ import annotations

from datetime import timedelta


def selector(metric: str, matchers: str = "", suffix: str = "") -> str:
    """`name{matchers}` from a configured metric (which may carry its own matchers), more
    matchers, and a series suffix such as `_bucket`."""
    name, _, own = metric.partition("{")
    own = own.rstrip().removesuffix("}").strip().rstrip(",")
    labels = ", ".join(m for m in (own, matchers.strip()) if m)
    return f"{name}{suffix}{{{labels}}}" if labels else f"{name}{suffix}"


def duration(span: timedelta) -> str:
    """A PromQL duration: `1h`, `30m`, `90s`, `1500ms`."""
    millis = round(span.total_seconds() * 1000)
    if millis <= 0:
        raise ValueError(f"a PromQL range must be positive, got {span}")
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if millis % size == 0:
            return f"{millis // size}{unit}"
    return f"{millis}ms"


def increase(series: str, span: timedelta) -> str:
    """How much a counter grew over the window that ends at the evaluation time, summed over
    every series the selector matches."""
    return f"sum(increase({series}[{duration(span)}]))"


def quantile(q: float, histogram: str, matchers: str, span: timedelta) -> str:
    """The q-quantile of a histogram's observations in the window ending at the evaluation time."""
    buckets = selector(histogram, matchers, "_bucket")
    return f"histogram_quantile({q:g}, sum by (le) (increase({buckets}[{duration(span)}])))"


def gauge_average(series: str, span: timedelta) -> str:
    """A gauge's mean over the half-open window `[end - span, end)`, over its series."""
    return f"avg(avg_over_time({series}[{duration(span)}] offset 1ms))"


def gauge_minimum(series: str, span: timedelta) -> str:
    """A gauge's lowest sample in the half-open window `[end - span, end)`."""
    return f"min(min_over_time({series}[{duration(span)}] offset 1ms))"


def present(series: str, span: timedelta) -> str:
    """How many series the selector had in the window ending at the evaluation time (no data:
    none)."""
    return f"count(last_over_time({series}[{duration(span)}]))"
