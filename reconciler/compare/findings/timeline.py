"""Where in the hour the missing or extra rows fall. Pure.

The differences are counted per minute and set against where the hour's rows are (the rows
per minute of the side that holds them). Every range of whole minutes is tried (1 830 in an
hour); the one whose share of the differences is most surprising under random loss is kept
(stats.py: Chernoff bound, Bonferroni over the ranges tried). It is

- `concentrated` when it is significant, holds at least CONCENTRATED_SHARE of the
  differences and at most HALF of the hour's rows (a gap or a burst; collect.py asks the
  other side whether it has any row there);
- `uneven` when it is significant otherwise (more than its share, not most of them);
- `spread` when no range is significant: the rows differ at random through the hour.

Every row of the hour differing is `whole_hour`. Fewer than MIN_SPREAD differences are too
few to call spread (no finding), though they may still be concentrated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reconciler.compare.findings import stats
from reconciler.compare.findings.text import LABEL, OTHER_SIDE, clock, count, duration, iso_us, pct
from reconciler.results import Finding

MINUTES = 60
MINUTE_US = 60_000_000
CONCENTRATED_SHARE = 0.8
HALF = 0.5
MIN_SPREAD = 10
EXTEND = 10
RANGES = MINUTES * (MINUTES + 1) // 2


@dataclass(frozen=True)
class TimeShape:
    """The time structure of one class of differences in one hour."""

    shape: str  # whole_hour | concentrated | uneven | spread
    differing: int  # n: the differences of this class in the hour
    hour_rows: int  # N: the rows of the side that holds them
    per_minute: tuple  # 60 counts of differences
    per_minute_rows: tuple  # 60 counts of the hour's rows on that side
    in_range: int = 0  # differences in the chosen range
    range_rows: int = 0  # the hour's rows in that range
    first_us: int | None = None  # concentrated: the first and last differing row of the run;
    last_us: int | None = None  # uneven: the range's first minute and the end of its last
    surprise: float = 0.0
    threshold: float = 0.0

    @property
    def rate(self) -> float:
        return self.differing / self.hour_rows if self.hour_rows else 1.0


def per_minute(times_us: list[int], hour_start_us: int) -> list[int]:
    counts = [0] * MINUTES
    for t in times_us:
        m = (t - hour_start_us) // MINUTE_US
        if 0 <= m < MINUTES:
            counts[m] += 1
    return counts


def best_range(diffs: list[int], rows: list[int]) -> tuple[float, int, int]:
    """(surprise, first minute, last minute) of the most surprising range of minutes."""
    n, total = sum(diffs), sum(rows)
    best = (0.0, 0, MINUTES - 1)
    if not n or not total:
        return best
    d_prefix, r_prefix = _prefix(diffs), _prefix(rows)
    for a in range(MINUTES):
        for b in range(a, MINUTES):
            k = d_prefix[b + 1] - d_prefix[a]
            if not k:
                continue
            score = stats.surprise(k, n, (r_prefix[b + 1] - r_prefix[a]) / total)
            if score > best[0]:
                best = (score, a, b)
    return best


def _prefix(values: list[int]) -> list[int]:
    out = [0]
    for v in values:
        out.append(out[-1] + v)
    return out


def time_shape(times_us: list[int], rows_per_minute: list[int], hour_start_us: int) -> TimeShape | None:
    """The time structure of the differing rows' times in the hour starting at hour_start_us,
    given the hour's rows per minute on their side; None when there is nothing to say."""
    diffs = per_minute(times_us, hour_start_us)
    rows = [max(r, d) for r, d in zip(rows_per_minute, diffs)]  # a side's count never under its own differences
    n, total = sum(diffs), sum(rows)
    base = {"differing": n, "hour_rows": total, "per_minute": tuple(diffs), "per_minute_rows": tuple(rows)}
    if not n:
        return None
    if n >= total:
        return TimeShape("whole_hour", **base, in_range=n, range_rows=total, first_us=min(times_us),
                         last_us=max(times_us))
    score, a, b = best_range(diffs, rows)
    limit = stats.threshold(RANGES)
    k, r = sum(diffs[a:b + 1]), sum(rows[a:b + 1])
    if score < limit:
        return TimeShape("spread", **base, surprise=score, threshold=limit) if n >= MIN_SPREAD else None
    lo, hi = hour_start_us + a * MINUTE_US, hour_start_us + (b + 1) * MINUTE_US
    if k < CONCENTRATED_SHARE * n or r > HALF * total:
        return TimeShape("uneven", **base, in_range=k, range_rows=r, first_us=lo, last_us=hi, surprise=score,
                         threshold=limit)
    inside = extend_run(sorted(times_us), lo, hi)
    return TimeShape("concentrated", **base, in_range=len(inside), range_rows=r, first_us=inside[0],
                     last_us=inside[-1], surprise=score, threshold=limit)


def extend_run(ordered: list[int], lo: int, hi: int) -> list[int]:
    """The differing times in [lo, hi), extended past its whole-minute edges by the differing
    rows that continue the run: each within EXTEND times the run's median spacing of the
    last one taken. A gap ending two seconds into a minute ends there, not at the minute."""
    inside = [t for t in ordered if lo <= t < hi]
    gaps = sorted(b - a for a, b in zip(inside, inside[1:]))
    reach = EXTEND * gaps[len(gaps) // 2] if gaps else 0
    before = [t for t in ordered if t < lo]
    after = [t for t in ordered if t >= hi]
    while before and inside[0] - before[-1] <= reach:
        inside.insert(0, before.pop())
    while after and after[0] - inside[-1] <= reach:
        inside.append(after.pop(0))
    return inside


def time_finding(shape: TimeShape, about: str, hour: datetime, other_rows: int | None,
                 sample_keys: list) -> Finding:
    """The finding of a time shape. `other_rows`: the rows the other side holds between the
    first and last differing row of a concentrated range (None when not asked)."""
    label, other = LABEL[about], OTHER_SIDE[about]
    n = shape.differing
    evidence = {"shape": shape.shape, "per_minute": list(shape.per_minute),
                "per_minute_rows": list(shape.per_minute_rows), "hour_rows": shape.hour_rows, "rate": shape.rate,
                "test": {"surprise": round(shape.surprise, 2), "threshold": round(shape.threshold, 2)}}
    if shape.first_us is not None:
        evidence |= {"start": iso_us(shape.first_us), "end": iso_us(shape.last_us), "in_range": shape.in_range,
                     "range_rows": shape.range_rows}
    if other_rows is not None:
        evidence["other_side_rows"] = other_rows
    kind, text, share = _wording(shape, label, other, other_rows)
    return Finding(hour=hour, about=about, kind=kind, text=text, rows=shape.in_range if share < 1 else n,
                   share=share, signature=f"{about}|{kind}", evidence=evidence, sample_keys=sample_keys)


def _wording(shape: TimeShape, label: str, other: str, other_rows: int | None) -> tuple[str, str, float]:
    n, k = shape.differing, shape.in_range
    if shape.shape == "whole_hour":
        if other_rows:
            here = "only in new" if label == "extra" else "missing in new"
            return "whole_hour", (f"all {count(n)} rows of the hour are {here}, though {other} holds "
                                  f"{count(other_rows)} rows in it: no key meets its twin in this hour (a time "
                                  "zone or clock shift moves rows into another hour: compare a wider window to "
                                  "see where)"), 1.0
        if label == "extra":
            return "whole_hour", f"all {count(n)} rows of the hour are only in new: old has no row in this hour", 1.0
        return "whole_hour", f"all {count(n)} rows of the hour are missing: new has no row in this hour", 1.0
    if shape.shape == "spread":
        noun = "missing" if label == "missing" else "extra" if label == "extra" else label
        return "time_spread", (f"spread through the hour: about {pct(shape.rate)} of the hour's rows {noun}, "
                               "at random"), 1.0
    span = f"between {clock(shape.first_us)} and {clock(shape.last_us)}"
    head = f"{'all' if k == n else count(k) + ' of'} {count(n)} {label} rows fall {span}"
    share = k / n
    if shape.shape == "concentrated" and other_rows == 0:
        gap = duration(shape.last_us - shape.first_us)
        return "time_gap", f"{head}, where {other} has no row at all: a gap of {gap}", share
    hour_share = pct(shape.range_rows / shape.hour_rows)
    if shape.shape == "concentrated":
        there = f"; {other} has {count(other_rows)} rows there" if other_rows is not None else ""
        return "time_burst", f"{head}, a span holding {hour_share} of the hour's rows{there}", share
    lift = (k / n) / (shape.range_rows / shape.hour_rows)
    return "time_uneven", (f"{head}, a span holding {hour_share} of the hour's rows ({lift:.1f}× the hour's "
                           "rate); the rest spread"), share
