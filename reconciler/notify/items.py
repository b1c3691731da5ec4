"""A result's sample as one line of an alert's list, in words, never `key=value` or Python's
None: "hour 2026-12-03T05:00:00Z: drift −40.00 %", "id 18: `guest_id` 5266 → 5267",
"new: no active access code — booking_id 213, property_id 7, code_valid_from NULL". Values
are written as the HTML and terminal reports write them (report.model.plain). Pure functions."""

from __future__ import annotations

from reconciler.formatting import instant, signed, trimmed
from reconciler.results import jsonable

MEASURES = {"drift_pct": ("drift", lambda v: f"{signed(v, 2)} %"), "match_pct": ("match", lambda v: f"{trimmed(v, 3)} %")}
CLASSIFICATION = {"new": "new", "inherited": "inherited from old"}


def _value(value) -> str:
    from reconciler.report.model import plain

    return plain(value)


def _pairs(row: dict, leave_out=()) -> str:
    return ", ".join(f"{k} {_value(v)}" for k, v in row.items() if k not in leave_out)


def sample_line(sample) -> str:
    sample = jsonable(sample)
    if not isinstance(sample, dict):
        return f"• {_value(sample)}"
    if isinstance(sample.get("old"), dict) or isinstance(sample.get("new"), dict):
        return f"• {_row_difference(sample)}"
    if isinstance(sample.get("key"), dict):
        sample = {**sample.pop("key"), **sample}
    if "hour" in sample and set(sample) - {"hour"} <= set(MEASURES):
        measured = "; ".join(f"{MEASURES[k][0]} {MEASURES[k][1](v) if v is not None else '—'}"
                             for k, v in sample.items() if k != "hour")
        return f"• hour {instant(sample['hour'])}: {measured}"
    head = [CLASSIFICATION.get(sample.get("classification"), sample.get("classification")), sample.get("problem")]
    head = ": ".join(str(h) for h in head if h)
    rest = _pairs(sample, ("classification", "problem"))
    return f"• {head} — {rest}" if head and rest else f"• {head or rest}"


def _row_difference(sample: dict) -> str:
    """A row compared on both sides: missing in new, only in new, or its changed columns."""
    key = sample.get("key") if isinstance(sample.get("key"), dict) else sample
    key = _pairs(key, ("key", "old", "new", "columns")) or "?"
    old, new = sample.get("old"), sample.get("new")
    if new is None:
        return f"{key}: missing in new"
    if old is None:
        return f"{key}: only in new"
    columns = sample.get("columns") or [c for c in new if old.get(c) != new.get(c)]
    changes = "; ".join(f"`{c}` {_value(old.get(c))} → {_value(new.get(c))}" for c in columns)
    return f"{key}: {changes or 'changed'}"
