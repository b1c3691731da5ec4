"""`lag`: the new system's processing lag. With `ingested_column` it is windowed: per UTC
hour, the percentiles of (ingested_column - time) computed in the database, judged at
`lag_percentile` against `max_lag_seconds`; each hour's verdict is also its dataset's in the
ledger (an hour whose lag failed is not a passing hour). Without it, point in time: the age
of the newest event when the check runs. Both feed the gate's `lag` criterion
(reconciler/checks/health/lag.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from reconciler.checks.context import CheckContext, CheckOutcome
from reconciler.checks.types.base import CheckType, Scope, Words, english
from reconciler.config.models import CheckConfig
from reconciler.formatting import number
from reconciler.reasons import count, status_message
from reconciler.results import ERROR, FAIL, PASS, SKIPPED, CheckResult

PROCESSING_LAG, NEWEST_EVENT_AGE = "processing_lag", "newest_event_age"


class LagConfig(CheckConfig):
    needs = ("dataset",)

    type: Literal["lag"] = "lag"
    dataset: str
    max_lag_seconds: float | None = Field(default=None, gt=0)
    lag_percentile: Literal["p50", "p95", "p99", "max"] = "p99"
    ingested_column: str | None = None


class LagCheck(CheckType):
    name = "lag"
    measures = True
    config = LagConfig
    scopes = frozenset({Scope.WINDOWED, Scope.POINT_IN_TIME})

    def scope(self, cfg, config):
        return Scope.WINDOWED if cfg.ingested_column else Scope.POINT_IN_TIME

    def criterion(self, scope):
        return "lag"

    def sources(self, cfg, config):
        return {config.datasets[cfg.dataset].new.source}

    def config_problems(self, loaded, name, cfg):
        ds = loaded.config.datasets.get(cfg.dataset)
        if ds is not None and ds.snapshot and cfg.ingested_column:
            return [f"{loaded.where('checks', name, 'ingested_column')}: dataset {cfg.dataset!r} is a snapshot (no "
                    "time window): lag per hour needs a time-windowed dataset"]
        return []

    def run(self, ctx: CheckContext, name: str, cfg) -> CheckOutcome:
        from reconciler.checks.health.lag import newest_event_age, processing_lag_results

        if cfg.ingested_column:
            return CheckOutcome(processing_lag_results(ctx, name, cfg))
        return CheckOutcome([newest_event_age(ctx, name, cfg)])

    def ledger_datasets(self, cfg):
        return {cfg.dataset} if cfg.ingested_column else set()

    def hour_verdicts(self, result):
        dataset = (result.details or {}).get("dataset")
        if result.window is None or dataset is None or result.status not in (PASS, FAIL, ERROR):
            return []  # skipped: no event in the hour, nothing to say about it
        return [(dataset, hour, result.status) for hour in result.window.hours()]

    def reason(self, result: CheckResult, words: Words = english) -> str:
        if result.status in (ERROR, SKIPPED):
            return status_message(result)
        d = result.details or {}
        bound = result.threshold.max if result.threshold is not None else None
        if d.get("measure") == NEWEST_EVENT_AGE:
            seconds = (result.observed or {}).get("seconds")
            if seconds is None:
                return result.message or "no event in the new system"
            return f"newest event {number(seconds)} s old, {_against(seconds, bound, 's')}"
        observed = result.observed or {}
        percentile = (result.threshold.text or "").removeprefix("at ") or "p99"
        value = observed.get(percentile)
        events = observed.get("count") or 0
        return (f"{percentile} lag {number(value)} s {_against(value, bound, 's')} "
                f"({count(events)} event{'s' if events != 1 else ''})")


def _against(value, bound, unit: str) -> str:
    if bound is None or value is None:
        return ""
    return f"above the {number(bound)} {unit} allowed" if value > bound else f"within {number(bound)} {unit}"


TYPE = LagCheck()
