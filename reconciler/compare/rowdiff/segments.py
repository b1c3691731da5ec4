"""Time segments in integer epoch units: pure functions, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, order=True)
class Segment:
    """[lo, hi) in epoch units, optionally one partition of a key-hash split."""

    lo: int
    hi: int
    partitions: int = 0
    part: int = 0


def to_units(t: datetime, unit_us: int) -> int:
    delta = t - EPOCH
    micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    return micros // unit_us


def from_units(units: int, unit_us: int) -> datetime:
    return EPOCH + timedelta(microseconds=units * unit_us)


def merge_adjacent(segments: list[Segment]) -> list[Segment]:
    """Join touching time segments (never partitions) so queries carry fewer ranges."""
    out: list[Segment] = []
    for s in sorted(segments):
        if out and not s.partitions and not out[-1].partitions and out[-1].hi == s.lo:
            out[-1] = Segment(out[-1].lo, s.hi)
        else:
            out.append(s)
    return out


def batches(segments: list[Segment], sizes: dict, limit: int) -> list[list[Segment]]:
    """Consecutive groups of segments whose sizes add up to at most `limit` (at least one each)."""
    out, current, total = [], [], 0
    for s in segments:
        size = sizes.get(s, 0)
        if current and total + size > limit:
            out.append(current)
            current, total = [], 0
        current.append(s)
        total += size
    if current:
        out.append(current)
    return out


def offset_regions(start: datetime, end: datetime, zones) -> list[tuple[datetime, datetime]]:
    """[start, end) cut wherever any zone's UTC offset changes."""
    cuts = {start, end}
    for zone in zones:
        t = start.replace(minute=0, second=0, microsecond=0)
        while t < end:
            nxt = min(t + timedelta(hours=1), end)
            if _offset(t, zone) != _offset(nxt, zone):
                cuts.add(first_change(t, nxt, zone))
            t = nxt
    ordered = sorted(c for c in cuts if start <= c <= end)
    return [(a, b) for a, b in zip(ordered, ordered[1:]) if a < b]


def _offset(t, zone):
    return t.astimezone(zone).utcoffset()


def first_change(a: datetime, b: datetime, zone) -> datetime:
    """First instant in (a, b] whose offset differs from a's (to the second)."""
    base = _offset(a, zone)
    lo, hi = a, b
    while (hi - lo) > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid <= lo:
            break
        if _offset(mid, zone) == base:
            lo = mid
        else:
            hi = mid
    return hi
