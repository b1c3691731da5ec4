"""`caggs`: a TimescaleDB continuous aggregate's hourly counts against its raw hypertable
(reconciler/checks/caggs.py). Windowed: it judges the job's hours older than `refresh_lag`;
on an engine without TimescaleDB it is `skipped`. It judges the aggregate, not the dataset's
data, so its verdict is reported but does not change the dataset's hours in the ledger."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from reconciler.checks.context import CheckContext, CheckOutcome
from reconciler.checks.types.base import CheckType, Scope, Words, english
from reconciler.config.durations import Duration
from reconciler.config.models import CheckConfig
from reconciler.reasons import count, hhmm, plural, status_message
from reconciler.results import ERROR, SKIPPED, CheckResult


class CaggsConfig(CheckConfig):
    needs = ("dataset",)

    type: Literal["caggs"] = "caggs"
    dataset: str
    aggregate: str | None = None
    bucket_column: str = "bucket"
    count_column: str = "events"
    refresh_lag: Duration = timedelta(hours=2)


class CaggsCheck(CheckType):
    name = "caggs"
    config = CaggsConfig
    scopes = frozenset({Scope.WINDOWED})

    def sources(self, cfg, config):
        return {config.datasets[cfg.dataset].new.source}

    def config_problems(self, loaded, name, cfg):
        ds = loaded.config.datasets.get(cfg.dataset)
        if ds is not None and ds.snapshot:
            return [f"{loaded.where('checks', name, 'dataset')}: dataset {cfg.dataset!r} is a snapshot (no time "
                    "window), and a caggs check compares hourly counts"]
        return []

    def run(self, ctx: CheckContext, name: str, cfg) -> CheckOutcome:
        from reconciler.checks.caggs import check_continuous_aggregate

        return CheckOutcome([check_continuous_aggregate(ctx, name, cfg)])

    def reason(self, result: CheckResult, words: Words = english) -> str:
        if result.status in (ERROR, SKIPPED):
            return status_message(result)
        return cagg_reason(result)


def cagg_reason(result: CheckResult) -> str:
    view = (result.details or {}).get("aggregate", "the continuous aggregate")
    if not result.samples:
        return f"{view} matches its raw table in every hour"
    first = result.samples[0]
    return (f"{view} differs from its raw table in {plural(result.violations, 'hour')}: "
            f"{hhmm(first.get('hour'))} {count(first.get('aggregate', 0))} vs {count(first.get('raw', 0))} rows")


TYPE = CaggsCheck()
