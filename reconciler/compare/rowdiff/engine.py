"""The row diff: checksum slices on both sides at once, refine what differs, fetch only
rows of differing slices in bounded batches, compare them exactly."""

from __future__ import annotations

import logging
import time
from bisect import bisect_right
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial

import sqlalchemy as sa

from reconciler.compare.folds import Fold, folds_of, kept_hours, pair_units, widened
from reconciler.compare.rowdiff.classify import (
    Row,
    Tally,
    match_rows,
    pair_adjacent_times,
    settle_unmatched,
    split_duplicates,
)
from reconciler.compare.rowdiff.columns import INT, TEXT, TIMESTAMP, build_specs, reflect_types
from reconciler.compare.rowdiff.normalize import display, equal, key_of, value_of
from reconciler.compare.rowdiff.outcome import Budget, DiffOutcome
from reconciler.compare.rowdiff.segments import (
    EPOCH,
    Segment,
    batches,
    first_change,
    from_units,
    merge_adjacent,
    offset_regions,
    to_units,
)
from reconciler.compare.rowdiff.sql import SideSQL, Skipped
from reconciler.config.models import PRECISION_US, DatasetConfig, slice_problem
from reconciler.errors import ConfigError
from reconciler.sources.relation import filter_clause
from reconciler.sources.timeaxis import TICK
from reconciler.timeutil import HOUR, Window, floor_hour, iso

SLICE_US = 250_000  # first-pass slice: ~50 rows at 200 events/s, so a differing one is cheap to re-read
HOUR_US = 3_600_000_000
MINUTE_US = 60_000_000
MAX_PASSES = 168  # first-pass queries per side and offset region: a week of hours
REFINE_FACTOR = 16
KEY_PARTITIONS = 64
RANGES_PER_QUERY = 200
LOOKUP_KEYS = 1000
# a row unpaired in its window is looked up in the other side's data this far away (both ways):
# every UTC offset (-12 h to +14 h), a DST change and a date off by one day are within it
SHIFT_REACH_US = 24 * 3_600_000_000
SPREAD_RATIO = 0.5
LIST_BATCH = 20_000
log = logging.getLogger(__name__)
_COUNT_SHIFT = 96  # a listed instant packs count << 96 | hash sum (60-bit hashes: exact below 2**36 rows)


class RowDiff:
    def __init__(self, ds: DatasetConfig, sides: dict, window: Window, reporter=None):
        self.ds, self.sides, self.window, self.reporter = ds, sides, window, reporter
        self.unit_us = PRECISION_US[ds.time_precision]
        slice_us = round(ds.diff.slice_seconds * 1_000_000) if ds.diff.slice_seconds else max(SLICE_US, self.unit_us)
        problem = slice_problem(slice_us / 1_000_000, ds.time_precision)  # checked at load; a config built in code
        if problem:
            raise ConfigError(f"diff.slice_seconds {problem}")
        self.slice_units = slice_us // self.unit_us
        self.budget = Budget(ds.diff.max_rows_fetched, ds.diff.max_seconds)
        self.tally = Tally(sample_limit=ds.diff.sample_limit)
        self.outcome = DiffOutcome(Counter(), Counter(), self.tally)
        self.pool_old: dict = {}
        self.pool_new: dict = {}
        self._hours: dict = {}
        self.folds: list[Fold] = []

    def log(self, message: str) -> None:
        if self.reporter:
            self.reporter(message)

    def run(self, conns: dict) -> DiffOutcome:
        self.conns = conns
        types = {name: reflect_types(conns[name], side.rel, self._names(name), side.source.dialect)
                 for name, side in self.sides.items()}
        self.specs = build_specs(self.ds, types["old"], types["new"])
        self.key_names = [s.name for s in self.specs if s.is_key]
        requested = self.window
        self.folds = [] if self.ds.snapshot else folds_of(self.sides, requested)
        self.window = widened(requested, self.folds)
        pool = ThreadPoolExecutor(max_workers=2)
        self.pool = pool
        try:
            for start, end in self._regions():
                for lo, hi in self._passes(start, end):
                    self._region(lo, hi)
        finally:
            pool.shutdown(wait=True)
        if self.ds.snapshot and self.pool_old:
            self._look_up_missing()
        self._pair_adjacent_times()
        if not self.ds.snapshot:
            shift_keys = self._shift_key_specs()
            if shift_keys:
                self._look_up_shifted(shift_keys)
            else:
                self._look_up_across_edges()
        settle_unmatched(self.pool_old, self.pool_new, self.tally, self.key_names)
        self.outcome.units = pair_units(self.folds)
        if self.window != requested:
            self.outcome.clip(kept_hours(requested.hours(), self.outcome.units), self.key_names)
            self.window = requested
        self.outcome.fetched = dict(self.budget.rows)
        self.outcome.specs = self.specs
        return self.outcome

    def _regions(self) -> list[tuple[datetime, datetime]]:
        """Spans of one UTC offset per side. At a fall-back (compare/folds.py) the first
        pass's hour is read with the second pass folded onto it; the second pass's own hour
        is not read again."""
        zones = [s.axis.zone for s in self.sides.values() if not s.axis.is_utc]
        regions = offset_regions(self.window.start, self.window.end, zones)
        for fold in self.folds:
            cuts = (fold.first, fold.cut, fold.cut + HOUR)
            regions = [piece for start, end in regions for piece in _cut(start, end, cuts)
                       if not (piece[0] == fold.cut and piece[1] <= fold.cut + HOUR)]
        return regions

    def _fold_of(self, name: str, start: datetime) -> Fold | None:
        """The fall-back whose second pass this side reads folded onto `start`'s hour."""
        return next((f for f in self.folds if f.aware == name and f.first <= start < f.cut), None)

    def _passes(self, start: datetime, end: datetime):
        """The first pass runs an hour at a time, so memory holds one hour's slices whatever
        the window; a window of more than MAX_PASSES hours runs in MAX_PASSES spans of
        whole hours. A snapshot's window spans its table's whole history, mostly empty
        hours: it runs in one pass."""
        if self.ds.snapshot:
            yield start, end
            return
        hours = -(-(end - start) // timedelta(hours=1))
        yield from _spans(start, end, -(-hours // MAX_PASSES) * HOUR_US)

    def _pair_adjacent_times(self) -> None:
        for old_key, new_key in pair_adjacent_times(self.pool_old, self.pool_new, self.specs):
            old, new = self.pool_old.pop(old_key), self.pool_new.pop(new_key)
            match_rows({old_key: old}, {old_key: new}, self.specs, self.ds.time_precision, self.tally,
                       self.key_names)

    def _look_up_missing(self) -> None:
        """A snapshot compares what each side's filter selects. An old row whose key the new
        side holds outside its filter (a booking since completed there) is a changed row,
        not a missing one: look those keys up in new without the filter."""
        key_specs = [s for s in self.specs if s.is_key]
        if any(s.ctype not in (INT, TEXT) for s in key_specs):
            return
        sql = self._side_sql("new", self.window.start)
        found = self._rows_with_keys("new", sql, key_specs, list(self.pool_old), [])
        new = {row.key: row for row in found if row.key in self.pool_old}
        old = {k: self.pool_old.pop(k) for k in new}
        match_rows(old, new, self.specs, self.ds.time_precision, self.tally, self.key_names)

    def _rows_with_keys(self, name: str, sql: SideSQL, key_specs: list, keys: list, conditions: list) -> list[Row]:
        """The rows of side `name` whose `key_specs` columns hold one of `keys` (tuples of
        their values), under `conditions`, LOOKUP_KEYS keys a statement."""
        columns = [sql.looked_up(s) for s in key_specs]
        target = columns[0] if len(columns) == 1 else sa.tuple_(*columns)
        out = []
        for chunk in _chunks(keys, LOOKUP_KEYS):
            values = [k[0] for k in chunk] if len(columns) == 1 else chunk
            out += self._rows(name, sql.rows_select([*conditions, target.in_(values)]))
        return out

    def _look_up_across_edges(self) -> None:
        """An unpaired row less than one time unit from the window's edge may have its twin
        just beyond it (an engine rounding 12:59:59.9996 up to 13:00:00.000). Look its key up
        on the other side in the unit beyond the edge. The pair belongs to the hour of its old
        row: with the old row inside the window it is compared here; with the old row
        beyond the edge the neighbouring window compares it, and the new row leaves this one."""
        key_specs = [s for s in self.specs if s.is_key and not s.is_time]
        if not key_specs or any(s.ctype not in (INT, TEXT) for s in key_specs):
            return
        time_idx = next(i for i, s in enumerate(self.specs) if s.is_time)
        lo, hi = to_units(self.window.start, self.unit_us), to_units(self.window.end, self.unit_us)
        edges = {Segment(lo - 1, lo): lambda t: t < (lo + 1) * self.unit_us,
                 Segment(hi, hi + 1): lambda t: t >= (hi - 1) * self.unit_us}
        for beyond, near in edges.items():
            for side, other in (("old", "new"), ("new", "old")):
                pool = self.pool_old if side == "old" else self.pool_new
                rows = {k: r for k, r in pool.items() if r.values[time_idx] is not None and near(r.values[time_idx])}
                if rows:
                    self._pair_beyond(rows, side, other, beyond, key_specs, time_idx)

    def _shift_key_specs(self) -> list:
        """The key columns a moved row keeps: all of the key, when none is the time and each is
        an integer or text (a key holding the time changes with it: no twin to look up)."""
        key_specs = [s for s in self.specs if s.is_key]
        if not key_specs or any(s.is_time or s.ctype not in (INT, TEXT) for s in key_specs):
            return []
        return key_specs

    def _look_up_shifted(self, key_specs: list) -> None:
        """A row left unpaired in the window may have its twin in another hour: a time zone or
        DST shift moves the new row an hour or more away, where a window of one hour never
        reads it. Each unpaired row's key is looked up on the other side outside the window,
        at most SHIFT_REACH_US away (keyed statements, LOOKUP_KEYS keys each, counted against
        the fetch budget). A row and a twin pair when each is the other's nearest row with
        that key (a key reused over time, or held again beside the twin, keeps its own pair):
        a definition that does not depend on the window, so hours judged one by one and
        together agree. The pair belongs to the hour of its old row: an old row in the window
        is compared here (a changed `time`); a new row whose twin is an old row outside
        leaves this window, whose counts still hold it. Rows beyond the budget stay unpaired
        and are counted in `not_looked_up`. This also pairs a row rounded across the
        window's edge (12:59:59.9996 read as 13:00:00.000 on one side)."""
        time_idx = next(i for i, s in enumerate(self.specs) if s.is_time)
        t = time.perf_counter()
        for side, other in (("old", "new"), ("new", "old")):
            pool = self.pool_old if side == "old" else self.pool_new
            rows = sorted(((k, r) for k, r in pool.items() if r.values[time_idx] is not None),
                          key=lambda kr: (kr[1].values[time_idx], kr[0]))
            for i, chunk in enumerate(_chunks(rows, LOOKUP_KEYS)):
                if self.budget.exhausted(len(chunk)):
                    self._not_looked_up(side, rows[i * LOOKUP_KEYS:])
                    break
                pairs = self._nearest_twins(dict(chunk), side, other, key_specs, time_idx)
                if pairs and self.budget.exhausted(len(pairs)):
                    self._not_looked_up(side, rows[i * LOOKUP_KEYS:])
                    break
                for key, twin in self._mutual(pairs, side, key_specs, time_idx).items():
                    row = pool.pop(key)
                    if side == "old":
                        match_rows({key: row}, {key: twin}, self.specs, self.ds.time_precision, self.tally,
                                   self.key_names)
        self._add_timing("look_up", t)

    def _outside(self, name: str, times_us: list[int], key_specs: list, keys: list) -> list[Row]:
        """Side `name`'s rows holding one of `keys`, outside the window and at most
        SHIFT_REACH_US from the earliest or latest of `times_us`."""
        unit = self.unit_us
        lo, hi = to_units(self.window.start, unit), to_units(self.window.end, unit)
        before = Segment(min(lo, (min(times_us) - SHIFT_REACH_US) // unit), lo)
        after = Segment(hi, max(hi, (max(times_us) + SHIFT_REACH_US) // unit + 1))
        segments = [s for s in (before, after) if s.lo < s.hi]
        if not segments:
            return []
        # plain bounds: a fall-back's second pass or a spring-forward's skipped span concern the window
        sql = replace(self._side_sql(name, from_units(before.lo, unit)), fold=None, skipped=None)
        self.outcome.queries += -(-len(keys) // LOOKUP_KEYS)
        return self._rows_with_keys(name, sql, key_specs, keys, self._conditions(name, segments, sql))

    def _nearest_twins(self, rows: dict, side: str, other: str, key_specs: list, time_idx: int) -> dict:
        """{key: the other side's row with that key nearest in time, outside the window, at
        most SHIFT_REACH_US away} of `rows` (ties: the earlier)."""
        found: dict = {}
        for twin in self._outside(other, [r.values[time_idx] for r in rows.values()], key_specs, list(rows)):
            row = rows.get(twin.key)
            tt = twin.values[time_idx]
            if row is None or tt is None or abs(tt - row.values[time_idx]) > SHIFT_REACH_US:
                continue
            best = found.get(twin.key)
            if best is None or _nearer(tt, best.values[time_idx], row.values[time_idx]):
                found[twin.key] = twin
        return {key: (rows[key], twin) for key, twin in found.items()}

    def _mutual(self, pairs: dict, side: str, key_specs: list, time_idx: int) -> dict:
        """{key: twin} of the pairs whose twin has no row of `side` with its key nearer to it
        than the row in the window: such a row outside is the twin's own pair."""
        if not pairs:
            return {}
        twin_times = [twin.values[time_idx] for _, twin in pairs.values()]
        out = {key: twin for key, (_, twin) in pairs.items()}
        for rival in self._outside(side, twin_times, key_specs, list(pairs)):
            if rival.key not in out or rival.values[time_idx] is None:
                continue
            row, twin = pairs[rival.key]
            if _nearer(rival.values[time_idx], row.values[time_idx], twin.values[time_idx]):
                del out[rival.key]
        return out

    def _not_looked_up(self, side: str, rows: list) -> None:
        for _, row in rows:
            self.outcome.not_looked_up[row.hour] += 1
        message = (f"fetch budget spent: {len(rows)} unpaired row(s) of {side} not looked up in other hours; "
                   "they stay " + ("missing in new" if side == "old" else "extra in new"))
        self.log(message)
        log.warning(message)

    def _pair_beyond(self, rows: dict, side: str, other: str, beyond: Segment, key_specs: list,
                     time_idx: int) -> None:
        sql = self._side_sql(other, from_units(beyond.lo, self.unit_us))
        positions = [i for i, s in enumerate(s for s in self.specs if s.is_key) if not s.is_time]
        ident = {k: tuple(k[i] for i in positions) for k in rows}
        twins: dict = {}
        for row in self._rows_with_keys(other, sql, key_specs, sorted(set(ident.values())),
                                        self._conditions(other, [beyond], sql)):
            twins.setdefault(tuple(row.key[i] for i in positions), row)
        time_spec = self.specs[time_idx]
        pool = self.pool_old if side == "old" else self.pool_new
        for key, row in rows.items():
            twin = twins.get(ident[key])
            if twin is None or not equal(row.values[time_idx], twin.values[time_idx], time_spec,
                                         self.ds.time_precision):
                continue
            pool.pop(key)
            if side == "old":
                match_rows({key: row}, {key: twin}, self.specs, self.ds.time_precision, self.tally, self.key_names)

    def _names(self, side: str) -> list[str]:
        cfg = self.ds.old if side == "old" else self.ds.new
        cols = [o if side == "old" else n for o, n, _ in self.ds.column_pairs()]
        return list(dict.fromkeys([cfg.time, *cfg.key, *cols]))

    def _side_sql(self, name: str, start: datetime) -> SideSQL:
        side = self.sides[name]
        offset, skipped = 0, None
        if not side.axis.is_utc:
            offset = _units(start.astimezone(side.axis.zone).utcoffset(), self.unit_us)
            skipped = _skipped_before(side.axis, start, self.unit_us)
        fold = self._fold_of(name, start)
        folded = (side.axis.bound(fold.cut), HOUR_US // self.unit_us, fold.cut) if fold else None
        return SideSQL(side.source.dialect, side.rel, self.specs, name, side.axis.kind, self.unit_us, offset,
                       same_family=self._same_family(), fold=folded, skipped=skipped)

    def _same_family(self) -> bool:
        """Both sides of one hash family (PostgreSQL, TimescaleDB): the first pass may use its built-in hash."""
        families = {s.source.dialect.hash_family for s in self.sides.values()}
        return self.ds.diff.row_hash == "auto" and len(families) == 1 and None not in families

    def _conditions(self, name: str, segments: list[Segment], sql: SideSQL) -> list:
        side = self.sides[name]
        ranges = []
        for i, s in enumerate(segments):
            lo, hi = from_units(s.lo, self.unit_us), from_units(s.hi, self.unit_us)
            if sql.skipped is not None:
                cond = _around_skipped(i, side, sql.skipped, lo, hi)
            else:
                cond = sa.and_(side.rel.time >= sa.bindparam(f"lo{i}", side.axis.bound(lo)),
                               side.rel.time < sa.bindparam(f"hi{i}", side.axis.bound(hi)))
            if sql.fold is not None:  # the same wall-clock span in the second pass
                cond = sa.or_(cond, sa.and_(side.rel.time >= sa.bindparam(f"flo{i}", side.axis.bound(lo + HOUR)),
                                            side.rel.time < sa.bindparam(f"fhi{i}", side.axis.bound(hi + HOUR))))
            if s.partitions:
                cond = sa.and_(cond, (sql.key_hash() % s.partitions) == s.part)
            ranges.append(cond)
        conds = [ranges[0] if len(ranges) == 1 else sa.or_(*ranges)]
        if side.rel.side.filter:
            conds.append(filter_clause(side.rel.side.filter, side.rel.now))
        return conds

    def _both(self, fn):
        futures = {name: self.pool.submit(fn, name) for name in ("old", "new")}
        return {name: f.result() for name, f in futures.items()}

    def _checksums(self, segments: list[Segment], start: datetime, slice_units: int, partitions: int = 0) -> dict:
        def one(name):
            sql = self._side_sql(name, start)
            out = {}
            for chunk in _chunks(segments, RANGES_PER_QUERY):
                stmt = sql.checksum_select(slice_units, self._conditions(name, chunk, sql), partitions)
                for g, n, h in self.conns[name].execute(stmt):
                    out[int(g)] = (int(n), sql.dialect.hash_sum_value(h))
            return out

        self.outcome.queries += 2
        return self._both(one)

    def _region(self, start: datetime, end: datetime) -> None:
        """Each hour's count and hash sum first, one aggregate without GROUP BY, the
        cheapest statement that reads every row (the floor's own). Only a differing hour
        is read again by time slice, and only its slices then narrow towards the rows."""
        self.log(f"checksums {iso(start)} → {iso(end)}")
        if self.ds.snapshot:  # a whole history, mostly empty hours: sliced at once
            self._sliced(start, start, end, hour_counts=True)
            return
        for lo, hi in _spans(start, end, HOUR_US):
            t = time.perf_counter()
            sums = self._totals(lo, hi, start)
            hour = floor_hour(lo)
            for name, counter in (("old", self.outcome.hour_old), ("new", self.outcome.hour_new)):
                if sums[name][0]:
                    counter[hour] += sums[name][0]
            self._add_timing("checksums", t)
            if sums["old"] == sums["new"]:
                if sums["old"][0]:
                    self.tally.matched[hour] += sums["old"][0]
            else:
                self._sliced(start, lo, hi, hour_counts=False)

    def _totals(self, lo: datetime, hi: datetime, start: datetime) -> dict:
        """(count, hash sum) of [lo, hi) on both sides."""
        segment = Segment(to_units(lo, self.unit_us), to_units(hi, self.unit_us))

        def one(name):
            sql = self._side_sql(name, start)
            n, h = self.conns[name].execute(sql.total_select(self._conditions(name, [segment], sql))).one()
            return int(n or 0), sql.dialect.hash_sum_value(h)

        self.outcome.queries += 2
        return self._both(one)

    def _sliced(self, start: datetime, lo_t: datetime, hi_t: datetime, hour_counts: bool) -> None:
        """[lo_t, hi_t) by time slice: rows per minute for the findings, then what differs."""
        t = time.perf_counter()
        lo, hi = to_units(lo_t, self.unit_us), to_units(hi_t, self.unit_us)
        sums = self._checksums([Segment(lo, hi)], start, self.slice_units)
        width = self.slice_units
        per_minute = MINUTE_US // self.unit_us
        for name, counter, minutes in (("old", self.outcome.hour_old, self.outcome.minute_old),
                                       ("new", self.outcome.hour_new, self.outcome.minute_new)):
            for g, (n, _) in sums[name].items():
                if hour_counts:
                    counter[self._hour(g * width)] += n
                minutes[g * width // per_minute] += n
        self._add_timing("checksums", t)
        pending = self._settle_equal(sums, lambda g: Segment(max(lo, g * width), min(hi, (g + 1) * width)),
                                     lambda g: g * width)
        self._refine_and_fetch(pending, start)

    def _settle_equal(self, sums: dict, segment_of, lo_of, count=lambda v: v[0]) -> dict:
        """Count equal groups as matched; return {segment: rows} of the differing ones.
        lo_of(g) is a unit inside group g, for its hour: a time group never straddles an
        hour (widths divide an hour), so the segment itself is built only where it differs."""
        pending = {}
        old, new = sums["old"], sums["new"]
        for g in old.keys() | new.keys():
            o, n = old.get(g), new.get(g)
            if o == n:
                self.tally.matched[self._hour(lo_of(g))] += count(o)
            else:
                pending[segment_of(g)] = max(count(o) if o else 0, count(n) if n else 0)
        return pending

    def _hour(self, units: int) -> datetime:
        index = units * self.unit_us // 3_600_000_000
        hour = self._hours.get(index)
        if hour is None:
            hour = self._hours[index] = floor_hour(from_units(units, self.unit_us))
        return hour

    def _refine_and_fetch(self, pending: dict, start: datetime) -> None:
        width = self.slice_units
        while pending:
            big = {s: n for s, n in pending.items() if n > self.ds.diff.chunk_rows}
            if sum(pending.values()) <= self.ds.diff.fetch_threshold and not big:
                break
            small = {s: n for s, n in pending.items() if s not in big}
            if not big:
                big, small = pending, {}
            t = time.perf_counter()
            refined = self._refine(big, width, start)
            self._add_timing("refine", t)
            width = finer_width(width)
            if refined is None:
                break
            before = sum(big.values())
            pending = {**small, **refined}
            # spread: the split produced more differing pieces and they still hold most rows.
            # Rows packed in one instant keep a single piece while the split narrows it:
            # that is not spread, and stopping there would fetch the whole crowded instant.
            if sum(refined.values()) > before * SPREAD_RATIO and len(refined) > len(big):
                self.log("differences are spread through the data: fetching instead of refining further")
                break
        self._fetch(pending)

    def _refine(self, big: dict, width: int, start: datetime) -> dict | None:
        """Split differing segments finer; key-hash partitions once time cannot split."""
        finer = finer_width(width)
        timed = [s for s in big if s.hi - s.lo > 1 and not s.partitions]
        instants = [s for s in big if s.hi - s.lo <= 1 and not s.partitions]
        if not timed and not instants:
            return None
        # key partitions cannot be split further: they stay pending as they are (dropping
        # them here would leave their differences unreported)
        out = {s: n for s, n in big.items() if s.partitions}
        if timed:
            segs = merge_adjacent(timed)
            starts = [s.lo for s in segs]
            if sum(big[s] for s in timed) <= self.ds.diff.list_rows:
                sums, count = self._listed_sums(segs, start), lambda v: v >> _COUNT_SHIFT
                out.update(self._settle_equal(sums, lambda g: Segment(g, g + 1), lambda g: g, count))
            else:
                sums = self._checksums(segs, start, finer)
                out.update(self._settle_equal(sums, lambda g: self._clip(g, finer, segs, starts),
                                              lambda g: g * finer))
        for seg in instants:
            sums = self._checksums([seg], start, 1, KEY_PARTITIONS)
            out.update(self._settle_equal(sums, lambda p, seg=seg: Segment(seg.lo, seg.hi, KEY_PARTITIONS, p),
                                          lambda p, seg=seg: seg.lo))
        return out

    def _listed_sums(self, segments: list[Segment], start: datetime) -> dict:
        """Per-instant count and hash sum of the rows in `segments`, added up here from one
        (instant, hash) row per database row: with few differing rows this is cheaper than
        GROUP BY passes, and it reaches the finest width at once."""
        def one(name):
            sql = self._side_sql(name, start)
            # streamed: a PostgreSQL cursor also plans without parallel workers, which
            # cost more than they save on a listing this size
            stream = {"stream_results": True, "yield_per": LIST_BATCH}
            out: dict = {}
            get, one_row = out.get, 1 << _COUNT_SHIFT
            for chunk in _chunks(segments, RANGES_PER_QUERY):
                stmt = sql.hash_list_select(self._conditions(name, chunk, sql))
                for g, h in self.conns[name].execute(stmt, execution_options=stream):
                    g = int(g)
                    out[g] = get(g, 0) + one_row + int(h)
            return out

        self.outcome.queries += 2
        return self._both(one)

    @staticmethod
    def _clip(g: int, width: int, segs: list[Segment], starts: list[int]) -> Segment:
        """Group g of a finer pass, cut to the merged segment that holds it. Widths divide
        each other (finer_width), so a group never straddles two segments; a group starting
        before its segment (one clipped at the window or region start) still finds it."""
        lo, hi = g * width, (g + 1) * width
        s = segs[max(0, bisect_right(starts, hi - 1) - 1)]
        return Segment(max(lo, s.lo), min(hi, s.hi))

    def _fetch(self, pending: dict) -> None:
        t = time.perf_counter()
        ordered = sorted(pending)
        for batch in batches(ordered, pending, self.ds.diff.chunk_rows):
            size = sum(pending[s] for s in batch)
            if self.budget.exhausted(size):
                self._mark_unverified(ordered[ordered.index(batch[0]):], pending)
                break
            self.log(f"fetching {size} rows of {len(batch)} differing segment(s)")
            rows = self._both(lambda name, batch=batch: self._fetch_side(name, batch))
            old = split_duplicates(rows["old"], self.tally, "old", self.key_names)
            new = split_duplicates(rows["new"], self.tally, "new", self.key_names)
            # a key left unmatched by an earlier batch and fetched again on the same side is a
            # duplicate across segments: the pooled row stays, the new one is counted once
            old = self._merge_pool(old, self.pool_old, "old")
            new = self._merge_pool(new, self.pool_new, "new")
            old.update({k: self.pool_old.pop(k) for k in list(self.pool_old) if k in new})
            new.update({k: self.pool_new.pop(k) for k in list(self.pool_new) if k in old})
            only_old, only_new = match_rows(old, new, self.specs, self.ds.time_precision, self.tally, self.key_names)
            self.pool_old.update(only_old)
            self.pool_new.update(only_new)
        self._add_timing("fetch", t)

    def _merge_pool(self, batch: dict, pool: dict, side: str) -> dict:
        out = {}
        for key, row in batch.items():
            if key in pool:
                split_duplicates([pool[key], row], self.tally, side, self.key_names)
            else:
                out[key] = row
        return out

    def _mark_unverified(self, segments: list[Segment], pending: dict) -> None:
        self.outcome.truncated = True
        for s in segments:
            self.outcome.unverified[self._hour(s.lo)] += pending[s]

    def _fetch_side(self, name: str, batch: list[Segment]) -> list[Row]:
        sql = self._side_sql(name, from_units(batch[0].lo, self.unit_us))
        out = []
        for chunk in _chunks(merge_adjacent(batch), RANGES_PER_QUERY):
            out += self._rows(name, sql.rows_select(self._conditions(name, chunk, sql)), sql.fold)
        return out

    def _rows(self, name: str, stmt, fold: tuple | None = None) -> list[Row]:
        """Run a rows_select on one side; normalized rows, counted against the budget. With a
        fold, times in the second pass are read one hour back, as the SQL reads them."""
        axis = self.sides[name].axis
        key_idx = [i for i, s in enumerate(self.specs) if s.is_key]
        time_idx = next(i for i, s in enumerate(self.specs) if s.is_time)
        if fold is not None:
            return [_folded(row, self.specs, key_idx, fold[2], self.unit_us) for row in self._rows(name, stmt)]
        out = []
        # per statement: Connection.execution_options() would change the connection itself,
        # and every later checksum would run in a cursor, without parallel workers
        stream = {"stream_results": True, "yield_per": self.ds.diff.chunk_rows}
        for raw in self.conns[name].execute(stmt, execution_options=stream):
            raw = tuple(raw)  # one copy, kept by the row and its display
            values = tuple(value_of(v, s, axis, self.ds.time_precision) for v, s in zip(raw, self.specs))
            key = key_of([raw[i] for i in key_idx], [self.specs[i] for i in key_idx], axis, self.ds.time_precision)
            shown = partial(_display_row, raw, self.specs, axis)
            hour = self._hour(values[time_idx] // self.unit_us) \
                if values[time_idx] is not None else None
            out.append(Row(key, values, shown, hour, raw))
        self.budget.spend(name, len(out))
        return out

    def _add_timing(self, name: str, started: float) -> None:
        self.outcome.timings[name] = self.outcome.timings.get(name, 0.0) + time.perf_counter() - started


def _skipped_before(axis, start: datetime, unit_us: int) -> Skipped | None:
    """The spring-forward whose skipped wall times, read with the offset before it, fall in the
    UTC span that holds `start` (the span as long as the jump, from the change on)."""
    zone = axis.zone
    offset = start.astimezone(zone).utcoffset()
    earlier = start - 2 * HOUR
    if earlier.astimezone(zone).utcoffset() >= offset:
        return None
    change = first_change(earlier, start, zone)
    before = (change - TICK).astimezone(zone).utcoffset()
    if before >= offset or start >= change + (offset - before):
        return None
    after = change.astimezone(zone).replace(tzinfo=None)
    return Skipped(after, axis.wall_bound(after), _units(offset - before, unit_us), before)


def _around_skipped(i: int, side, skipped: Skipped, lo: datetime, hi: datetime):
    """The rows whose instant is in [lo, hi) after a spring-forward: wall times from the new
    offset, and the skipped wall times (before `skipped.after`) read with the offset before."""
    axis, time = side.axis, side.rel.time

    def post(t: datetime):
        return axis.wall_bound(max(t.astimezone(axis.zone).replace(tzinfo=None), skipped.after))

    def pre(t: datetime):
        return axis.wall_bound(min((t + skipped.before).replace(tzinfo=None), skipped.after))

    return sa.or_(sa.and_(time >= sa.bindparam(f"lo{i}", post(lo)), time < sa.bindparam(f"hi{i}", post(hi))),
                  sa.and_(time >= sa.bindparam(f"slo{i}", pre(lo)), time < sa.bindparam(f"shi{i}", pre(hi))))


def _units(offset: timedelta, unit_us: int) -> int:
    return round(offset.total_seconds() * 1_000_000) // unit_us


def _nearer(t: int, than: int, to: int) -> bool:
    """Whether time `t` is nearer to `to` than `than` is; at equal distance, the earlier."""
    return (abs(t - to), t) < (abs(than - to), than)


def _folded(row: Row, specs: list, key_idx: list[int], cut: datetime, unit_us: int) -> Row:
    """A row of the UTC side with its times in the second pass of a fall-back moved one hour
    back, onto the wall clock a naive side wrote (its display keeps the stored values)."""
    def back(v, spec, unit: int):
        """v (in `unit` µs) one hour earlier when it is a time of the second pass."""
        lo, hour = to_units(cut, unit), HOUR_US // unit
        return v - hour if spec.ctype == TIMESTAMP and v is not None and lo <= v < lo + hour else v

    values = tuple(back(v, s, 1) for v, s in zip(row.values, specs))
    key = tuple(back(k, specs[i], unit_us) for k, i in zip(row.key, key_idx))
    return Row(key, values, row._shown, row.hour - HOUR if row.hour == floor_hour(cut) else row.hour, row.raw)


def _cut(start: datetime, end: datetime, cuts) -> list[tuple[datetime, datetime]]:
    points = sorted({start, end, *(c for c in cuts if start < c < end)})
    return list(zip(points, points[1:]))


def _display_row(raw, specs, axis) -> dict:
    return {s.name: display(v, s, axis) for v, s in zip(raw, specs)}


def finer_width(width: int) -> int:
    """The next, finer slice width: the largest divisor of `width` at most width /
    REFINE_FACTOR (1000 -> 50 -> 2 -> 1 ms). It must divide: a finer group that straddled
    the boundary of a coarser one would be clipped to the wrong segment, and the rows of
    a differing slice near its start would silently drop out of the comparison."""
    for d in range(width // REFINE_FACTOR, 1, -1):
        if width % d == 0:
            return d
    return 1


def _spans(start: datetime, end: datetime, span_us: int):
    """[start, end) cut at multiples of span_us since the epoch."""
    unit = timedelta(microseconds=span_us)
    while start < end:
        cut = EPOCH + (start - EPOCH) // unit * unit + unit
        yield start, min(cut, end)
        start = min(cut, end)


def _chunks(items: list, n: int):
    for i in range(0, len(items), n):
        yield items[i:i + n]


def diff_dataset(ds: DatasetConfig, sides: dict, window: Window, conns: dict, reporter=None) -> DiffOutcome:
    return RowDiff(ds, sides, window, reporter).run(conns)
