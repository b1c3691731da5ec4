"""What a Prometheus source's metrics are called: the migration interceptor's request, error
and latency metrics of the old and the new system, as `sources.NAME.metrics`.

The plan's interceptor emits `traffic_split.new_system` (one per request routed to the new
system), `errors.new_system` and `latency.new_system` (a timer), and their `old_system` twins.
The defaults are those names as the OpenMetrics/OpenTelemetry Prometheus exporters write them:
dots become underscores, a counter gets `_total`, a histogram gets its unit (`_seconds`) and
is stored as `_bucket` / `_sum` / `_count` series. Every name can be replaced, and each may
carry its own label matchers: `http_requests_total{code=~"5.."}`."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# a metric name, optionally followed by label matchers in braces
METRIC_SELECTOR = re.compile(r"^[A-Za-z_:][A-Za-z0-9_:]*(\{.*\})?$", re.S)
# the inside of a matcher list: name op "value", ...
_MATCHERS = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*\s*(=|!=|=~|!~)\s*"(?:[^"\\]|\\.)*"\s*(,\s*|$))*$', re.S)


def metric_selector(value: str) -> str:
    """A metric name with optional `{label matchers}`, checked."""
    value = value.strip()
    if not METRIC_SELECTOR.match(value):
        raise ValueError(f"expected a metric name, optionally with label matchers, such as "
                         f"http_requests_total{{code=~\"5..\"}}, got {value!r}")
    if "{" in value:
        label_matchers(value[value.index("{") + 1:-1])
    return value


def label_matchers(value: str) -> str:
    """Label matchers without braces, e.g. `system="new", region="eu"`; checked."""
    value = value.strip().strip("{}").strip()
    if not _MATCHERS.match(value):
        raise ValueError(f'expected label matchers such as system="new" or code=~"5..", got {value!r}')
    return value.rstrip(", ")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SystemMetricsConfig(_Strict):
    """One system's (old or new) three metrics, plus label matchers added to each of them."""

    requests: str = Field(description="counter of requests this system served")
    errors: str = Field(description="counter of requests that failed")
    latency: str = Field(description="histogram of request latency (the name without _bucket)")
    selector: str = Field(default="", description='label matchers added to every metric, e.g. system="new"')

    @field_validator("requests", "errors", "latency")
    @classmethod
    def _selector(cls, v):
        return metric_selector(v)

    @field_validator("selector")
    @classmethod
    def _matchers(cls, v):
        return label_matchers(v) if v.strip() else ""


def _plan_names(system: str) -> SystemMetricsConfig:
    return SystemMetricsConfig(requests=f"traffic_split_{system}_system_total", errors=f"errors_{system}_system_total",
                               latency=f"latency_{system}_system_seconds")


class PrometheusMetricsConfig(_Strict):
    old: SystemMetricsConfig = Field(default_factory=lambda: _plan_names("old"))
    new: SystemMetricsConfig = Field(default_factory=lambda: _plan_names("new"))
    split_gauge: str = Field(default="", description="gauge of the % of traffic sent to the new system (0-100); "
                             "empty: new / (old + new) of the request counters")
    latency_unit: Literal["s", "ms"] = Field(default="s", description="unit of the latency histograms' buckets")

    @model_validator(mode="before")
    @classmethod
    def _plan_defaults(cls, data):
        """A side given in part (often only its `selector`) keeps the plan's names for the rest."""
        if isinstance(data, dict):
            data = dict(data)
            for system in ("old", "new"):
                if isinstance(data.get(system), dict):
                    data[system] = {**_plan_names(system).model_dump(exclude={"selector"}), **data[system]}
        return data

    @field_validator("split_gauge")
    @classmethod
    def _gauge(cls, v):
        return metric_selector(v) if v.strip() else ""


def is_prometheus_url(url: str | None) -> bool:
    """A Prometheus-compatible HTTP API: SQLAlchemy URLs never use these schemes."""
    return bool(url) and url.strip().lower().startswith(("http://", "https://"))
