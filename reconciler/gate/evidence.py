"""What the gate weighs, read from the report store only (ReportStore.gate_evidence): the
window ledger, each hour's newest row comparison (its totals), and the stored results
of the period, grouped by the criterion their type feeds (a windowed result about an hour,
a point-in-time one about a moment). No source is queried."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from reconciler.checks.types import criterion_of
from reconciler.results import StoredResult
from reconciler.timeutil import Window


@dataclass(frozen=True)
class Evidence:
    period: Window
    observed_until: datetime            # point-in-time results count from period.start up to here
    datasets: tuple[str, ...]
    ledger: dict                        # (dataset, hour) -> ledger row
    totals: dict                        # (dataset, hour) -> (run_id, totals) of its newest comparison
    runs: dict                          # run_id -> run summary {id, job, window}
    windowed: dict = field(default_factory=dict)   # criterion -> [StoredResult] about hours
    moments: dict = field(default_factory=dict)    # criterion -> [StoredResult] about moments
    verifications: dict = field(default_factory=dict)  # dataset -> its latest complete `reconciler verify`
    criteria: dict = field(default_factory=dict)  # the phase's criterion -> bounds, for a bound defaulting to another's

    def hourly(self, criterion: str) -> list[StoredResult]:
        """The results about hours that feed `criterion`, by hour, newest run last."""
        return self.windowed.get(criterion, [])

    def point_in_time(self, criterion: str) -> list[StoredResult]:
        """The results about moments that feed `criterion`, oldest first."""
        return self.moments.get(criterion, [])


def by_criterion(found: list[StoredResult]) -> dict[str, list[StoredResult]]:
    out: dict[str, list[StoredResult]] = {}
    for stored in found:
        criterion = criterion_of(stored.result)
        if criterion is not None:
            out.setdefault(criterion, []).append(stored)
    return out


def read_evidence(store, datasets, period: Window, observed_until: datetime) -> Evidence:
    stored = store.gate_evidence(datasets, period, observed_until)
    return Evidence(period, observed_until, tuple(datasets), stored.ledger, stored.totals, stored.runs,
                    by_criterion(stored.windowed), by_criterion(stored.point_in_time),
                    store.verifications.latest_complete(datasets, observed_until))
