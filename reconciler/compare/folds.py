"""A fall-back seen by a naive wall clock on one side and UTC on the other.

At a one-hour fall-back the wall clock repeats an hour: the UTC hours just before and after
the change (the first and second pass) hold the same wall-clock times, and a naive value
cannot say which pass it belongs to. Read as the first pass, the naive side's rows of both
passes fall in the first pass's UTC hour. So the pair of hours is compared as one: the
UTC side's second pass is read one hour back, onto the wall clock the naive side wrote,
each hour of the pair carries the pair's evidence (its rows counted once in any total)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from reconciler.timeutil import HOUR, Window


@dataclass(frozen=True)
class Fold:
    cut: datetime   # UTC instant the wall clock starts its hour over: the second pass begins
    naive: str      # the side whose wall clock repeats ("old" or "new")
    aware: str      # the side that stores UTC

    @property
    def first(self) -> datetime:
        return self.cut - HOUR


def folds_of(sides: dict, window: Window) -> list[Fold]:
    """The fall-backs touching `window` where one side's naive wall clock repeats an hour
    and the other side stores UTC (two naive sides in one zone read both passes alike)."""
    out = []
    for naive, aware in (("old", "new"), ("new", "old")):
        axis, other = sides[naive].axis, sides[aware].axis
        if axis is None or other is None or axis.is_utc or not other.is_utc:
            continue
        out += [Fold(cut, naive, aware) for cut in axis.repeated_hours(window.start, window.end)]
    return out


def widened(window: Window, folds: list[Fold]) -> Window:
    """The window grown to hold both passes of every fall-back it touches."""
    if not folds:
        return window
    return Window(min([window.start] + [f.first for f in folds]), max([window.end] + [f.cut + HOUR for f in folds]))


def pair_units(folds: list[Fold]) -> dict[datetime, datetime]:
    """{second pass's hour: first pass's hour}: the hours judged as one with another."""
    return {f.cut: f.first for f in folds}


def unit_of(hour: datetime, units: dict) -> datetime:
    return units.get(hour, hour)


def merge_counts(counts: dict[str, Counter], folds: list[Fold]) -> None:
    """Each side's rows of a pair counted in its first pass's hour (where the naive side's
    rows all are already)."""
    for fold in folds:
        for counter in counts.values():
            moved = counter.pop(fold.cut, 0)
            if moved:
                counter[fold.first] += moved


def kept_hours(hours, units: dict) -> set:
    """The hours whose evidence a window of `hours` reports: each, or its pair's first hour."""
    return {unit_of(h, units) for h in hours} | set(hours)
