"""What a row diff found (DiffOutcome: hourly counts, row classes, samples, what it fetched)
and the budget that bounds it. Plain values; the engine fills them."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from reconciler.compare.drift import match_pct
from reconciler.compare.rowdiff.classify import Tally


@dataclass
class DiffOutcome:
    hour_old: Counter
    hour_new: Counter
    tally: Tally
    truncated: bool = False
    unverified: Counter = field(default_factory=Counter)
    fetched: dict = field(default_factory=lambda: {"old": 0, "new": 0})
    timings: dict = field(default_factory=dict)
    queries: int = 0
    note: str | None = None
    # rows per UTC minute on each side (key: minutes since the epoch), from the first pass's
    # counts: where in an hour the rows are, for the findings, at no extra query
    minute_old: Counter = field(default_factory=Counter)
    minute_new: Counter = field(default_factory=Counter)
    specs: list = field(default_factory=list)  # the compared columns (ColumnSpec), in the rows' order
    # {second pass's hour: first pass's hour} of each fall-back compared as one (compare/folds.py):
    # the pair's counts and rows are all in its first hour
    units: dict = field(default_factory=dict)
    # unpaired rows per hour whose twin in another hour was not looked up: the fetch budget was
    # spent (they stay missing or extra)
    not_looked_up: Counter = field(default_factory=Counter)

    @property
    def samples(self) -> dict:
        return {k: v for k, v in self.tally.samples.items()}

    def totals(self) -> dict:
        t = self.tally
        matched, mismatched = t.total("matched"), t.total("mismatched")
        missing, extra = t.total("missing_in_new"), t.total("extra_in_new")
        out = {"matched": matched, "mismatched": mismatched, "missing_in_new": missing, "extra_in_new": extra,
               "duplicates_old": t.total("duplicates_old"), "duplicates_new": t.total("duplicates_new"),
               "match_pct": match_pct(matched, mismatched, missing, extra),
               "unverified": sum(self.unverified.values()),
               "rows_fetched": dict(self.fetched)}
        if self.not_looked_up:
            out["not_looked_up"] = sum(self.not_looked_up.values())
        return out

    def clip(self, hours: set, key_names: list[str]) -> None:
        """Keep only what is about `hours` (a comparison read wider than asked)."""
        for counter in (self.hour_old, self.hour_new, self.unverified, self.not_looked_up):
            for hour in [h for h in counter if h not in hours]:
                del counter[hour]
        self.tally.clip(hours, key_names)

    def annotate(self, evidence: list[dict], units: dict | None = None) -> None:
        """Add the row-level columns to the hourly evidence table; with `units`, each hour of a
        fall-back's pair gets the pair's."""
        t = self.tally
        for row in evidence:
            h = (units or {}).get(_hour_key(row["hour"]), _hour_key(row["hour"]))
            counts = [t.matched[h], t.mismatched[h], t.missing_in_new[h], t.extra_in_new[h]]
            row.update({"matched": counts[0], "mismatched": counts[1], "missing_in_new": counts[2],
                        "extra_in_new": counts[3], "duplicates_old": t.duplicates_old[h],
                        "duplicates_new": t.duplicates_new[h], "match_pct": match_pct(*counts),
                        "truncated": self.unverified[h] > 0})


def _hour_key(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Budget:
    def __init__(self, max_rows: int, max_seconds: float):
        self.max_rows, self.deadline = max_rows, time.monotonic() + max_seconds
        self.rows = {"old": 0, "new": 0}

    def spend(self, side: str, n: int) -> None:
        self.rows[side] += n

    def exhausted(self, upcoming: int = 0) -> bool:
        return max(self.rows.values()) + upcoming > self.max_rows or time.monotonic() > self.deadline
