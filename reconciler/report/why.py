"""The "Why" section of a run's page: a comparison's findings hour by hour, each time finding
with its strip of where the differences fall, minute by minute (an inline SVG), and each
hour's place in the stories it belongs to (the same finding over consecutive failing hours).
Pure."""

from __future__ import annotations

from typing import Callable

from reconciler.compare.findings.stories import Story
from reconciler.formatting import count, instant, percent
from reconciler.results import CompareResult, Finding

WIDTH, HEIGHT = 720, 64
LEFT, TOP, BOTTOM = 28, 6, 16
SLOT = (WIDTH - LEFT - 8) / 60
PLOT_H = HEIGHT - TOP - BOTTOM
LABEL = {"missing_in_new": "missing", "extra_in_new": "extra", "mismatched": "changed"}
SIDE = {"missing_in_new": "old", "extra_in_new": "new"}


def _r(value: float) -> float:
    return round(value, 1)


def minute_strip(finding: Finding) -> dict | None:
    """Bars per minute: the hour's rows on the side holding the differences (grey, scaled to
    their busiest minute) and the differences (red, scaled to theirs)."""
    diffs, rows = finding.evidence.get("per_minute"), finding.evidence.get("per_minute_rows")
    if not diffs or finding.kind == "whole_hour":
        return None
    rows = rows or [0] * 60
    top_d, top_r = max(diffs) or 1, max(rows) or 1
    bars = []
    for m, (d, r) in enumerate(zip(diffs, rows)):
        x = _r(LEFT + m * SLOT)
        if r:
            h = r / top_r * PLOT_H
            bars.append({"x": x, "y": _r(TOP + PLOT_H - h), "w": _r(SLOT - 1), "h": _r(h), "cls": "strip-rows",
                         "title": f":{m:02d} {count(r)} rows in {SIDE.get(finding.about, 'old')}"})
        if d:
            h = max(d / top_d * PLOT_H, 1.5)
            bars.append({"x": _r(x + 1), "y": _r(TOP + PLOT_H - h), "w": _r(max(SLOT - 3, 1)), "h": _r(h),
                         "cls": "strip-diff", "title": f":{m:02d} {count(d)} {LABEL.get(finding.about, 'differing')}"})
    texts = [{"x": _r(LEFT + m * SLOT), "y": HEIGHT - 3, "text": f":{m:02d}", "anchor": "start"} for m in (0, 15, 30, 45)]
    texts.append({"x": _r(LEFT + 60 * SLOT), "y": HEIGHT - 3, "text": ":59", "anchor": "end"})
    return {"width": WIDTH, "height": HEIGHT, "bars": bars, "texts": texts,
            "title": f"where the {count(sum(diffs))} {LABEL.get(finding.about, 'differing')} rows fall, minute by minute"}


def _label(hour) -> str:
    return instant(hour)


def story_notes(stories: list[Story], run_id: int | None, href: Callable[[dict], str]) -> dict[str, list[dict]]:
    """hour label -> the stories longer than one hour that hold it, those that span the same
    hours as one note: the hour's place in it, its span, its findings, and a link to the
    report of its first hour (`href` of that run; none when it is this run)."""
    notes: dict[str, dict[tuple, dict]] = {}
    for story in stories:
        if story.hours < 2:
            continue
        first = story.first_run
        link = href(first) if first and first.get("id") is not None and first.get("id") != run_id else None
        for position, finding in enumerate(story.findings, start=1):
            span = (story.first_hour, story.last_hour)
            note = notes.setdefault(_label(finding.hour), {}).setdefault(span, {
                "position": position, "hours": story.hours, "since": _label(story.first_hour),
                "until": _label(story.last_hour), "ongoing": story.ended_by is None, "href": link, "findings": []})
            note["findings"].append(finding.text)
    out = {}
    for label, by_span in notes.items():
        out[label] = []
        for note in by_span.values():
            where = (f"since {note['since']} ({note['hours']} h so far)" if note["ongoing"]
                     else f"from {note['since']} to {note['until']} ({note['hours']} h)")
            note["text"] = (f"hour {note['position']} of a story {where}, every hour: "
                            + "; ".join(note["findings"]))
            out[label].append(note)
    return out


def why_view(compare: CompareResult, notes: dict[str, list[dict]] | None = None) -> list[dict]:
    """Per failing hour with findings: its label, its findings (text, rows, share, sample
    keys, strip), in the order the comparison holds them, and the stories it belongs to
    (`notes`: story_notes, read from the store)."""
    hours: dict[str, dict] = {}
    for f in compare.findings:
        label = _label(f.hour)
        hour = hours.setdefault(label, {"label": label, "findings": [], "stories": (notes or {}).get(label, [])})
        keys = ", ".join(" ".join(f"{k}={v}" for k, v in key.items()) for key in f.sample_keys[:5])
        hour["findings"].append({
            "about": "missing+extra" if f.kind == "counts_hide" else LABEL.get(f.about, f.about), "kind": f.kind,
            "text": f.text, "rows": f.rows, "share": percent(f.share * 100, 0), "sample_keys": keys,
            "strip": minute_strip(f)})
    return list(hours.values())
