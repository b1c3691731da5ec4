"""Terminal rendering of CompareResults with rich."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from reconciler.results import CompareResult

_STYLE = {"pass": "green", "fail": "bold red", "error": "bold magenta", "skipped": "dim"}


def console() -> Console:
    """A terminal console; piped output gets a wide fixed width instead of 80 columns."""
    import sys

    return Console() if sys.stdout.isatty() else Console(width=160)


def _fmt_pct(value) -> str:
    return "n/a" if value is None else f"{value:+.4f}"


def render_compare(result: CompareResult, console: Console) -> None:
    w = result.window
    console.print(f"[bold]{result.dataset}[/bold]  {w.to_dict()['start']} → {w.to_dict()['end']}  "
                  f"[{_STYLE[result.status]}]{result.status.upper()}[/]")
    table = Table(show_edge=False, header_style="bold")
    for col, justify in (("hour (UTC)", "left"), ("old", "right"), ("new", "right"), ("drift %", "right"),
                         ("status", "left")):
        table.add_column(col, justify=justify)
    for h in result.hours:
        table.add_row(h.hour.strftime("%Y-%m-%d %H:00"), f"{h.old:,}", f"{h.new:,}", _fmt_pct(h.drift_pct),
                      f"[{_STYLE[h.status]}]{h.status}[/]")
    t = result.totals
    table.add_section()
    table.add_row("total", f"{t['old']:,}", f"{t['new']:,}", _fmt_pct(t["drift_pct"]), "")
    console.print(table)
    if t.get("matched") is not None:
        console.print(
            f"rows: matched {t['matched']:,}  mismatched {t['mismatched']:,}  missing_in_new {t['missing_in_new']:,}"
            f"  extra_in_new {t['extra_in_new']:,}  duplicates old/new {t['duplicates_old']}/{t['duplicates_new']}"
            f"  match {t['match_pct']}%" + ("  [bold red]TRUNCATED by budget[/]" if result.truncated else "")
        )
        render_samples(result, console)
    checks = Table(show_edge=False, header_style="bold", title="checks", title_justify="left")
    for col in ("check", "status", "violations", "threshold", "note"):
        checks.add_column(col)
    for c in result.checks:
        checks.add_row(c.check, f"[{_STYLE[c.status]}]{c.status}[/]", str(c.violations),
                       threshold_text(c.threshold), c.message or "")
    console.print(checks)


def threshold_text(threshold) -> str:
    """{'min_value': -1.0, 'max_value': 1.0} as '-1.0 ≤ x ≤ 1.0'; other shapes as key=value."""
    if not threshold:
        return ""
    if not isinstance(threshold, dict):
        return str(threshold)
    low, high = threshold.get("min_value"), threshold.get("max_value")
    rest = {k: v for k, v in threshold.items() if k not in ("min_value", "max_value")}
    parts = []
    if low is not None or high is not None:
        parts.append(" ≤ ".join(str(p) for p in (low, "x", high) if p is not None))
    parts += [f"{k}={v}" for k, v in rest.items()]
    return ", ".join(parts)


def _key_text(key: dict | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in (key or {}).items())


def _row_text(row: dict | None, key: dict | None) -> str:
    return "  ".join(f"{k}={v}" for k, v in (row or {}).items() if k not in (key or {}))


def render_samples(result: CompareResult, console: Console, limit: int = 5) -> None:
    """The first few differences of each kind: changed columns as old → new."""
    for kind in ("missing_in_new", "extra_in_new", "mismatched", "duplicates_old", "duplicates_new"):
        samples = result.samples.get(kind) or []
        if not samples:
            continue
        total = result.totals.get(kind) or len(samples)
        table = Table(show_edge=False, title=f"{kind}: first {min(limit, len(samples))} of {total:,}",
                      title_justify="left", header_style="bold")
        table.add_column("key", no_wrap=True)
        if kind == "mismatched":
            table.add_column("column")
            table.add_column("old")
            table.add_column("new")
            for s in samples[:limit]:
                for i, column in enumerate(s.get("columns", [])):
                    table.add_row(_key_text(s.get("key")) if i == 0 else "", column,
                                  str((s.get("old") or {}).get(column)), str((s.get("new") or {}).get(column)))
        else:
            side = "new" if kind in ("extra_in_new", "duplicates_new") else "old"
            table.add_column(f"{side} row")
            for s in samples[:limit]:
                table.add_row(_key_text(s.get("key")), _row_text(s.get(side), s.get("key")))
        console.print(table)


def render_rules(doc: dict, console: Console, limit: int = 5) -> None:
    """`reconciler check`: one line per rule, then the first violating rows of each failure."""
    table = Table(show_edge=False, header_style="bold")
    for col in ("rule", "status", "violations", "new / inherited", "severity", "source"):
        table.add_column(col, no_wrap=True)
    table.add_column("note")
    for r in doc["rules"]:
        split = "" if r.get("new") is None else f"{r['new']} / {r['inherited']}"
        table.add_row(r["rule"], f"[{_STYLE[r['status']]}]{r['status']}[/]", str(r["violations"]), split,
                      r.get("severity") or "", r.get("source") or "", r.get("message") or "")
    console.print(table)
    for r in doc["rules"]:
        if r["status"] in ("fail", "error") and r["samples"]:
            rows = Table(show_edge=False, title=f"{r['rule']}: first {min(limit, len(r['samples']))} rows",
                         title_justify="left")
            columns = list(r["samples"][0])
            for c in columns:
                rows.add_column(c)
            for sample in r["samples"][:limit]:
                rows.add_row(*[str(sample.get(c, "")) for c in columns])
            console.print(rows)
    console.print(f"overall: [{_STYLE[doc['status']]}]{doc['status'].upper()}[/]")
