"""Declared checks resolve through a plain registry: check type -> runner. Each runner
turns one configured check into CheckResults (and, for dataset checks, the comparison)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from reconciler.compare.snapshot import SNAPSHOT_WINDOW
from reconciler.config.loader import LoadedConfig
from reconciler.config.models import CheckConfig
from reconciler.errors import ConfigError, UsageError, did_you_mean
from reconciler.reasons import with_reason
from reconciler.results import CheckResult, CompareResult
from reconciler.sources.connection import Source
from reconciler.timeutil import Window, iso

log = logging.getLogger(__name__)


@dataclass
class CheckContext:
    loaded: LoadedConfig
    sources: dict[str, Source]
    window: Window
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    reporter: object = None
    rule_names: tuple = ()
    source_override: str | None = None


@dataclass
class CheckOutcome:
    results: list[CheckResult]
    compare: CompareResult | None = None


def _tagged(results: list[CheckResult], name: str, started: float) -> list[CheckResult]:
    """Name the configured check each result came from and how long it took."""
    elapsed = round(time.perf_counter() - started, 3)
    return [replace(r, details={"config_check": name, "duration_s": elapsed, **r.details}) for r in results]


def run_dataset(ctx: CheckContext, name: str, cfg: CheckConfig, rows: bool) -> CheckOutcome:
    from reconciler.checks.judgement import compare_dataset

    started = time.perf_counter()
    result = compare_dataset(ctx.loaded, cfg.dataset, ctx.window, rows=rows, sources=ctx.sources,
                             reporter=ctx.reporter, now=ctx.now)
    checks = _tagged([replace(c, details={**c.details, "dataset": cfg.dataset}) for c in result.checks], name,
                     started)
    return CheckOutcome(checks, replace(result, checks=checks))


def run_counts(ctx, name, cfg):
    return run_dataset(ctx, name, cfg, rows=False)


def run_rows(ctx, name, cfg):
    return run_dataset(ctx, name, cfg, rows=True)


def sql_sides(cfg: CheckConfig, override: str | None) -> tuple[str, ...]:
    source = override or cfg.source or "new"
    return ("old", "new") if source == "both" else (source,)


def validate_source_override(loaded: LoadedConfig, source: str | None) -> None:
    """`check --source X`: X is `both` or a configured database source (queues excluded)."""
    if source is None:
        return
    from reconciler.sources.connection import open_sources

    sources = open_sources(loaded)  # a source without its url is known: using it names its variable
    known = ["both", *sources]
    if source != "both" and source not in sources:
        raise UsageError(f"--source: unknown source {source!r} (known: {', '.join(known)}; "
                         f"the database sources of {loaded.path}){did_you_mean(source, known)}")


def run_sql(ctx: CheckContext, name: str, cfg: CheckConfig) -> CheckOutcome:
    from reconciler.checks.rules import load_rules, run_rules, with_severities

    started = time.perf_counter()
    rules = with_severities(load_rules(ctx.loaded.resolve(cfg.rules)), cfg.severity_overrides)
    if ctx.rule_names:
        rules = [r for r in rules if r.name in ctx.rule_names]
    sides = sql_sides(cfg, ctx.source_override)
    missing = [s for s in sides if s not in ctx.sources]
    if missing:
        raise ConfigError(f"{ctx.loaded.where('checks', name, 'source')}: no source named "
                          f"{', '.join(repr(m) for m in missing)} (source: both means the sources 'old' and 'new')")
    if not rules:
        return CheckOutcome([])
    connections = {side: ctx.sources[side].connect for side in sides}
    results = run_rules(rules, connections, sides=sides, now=ctx.now)
    return CheckOutcome(_tagged(results, name, started))


def run_suite(ctx: CheckContext, name: str, cfg: CheckConfig) -> CheckOutcome:
    from reconciler.checks.suites import validate_table

    started = time.perf_counter()
    source_name = ctx.source_override if ctx.source_override not in (None, "both") else (cfg.source or "new")
    if source_name not in ctx.sources:
        raise ConfigError(f"{ctx.loaded.where('checks', name, 'source')}: no source named {source_name!r}")
    source = ctx.sources[source_name]
    with source.connect():
        pass  # unreachable sources fail here with exit 3, before GX builds its own engine
    path = ctx.loaded.suite_path(cfg.suite)
    results = validate_table(path, source.config.url, cfg.table, ctx.window)
    results = [replace(r, details={**r.details, "source": source_name}) for r in results]
    return CheckOutcome(_tagged(results, name, started))


def run_health(ctx: CheckContext, name: str, cfg: CheckConfig) -> CheckOutcome:
    """Dead-letter queues in Redis (reconciler/checks/health/dlq.py)."""
    from reconciler.checks.health import queue_results

    started = time.perf_counter()
    return CheckOutcome(_tagged(queue_results(ctx, name, cfg), name, started))


def run_lag(ctx: CheckContext, name: str, cfg: CheckConfig) -> CheckOutcome:
    from reconciler.checks.health import lag_results

    started = time.perf_counter()
    return CheckOutcome(_tagged(lag_results(ctx, name, cfg), name, started))


def run_latency(ctx: CheckContext, name: str, cfg: CheckConfig) -> CheckOutcome:
    from reconciler.checks.health import latency_results

    started = time.perf_counter()
    return CheckOutcome(_tagged(latency_results(ctx, name, cfg), name, started))


def run_caggs(ctx: CheckContext, name: str, cfg: CheckConfig) -> CheckOutcome:
    from reconciler.checks.caggs import check_continuous_aggregate

    started = time.perf_counter()
    result = check_continuous_aggregate(ctx, name, cfg)
    return CheckOutcome(_tagged([result], name, started))


RUNNERS = {"counts": run_counts, "rows": run_rows, "sql": run_sql, "suite": run_suite, "health": run_health,
           "caggs": run_caggs, "lag": run_lag, "latency": run_latency}


def run_check(ctx: CheckContext, name: str) -> CheckOutcome:
    """One configured check; every result leaves with its reason (reconciler/reasons.py)."""
    cfg = ctx.loaded.config.checks[name]
    started = time.perf_counter()
    outcome = RUNNERS[cfg.type](ctx, name, cfg)
    results = [with_reason(r) for r in outcome.results]
    _log_progress(ctx, name, results, time.perf_counter() - started)
    return CheckOutcome(results, outcome.compare)


def _log_progress(ctx: CheckContext, name: str, results: list[CheckResult], seconds: float) -> None:
    """`-v`: window, check, seconds and verdicts, one line per configured check."""
    if not log.isEnabledFor(logging.INFO):
        return
    statuses = ", ".join(f"{r.check} {r.status}" for r in results) or "no result"
    if ctx.window == SNAPSHOT_WINDOW:  # point-in-time checks judge the moment, not a window
        where = f"as of {iso(ctx.now.replace(microsecond=0))}"
    else:
        where = f"window {iso(ctx.window.start)} → {iso(ctx.window.end)}"
    log.info("%s, check %s: %.2f s: %s", where, name, seconds, statuses)

