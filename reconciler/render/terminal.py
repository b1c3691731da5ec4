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
                       str(c.threshold or ""), c.message or "")
    console.print(checks)


def render_samples(result: CompareResult, console: Console, limit: int = 5) -> None:
    for kind in ("missing_in_new", "extra_in_new", "mismatched"):
        samples = result.samples.get(kind) or []
        if not samples:
            continue
        table = Table(show_edge=False, title=f"{kind} (first {min(limit, len(samples))})", title_justify="left")
        table.add_column("key")
        table.add_column("old")
        table.add_column("new")
        table.add_column("columns")
        for s in samples[:limit]:
            table.add_row(str(s.get("key")), str(s.get("old", "")), str(s.get("new", "")),
                          ", ".join(s.get("columns", [])))
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
