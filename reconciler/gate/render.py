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
    datasets = f"datasets: {', '.join(report.datasets) or 'none'}"
    if report.period_judged and not report.hourly:
        period = span(report.period.start, report.period.end)
        lines = [f"gate {report.phase}: point-in-time results of {period}, up to {instant(report.observed_until)}"]
    elif report.period_judged:
        period = span(report.period.start, report.period.end)
        lines = [(f"gate {report.phase}: {period} ({count(len(report.period.hours()))} hours; "
                  f"point-in-time evidence up to {instant(report.observed_until)}), {datasets}")]
    else:
        lines = [f"gate {report.phase}: the latest complete verification of each dataset finished by "
                 f"{instant(report.observed_until)}, {datasets}"]
    width = max((len(o.criterion) for o in report.outcomes), default=8)
    for o in report.outcomes:
        line = f"  {o.criterion:<{width}}  {STATE_LABEL[o.state]:<10}  {o.summary}"
        if o.worst is not None and o.worst.run_id is not None:
            path = report_path(report, o.worst.run_id, directory)
            line += f"\n  {'':<{width}}  {'':<10}  worst: {o.worst.at} {o.worst.text} — run {o.worst.run_id}" \
                    + (f" {path}" if path else "")
        lines.append(line)
    lines += [verification_line(v) for v in report.verifications]
    if report.hourly:
        clean = report.clean_hours
        lines.append(f"clean evidence: {plural(clean // 24, 'day')} {plural(clean % 24, 'hour')} of the "
                     f"{plural(report.days_required, 'day')} required")
    verdict = {"go": "GO", "no-go": "NO-GO", "incomplete": "INCOMPLETE"}[report.verdict]
    lines.append(f"verdict: {verdict} — {because(report)}")
    return lines


def verification_line(view: dict) -> str:
    """One dataset's verification: its own range, whether it is the whole history, what it found."""
    if view["verification"] is None:
        return f"verified {view['dataset']}: no complete verification"
    rows, found = view["rows"], view["found"]
    whole = "the whole history" if view["whole_history"] else \
        f"not the whole history: rows from {rows['oldest']} to {rows['newest']}"
    return (f"verified {view['dataset']}: verification {view['verification']}, "
            f"{span(view['range']['start'], view['range']['end'])} ({whole}), finished "
            f"{instant(view['finished_at'])}: {count(found['old'])} old and {count(found['new'])} new rows, "
            f"{count(found['differences'])} difference(s), {count(found['unverified'])} unverified")


def because(report: GateReport) -> str:
    not_met = [o.criterion for o in report.outcomes if o.state == "not met"]
    incomplete = [o.criterion for o in report.outcomes if o.state == "incomplete"]
    parts = []
    if not_met:
        parts.append(f"not met: {', '.join(not_met)}")
    if incomplete:
        parts.append(f"incomplete evidence: {', '.join(incomplete)}")
    return "; ".join(parts) or "every criterion is met"
