"""What a check's runner is given (CheckContext) and what it gives back (CheckOutcome)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from reconciler.config.loader import LoadedConfig
from reconciler.results import CheckResult, CompareResult, StoredResult
from reconciler.timeutil import Window


def no_history(check: str) -> StoredResult | None:
    """The previous result of a check where no report store is open (`reconciler check`)."""
    return None


def no_stored_totals(dataset: str, hour: datetime) -> dict | None:
    """The stored row totals of an hour where no report store is open."""
    return None


def one_hour_totals(compares, dataset: str, hour: datetime) -> dict | None:
    """The totals of the comparison of `dataset` over exactly the hour `hour`, among `compares`."""
    for compare in reversed(compares):
        window = compare.window
        if compare.dataset == dataset and window is not None and window.start == hour and window.hours() == [hour]:
            return compare.totals
    return None


@dataclass
class CheckContext:
    """`window`: the hours a windowed check judges (a point-in-time check is given none and
    judges the moment `now`). `previous(check)`: the newest stored result of that name, from
    the report store the job has open. `compares`: the comparisons this run made so far;
    `stored_totals(dataset, hour)`: the row totals the store holds for an hour. `rule_names` and `source_override` are
    `reconciler check`'s RULE... and --source."""

    loaded: LoadedConfig
    sources: dict
    window: Window | None = None
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    reporter: object = None
    rule_names: tuple = ()
    source_override: str | None = None
    previous: Callable[[str], StoredResult | None] = no_history
    compares: list = field(default_factory=list)
    stored_totals: Callable[[str, datetime], dict | None] = no_stored_totals

    def row_totals(self, dataset: str, hour: datetime) -> dict | None:
        """The row-comparison totals of `dataset` over the hour: this run's comparison of it,
        else the newest one the store holds (None: not compared row by row, as one hour)."""
        return one_hour_totals(self.compares, dataset, hour) or self.stored_totals(dataset, hour)


@dataclass
class CheckOutcome:
    results: list[CheckResult]
    compare: CompareResult | None = None
