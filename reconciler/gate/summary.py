"""The gate's current state as the report index shows it: plain values, links relative to
the reports directory. Building it never breaks the report it heads."""

from __future__ import annotations

import logging
from datetime import datetime

from reconciler.errors import ReconcilerError
from reconciler.formatting import span
from reconciler.gate.evaluate import GateReport, gate_summary

log = logging.getLogger(__name__)


def index_view(report: GateReport) -> dict:
    from reconciler.gate.render import verification_line
    from reconciler.report.html import run_href

    criteria = []
    for o in report.outcomes:
        run = report.runs.get(o.worst.run_id) if o.worst else None
        criteria.append({"criterion": o.criterion, "state": o.state, "summary": o.summary,
                         "worst": f"{o.worst.at} {o.worst.text}" if o.worst else "",
                         "href": run_href(run) if run else None, "run_id": run["id"] if run else None})
    return {"phase": report.phase, "verdict": report.verdict, "period": report.period.to_dict(),
            "span": span(report.period.start, report.period.end), "datasets": list(report.datasets),
            "clean_days": round(report.clean_hours / 24, 1), "clean_hours": report.clean_hours,
            "days_required": report.days_required, "criteria": criteria, "period_judged": report.period_judged, "hourly": report.hourly,
            "verifications": [verification_line(v) for v in report.verifications]}


def index_gate(store, loaded, now: datetime) -> dict | None:
    """index_view of the current phase's gate, or None (logged) when it cannot be evaluated."""
    try:
        return index_view(gate_summary(store, loaded, now))
    except ReconcilerError as e:
        log.warning("gate state left off the report index: %s", e)
        return None
