"""What a check type is: one object holding its config model, its runner, its time scope,
its reason, the gate criterion it feeds, whether `reconciler check` runs it and which
sources it uses. A type is a module in this folder with one `CheckType` subclass; the
registry (`__init__.py`) is a plain dict from type name to its instance."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Callable, ClassVar

from reconciler.checks.context import CheckContext, CheckOutcome
from reconciler.config.models import CheckConfig, Config
from reconciler.reasons import generic_reason
from reconciler.results import CheckResult, Status


class Scope(StrEnum):
    """What a check's evidence is about."""

    WINDOWED = "windowed"            # UTC hours: judged per window, rechecked, kept in the ledger
    POINT_IN_TIME = "point_in_time"  # the moment it ran: its results carry `as_of`, never a window


def english(text: str) -> str:
    """The words of a reason as written (and stored). Another language's reader passes a
    translator instead (notify/phrasebook.py `words_in(locale)`), which `reason_for` applies."""
    return text


Words = Callable[[str], str]


class CheckType:
    """The defaults are those of a point-in-time check that feeds no criterion."""

    name: ClassVar[str]
    config: ClassVar[type[CheckConfig]]
    scopes: ClassVar[frozenset[Scope]] = frozenset({Scope.POINT_IN_TIME})  # every scope its results can have
    holds_rules: ClassVar[bool] = False  # made of named rules, which `reconciler check RULE...` selects
    measures: ClassVar[bool] = False  # a measurement of the pipeline against a bound (lag, a queue), not old vs new
    reads_comparisons: ClassVar[bool] = False  # runs after the job's dataset comparisons (ctx.row_totals)

    def scope(self, cfg, config: Config) -> Scope:
        """Windowed or point-in-time, for this configured check."""
        (only,) = self.scopes
        return only

    def criterion(self, scope: Scope) -> str | None:
        """The gate criterion (config/phases.py) its results of this scope feed, if any.
        Windowed dataset comparisons feed the gate through the ledger instead."""
        return None

    def in_check_command(self, cfg, config: Config) -> bool:
        """Does `reconciler check` (integrity, point in time) run it?"""
        return False

    def rules(self, loaded, cfg) -> list:
        """Its named rules (when it holds rules)."""
        return []

    def sources(self, cfg, config: Config) -> set[str]:
        """The names under `sources` it connects to."""
        return set()

    def config_problems(self, loaded, name: str, cfg) -> list[str]:
        """Mistakes only visible with the whole config or the files beside it, as
        `file:line: key.path: problem` lines (exit 2 when the config loads)."""
        return []

    def run(self, ctx: CheckContext, name: str, cfg) -> CheckOutcome:
        raise NotImplementedError

    def reason(self, result: CheckResult, words: Words = english) -> str:
        """The one-line reason of a result that came without one."""
        return generic_reason(result)

    def is_rule(self, result: CheckResult) -> bool:
        """Is it an integrity rule's result (a severity, violating rows listed as a table)?"""
        return False

    def about_one_side(self, result: CheckResult) -> bool:
        """Does it judge the data of one side (or each side apart) rather than compare old with
        new? Its alert then reads "Rule violated" and names the source."""
        return False

    def observed_text(self, result: CheckResult) -> str | None:
        """Its observed figures in words, shown whole in reports; None: the generic words of
        report/observed.py, shortened in tables."""
        return None

    def alert_facts(self, result: CheckResult) -> dict:
        """What its failing result's alert says beyond the reason: {"intro": NAME, ...} to open
        with notify/i18n.py's `alert.NAME.title` and `alert.NAME.intro` (given these facts)
        instead of "found a difference"; {} for the row comparison's words."""
        return {}

    def explained_by_rows(self, result: CheckResult) -> bool:
        """Do the findings of its hour's row comparison say why it failed (the alert's "Why")?"""
        return True

    def ledger_datasets(self, cfg) -> set[str]:
        """The datasets whose hours its windowed results judge (their ledger verdicts)."""
        return set()

    def hour_verdicts(self, result: CheckResult) -> list[tuple[str, datetime, Status]]:
        """(dataset, hour, verdict) this windowed result gives the ledger, beside the
        dataset comparisons' own (which come from the run's CompareResults)."""
        return []

    def redundant_in(self, cfg, others: list) -> bool:
        """True when another check of the same job already does its work."""
        return False


def suite_file_problems(loaded, name: str, cfg) -> list[str]:
    """The suite a check names exists as expectations/SUITE.json beside the config."""
    suite = getattr(cfg, "suite", None)
    if suite is None:
        return []
    path = loaded.suite_path(suite)
    return [] if path.is_file() else [f"{loaded.where('checks', name, 'suite')}: suite file {path} does not exist"]
