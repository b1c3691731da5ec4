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


@dataclass
class CheckContext:
    """`window`: the hours a windowed check judges (a point-in-time check is given none and
    judges the moment `now`). `previous(check)`: the newest stored result of that name, from
    the report store the job has open. `rule_names` and `source_override` are
    `reconciler check`'s RULE... and --source."""

    loaded: LoadedConfig
    sources: dict
    window: Window | None = None
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    reporter: object = None
    rule_names: tuple = ()
    source_override: str | None = None
    previous: Callable[[str], StoredResult | None] = no_history


@dataclass
class CheckOutcome:
    results: list[CheckResult]
    compare: CompareResult | None = None
