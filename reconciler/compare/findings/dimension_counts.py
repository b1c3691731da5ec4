"""The counts behind an hour's dimension findings: the hour's rows per value of each dimension
column (ONE GROUP BY over all of them, on the old side), and the differing rows per value (from
the rows the diff kept, or, for a column it does not compare, GROUP BYs over the differing keys
sent as IN lists: a temporary table is refused in the read-only sessions of all four engines).
The new side's rows per value are derived, not queried: new = old - missing + extra, with
changed values moved from their old value to their new one.

An hour of more than SAMPLE_ABOVE rows is read in a sample of about SAMPLE_ROWS: a window of
the same few seconds in every minute, at an offset that moves from minute to minute (so a
device reporting on a fixed second is not favoured); its counts are scaled to the hour and
the statistics take the sampling error into account (dimensions.py)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from reconciler.compare.rowdiff.normalize import value_of
from reconciler.timeutil import HOUR, Window

SAMPLE_ABOVE = 100_000
SAMPLE_ROWS = 60_000
MAX_VALUES = 1000  # a column with more values in the hour is not a dimension
MAX_GROUPS = 20000  # value combinations one GROUP BY over every dimension may return
MIN_ROWS_PER_VALUE = 5  # nor one whose values hold fewer rows each, on average
LOOKUP_KEYS = 1000
SAMPLE_KEYS = 5


@dataclass(frozen=True)
class Dimension:
    """A column the differences are attributed by: its name (new side's) and on each side."""

    name: str
    old: str
    new: str
    spec_index: int | None  # its position in the fetched rows; None: not compared, looked up by key

    def on(self, side: str) -> str:
        return self.old if side == "old" else self.new


def low_cardinality(counts: Counter, distinct: int) -> Counter | None:
    too_many = distinct > MAX_VALUES or distinct * MIN_ROWS_PER_VALUE > sum(counts.values())
    return None if too_many else counts


class DimensionCounts:
    """Reads the counts for one comparison; `explainer` holds its sides, connections, relations
    (with any attribute column the diff does not compare), specs and key display."""

    def __init__(self, explainer):
        self.x = explainer

    def _normal(self, value, dim: Dimension, side: str):
        if dim.spec_index is None:
            return bytes(value).decode("utf-8", "replace") if isinstance(value, (bytes, memoryview)) else value
        x = self.x
        return value_of(value, x.specs[dim.spec_index], x.sides[side].axis, x.ds.time_precision)

    def hour_values(self, dims: list[Dimension], hour: datetime, hour_rows: int) -> tuple[dict, int | None]:
        """The old side's rows of the hour per value of each dimension (None: too many values),
        and the sample's size when the hour was sampled (its counts are then scaled to hour_rows)."""
        x = self.x
        side, rel = x.sides["old"], x.relations["old"]
        columns = [rel.col(d.on("old")) for d in dims]
        if hour_rows > SAMPLE_ABOVE:
            where = [sample_windows(rel, side.axis, hour, hour_rows), *rel.where(side.axis, Window(hour, hour + HOUR),
                                                                                  "dim")]
        else:
            where = rel.where(side.axis, Window(hour, hour + HOUR), "dim")
        stmt = sa.select(*columns, sa.func.count()).select_from(rel.relation).where(*where)
        found = x.conns["old"].execute(stmt.group_by(*columns).limit(MAX_GROUPS + 1)).all()
        if len(found) > MAX_GROUPS:
            found = None
        per_dim = {}
        for i, (d, column) in enumerate(zip(dims, columns)):
            if found is None:
                single = sa.select(column, sa.func.count()).select_from(rel.relation).where(*where)
                rows, index = x.conns["old"].execute(single.group_by(column).limit(MAX_VALUES + 1)).all(), 0
            else:
                rows, index = found, i
            per_dim[d.name] = self._marginal(rows, index, d)
        sampled = sum(next(iter(per_dim.values()), Counter()).values())
        scale = hour_rows / sampled if hour_rows > SAMPLE_ABOVE and sampled else 1
        scaled = {name: Counter({v: round(n * scale) for v, n in c.items()}) if scale != 1 else c
                  for name, c in per_dim.items()}
        return {name: low_cardinality(c, len(c)) for name, c in scaled.items()}, (sampled if scale != 1 else None)

    def _marginal(self, found, index: int, dim: Dimension) -> Counter:
        counts: Counter = Counter()
        for row in found:
            counts[self._normal(row[index], dim, "old")] += int(row[-1])
        return counts

    def differences(self, side: str, dim: Dimension, rows: list, hour: datetime) -> tuple[Counter, dict | None]:
        """The differing rows per value, and up to SAMPLE_KEYS keys per value (None when looked up)."""
        if dim.spec_index is None:
            return self._looked_up(side, dim, rows, hour), None
        counts, keys = Counter(), defaultdict(list)
        for r in rows:
            value = r.values[dim.spec_index]
            counts[value] += 1
            if len(keys[value]) < SAMPLE_KEYS:
                keys[value].append(self.x.key_of(r))
        return counts, keys

    def _looked_up(self, side: str, dim: Dimension, rows: list, hour: datetime) -> Counter:
        x = self.x
        s, rel = x.sides[side], x.relations[side]
        key_specs = [(i, spec) for i, spec in enumerate(x.specs) if spec.is_key]
        key_columns = [rel.col(spec.old if side == "old" else spec.new) for _, spec in key_specs]
        target = key_columns[0] if len(key_columns) == 1 else sa.tuple_(*key_columns)
        column = rel.col(dim.on(side))
        out = Counter()
        for start in range(0, len(rows), LOOKUP_KEYS):
            chunk = rows[start:start + LOOKUP_KEYS]
            keys = [r.raw[key_specs[0][0]] if len(key_specs) == 1 else tuple(r.raw[i] for i, _ in key_specs)
                    for r in chunk]
            stmt = (sa.select(column, sa.func.count()).select_from(rel.relation)
                    .where(target.in_(keys), *rel.where(s.axis, Window(hour, hour + HOUR), "key")).group_by(column))
            for value, n in x.conns[side].execute(stmt):
                out[self._normal(value, dim, side)] += int(n)
        return out


def sample_windows(rel, axis, hour: datetime, hour_rows: int):
    """Rows of the same few seconds of every minute, at an offset moving by 37 s a minute."""
    seconds = max(1, min(59, -(-60 * SAMPLE_ROWS // hour_rows)))
    ranges = []
    for m in range(60):
        start = hour + timedelta(minutes=m, seconds=(m * 37) % (60 - seconds))
        ranges.append(sa.and_(rel.time >= sa.bindparam(f"s{m}", axis.bound(start)),
                              rel.time < sa.bindparam(f"e{m}", axis.bound(start + timedelta(seconds=seconds)))))
    return sa.or_(*ranges)


def new_hour_values(old: Counter, missing: Counter, extra: Counter, changed: list[tuple]) -> Counter:
    """The new side's rows per value, from the old side's: `changed` holds (old value, new value)
    of the changed rows whose dimension column changed."""
    new = Counter(old)
    new.subtract(missing)
    new.update(extra)
    for before, after in changed:
        new[before] -= 1
        new[after] += 1
    return Counter({v: n for v, n in new.items() if n > 0})
