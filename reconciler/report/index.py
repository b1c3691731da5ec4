"""The report index's grid and counts: the gate period's hours as the ledger judged them.

- The grid covers exactly the gate's period (`gate.evaluate.gate_period`): its rows are UTC
  days, and the cells of a row's hours outside the period are drawn `outside`, never counted.
- A cell is the worst ledger verdict of the period's datasets for that hour (`missing`: no
  conclusive verdict), linked to the run that gave it.
- Point-in-time runs judged a moment, not an hour: they are listed apart (`moments`) and never
  paint a cell.
- The footer's counts are the ledger's, per dataset, as the digest counts them: judged
  (passed + failed), empty, missing.
Pure functions over the store's rows: no I/O, no clock."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

from reconciler.formatting import instant
from reconciler.timeutil import HOUR, Window, floor_hour

UTC = timezone.utc
VERDICT_CELL = {"pass": "pass", "fail": "fail", "empty": "empty"}  # anything else: missing
CELL_RANK = {"pass": 0, "empty": 1, "missing": 2, "fail": 3}


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def ledger_counts(cells: list[str]) -> dict:
    """judged = passed + failed; missing = no conclusive verdict (the digest's counts)."""
    n = Counter(cells)
    return {"hours": len(cells), "judged": n["pass"] + n["fail"], "passed": n["pass"], "failed": n["fail"],
            "empty": n["empty"], "missing": n["missing"]}


def index_grid(period: Window, datasets: list[str], ledger_rows: list[dict], runs: list[dict],
               until: datetime | None = None) -> dict:
    """`ledger_rows`: the store's ledger rows of the period (`ledger_period`); `runs`: the
    run summaries around it (`runs_overlapping`). Returns rows (days of 24 cells), moments
    (the point-in-time runs from the period's start up to `until`, as the gate counts them;
    default: its end) and counts per dataset and in total."""
    by_id = {r["id"]: r for r in runs}
    verdicts: dict[tuple[str, datetime], dict] = {}
    for row in ledger_rows:
        if row["dataset"] in datasets:
            verdicts[(row["dataset"], floor_hour(_utc(row["hour"])))] = row
    hours = period.hours()
    per_dataset = {d: [VERDICT_CELL.get((verdicts.get((d, h)) or {}).get("verdict"), "missing") for h in hours]
                   for d in datasets}
    cells = {h: _cell(h, [(d, verdicts.get((d, h))) for d in datasets], by_id) for h in hours}
    rows, day = [], floor_hour(period.start).replace(hour=0)
    while day < period.end:
        rows.append({"day": day, "cells": [cells.get(day + i * HOUR) or {"hour": day + i * HOUR, "status": "outside",
                                                                           "title": "", "run": None}
                                           for i in range(24)]})
        day += timedelta(days=1)
    counts = {d: ledger_counts(c) for d, c in per_dataset.items()}
    total = ledger_counts([c for cs in per_dataset.values() for c in cs])
    last = max(until or period.end, period.end)
    moments = sorted((r for r in runs if r.get("as_of") and _within(period.start, last, r["as_of"])),
                     key=lambda r: r["as_of"])
    return {"period": period, "rows": rows, "counts": counts, "total": total, "moments": moments, "until": last}


def _within(start: datetime, end: datetime, at) -> bool:
    t = _utc(datetime.fromisoformat(at.replace("Z", "+00:00"))) if isinstance(at, str) else _utc(at)
    return start <= t <= end


def _cell(hour: datetime, judged: list[tuple[str, dict | None]], runs: dict) -> dict:
    states = [(d, VERDICT_CELL.get((row or {}).get("verdict"), "missing"), row) for d, row in judged]
    status = max((s for _, s, _ in states), key=CELL_RANK.__getitem__, default="missing")
    worst_row = next((row for _, s, row in states if s == status and row), None)
    run = runs.get(worst_row.get("run_id")) if worst_row else None
    words = ", ".join(f"{d} {s}" + (f" (run {row['run_id']})" if row and row.get("run_id") else "")
                      for d, s, row in states)
    return {"hour": hour, "status": status, "title": f"{instant(hour)}: {words or 'no dataset'}", "run": run}
