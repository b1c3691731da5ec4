"""`suite`: a Great Expectations suite validated against one table of a source, in an
ephemeral offline context (reconciler/checks/suites.py). Point in time; `reconciler check`
runs it."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from reconciler.checks.context import CheckContext, CheckOutcome
from reconciler.checks.types.base import CheckType, Words, english, suite_file_problems
from reconciler.config.models import CheckConfig
from reconciler.errors import ConfigError
from reconciler.reasons import count, plural, status_message
from reconciler.results import ERROR, PASS, SKIPPED, CheckResult
from reconciler.thresholds import Threshold


class SuiteConfig(CheckConfig):
    needs = ("suite", "table")

    type: Literal["suite"] = "suite"
    suite: str
    table: str
    source: str | None = None


class SuiteCheck(CheckType):
    name = "suite"
    config = SuiteConfig

    def in_check_command(self, cfg, config):
        return True

    def sources(self, cfg, config):
        return {cfg.source or "new"}

    def config_problems(self, loaded, name, cfg):
        return suite_file_problems(loaded, name, cfg)

    def run(self, ctx: CheckContext, name: str, cfg) -> CheckOutcome:
        from reconciler.checks.suites import validate_table

        source_name = ctx.source_override if ctx.source_override not in (None, "both") else (cfg.source or "new")
        if source_name not in ctx.sources:
            raise ConfigError(f"{ctx.loaded.where('checks', name, 'source')}: no source named {source_name!r}")
        source = ctx.sources[source_name]
        with source.connect():
            pass  # unreachable sources fail here with exit 3, before GX builds its own engine
        results = validate_table(ctx.loaded.suite_path(cfg.suite), source.config.url, cfg.table)
        return CheckOutcome([replace(r, details={**r.details, "source": source_name}) for r in results])

    def reason(self, result: CheckResult, words: Words = english) -> str:
        if result.status in (ERROR, SKIPPED):
            return status_message(result)
        return suite_reason(result)

    def about_one_side(self, result):
        return not (result.details or {}).get("dataset")  # a table's suite, not a dataset's evidence


GX_HOLDS = {
    "expect_column_values_to_not_be_null": "{column} not null",
    "expect_column_values_to_be_unique": "{column} unique",
    "expect_column_values_to_be_between": "{column} {threshold}",
    "expect_column_values_to_be_in_set": "{column} {threshold}",
    "expect_column_values_to_match_regex": "{column} matches {regex}",
}


def suite_reason(result: CheckResult) -> str:
    """A table suite's expectation from its counts: '3 of 120 rows fail: guest_id not null'."""
    d = result.details or {}
    observed = result.observed if isinstance(result.observed, dict) else {}
    bad = observed.get("unexpected", result.violations) or 0
    total = observed.get("of")
    threshold = result.threshold or Threshold()
    phrase = GX_HOLDS.get(d.get("expectation") or "")
    holds = phrase.format(column=d.get("column"), threshold=threshold.describe(),
                          regex=threshold.regex or "") if phrase and d.get("column") else (threshold.text or result.check)
    rows = plural(total, "row") if isinstance(total, int) else "rows"
    if result.status == PASS:
        return f"{holds} in all {rows}" if isinstance(total, int) else f"{holds}: holds"
    of = f" of {rows}" if isinstance(total, int) else f" {'row' if bad == 1 else 'rows'}"
    return f"{count(bad)}{of} fail: {holds}"


TYPE = SuiteCheck()
