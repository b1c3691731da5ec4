"""What would make new equal old, from the differing rows a row diff kept: the missing rows to
insert (old's values in new's names, types and time zone), the changed columns to update (keyed
by new's key as new holds it) and the extra rows new holds. Pure."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from reconciler.repair.values import to_new
from reconciler.sources.timeaxis import TimeAxis


@dataclass(frozen=True)
class RepairPlan:
    columns: list[str]  # new-side columns an INSERT writes: key, time and compared columns
    key: list[str]  # new's key columns
    inserts: list[dict] = field(default_factory=list)  # column -> value, in new's types
    updates: list[tuple[dict, dict]] = field(default_factory=list)  # (new's key as it holds it, column -> value)
    deletes: list[dict] = field(default_factory=list)  # new's key as it holds it
    # missing rows whose naive old time a fall-back repeats: (new's key, old's wall time, its two UTC instants)
    ambiguous: list[tuple[dict, object, tuple]] = field(default_factory=list)
    changed_columns: Counter = field(default_factory=Counter)
    duplicates_old: int = 0
    duplicates_new: int = 0
    duplicate_keys: dict = field(default_factory=dict)  # side -> the sampled keys held more than once
    truncated: bool = False
    unverified: int = 0

    @property
    def statements(self) -> int:
        return len(self.inserts) + len(self.updates) + len(self.deletes)


def plan_repair(diff, old_axis: TimeAxis, new_axis: TimeAxis) -> RepairPlan:
    """The repair of one row diff (its DiffOutcome, with the rows it kept)."""
    specs = diff.specs
    key_at = [i for i, s in enumerate(specs) if s.is_key]
    key = [specs[i].new for i in key_at]

    def new_key(row) -> dict:
        return {specs[i].new: row.raw[i] for i in key_at}

    def converted(row, i: int):
        return to_new(row.raw[i], specs[i], old_axis, new_axis)

    kept = diff.tally.kept
    time_at = next(i for i, s in enumerate(specs) if s.is_time)
    same_clock = (old_axis.kind, old_axis.zone.key) == (new_axis.kind, new_axis.zone.key)
    inserts, ambiguous = [], []
    for row in _ordered(kept["missing_in_new"]):
        instants = None if same_clock else old_axis.two_instants(row.raw[time_at])
        if instants:
            ambiguous.append((new_key(row), row.raw[time_at], instants))
        else:
            inserts.append({s.new: converted(row, i) for i, s in enumerate(specs)})
    updates, changed = [], Counter()
    position = {s.name: i for i, s in enumerate(specs)}
    for old, new, columns in sorted(kept["mismatched"], key=lambda item: _order(item[0])):
        updates.append((new_key(new), {specs[position[c]].new: converted(old, position[c]) for c in columns}))
        changed.update(columns)
    deletes = [new_key(row) for row in _ordered(kept["extra_in_new"])]
    totals = diff.totals()
    return RepairPlan(columns=[s.new for s in specs], key=key, inserts=inserts, updates=updates, deletes=deletes,
                      ambiguous=ambiguous,
                      changed_columns=changed, duplicates_old=totals["duplicates_old"],
                      duplicates_new=totals["duplicates_new"], truncated=diff.truncated,
                      duplicate_keys={side: [item["key"] for item in diff.samples.get(f"duplicates_{side}", [])]
                                      for side in ("old", "new")},
                      unverified=totals["unverified"])


def _order(row) -> tuple:
    """Rows in key order, NULLs first, values of mixed types by their text."""
    return tuple((v is not None, str(type(v)), v) if v is None or isinstance(v, (int, float, str)) else
                 (True, str(type(v)), str(v)) for v in row.key)


def _ordered(rows: list) -> list:
    return sorted(rows, key=_order)
