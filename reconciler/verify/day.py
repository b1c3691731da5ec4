"""One UTC day of a verification, on one worker's two open connections.

The day's count and row-hash sum on each side, in one aggregate per side (the row engine's
own row hash and SQL, from compare/rowdiff): equal, the day is done. Otherwise the same
aggregate per hour, and the hours that differ go to the hourly row engine, which yields the
exact classes, samples and findings."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from reconciler.compare.drift import drift_pct
from reconciler.compare.rowdiff.columns import build_specs, reflect_types
from reconciler.compare.rowdiff.engine import HOUR_US, RowDiff, diff_dataset
from reconciler.compare.rowdiff.segments import Segment, from_units, offset_regions, to_units
from reconciler.results import jsonable
from reconciler.timeutil import Window, iso
from reconciler.verify.days import DAY, differences, equal_totals, runs_of_hours, sum_totals

UTC = timezone.utc
HOUR = timedelta(hours=1)


class DayVerifier:
    """Verifies days of one dataset on one pair of connections (ConnectedSides)."""

    def __init__(self, ds, pair, *, worker: str, now: datetime | None = None, explain: bool = True):
        self.ds, self.sides, self.conns = ds, pair.sides, pair.conns
        self.worker, self.now, self.explain = worker, now, explain
        # the row engine's SQL building blocks, prepared once for this pair of connections
        self.rowdiff = RowDiff(ds, self.sides, Window(datetime(1970, 1, 1, tzinfo=UTC), datetime(1970, 1, 2, tzinfo=UTC)))
        self.rowdiff.conns = self.conns
        types = {name: reflect_types(self.conns[name], side.rel, self.rowdiff._names(name), side.source.dialect)
                 for name, side in self.sides.items()}
        self.rowdiff.specs = build_specs(ds, types["old"], types["new"])
        self.unit_us = self.rowdiff.unit_us
        self.zones = [s.axis.zone for s in self.sides.values() if not s.axis.is_utc]
        self.pool = ThreadPoolExecutor(max_workers=2)

    def close(self) -> None:
        self.pool.shutdown(wait=True)

    def _both(self, fn) -> dict:
        futures = {name: self.pool.submit(fn, name) for name in ("old", "new")}
        return {name: f.result() for name, f in futures.items()}

    def _statements(self, name: str, start: datetime, end: datetime, per_hour: bool):
        """One aggregate per constant-offset region of [start, end) (one, on a UTC side)."""
        for lo, hi in offset_regions(start, end, self.zones):
            sql = self.rowdiff._side_sql(name, lo)
            conditions = self.rowdiff._conditions(name, [Segment(to_units(lo, self.unit_us),
                                                                 to_units(hi, self.unit_us))], sql)
            if per_hour:
                yield sql, sql.checksum_select(HOUR_US // self.unit_us, conditions)
            else:
                yield sql, sql.total_select(conditions)

    def day_checksums(self, day: datetime) -> dict:
        """{side: (rows, row-hash sum)} of the day."""
        def one(name):
            rows = total = 0
            for sql, stmt in self._statements(name, day, day + DAY, per_hour=False):
                n, h = self.conns[name].execute(stmt).one()
                rows, total = rows + int(n or 0), total + sql.dialect.hash_sum_value(h)
            return rows, total

        return self._both(one)

    def hour_checksums(self, day: datetime) -> dict:
        """{side: {hour: (rows, row-hash sum)}} of the day's hours that hold rows."""
        def one(name):
            out: dict = {}
            for sql, stmt in self._statements(name, day, day + DAY, per_hour=True):
                for g, n, h in self.conns[name].execute(stmt):
                    hour = from_units(int(g) * (HOUR_US // self.unit_us), self.unit_us)
                    rows, total = out.get(hour, (0, 0))
                    out[hour] = (rows + int(n), total + sql.dialect.hash_sum_value(h))
            return out

        return self._both(one)

    def verify(self, day: datetime) -> dict:
        """The day's record for the store: counts, compare-style totals, the differing hours
        with their totals, bounded samples and the findings of the hours that differ."""
        started = time.perf_counter()
        sums = self.day_checksums(day)
        (old_rows, _), (new_rows, _) = sums["old"], sums["new"]
        record = {"day": day, "equal": sums["old"] == sums["new"], "old_count": old_rows, "new_count": new_rows,
                  "totals": equal_totals(old_rows), "hours": [], "samples": {}, "findings": []}
        if not record["equal"]:
            record.update(self._split(day))
        record.update(seconds=round(time.perf_counter() - started, 3), worker=self.worker,
                      finished_at=datetime.now(UTC))
        return record

    def _split(self, day: datetime) -> dict:
        hours = self.hour_checksums(day)
        old, new = hours["old"], hours["new"]
        differing = sorted(h for h in old.keys() | new.keys() if old.get(h) != new.get(h))
        parts = [equal_totals(old[h][0]) for h in old if h not in differing]
        hour_rows, samples, findings = [], {}, []
        for start, end in runs_of_hours(differing):
            outcome = diff_dataset(self.ds, self.sides, Window(start, end), self.conns)
            rows = [{"hour": iso(h), "old": old.get(h, (0, 0))[0], "new": new.get(h, (0, 0))[0],
                     "drift_pct": drift_pct(old.get(h, (0, 0))[0], new.get(h, (0, 0))[0])}
                    for h in _hours(start, end)]
            outcome.annotate(rows)
            for row in rows:
                row["unverified"] = outcome.unverified[_hour_of(row["hour"])]
            parts += rows
            hour_rows += [{"hour": row["hour"], **sum_totals([row])} for row in rows]
            for kind, items in outcome.samples.items():
                kept = samples.setdefault(kind, [])
                kept += jsonable(items[:max(0, self.ds.diff.sample_limit - len(kept))])
            if self.explain:
                failing = [_hour_of(r["hour"]) for r in rows if differences(r)]
                findings += [f.to_dict() for f in self._findings(outcome, failing)]
        return {"totals": sum_totals(parts), "hours": hour_rows, "samples": samples, "findings": findings}

    def _findings(self, outcome, hours: list[datetime]) -> list:
        from reconciler.compare.findings.collect import explain_hours

        return explain_hours(self.ds, self.sides, self.conns, outcome, hours, self.now)


def _hours(start: datetime, end: datetime) -> list[datetime]:
    out, t = [], start
    while t < end:
        out.append(t)
        t += HOUR
    return out


def _hour_of(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
