"""Drift arithmetic. Pure functions over plain values."""

from __future__ import annotations


def drift_pct(old: int, new: int) -> float | None:
    """(new - old) / old * 100, signed, rounded to 4 places. old = 0: 0.0 when new = 0,
    otherwise None (undefined, and failing)."""
    if old == 0:
        return 0.0 if new == 0 else None
    return round((new - old) / old * 100, 4)


def match_pct(matched: int, mismatched: int, missing: int, extra: int) -> float:
    """matched / (matched + mismatched + missing + extra) * 100; 100.0 for an empty window
    (nothing differs), which the count checks judge on their own."""
    total = matched + mismatched + missing + extra
    if total == 0:
        return 100.0
    return round(matched / total * 100, 4)


def drift_exceeds(drift: float | None, threshold_pct: float) -> bool:
    return drift is None or abs(drift) > threshold_pct
