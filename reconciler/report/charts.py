"""Geometry of the inline-SVG charts, as plain numbers: the templates only draw it.
Pure functions over a compare's `hours` (dicts with hour, old, new, drift_pct, status)."""

from __future__ import annotations

import math

from reconciler.formatting import clock, count, instant, number, percent
from reconciler.thresholds import Threshold

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 14, 30
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
MAX_X_LABELS = 12
CLIP_FACTOR = 10


def _r(value: float) -> float:
    return round(value, 1)


def _x_labels(hours: list[dict], slot: float) -> list[dict]:
    every = max(1, math.ceil(len(hours) / MAX_X_LABELS))
    return [{"x": _r(LEFT + (i + 0.5) * slot), "y": HEIGHT - 10, "text": clock(h["hour"]), "anchor": "middle"}
            for i, h in enumerate(hours) if i % every == 0]


def _chart(kind: str, title: str, y_unit: str) -> dict:
    """`title` heads the chart (a caption above it); `y_unit` names the vertical axis's unit;
    the horizontal axis is the hour, in UTC."""
    return {"kind": kind, "title": title, "width": WIDTH, "height": HEIGHT, "bars": [], "lines": [],
            "texts": [{"x": 4, "y": 11, "text": y_unit, "anchor": "start", "cls": "axis-title"},
                      {"x": LEFT - 6, "y": HEIGHT - 10, "text": "UTC", "anchor": "end", "cls": "axis-title"}],
            "axis": {"x1": LEFT, "y1": TOP, "x2": LEFT, "y2": TOP + PLOT_H}}


def _drawn(hours: list[dict]) -> list[dict]:
    return [h for h in hours if h.get("old") is not None]


def _current(h: dict) -> str:
    return " current" if h.get("current") else ""


def counts_chart(hours: list[dict]) -> dict:
    """Old and new row counts per hour, side by side. Hours without counts are gaps."""
    chart = _chart("counts", "Rows per hour: old vs new", "rows")
    if not _drawn(hours):
        return chart
    top = max(max(h["old"] or 0, h["new"] or 0) for h in _drawn(hours)) or 1
    scale = PLOT_H / (top * 1.1)
    slot = PLOT_W / len(hours)
    bar = max(slot * 0.38, 0.5)
    for i, h in enumerate(hours):
        if h.get("old") is None:
            continue
        for offset, side in ((0.1, "old"), (0.52, "new")):
            value = h[side] or 0
            chart["bars"].append({"x": _r(LEFT + i * slot + offset * slot), "y": _r(TOP + PLOT_H - value * scale),
                                  "w": _r(bar), "h": _r(value * scale), "cls": f"bar-{side}{_current(h)}",
                                  "title": f"{instant(h['hour'])} {side}: {count(value)} rows"})
    for fraction in (0, 0.5, 1):
        value = top * fraction
        y = _r(TOP + PLOT_H - value * scale)
        chart["lines"].append({"x1": LEFT, "y1": y, "x2": WIDTH - RIGHT, "y2": y, "cls": "grid"})
        chart["texts"].append({"x": LEFT - 6, "y": y + 4, "text": count(round(value)), "anchor": "end"})
    chart["texts"] += _x_labels(hours, slot)
    return chart


def drift_chart(hours: list[dict], threshold: Threshold) -> dict:
    """Drift % per hour around a zero line, the threshold's bounds as dashed lines, and each
    bar coloured by that threshold (an hour failing on something else is not a red drift)."""
    chart = _chart("drift", f"Count drift % per hour (threshold {threshold.describe()})", "drift %")
    bounds = [b for b in (threshold.max, threshold.min) if b is not None]
    drifts = [abs(h["drift_pct"]) for h in hours if h.get("drift_pct") is not None]
    limit = max((abs(b) for b in bounds), default=0)
    peak = max(drifts, default=0) * 1.15
    # An outlier (−40 %) must not squash the threshold lines into the zero line: the scale
    # stops at CLIP_FACTOR times the threshold, and a taller bar is cut and labelled.
    span = max(limit * 2, min(peak, limit * CLIP_FACTOR) if limit else peak, 1e-9)
    zero = TOP + PLOT_H / 2
    scale = (PLOT_H / 2) / span
    slot = PLOT_W / max(len(hours), 1)
    for i, h in enumerate(hours):
        x = LEFT + i * slot + 0.15 * slot
        if h.get("old") is None:
            continue
        if h["drift_pct"] is None:
            chart["texts"].append({"x": _r(x + 0.35 * slot), "y": TOP + 12, "text": "∞", "anchor": "middle",
                                   "cls": "drift-null"})
            continue
        height = min(abs(h["drift_pct"]), span) * scale
        y = zero - height if h["drift_pct"] >= 0 else zero
        if abs(h["drift_pct"]) > span:
            right_half = i >= len(hours) / 2
            chart["texts"].append({"x": _r(x - 2 if right_half else x + 0.7 * slot + 2),
                                   "y": TOP + 10 if h["drift_pct"] > 0 else TOP + PLOT_H - 2,
                                   "text": ("▲ " if h["drift_pct"] > 0 else "▼ ") + percent(h["drift_pct"], 1, sign=True),
                                   "anchor": "end" if right_half else "start",
                                   "cls": "clipped"})
        verdict = "pass" if threshold.admits(h["drift_pct"]) else "fail"
        if verdict == "fail" and abs(h["drift_pct"]) <= span:  # a failing bar says its value at its end
            below = h["drift_pct"] < 0
            chart["texts"].append({"x": _r(x + 0.35 * slot), "y": _r(min(y + height + 11, TOP + PLOT_H + 10)
                                                                   if below else max(y - 3, TOP + 9)),
                                   "text": percent(h["drift_pct"], 1, sign=True), "anchor": "middle",
                                   "cls": "bar-value"})
        chart["bars"].append({"x": _r(x), "y": _r(y), "w": _r(max(slot * 0.7, 0.5)), "h": _r(max(height, 0.5)),
                              "cls": f"bar-drift status-{verdict}{_current(h)}",
                              "title": f"{instant(h['hour'])} drift {percent(h['drift_pct'], 4, sign=True)} "
                                       f"({verdict} at {threshold.describe()})"})
    chart["lines"].append({"x1": LEFT, "y1": _r(zero), "x2": WIDTH - RIGHT, "y2": _r(zero), "cls": "zero"})
    for bound in bounds:
        y = _r(zero - bound * scale)
        chart["lines"].append({"x1": LEFT, "y1": y, "x2": WIDTH - RIGHT, "y2": y, "cls": "threshold",
                               "threshold": float(bound)})
        chart["texts"].append({"x": LEFT - 6, "y": y + 4, "text": f"{'+' if bound > 0 else ''}{number(bound)} %",
                               "anchor": "end"})
    chart["texts"] += _x_labels(hours, slot)
    return chart
