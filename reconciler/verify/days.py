"""UTC days and the arithmetic of totals: pure functions, no I/O."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from reconciler.compare.drift import drift_pct, match_pct

UTC = timezone.utc
DAY = timedelta(days=1)
COUNTED = ("old", "new", "matched", "mismatched", "missing_in_new", "extra_in_new", "duplicates_old",
           "duplicates_new", "unverified")
DIFFERENCES = ("mismatched", "missing_in_new", "extra_in_new", "duplicates_old", "duplicates_new")


def floor_day(t: datetime) -> datetime:
    t = t.astimezone(UTC)
    return t.replace(hour=0, minute=0, second=0, microsecond=0)


def ceil_day(t: datetime) -> datetime:
    floored = floor_day(t)
    return floored if floored == t else floored + DAY


def day_range(start: datetime, end: datetime) -> list[datetime]:
    """The UTC days of [start, end), both whole days."""
    days, t = [], start
    while t < end:
        days.append(t)
        t += DAY
    return days


def with_ratios(counts: dict) -> dict:
    """compare's totals: the counts with drift_pct and match_pct computed from them."""
    out = {k: int(counts.get(k) or 0) for k in COUNTED}
    out["drift_pct"] = drift_pct(out["old"], out["new"])
    out["match_pct"] = match_pct(out["matched"], out["mismatched"], out["missing_in_new"], out["extra_in_new"])
    return out


def sum_totals(parts) -> dict:
    counts = dict.fromkeys(COUNTED, 0)
    for part in parts:
        for k in COUNTED:
            counts[k] += int(part.get(k) or 0)
    return with_ratios(counts)


def uncovered_end(verification: dict) -> str | None:
    """Which end of the history a stored verification's range leaves out: "start" (it begins
    after the oldest row), "end" (it ends at or before the newest), or None (it covers both)."""
    v = verification
    if v["oldest_row"] is not None and v["range_start"] > v["oldest_row"]:
        return "start"
    if v["newest_row"] is not None and v["range_end"] <= v["newest_row"]:
        return "end"
    return None


def differences(totals: dict) -> int:
    return sum(int(totals.get(k) or 0) for k in DIFFERENCES)


def equal_totals(rows: int) -> dict:
    """A day or hour whose checksums are equal on both sides: every row matched."""
    return with_ratios({"old": rows, "new": rows, "matched": rows})


def runs_of_hours(hours: list[datetime]) -> list[tuple[datetime, datetime]]:
    """Consecutive hours joined into [start, end) windows."""
    out: list[list[datetime]] = []
    for h in sorted(hours):
        if out and out[-1][1] == h:
            out[-1][1] = h + timedelta(hours=1)
        else:
            out.append([h, h + timedelta(hours=1)])
    return [(a, b) for a, b in out]
