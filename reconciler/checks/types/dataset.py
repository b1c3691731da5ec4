"""What the `counts` and `rows` types share: one dataset compared between old and new, over
the job's hours (judged per hour, kept in the ledger), or, for a snapshot dataset, every row
its filters select as of the run (completeness and per-group summaries)."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from reconciler.checks.context import CheckContext, CheckOutcome
from reconciler.checks.types.base import CheckType, Scope, Words, english, suite_file_problems
from reconciler.config.models import CheckConfig
from reconciler.reasons import count, generic_reason, plural, row_classes, status_message
from reconciler.results import ERROR, SKIPPED, CheckResult

BOOKINGS = "bookings"  # the plan's integrity criterion: rules, completeness, summaries
COMPLETE, SUMMARY = ".complete", ".summary"  # the snapshot's result names: DATASET.complete, DATASET.summary


class DatasetComparisonConfig(CheckConfig):
    needs = ("dataset",)

    dataset: str
    suite: str | None = None


class DatasetComparison(CheckType):
    scopes = frozenset({Scope.WINDOWED, Scope.POINT_IN_TIME})
    rows: ClassVar[bool]

    def scope(self, cfg, config):
        return Scope.POINT_IN_TIME if config.datasets[cfg.dataset].snapshot else Scope.WINDOWED

    def criterion(self, scope):
        return BOOKINGS if scope == Scope.POINT_IN_TIME else None

    def sources(self, cfg, config):
        ds = config.datasets[cfg.dataset]
        return {ds.old.source, ds.new.source}

    def config_problems(self, loaded, name, cfg):
        return suite_file_problems(loaded, name, cfg)

    def run(self, ctx: CheckContext, name: str, cfg) -> CheckOutcome:
        from reconciler.checks.judgement import compare_dataset

        result = compare_dataset(ctx.loaded, cfg.dataset, ctx.window, rows=self.rows, sources=ctx.sources,
                                 reporter=ctx.reporter, now=ctx.now)
        checks = [replace(c, details={**c.details, "dataset": cfg.dataset}) for c in result.checks]
        return CheckOutcome(checks, replace(result, checks=checks))

    def reason(self, result: CheckResult, words: Words = english) -> str:
        if result.status in (ERROR, SKIPPED):
            return status_message(result)
        if result.check.endswith(COMPLETE):
            return completeness_reason(result)
        if result.check.endswith(SUMMARY):
            return summary_reason(result)
        return generic_reason(result)  # an hourly check stored before reasons existed

    def is_rule(self, result):
        return result.as_of is not None

    def ledger_datasets(self, cfg):
        return {cfg.dataset}


def completeness_reason(result: CheckResult) -> str:
    observed = result.observed if isinstance(result.observed, dict) else {}
    missing, changed = observed.get("missing_in_new", 0), observed.get("mismatched", 0)
    extra = observed.get("extra_in_new", 0)
    if missing or changed:
        text = f"{count(missing + changed)} rows missing or changed in new{row_classes(missing, 0, changed)}"
    else:
        text = "every selected old row is in new, unchanged"
    if extra:
        text += f"; {count(extra)} only in new (allowed)"
    if result.message:
        text += f"; {result.message}"
    return text


GROUPS_LISTED = 3


def summary_reason(result: CheckResult) -> str:
    rows = result.observed if isinstance(result.observed, list) else []
    bad = result.samples or []
    if not bad:
        return f"all {plural(len(rows), 'group')} equal on old and new"
    key = next(iter(bad[0]))
    # groups apart by "; ", the numbers of one group by ", ": the groups not listed are counted
    shown = "; ".join(f"{b[key]}: {_group_difference(b)}" for b in bad[:GROUPS_LISTED])
    differ = max(int(result.violations or 0), len(bad))
    more = f"; …and {count(differ - GROUPS_LISTED)} more" if differ > GROUPS_LISTED else ""
    return f"{count(differ)} of {plural(len(rows), 'group')} differ between old and new ({shown}{more})"


def _group_difference(group: dict) -> str:
    """What differs in one summary group: its rows, its distinct values, or both."""
    parts = []
    if group["old"] != group["new"]:
        parts.append(f"{count(group['old'])} old vs {count(group['new'])} new rows")
    for name in (k.removeprefix("old_") for k in group if k.startswith("old_")):
        old, new = group[f"old_{name}"], group.get(f"new_{name}")
        if old != new:
            parts.append(f"distinct {name} {count(old)} old vs {count(new)} new")
    return ", ".join(parts) or f"{count(group['old'])} old vs {count(group['new'])} new"
