"""Evidence for a snapshot dataset (e.g. the bookings that must have been migrated): no
time window, every row the sides' filters select, diffed by key, and optionally the
migration plan's own integrity query per group (rows and distinct values) on each side."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from reconciler.compare.counts import group_summary
from reconciler.compare.drift import drift_pct
from reconciler.compare.sides import connected_sides
from reconciler.config.loader import LoadedConfig
from reconciler.sources.connection import Source
from reconciler.timeutil import Window

SNAPSHOT_WINDOW = Window(datetime(1900, 1, 1, tzinfo=timezone.utc), datetime(2200, 1, 1, tzinfo=timezone.utc))


@dataclass(frozen=True)
class SnapshotEvidence:
    """`classes` holds the row counts of missing_in_new, mismatched and extra_in_new;
    `summaries` is {"old"|"new": {group: (rows, distinct values)}} when the dataset
    declares `summary_by`, else None."""

    dataset: str
    totals: dict
    classes: dict
    samples: dict
    timings: dict
    truncated: bool
    summaries: dict | None = None


def group_summaries(ds, pair, window: Window) -> dict:
    """The migration plan's own integrity query on each side: rows and distinct values per group."""
    names = {new: (old or new) for old, new, _ in ds.column_pairs()}
    for column in (ds.summary_by, ds.summary_distinct):
        names.setdefault(column, column)
    out = {}
    for name, side in pair.sides.items():
        by = ds.summary_by if name == "new" else names[ds.summary_by]
        distinct = ds.summary_distinct and (ds.summary_distinct if name == "new" else names[ds.summary_distinct])
        out[name] = group_summary(side.rel, side.axis, window, by, distinct, pair.conns[name])
    return out


def collect_snapshot(loaded: LoadedConfig, dataset: str, *, sources: dict[str, Source] | None = None,
                     reporter=None, now: datetime | None = None) -> SnapshotEvidence:
    from reconciler.compare.rowdiff.engine import diff_dataset

    ds = loaded.config.datasets[dataset]
    summaries = None
    with connected_sides(loaded, dataset, sources, now) as pair:
        timings = {"connect": pair.connect_seconds}
        diff = diff_dataset(ds, pair.sides, SNAPSHOT_WINDOW, pair.conns, reporter=reporter)
        timings.update(diff.timings)
        if ds.summary_by:
            summaries = group_summaries(ds, pair, SNAPSHOT_WINDOW)
    totals = {"old": sum(diff.hour_old.values()), "new": sum(diff.hour_new.values()), **diff.totals()}
    totals["drift_pct"] = drift_pct(totals["old"], totals["new"])
    classes = {kind: diff.tally.total(kind) for kind in ("missing_in_new", "mismatched", "extra_in_new")}
    return SnapshotEvidence(dataset=dataset, totals=totals, classes=classes, samples=diff.samples, timings=timings,
                            truncated=diff.truncated, summaries=summaries)
