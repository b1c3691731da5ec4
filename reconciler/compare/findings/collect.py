"""The findings of a comparison's failing hours, from the differing rows the row diff kept and
the rows per minute its first pass counted. Only a failing hour is explained, with at most:

- per dimension column and side holding differences, one GROUP BY over the hour (the hour's
  rows per value: the denominator of every lift);
- per concentrated range, one count of the other side's rows there (is it a gap?);
- per dimension column that the diff does not compare, GROUP BYs over the differing keys, sent
  as IN lists of LOOKUP_KEYS keys (a temporary table is refused in the read-only sessions of all
  four engines).

The differences themselves are never read again: every differing row was fetched to be
classified, so they are counted from the rows the diff kept (bounded by its budget)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from reconciler.compare.findings.changes import change_findings
from reconciler.compare.findings.dimensions import dimension_finding
from reconciler.compare.findings.text import count
from reconciler.compare.findings.timeline import MINUTES, time_finding, time_shape
from reconciler.compare.rowdiff.columns import BOOL, DATE, INT, TEXT
from reconciler.compare.rowdiff.normalize import value_of
from reconciler.compare.rowdiff.segments import to_units
from reconciler.config.models import DatasetConfig
from reconciler.results import Finding
from reconciler.sources.relation import SideRelation
from reconciler.timeutil import HOUR, Window

MAX_VALUES = 1000  # a column with more values in the hour is not a dimension
MIN_ROWS_PER_VALUE = 5  # nor one whose values hold fewer rows each, on average
LOOKUP_KEYS = 1000
SAMPLE_KEYS = 5
DIMENSION_TYPES = (TEXT, INT, BOOL, DATE)
SIDE_OF = {"missing_in_new": "old", "extra_in_new": "new", "mismatched": "old"}


@dataclass(frozen=True)
class Dimension:
    """A column the differences are attributed by: its name (new side's) and on each side."""

    name: str
    old: str
    new: str
    spec_index: int | None  # its position in the fetched rows; None: not compared, looked up by key

    def on(self, side: str) -> str:
        return self.old if side == "old" else self.new


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
        self._hour_counts: dict = {}

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
        for about in ("missing_in_new", "extra_in_new", "mismatched"):
            members = [r[0] for r in rows[about]] if about == "mismatched" else rows[about]
            for dim in self.dims if members else ():
                finding = self._dimension(hour, about, dim, members)
                if finding is not None:
                    findings.append(finding)
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
        finding = time_finding(shape, about, hour, other_rows, [self._key(r) for r in inside[:SAMPLE_KEYS]])
        return [finding]

    def _count_between(self, side: str, lo_us: int, hi_us: int) -> int:
        epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
        window = Window(epoch + timedelta(microseconds=lo_us), epoch + timedelta(microseconds=hi_us))
        s = self.sides[side]
        stmt = sa.select(sa.func.count()).select_from(s.rel.relation).where(*s.rel.where(s.axis, window, "gap"))
        return int(self.conns[side].execute(stmt).scalar() or 0)

    # -- dimensions ------------------------------------------------------------------------

    def _dimension(self, hour: datetime, about: str, dim: Dimension, rows: list) -> Finding | None:
        side = SIDE_OF[about]
        hour_counts = self._hour_values(side, dim, hour)
        if hour_counts is None:
            return None
        if dim.spec_index is not None:
            differences, keys = Counter(), defaultdict(list)
            for r in rows:
                value = r.values[dim.spec_index]
                differences[value] += 1
                if len(keys[value]) < SAMPLE_KEYS:
                    keys[value].append(self._key(r))
        else:
            differences, keys = self._lookup_values(side, dim, rows, hour), None
        return dimension_finding(about, dim.name, hour, differences, hour_counts, keys)

    def _hour_values(self, side: str, dim: Dimension, hour: datetime) -> Counter | None:
        """The hour's rows per value of `dim` on `side`; None when the column has too many values."""
        cache_key = (side, dim.name, hour)
        if cache_key not in self._hour_counts:
            s, rel = self.sides[side], self.relations[side]
            column = rel.col(dim.on(side))
            stmt = (sa.select(column, sa.func.count()).select_from(rel.relation)
                    .where(*rel.where(s.axis, Window(hour, hour + HOUR), "dim")).group_by(column).limit(MAX_VALUES + 1))
            found = self.conns[side].execute(stmt).all()
            counts = Counter()
            for value, n in found:
                counts[self._normal(value, dim, side)] += int(n)
            too_many = len(found) > MAX_VALUES or len(counts) * MIN_ROWS_PER_VALUE > sum(counts.values())
            self._hour_counts[cache_key] = None if too_many else counts
        return self._hour_counts[cache_key]

    def _normal(self, value, dim: Dimension, side: str):
        if dim.spec_index is None:
            return bytes(value).decode("utf-8", "replace") if isinstance(value, (bytes, memoryview)) else value
        return value_of(value, self.specs[dim.spec_index], self.sides[side].axis, self.ds.time_precision)

    def _lookup_values(self, side: str, dim: Dimension, rows: list, hour: datetime) -> Counter:
        """Per value of a column the diff does not compare: GROUP BY over the differing keys."""
        s, rel = self.sides[side], self.relations[side]
        key_specs = [(i, spec) for i, spec in enumerate(self.specs) if spec.is_key]
        key_columns = [rel.col(spec.old if side == "old" else spec.new) for _, spec in key_specs]
        target = key_columns[0] if len(key_columns) == 1 else sa.tuple_(*key_columns)
        column = rel.col(dim.on(side))
        out = Counter()
        for start in range(0, len(rows), LOOKUP_KEYS):
            chunk = rows[start:start + LOOKUP_KEYS]
            keys = [r.raw[key_specs[0][0]] if len(key_specs) == 1 else tuple(r.raw[i] for i, _ in key_specs)
                    for r in chunk]
            stmt = (sa.select(column, sa.func.count()).select_from(rel.relation)
                    .where(target.in_(keys), *rel.where(s.axis, Window(hour, hour + HOUR), "key"))
                    .group_by(column))
            for value, n in self.conns[side].execute(stmt):
                out[self._normal(value, dim, side)] += int(n)
        return out

    def _key(self, row) -> dict:
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
