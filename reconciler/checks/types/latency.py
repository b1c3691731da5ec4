"""`latency`: the new system's write latency at `latency_percentile` against
`max_latency_ms`. From a Prometheus source (`source` alone: the histogram of each hour,
evaluated at the hour's end — windowed, so backfills and rechecks are exact), or, point in
time, from a histogram scraped from `metrics_url` (the writes since the previous run) or from
`latency_query` on a database source (reconciler/checks/health/latency.py). Feeds the gate's
`latency` criterion."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, model_validator

from reconciler.checks.context import CheckContext, CheckOutcome
from reconciler.checks.types.base import CheckType, Scope, Words, english
from reconciler.checks.types.lag import _against
from reconciler.config.durations import Duration
from reconciler.config.models import CheckConfig
from reconciler.formatting import number
from reconciler.reasons import count, status_message
from reconciler.results import ERROR, SKIPPED, CheckResult


class LatencyConfig(CheckConfig):
    type: Literal["latency"] = "latency"
    source: str | None = None
    max_latency_ms: float | None = Field(default=None, gt=0)
    latency_percentile: Literal["p50", "p95", "p99", "max"] = "p99"
    latency_query: str | None = Field(default=None, description="latency: SELECT of latency_ms rows, or one row "
                                      "with p50_ms / p95_ms / p99_ms / max_ms")
    metrics_url: str | None = Field(default=None, description="latency: the new service's Prometheus /metrics URL")
    histogram: str | None = Field(default=None, description="latency: histogram metric name (values in seconds)")
    scrape_interval: Duration = timedelta(0)

    @model_validator(mode="after")
    def _measured_somewhere(self):
        if not (self.metrics_url and self.histogram) and not self.latency_query and not self.source:
            raise ValueError("a check of type 'latency' needs 'metrics_url' and 'histogram', 'latency_query', "
                             "or 'source' (a Prometheus source)")
        if self.latency_query and not self.source:
            raise ValueError("a check of type 'latency' with 'latency_query' needs 'source'")
        return self

    @property
    def reads_prometheus(self) -> bool:
        """`source` alone names a Prometheus source: the hour's histogram, evaluated at its end."""
        return bool(self.source) and not (self.latency_query or self.metrics_url)


class LatencyCheck(CheckType):
    name = "latency"
    measures = True
    config = LatencyConfig
    scopes = frozenset({Scope.WINDOWED, Scope.POINT_IN_TIME})

    def scope(self, cfg, config):
        return Scope.WINDOWED if cfg.reads_prometheus else Scope.POINT_IN_TIME

    def criterion(self, scope):
        return "latency"

    def sources(self, cfg, config):
        return {cfg.source} if cfg.source else set()

    def config_problems(self, loaded, name, cfg) -> list[str]:
        source = loaded.config.sources.get(cfg.source) if cfg.source else None
        if cfg.reads_prometheus and source is not None and source.url and not source.is_prometheus:
            return [f"{loaded.where('checks', name, 'source')}: {cfg.source!r} is not a Prometheus source (an "
                    "http:// or https:// url); a latency check reads a database through 'latency_query'"]
        return []

    def run(self, ctx: CheckContext, name: str, cfg) -> CheckOutcome:
        from reconciler.checks.health.latency import latency_results

        return CheckOutcome(latency_results(ctx, name, cfg))

    def reason(self, result: CheckResult, words: Words = english) -> str:
        if result.status in (ERROR, SKIPPED):
            return status_message(result)
        observed = result.observed or {}
        percentile = (result.threshold.text or "").removeprefix("at ") if result.threshold else ""
        value = observed.get(percentile or "p99")
        bound = result.threshold.max if result.threshold is not None else None
        writes = observed.get("count")
        tail = f" ({count(writes)} writes)" if isinstance(writes, int) else ""
        return f"{percentile or 'p99'} write latency {number(value)} ms {_against(value, bound, 'ms')}{tail}"


TYPE = LatencyCheck()
