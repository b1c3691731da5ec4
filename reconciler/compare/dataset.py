"""Evidence for one dataset over one time window: rows per hour on each side and, with
`rows`, the row diff's classes per hour, its samples and totals. Judging the evidence is
the checks layer's job (reconciler/checks/judgement.py)."""

from __future__ import annotations

import logging
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from reconciler.compare.counts import count_by_hour
from reconciler.compare.drift import drift_pct
from reconciler.compare.folds import folds_of, merge_counts, pair_units, unit_of, widened
from reconciler.compare.sides import ConnectedSides, connected_sides
from reconciler.config.loader import LoadedConfig
from reconciler.results import Mode
from reconciler.sources.connection import Source
from reconciler.timeutil import Window, iso

log = logging.getLogger(__name__)
ROW_CLASSES = ("missing_in_new", "extra_in_new", "mismatched")


@dataclass(frozen=True)
class DatasetEvidence:
    """What the engines saw. `hours` is the hourly evidence table, one dict per hour
    (`hour` as ISO text, `old`, `new`, `drift_pct`; with rows also the row classes,
    `match_pct` and `truncated`), the frame an expectation suite validates."""

    dataset: str
    window: Window
    mode: Mode  # counts or rows
    hours: tuple[dict, ...]
    totals: dict
    samples: dict
    timings: dict
    truncated: bool = False
    diff: object = field(default=None, compare=False, repr=False)  # the row diff (its kept rows), for findings


def no_samples() -> dict:
    return {kind: [] for kind in ROW_CLASSES}


def hour_rows(window: Window, old_counts, new_counts, units: dict | None = None) -> list[dict]:
    """One evidence row per hour; each hour of a fall-back's pair (`units`) carries the pair's
    counts and names the hour it is judged with (`paired_with`)."""
    units = units or {}
    partner = {first: cut for cut, first in units.items()}
    rows = []
    for hour in window.hours():
        unit = unit_of(hour, units)
        old, new = int(old_counts.get(unit, 0)), int(new_counts.get(unit, 0))
        row = {"hour": iso(hour), "old": old, "new": new, "drift_pct": drift_pct(old, new)}
        other = units.get(hour) or partner.get(hour)
        if other is not None:
            row["paired_with"] = iso(other)
        rows.append(row)
    return rows


def count_totals(hours: list[dict]) -> dict:
    """The window's counts, a fall-back's pair counted once."""
    once = [r for r in hours if not (r.get("paired_with") and r["paired_with"] < r["hour"]
                                     and any(o["hour"] == r["paired_with"] for o in hours))]
    old = sum(r["old"] for r in once)
    new = sum(r["new"] for r in once)
    return {"old": old, "new": new, "matched": None, "mismatched": None, "missing_in_new": None,
            "extra_in_new": None, "duplicates_old": None, "duplicates_new": None,
            "drift_pct": drift_pct(old, new), "match_pct": None}


def _count_both(pair: ConnectedSides, window: Window) -> tuple[dict[str, Counter], dict[str, float]]:
    """Rows per hour on both sides at once, and how long each side's query took."""
    def count(name):
        started = time.perf_counter()
        side = pair.sides[name]
        result = count_by_hour(side.source, side.rel, side.axis, window, pair.conns[name])
        return result, time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(count, name) for name in pair.sides}
        done = {name: f.result() for name, f in futures.items()}
    timings = {"query_old": done["old"][1], "query_new": done["new"][1]}
    timings["counts"] = max(timings["query_old"], timings["query_new"])
    return {name: c for name, (c, _) in done.items()}, timings


def collect_evidence(loaded: LoadedConfig, dataset: str, window: Window, *, rows: bool = False,
                     sources: dict[str, Source] | None = None, reporter=None, now=None) -> DatasetEvidence:
    """Connect both sides, then count rows per hour (or, with `rows`, diff the rows)."""
    diff = None
    with connected_sides(loaded, dataset, sources, now) as pair:
        timings = {"connect": pair.connect_seconds}
        if rows:
            from reconciler.compare.rowdiff.engine import diff_dataset

            diff = diff_dataset(loaded.config.datasets[dataset], pair.sides, window, pair.conns, reporter=reporter)
            counts = {"old": diff.hour_old, "new": diff.hour_new}
            units = diff.units
            timings.update(diff.timings)
        else:
            if reporter:
                reporter(f"counting rows per hour in {dataset} ({window.seconds / 3600:g} h)")
            folds = folds_of(pair.sides, window)
            counts, query_timings = _count_both(pair, widened(window, folds))
            merge_counts(counts, folds)
            units = pair_units(folds)
            timings.update(query_timings)
    hours = hour_rows(window, counts["old"], counts["new"], units)
    totals = count_totals(hours)
    if diff is not None:
        diff.annotate(hours, units)
        totals.update(diff.totals())
    return DatasetEvidence(dataset=dataset, window=window, mode=Mode.ROWS if rows else Mode.COUNTS, hours=tuple(hours),
                           totals=totals, samples=diff.samples if diff else no_samples(), timings=timings,
                           truncated=bool(diff and diff.truncated), diff=diff)


def explain_evidence(loaded: LoadedConfig, evidence: DatasetEvidence, hours: list[datetime], *,
                     sources: dict[str, Source] | None = None, now=None) -> list:
    """The findings of `hours` of a row-level comparison (its failing hours): both sides are
    opened again, so only an hour that failed pays for its queries."""
    from reconciler.compare.findings.collect import explain_hours

    if not hours or evidence.diff is None:
        return []
    with connected_sides(loaded, evidence.dataset, sources, now) as pair:
        return explain_hours(loaded.config.datasets[evidence.dataset], pair.sides, pair.conns, evidence.diff,
                             hours, now)


def log_timings(dataset: str, window: Window, timings: dict) -> None:
    """`-v`: one line per compared window with the seconds of each phase."""
    log.info("window %s → %s, dataset %s: %.2f s (%s)", iso(window.start), iso(window.end), dataset,
             timings["total"], ", ".join(f"{k} {v:.2f} s" for k, v in timings.items() if k != "total"))
