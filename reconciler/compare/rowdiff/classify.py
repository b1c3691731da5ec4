"""Classification of fetched rows. Pure: normalized rows in, tallies and samples out."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from reconciler.compare.rowdiff.columns import ColumnSpec
from reconciler.compare.rowdiff.normalize import equal
from reconciler.results import DEFAULT_SAMPLE_LIMIT

KINDS = ("missing_in_new", "extra_in_new", "mismatched", "duplicates_old", "duplicates_new")
KEPT_KINDS = ("missing_in_new", "extra_in_new", "mismatched")


@dataclass(slots=True)
class Row:
    """One fetched row: normalized key, normalized values, display values, its UTC hour and
    the values as the driver returned them (`raw`, for the repair). `shown` may be a callable:
    most rows match and are never displayed, so their display values are only built for the
    few that become samples."""

    key: tuple
    values: tuple
    _shown: object
    hour: object
    raw: tuple = ()

    @property
    def shown(self) -> dict:
        if callable(self._shown):
            self._shown = self._shown()
        return self._shown


@dataclass
class Tally:
    matched: Counter = field(default_factory=Counter)
    mismatched: Counter = field(default_factory=Counter)
    missing_in_new: Counter = field(default_factory=Counter)
    extra_in_new: Counter = field(default_factory=Counter)
    duplicates_old: Counter = field(default_factory=Counter)
    duplicates_new: Counter = field(default_factory=Counter)
    samples: dict = field(default_factory=lambda: {k: [] for k in KINDS})
    sample_limit: int = DEFAULT_SAMPLE_LIMIT
    # every differing row, for findings and repair: rows already fetched, so bounded by the diff
    # budget. missing_in_new / extra_in_new hold Rows, mismatched (old Row, new Row, columns).
    kept: dict = field(default_factory=lambda: {k: [] for k in KEPT_KINDS})

    def sample(self, kind: str, item: dict) -> None:
        if len(self.samples[kind]) < self.sample_limit:
            self.samples[kind].append(item)

    def total(self, kind: str) -> int:
        return sum(getattr(self, kind).values())

    def clip(self, hours: set, key_names: list[str]) -> None:
        """Keep only the rows and counts of `hours`; the samples of the kept rows."""
        for kind in ("matched", *KINDS):
            counter = getattr(self, kind)
            for hour in [h for h in counter if h not in hours]:
                del counter[hour]
        self.kept = {kind: [item for item in items if (item[0] if kind == "mismatched" else item).hour in hours]
                     for kind, items in self.kept.items()}
        self.samples.update({kind: [] for kind in KEPT_KINDS})
        for o, n, cols in self.kept["mismatched"]:
            self.sample("mismatched", _changed_sample(o, n, cols, key_names))
        for kind in ("missing_in_new", "extra_in_new"):
            for row in self.kept[kind]:
                self.sample(kind, _one_side_sample(kind, row, key_names))


def differing_columns(old: Row, new: Row, specs: list[ColumnSpec], precision: str) -> list[str]:
    return [s.name for s, a, b in zip(specs, old.values, new.values) if not equal(a, b, s, precision)]


def split_duplicates(rows: list[Row], tally: Tally, side: str, key_names: list[str]) -> dict[tuple, Row]:
    """First row per key; every further row with that key is a duplicate on its side."""
    first: dict[tuple, Row] = {}
    counter = getattr(tally, f"duplicates_{side}")
    for row in rows:
        if row.key in first:
            counter[row.hour] += 1
            tally.sample(f"duplicates_{side}", {"key": dict(zip(key_names, row.shown_key)), side: row.shown}
                         if hasattr(row, "shown_key") else {"key": _key_dict(row, key_names), side: row.shown})
        else:
            first[row.key] = row
    return first


def _key_dict(row: Row, key_names: list[str]) -> dict:
    return {k: row.shown.get(k) for k in key_names}


def _changed_sample(old: Row, new: Row, columns: list[str], key_names: list[str]) -> dict:
    return {"key": _key_dict(old, key_names), "old": old.shown, "new": new.shown, "columns": columns}


def _one_side_sample(kind: str, row: Row, key_names: list[str]) -> dict:
    """A row of one side only: missing in new (old's row) or extra in new (new's)."""
    return {"key": _key_dict(row, key_names), "old" if kind == "missing_in_new" else "new": row.shown}


def match_rows(old: dict[tuple, Row], new: dict[tuple, Row], specs: list[ColumnSpec], precision: str,
               tally: Tally, key_names: list[str]) -> tuple[dict, dict]:
    """Compare rows present on both sides; return the unmatched ones (old only, new only)."""
    only_old, only_new = {}, {}
    for key, o in old.items():
        n = new.get(key)
        if n is None:
            only_old[key] = o
            continue
        cols = differing_columns(o, n, specs, precision)
        if cols:
            tally.mismatched[o.hour] += 1
            tally.kept["mismatched"].append((o, n, cols))
            tally.sample("mismatched", _changed_sample(o, n, cols, key_names))
        else:
            tally.matched[o.hour] += 1
    for key, n in new.items():
        if key not in old:
            only_new[key] = n
    return only_old, only_new


def settle_unmatched(only_old: dict, only_new: dict, tally: Tally, key_names: list[str]) -> None:
    for o in only_old.values():
        tally.missing_in_new[o.hour] += 1
        tally.kept["missing_in_new"].append(o)
        tally.sample("missing_in_new", _one_side_sample("missing_in_new", o, key_names))
    for n in only_new.values():
        tally.extra_in_new[n.hour] += 1
        tally.kept["extra_in_new"].append(n)
        tally.sample("extra_in_new", _one_side_sample("extra_in_new", n, key_names))


def pair_adjacent_times(only_old: dict, only_new: dict, specs: list[ColumnSpec]) -> list[tuple]:
    """Keys that hold the time column are floored to the precision, so an engine that
    rounds (10:00:00.1236 -> .124) and one that truncates (-> .123) give keys one unit
    apart. Pair such leftovers: same key but for a time exactly one unit away. Returns
    (old key, new key) pairs, each row used once; the caller compares their values."""
    key_specs = [s for s in specs if s.is_key]
    time_pos = next((i for i, s in enumerate(key_specs) if s.is_time), None)
    if time_pos is None or not only_old or not only_new:
        return []
    by_rest: dict[tuple, list] = {}
    for key in only_new:
        if key[time_pos] is not None:
            by_rest.setdefault(key[:time_pos] + key[time_pos + 1:], []).append(key)
    pairs, used = [], set()
    for key in only_old:
        if key[time_pos] is None:
            continue
        for candidate in by_rest.get(key[:time_pos] + key[time_pos + 1:], ()):
            if candidate not in used and abs(candidate[time_pos] - key[time_pos]) == 1:
                pairs.append((key, candidate))
                used.add(candidate)
                break
    return pairs
