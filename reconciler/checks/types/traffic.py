"""`traffic`: the traffic-split phase, hour by hour, from a Prometheus source: both systems'
error rates and p50/p95/p99 latency and the split (reconciler/checks/traffic/). Windowed (each
hour evaluated at its end, so backfills and rechecks are exact). An hour fails on the plan's
alerts: the new error rate more than 0.5 points above the old, the new p99 above the old p99 ×
1.5, or a discrepancy rate (rows that differ in the same hour's row comparison of `dataset`)
above 1 %. Each hour's verdict is also its dataset's in the ledger; its results feed the gate's
traffic-split criteria."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from reconciler.checks.context import CheckContext, CheckOutcome
from reconciler.checks.types.base import CheckType, Scope, Words, english
from reconciler.config.models import CheckConfig
from reconciler.reasons import count, status_message
from reconciler.results import ERROR, FAIL, PASS, SKIPPED, CheckResult
from reconciler.thresholds import number

TRAFFIC = "traffic"  # the gate criterion family its results feed (gate/criteria.py)


class TrafficConfig(CheckConfig):
    needs = ("source",)

    type: Literal["traffic"] = "traffic"
    source: str = Field(description="traffic: a Prometheus source (its `metrics:` name both systems' series)")
    dataset: str | None = Field(default=None, description="traffic: the dataset whose row comparison of the same "
                                "hour gives the discrepancy rate, and whose ledger hours it judges")
    max_error_rate_increase_points: float = Field(default=0.5, ge=0)
    max_p99_ratio: float = Field(default=1.5, gt=0)
    max_discrepancy_pct: float = Field(default=1.0, ge=0, le=100)


class TrafficCheck(CheckType):
    name = "traffic"
    config = TrafficConfig
    scopes = frozenset({Scope.WINDOWED})
    reads_comparisons = True

    def criterion(self, scope):
        return TRAFFIC

    def sources(self, cfg, config):
        return {cfg.source}

    def config_problems(self, loaded, name, cfg) -> list[str]:
        problems = []
        source = loaded.config.sources.get(cfg.source)
        if source is not None and source.url and not source.is_prometheus:
            problems.append(f"{loaded.where('checks', name, 'source')}: {cfg.source!r} is not a Prometheus source "
                            "(an http:// or https:// url)")
        if cfg.dataset is not None and cfg.dataset not in loaded.config.datasets:
            problems.append(f"{loaded.where('checks', name, 'dataset')}: unknown dataset {cfg.dataset!r}")
        elif cfg.dataset is not None and loaded.config.datasets[cfg.dataset].snapshot:
            problems.append(f"{loaded.where('checks', name, 'dataset')}: dataset {cfg.dataset!r} is a snapshot (no "
                            "hours): the discrepancy rate is a per-hour row comparison")
        return problems

    def run(self, ctx: CheckContext, name: str, cfg) -> CheckOutcome:
        from reconciler.checks.traffic.hourly import traffic_results

        return CheckOutcome(traffic_results(ctx, name, cfg))

    def ledger_datasets(self, cfg):
        return {cfg.dataset} if cfg.dataset else set()

    def hour_verdicts(self, result):
        dataset = (result.details or {}).get("dataset")
        if result.window is None or dataset is None or result.status not in (PASS, FAIL, ERROR):
            return []  # skipped: nothing measured in the hour
        return [(dataset, hour, result.status) for hour in result.window.hours()]

    def observed_text(self, result):
        observed = result.observed or {}
        if not observed:
            return None
        discrepancy = observed.get("discrepancy")
        parts = [f"split {_pct(observed.get('split_pct'))}",
                 *(f"{side}: {_system_text(observed.get(side) or {})}" for side in ("new", "old")),
                 f"discrepancy {_pct(discrepancy['pct'])}" if discrepancy else "discrepancy not measured"]
        return " · ".join(parts)

    def alert_facts(self, result):
        details = result.details or {}
        return {"intro": "traffic", "alerts": list(details.get("alerts") or []),
                "bounds": {k: number(v) for k, v in (details.get("bounds") or {}).items()}}

    def explained_by_rows(self, result):
        return "discrepancy" in ((result.details or {}).get("alerts") or [])

    def reason(self, result: CheckResult, words: Words = english) -> str:
        if result.status in (ERROR, SKIPPED):
            return status_message(result)
        return traffic_reason(result.observed or {}, (result.details or {}).get("bounds") or {},
                              (result.details or {}).get("alerts") or [])


def _pct(value) -> str:
    return "n/a" if value is None else f"{number(round(value, 4))} %"


def _ms(value) -> str:
    return "n/a" if value is None else f"{number(round(value, 1))} ms"


def _system_text(figures: dict) -> str:
    """"120 000 requests, 60 errors (0.05 %), p50 50 ms, p95 100 ms, p99 233.3 ms"."""
    def counted(key):
        return "n/a" if figures.get(key) is None else count(round(figures[key]))

    return (f"{counted('requests')} requests, {counted('errors')} errors ({_pct(figures.get('error_rate_pct'))}), "
            + ", ".join(f"{q} {_ms(figures.get(f'{q}_ms'))}" for q in ("p50", "p95", "p99")))


def traffic_reason(observed: dict, bounds: dict, alerts: list[str]) -> str:
    """The alerts an hour raised, each with its numbers ("new error rate 0.82 % vs old 0.21 %
    (+0.61 points > 0.5)"); a passing hour: the split and the new system's figures."""
    old, new = observed.get("old") or {}, observed.get("new") or {}
    discrepancy = observed.get("discrepancy")
    parts = []
    if "error_rate" in alerts:
        points = new["error_rate_pct"] - old["error_rate_pct"]
        parts.append(f"new error rate {_pct(new['error_rate_pct'])} vs old {_pct(old['error_rate_pct'])} "
                     f"(+{number(round(points, 4))} points > {number(bounds.get('max_error_rate_increase_points'))})")
    if "p99_latency" in alerts:
        ratio = new["p99_ms"] / old["p99_ms"] if old["p99_ms"] else float("inf")
        parts.append(f"new p99 {_ms(new['p99_ms'])} vs old {_ms(old['p99_ms'])} "
                     f"(× {number(round(ratio, 2))} > {number(bounds.get('max_p99_ratio'))})")
    if "discrepancy" in alerts:
        parts.append(f"discrepancy rate {_pct(discrepancy['pct'])} > {number(bounds.get('max_discrepancy_pct'))} % "
                     f"({count(discrepancy['differing'])} of {count(discrepancy['rows'])} rows differ)")
    if parts:
        return "; ".join(parts)
    split = observed.get("split_pct")
    figures = [f"split {_pct(split)}", f"new error rate {_pct(new.get('error_rate_pct'))} "
               f"(old {_pct(old.get('error_rate_pct'))})", f"new p99 {_ms(new.get('p99_ms'))} "
               f"(old {_ms(old.get('p99_ms'))})"]
    figures.append(f"discrepancy {_pct(discrepancy['pct'])}" if discrepancy else "discrepancy not measured")
    return ", ".join(figures)


TYPE = TrafficCheck()
