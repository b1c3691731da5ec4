"""The gate as terminal lines: one per criterion, then the verdict."""

from __future__ import annotations

from pathlib import Path

from reconciler.formatting import count, instant, span
from reconciler.gate.evaluate import GateReport
from reconciler.reasons import plural

STATE_LABEL = {"met": "MET", "not met": "NOT MET", "incomplete": "INCOMPLETE"}


def report_path(report: GateReport, run_id, directory: Path | None) -> str | None:
    from reconciler.report.html import run_href

    run = report.runs.get(run_id)
    if run is None:
        return None
    href = run_href(run)
    return str(Path(directory) / href) if directory is not None else href


def gate_lines(report: GateReport, directory: Path | None = None) -> list[str]:
    period = span(report.period.start, report.period.end)
    lines = [(f"gate {report.phase}: {period} ({count(len(report.period.hours()))} hours; "
              f"point-in-time evidence up to {instant(report.observed_until)}), "
              f"datasets: {', '.join(report.datasets) or 'none'}")]
    width = max((len(o.criterion) for o in report.outcomes), default=8)
    for o in report.outcomes:
        line = f"  {o.criterion:<{width}}  {STATE_LABEL[o.state]:<10}  {o.summary}"
        if o.worst is not None and o.worst.run_id is not None:
            path = report_path(report, o.worst.run_id, directory)
            line += f"\n  {'':<{width}}  {'':<10}  worst: {o.worst.at} {o.worst.text} — run {o.worst.run_id}" \
                    + (f" {path}" if path else "")
        lines.append(line)
    clean = report.clean_hours
    lines.append(f"clean evidence: {plural(clean // 24, 'day')} {plural(clean % 24, 'hour')} of the "
                 f"{plural(report.days_required, 'day')} required")
    verdict = {"go": "GO", "no-go": "NO-GO", "incomplete": "INCOMPLETE"}[report.verdict]
    lines.append(f"verdict: {verdict} — {because(report)}")
    return lines


def because(report: GateReport) -> str:
    not_met = [o.criterion for o in report.outcomes if o.state == "not met"]
    incomplete = [o.criterion for o in report.outcomes if o.state == "incomplete"]
    parts = []
    if not_met:
        parts.append(f"not met: {', '.join(not_met)}")
    if incomplete:
        parts.append(f"incomplete evidence: {', '.join(incomplete)}")
    return "; ".join(parts) or "every criterion is met"
