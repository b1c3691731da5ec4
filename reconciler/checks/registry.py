"""Running one configured check: its type (reconciler/checks/types/) runs it, and every
result leaves here stamped with what it is about (its window, or the moment `as_of`), its
type, the configured check it came from, how long it took, and its reason."""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from reconciler.checks.context import CheckContext, CheckOutcome
from reconciler.checks.types import Scope, reason_for, type_of
from reconciler.config.loader import LoadedConfig
from reconciler.errors import UsageError, did_you_mean
from reconciler.results import CheckResult
from reconciler.timeutil import iso

log = logging.getLogger(__name__)

__all__ = ["CheckContext", "CheckOutcome", "run_check", "scope_of_check", "validate_source_override"]


def scope_of_check(loaded: LoadedConfig, name: str) -> Scope:
    cfg = loaded.config.checks[name]
    return type_of(cfg).scope(cfg, loaded.config)


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


def run_check(ctx: CheckContext, name: str) -> CheckOutcome:
    """One configured check. A windowed check judges `ctx.window` and needs one; a
    point-in-time check is given no window, and its results are as of `ctx.now`."""
    cfg = ctx.loaded.config.checks[name]
    check_type = type_of(cfg)
    scope = check_type.scope(cfg, ctx.loaded.config)
    if scope == Scope.WINDOWED and ctx.window is None:
        raise UsageError(f"check {name!r} judges hours ({cfg.type}): it runs in a job's windows, "
                         f"e.g. reconciler run JOB --start T --end T")
    run_ctx = ctx if scope == Scope.WINDOWED else replace(ctx, window=None)
    started = time.perf_counter()
    outcome = check_type.run(run_ctx, name, cfg)
    elapsed = round(time.perf_counter() - started, 3)
    results = [_stamped(r, run_ctx, name, cfg.type, elapsed) for r in outcome.results]
    compare = outcome.compare
    if compare is not None:  # a comparison's checks are the outcome's results: the same objects
        compare = replace(compare, checks=results) if scope == Scope.WINDOWED else \
            replace(compare, checks=results, window=None, as_of=compare.as_of or ctx.now)
    _log_progress(run_ctx, name, results, elapsed)
    return CheckOutcome(results, compare)


def _stamped(result: CheckResult, ctx: CheckContext, name: str, type_name: str, elapsed: float) -> CheckResult:
    when = {"window": result.window or ctx.window, "as_of": None} if ctx.window is not None else \
        {"window": None, "as_of": ctx.now}
    stamped = replace(result, **when, check_type=type_name, config_check=name,
                      details={"duration_s": elapsed, **result.details})
    return stamped if stamped.reason else replace(stamped, reason=reason_for(stamped))


def _log_progress(ctx: CheckContext, name: str, results: list[CheckResult], seconds: float) -> None:
    """`-v`: window (or moment), check, seconds and verdicts, one line per configured check."""
    if not log.isEnabledFor(logging.INFO):
        return
    statuses = ", ".join(f"{r.check} {r.status}" for r in results) or "no result"
    if ctx.window is None:
        where = f"as of {iso(ctx.now.replace(microsecond=0))}"
    else:
        where = f"window {iso(ctx.window.start)} → {iso(ctx.window.end)}"
    log.info("%s, check %s: %.2f s: %s", where, name, seconds, statuses)
