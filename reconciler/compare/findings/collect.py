"""The findings of a comparison's failing hours, from the differing rows the row diff kept and
the rows per minute its first pass counted. Only a failing hour is explained, with at most:

- one GROUP BY over the hour on the old side, by every dimension column at once (the hour's
  rows per value: the denominator of every lift; dimension_counts.py);
- per concentrated range, one count of the other side's rows there (is it a gap?);
- per dimension column the diff does not compare, GROUP BYs over the differing keys.

The differences themselves are never read again: every differing row was fetched to be
classified, so they are counted from the rows the diff kept (bounded by its budget)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from reconciler.compare.findings.changes import change_findings
from reconciler.compare.findings.dimension_counts import Dimension, DimensionCounts, new_hour_values
from reconciler.compare.findings.dimensions import dimension_finding
from reconciler.compare.findings.text import count
from reconciler.compare.findings.timeline import MINUTES, time_finding, time_shape
from reconciler.compare.rowdiff.columns import BOOL, DATE, INT, TEXT
from reconciler.compare.rowdiff.segments import to_units
from reconciler.config.models import DatasetConfig
from reconciler.results import Finding
from reconciler.sources.relation import SideRelation
from reconciler.timeutil import Window

SAMPLE_KEYS = 5
DIMENSION_TYPES = (TEXT, INT, BOOL, DATE)
SIDE_OF = {"missing_in_new": "old", "extra_in_new": "new", "mismatched": "old"}


def dimensions(ds: DatasetConfig, specs: list) -> list[Dimension]:
    """`attribute_by`, or by default the compared value columns that can hold few values."""
    position = {s.name: i for i, s in enumerate(specs)}
    if ds.attribute_by is None:
        return [Dimension(s.name, s.old, s.new, i) for i, s in enumerate(specs)
                if not s.is_key and not s.is_time and s.ctype in DIMENSION_TYPES]
    out = []
    for name in ds.attribute_by:
        if name in position:
            s = specs[position[name]]
            out.append(Dimension(name, s.old, s.new, position[name]))
        else:
            out.append(Dimension(name, name, name, None))
    return out


class HourExplainer:
    """Explains the failing hours of one comparison on its two open sides."""

    def __init__(self, ds: DatasetConfig, sides: dict, conns: dict, diff, now: datetime | None = None):
        self.ds, self.sides, self.conns, self.diff = ds, sides, conns, diff
        self.specs = diff.specs
        self.key_names = [s.name for s in self.specs if s.is_key]
        self.time_index = next(i for i, s in enumerate(self.specs) if s.is_time)
        self.dims = dimensions(ds, self.specs)
        extra = [d for d in self.dims if d.spec_index is None]
        self.relations = {name: self._relation(name, [d.on(name) for d in extra], now) for name in ("old", "new")}
        self.counts = DimensionCounts(self)

    def _relation(self, name: str, extra: list[str], now) -> SideRelation:
        side = self.sides[name]
        if not extra:
            return side.rel
        columns = [o if name == "old" else n for o, n, _ in self.ds.column_pairs()]
        return SideRelation.build(side.rel.side, [*columns, *extra], now)

    def explain(self, hours: list[datetime]) -> list[Finding]:
        kept = self._by_hour()
        findings = []
        for hour in sorted(hours):
            rows = {kind: kept[kind].get(hour, []) for kind in kept}
            findings += self._hour(hour, rows)
        return findings

    def _by_hour(self) -> dict:
        out: dict = {}
        for kind, items in self.diff.tally.kept.items():
            grouped = defaultdict(list)
            for item in items:
                row = item[0] if kind == "mismatched" else item
                grouped[row.hour].append(item)
            out[kind] = grouped
        return out

    def _hour(self, hour: datetime, rows: dict) -> list[Finding]:
        findings = []
        for about in ("missing_in_new", "extra_in_new"):
            if rows[about]:
                findings += self._time(hour, about, rows[about])
        findings += change_findings(hour, rows["mismatched"], self.specs, self.key_names)
        findings += self._dimensions(hour, rows)
        hidden = counts_hide(hour, len(rows["missing_in_new"]), len(rows["extra_in_new"]),
                             self._side_total("old", hour), self._side_total("new", hour))
        return ([hidden] if hidden else []) + findings

    # -- time ------------------------------------------------------------------------------

    def _minutes(self, side: str, hour: datetime) -> list[int]:
        counter = self.diff.minute_old if side == "old" else self.diff.minute_new
        first = to_units(hour, 60_000_000)
        return [counter.get(first + m, 0) for m in range(MINUTES)]

    def _side_total(self, side: str, hour: datetime) -> int:
        return sum(self._minutes(side, hour))

    def _time(self, hour: datetime, about: str, rows: list) -> list[Finding]:
        side = SIDE_OF[about]
        other = "new" if side == "old" else "old"
        times = [r.values[self.time_index] for r in rows if r.values[self.time_index] is not None]
        shape = time_shape(times, self._minutes(side, hour), to_units(hour, 1))
        if shape is None:
            return []
        other_rows = None
        if shape.shape == "whole_hour":
            other_rows = self._side_total(other, hour)
        elif shape.shape == "concentrated":
            other_rows = self._count_between(other, shape.first_us, shape.last_us + 1)
        inside = [r for r in rows if shape.first_us is None or shape.first_us <= r.values[self.time_index] <= shape.last_us]
        finding = time_finding(shape, about, hour, other_rows, [self.key_of(r) for r in inside[:SAMPLE_KEYS]])
        return [finding]

    def _count_between(self, side: str, lo_us: int, hi_us: int) -> int:
        epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
        window = Window(epoch + timedelta(microseconds=lo_us), epoch + timedelta(microseconds=hi_us))
        s = self.sides[side]
        stmt = sa.select(sa.func.count()).select_from(s.rel.relation).where(*s.rel.where(s.axis, window, "gap"))
        return int(self.conns[side].execute(stmt).scalar() or 0)

    # -- dimensions ------------------------------------------------------------------------

    def _dimensions(self, hour: datetime, rows: dict) -> list[Finding]:
        members = {about: [r[0] for r in items] if about == "mismatched" else items for about, items in rows.items()}
        if not self.dims or not any(members.values()):
            return []
        in_hour, sampled = self.counts.hour_values(self.dims, hour, self._side_total("old", hour))
        findings = []
        for dim in self.dims:
            if in_hour[dim.name] is None:
                continue  # too many values to be a dimension
            found = {about: self.counts.differences(SIDE_OF[about], dim, items, hour)
                     for about, items in members.items() if items or about == "missing_in_new"}
            for about, (differences, keys) in found.items():
                if not differences:
                    continue
                hour_counts = in_hour[dim.name] if SIDE_OF[about] == "old" else self._new_values(
                    dim, in_hour[dim.name], found, rows["mismatched"])
                finding = dimension_finding(about, dim.name, hour, differences, hour_counts, keys, sampled)
                if finding is not None:
                    findings.append(finding)
        return findings

    @staticmethod
    def _new_values(dim: Dimension, old, found: dict, changed: list) -> object:
        moved = [(o.values[dim.spec_index], n.values[dim.spec_index]) for o, n, columns in changed
                 if dim.spec_index is not None and dim.name in columns]
        return new_hour_values(old, found["missing_in_new"][0], found.get("extra_in_new", ({},))[0], moved)

    def key_of(self, row) -> dict:
        return {k: row.shown.get(k) for k in self.key_names}


def counts_hide(hour: datetime, missing: int, extra: int, old: int, new: int) -> Finding | None:
    """Missing and extra rows that (nearly) cancel out in the hour's counts: only the rows tell."""
    if not missing or not extra or abs(missing - extra) * 2 >= missing + extra:
        return None
    counts = f"equal ({count(old)})" if old == new else f"{count(old)} old, {count(new)} new"
    text = f"the hour's counts are {counts}, yet {count(missing)} rows are missing and {count(extra)} extra: only the rows tell"
    return Finding(hour=hour, about="missing_in_new", kind="counts_hide", text=text, rows=missing + extra, share=1.0,
                   signature="counts_hide", evidence={"old": old, "new": new, "missing_in_new": missing,
                                                      "extra_in_new": extra})


def explain_hours(ds: DatasetConfig, sides: dict, conns: dict, diff, hours: list[datetime],
                  now: datetime | None = None) -> list[Finding]:
    """The findings of `hours` (the failing hours with differing rows) of one comparison."""
    if not hours or diff is None or not diff.specs:
        return []
    return HourExplainer(ds, sides, conns, diff, now).explain(hours)
