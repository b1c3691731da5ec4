"""Terminal renderings of stored runs with rich: `report list` and `report show`."""

from __future__ import annotations

import sys

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from reconciler.report.model import as_run_dict, check_rows, rule_violations, sample_rows, show

STATUS_STYLE = {"pass": "green", "fail": "bold red", "error": "bold dark_orange", "skipped": "grey50"}
WIDE = 160


def console(file=None) -> Console:
    """Wide enough not to fold columns when stdout is a file or a pipe."""
    stream = file or sys.stdout
    return Console(file=stream, width=None if stream.isatty() else WIDE, highlight=False)


def status_text(status: str) -> Text:
    return Text(status, style=STATUS_STYLE.get(status, ""))


def runs_table(runs: list[dict]) -> Table:
    table = Table(title=f"{len(runs)} run{'s' if len(runs) != 1 else ''}", title_justify="left")
    for column, justify in (("run", "right"), ("job", "left"), ("window start", "left"), ("window end", "left"),
                            ("status", "left"), ("checks", "right"), ("failing", "right"), ("seconds", "right"),
                            ("message", "left")):
        table.add_column(column, justify=justify, overflow="fold")
    for r in runs:
        table.add_row(str(r["id"]), r["job"], r["window"]["start"], r["window"]["end"], status_text(r["status"]),
                      str(r.get("checks", "")), str(r.get("failing_checks", "")), f"{r['duration_s']:.1f}",
                      r.get("message") or "")
    return table


def _checks_table(run: dict) -> Table:
    table = Table(title="checks", title_justify="left")
    for column in ("check", "status", "observed", "threshold", "violations", "seconds"):
        table.add_column(column, overflow="fold")
    for c in check_rows(run):
        table.add_row(c["check"], status_text(c["status"]), c["observed"], c["threshold"], str(c["violations"]),
                      "" if c["duration"] is None else f"{c['duration']:.3f}")
    return table


def _compare_tables(compare: dict) -> list:
    totals = compare.get("totals") or {}
    summary = Text.assemble(f"{compare['dataset']} ", status_text(compare["status"]),
                            "  " + ", ".join(f"{k}={show(v)}" for k, v in totals.items() if v is not None))
    hours = Table(title=f"{compare['dataset']} per hour", title_justify="left")
    for column in ("hour", "old", "new", "drift %", "status"):
        hours.add_column(column, justify="left" if column in ("hour", "status") else "right")
    for h in compare.get("hours") or []:
        drift = "n/a" if h["drift_pct"] is None else f"{h['drift_pct']:+.4f}"
        hours.add_row(h["hour"], f"{h['old']:,}", f"{h['new']:,}", drift, status_text(h["status"]))
    out = [summary, hours]
    lines = sample_rows(compare.get("samples") or {})
    if lines:
        samples = Table(title=f"{compare['dataset']} discrepancy samples", title_justify="left")
        for column in ("kind", "key", "column", "old", "new"):
            samples.add_column(column, overflow="fold")
        for s in lines:
            style = "bold red" if s["differs"] else ""
            samples.add_row(s["kind"] if s["first"] else "", s["key"] if s["first"] else "", s["column"],
                            Text(s["old"], style=style), Text(s["new"], style=style))
        out.append(samples)
    return out


def _rules_tables(run: dict) -> list:
    out = []
    for rule in rule_violations(run):
        table = Table(title=f"{rule['rule']} ({rule['severity']}): {rule['violations']} violations",
                      title_justify="left")
        for column in rule["columns"]:
            table.add_column(column, overflow="fold")
        for row in rule["rows"]:
            table.add_row(*row)
        out.append(table)
    return out


def run_renderable(run) -> Group:
    run = as_run_dict(run)
    head = Text.assemble(f"run {run.get('id', '-')}  {run['job']}  {run['window']['start']} → {run['window']['end']}  ",
                         status_text(run["status"]))
    parts = [head]
    if run.get("message"):
        parts.append(Text(run["message"], style="bold"))
    parts.append(_checks_table(run))
    for compare in run.get("compares", []):
        parts += _compare_tables(compare)
    parts += _rules_tables(run)
    return Group(*parts)
