"""The terminal renderer (rich): `compare`, `check`, `run`, `report list` and `report show`.
Every value from the data reaches rich as a `Text` (never parsed as markup), so `[bold]` or
`[x]` in a device id prints literally. Reasons come first; raw observed values after them."""

from __future__ import annotations

import sys
from dataclasses import replace

from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from reconciler import formatting
from reconciler.reasons import plural
from reconciler.report.model import check_rows, hour_rows, plain, reason_of, rule_violations, threshold_text, when
from reconciler.results import (
    EMPTY,
    ERROR,
    FAIL,
    NOT_PASSING,
    PASS,
    SKIPPED,
    CheckResult,
    CompareResult,
    RunResult,
    StoredRun,
    StoredWindow,
    jsonable,
    worst,
)
from reconciler.timeutil import Window

STATUS_STYLE = {PASS: "green", FAIL: "bold red", ERROR: "bold dark_orange", SKIPPED: "grey50", EMPTY: "grey50"}
WIDE = 160
SAMPLE_LIMIT = 5
SAMPLE_KINDS = ("missing_in_new", "extra_in_new", "mismatched", "duplicates_old", "duplicates_new")
KIND_LABEL = {"missing_in_new": "missing in new", "extra_in_new": "extra in new", "mismatched": "changed",
              "duplicates_old": "duplicate in old", "duplicates_new": "duplicate in new"}

__all__ = ["console", "escape", "render_compare", "render_rules", "render_job_runs", "run_renderable",
           "runs_table", "status_text", "threshold_text"]


def console(file=None) -> Console:
    """Wide enough not to fold columns when stdout is a file or a pipe."""
    stream = file or sys.stdout
    return Console(file=stream, width=None if stream.isatty() else WIDE, highlight=False)


def status_text(status: str) -> Text:
    return Text(status, style=STATUS_STYLE.get(status, ""))


def _text(value) -> Text:
    return value if isinstance(value, Text) else Text("" if value is None else str(value))


def _table(title: str | None = None, **kwargs) -> Table:
    return Table(title=Text(title) if title else None, title_justify="left", header_style="bold",
                 show_edge=False, min_width=min(len(title), WIDE) if title else None, **kwargs)


def window_text(window: Window) -> str:
    """ISO as typed on the command line (`--start`/`--end`), so it can be pasted back."""
    return formatting.span(window.start, window.end)


def moment_text(item) -> str:
    """The window of a run, a stored window or a result, or the moment it judged (`as_of`)."""
    if item.window is not None:
        return window_text(item.window)
    return f"as of {formatting.instant(item.as_of)}"


def _count(value) -> str:
    return formatting.count(value)


def _drift(value) -> str:
    return "n/a" if value is None else formatting.signed(value, 4)


# -- checks -----------------------------------------------------------------------------------

def checks_table(results: list[CheckResult], title: str = "checks", run: RunResult | None = None) -> Table:
    """Reason first; the threshold in full and the raw observed value after it."""
    table = _table(title)
    table.add_column("check", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("reason", ratio=3, overflow="fold")
    table.add_column("threshold", overflow="fold")
    table.add_column("observed", style="dim", ratio=1, overflow="fold", max_width=30)
    rows = check_rows(results, run)
    for c in rows:
        reason = c["reason"]
        if c["message"] and c["message"] not in reason:
            reason = f"{reason} — {c['message']}"
        table.add_row(_text(c["check"]), status_text(c["status"]), _text(reason), _text(c["threshold"]),
                      _text(c["observed"]))
    return table


def failing_lines(results: list[CheckResult]) -> list[Text]:
    """One line per failing or erroring check: its name and its reason."""
    out = []
    for r in results:
        if r.status in NOT_PASSING:
            line = Text.assemble("  ", status_text(r.status), " ", (r.check, "bold"), ": ", reason_of(r))
            if r.message and r.message not in reason_of(r):
                line.append(f" — {r.message}")
            out.append(line)
    return out


# -- comparisons ------------------------------------------------------------------------------

def hours_table(compare: CompareResult) -> Table:
    rows = hour_rows(compare)
    with_rows = any(h["mismatched"] is not None for h in rows)
    table = _table()
    for column, justify in (("hour (UTC)", "left"), ("old", "right"), ("new", "right"), ("drift %", "right")):
        table.add_column(column, justify=justify, no_wrap=True)
    if with_rows:
        for column in ("missing", "extra", "changed"):
            table.add_column(column, justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("reason", overflow="fold")
    for h in rows:
        cells = [h["label"], _count(h["old"]), _count(h["new"]), _drift(h["drift_pct"])]
        if with_rows:
            cells += [_count(h["missing_in_new"]), _count(h["extra_in_new"]), _count(h["mismatched"])]
        table.add_row(*map(_text, cells), status_text(h["status"]), _text(h["reason"] if h["status"] != PASS else ""))
    t = compare.totals
    if rows:
        table.add_section()
        cells = ["total", _count(t.get("old")), _count(t.get("new")), _drift(t.get("drift_pct"))]
        if with_rows:
            cells += [_count(t.get("missing_in_new")), _count(t.get("extra_in_new")), _count(t.get("mismatched"))]
        table.add_row(*map(_text, cells), _text(""), _text(""))
    return table


def samples_table(samples: list, title: str, limit: int = SAMPLE_LIMIT, kind: str | None = None) -> Table:
    """Rows side by side, one line each, every column shown: a changed value as `old → new`
    (bold red), a missing or extra row with the values of the side that has it. Samples that
    are plain rows (a rule's violations) get the union of their columns."""
    samples = [s for s in samples if isinstance(s, dict)][:limit]
    diff_shaped = samples and all("key" in s and ("old" in s or "new" in s) for s in samples)
    table = _table(title)
    if not diff_shaped:
        columns = list(dict.fromkeys(k for s in samples for k in s))
        for c in columns:
            table.add_column(c, overflow="fold")
        for s in samples:
            table.add_row(*[_text(plain(s[c]) if c in s else "") for c in columns])
        return table
    keys = list(dict.fromkeys(k for s in samples for k in (s.get("key") or {})))
    columns = list(dict.fromkeys(k for s in samples for side in ("old", "new") for k in (s.get(side) or {})
                                 if k not in keys))
    table.add_column("row", no_wrap=True)
    table.add_column("key", no_wrap=True)
    for c in columns:
        table.add_column(c, overflow="fold")
    for s in samples:
        old, new = s.get("old"), s.get("new")
        row_kind = kind or ("mismatched" if old is not None and new is not None else
                            "missing_in_new" if old is not None else "extra_in_new")
        differing = set(s.get("columns") or [])
        cells = []
        for c in columns:
            if old is not None and new is not None and (c in differing or (not differing and old.get(c) != new.get(c))):
                cells.append(Text(f"{plain(old.get(c))} → {plain(new.get(c))}", style="bold red"))
            else:
                cells.append(_text(plain((old if old is not None else new or {}).get(c))))
        key = ", ".join(f"{k}={plain(v)}" for k, v in (s.get("key") or {}).items())
        table.add_row(_text(KIND_LABEL.get(row_kind, row_kind)), _text(key), *cells)
    return table


FINDING_LABEL = {"missing_in_new": "missing", "extra_in_new": "extra", "mismatched": "changed"}
SPARKS = " ▁▂▃▄▅▆▇█"


def sparkline(counts: list[int]) -> str:
    """60 per-minute counts as 60 block characters, the largest full height (a blank: none)."""
    top = max(counts, default=0) or 1
    return "".join(SPARKS[0] if not c else SPARKS[max(1, round(c / top * (len(SPARKS) - 1)))] for c in counts)


def why_table(compare: CompareResult, notes: dict[str, list[dict]] | None = None) -> Table:
    """The findings of the failing hours, hour by hour: why the rows differ, before the samples.
    A time finding gets its minute-by-minute strip (:00 to :59) under it; an hour that belongs
    to a story of several hours says so under its findings (`notes`: report/why.py story_notes)."""
    table = _table("why (findings of the failing hours)")
    for column in ("hour (UTC)", "rows", "finding"):
        table.add_column(column, no_wrap=column != "finding", overflow="fold")
    last = None
    for f in compare.findings:
        label = formatting.instant(f.hour)
        if last is not None and label != last:
            _story_rows(table, (notes or {}).get(last))
        rows = "missing+extra" if f.kind == "counts_hide" else FINDING_LABEL.get(f.about, f.about)
        table.add_row(_text(label if label != last else ""), _text(rows), _text(f.text))
        if f.evidence.get("per_minute") and f.kind != "whole_hour":
            table.add_row(_text(""), _text(""), Text(f":00 {sparkline(f.evidence['per_minute'])} :59", style="dim"))
        last = label
    if last is not None:
        _story_rows(table, (notes or {}).get(last))
    return table


def _story_rows(table: Table, notes: list[dict] | None) -> None:
    for note in notes or []:
        table.add_row(_text(""), _text("story"), Text(f"this is {note['text']}", style="italic"))


def compare_renderables(compare: CompareResult, run: RunResult | None = None,
                        notes: dict[str, list[dict]] | None = None) -> list:
    moment = when(compare, run)
    head = Text.assemble((compare.dataset, "bold"), "  ",
                         f"as of {moment['as_of']}" if moment["as_of"] else window_text(compare.window), "  ",
                         Text(compare.status.upper(), style=STATUS_STYLE.get(compare.status, "")))
    parts: list = [head]
    if not moment["as_of"] and compare.hours:
        parts.append(hours_table(compare))
    if compare.findings:
        parts.append(why_table(compare, notes))
    t = compare.totals
    if t.get("matched") is not None:
        parts.append(Text(
            f"rows: matched {_count(t['matched'])}  changed {_count(t.get('mismatched') or 0)}  missing in new "
            f"{_count(t.get('missing_in_new') or 0)}  extra in new {_count(t.get('extra_in_new') or 0)}  "
            f"duplicates old/new {_count(t.get('duplicates_old') or 0)}/{_count(t.get('duplicates_new') or 0)}  "
            f"match {formatting.percent(t.get('match_pct'), 4)}"))
        if compare.truncated:
            parts.append(Text("TRUNCATED by the row budget: some rows were not compared", style="bold red"))
    samples = compare.samples
    for kind in SAMPLE_KINDS:
        rows = samples.get(kind) or []
        if rows:
            total = t.get(kind) or len(rows)
            shown = min(SAMPLE_LIMIT, len(rows))
            parts.append(samples_table(rows, f"{KIND_LABEL[kind]}: first {shown} of {_count(total)}", kind=kind))
    if compare.checks:
        parts.append(checks_table(compare.checks, run=run))
    return parts


def render_compare(result: CompareResult | dict, out: Console) -> None:
    """`reconciler compare`; a comparison's JSON (`CompareResult.to_dict`) is read back first."""
    compare = result if isinstance(result, CompareResult) else CompareResult.from_dict(result)
    for part in compare_renderables(compare):
        out.print(part)


# -- rules (`reconciler check`) ---------------------------------------------------------------

def render_rules(results: list[CheckResult] | dict, out: Console, limit: int = SAMPLE_LIMIT) -> None:
    """`reconciler check`: one line per rule with its reason, then the rows of each failure.
    `results`: the rules' CheckResults, or the command's JSON document (`rules_to_json`) read back."""
    if isinstance(results, dict):
        results = _rule_results(results)
    table = _table()
    for col in ("rule", "status", "violations", "new / inherited", "severity", "source"):
        table.add_column(col, no_wrap=True)
    table.add_column("reason", overflow="fold")
    for r in results:
        details = r.details
        split = "" if details.get("new") is None else f"{details['new']} / {details.get('inherited')}"
        reason = r.reason or r.message or ""
        if r.message and r.message not in reason and r.status == ERROR:
            reason = f"{reason} — {r.message}"
        table.add_row(_text(r.check), status_text(r.status), _text(r.violations), _text(split),
                      _text(details.get("severity") or ""), _text(details.get("source") or ""), _text(reason))
    out.print(table)
    for r in results:
        if r.status in NOT_PASSING and r.samples:
            samples = jsonable(r.samples)  # as the JSON shows them: times in ISO
            out.print(samples_table(samples, f"{r.check}: first {plural(min(limit, len(samples)), 'row')}", limit))
    out.print(Text.assemble("overall: ", status_text(worst(r.status for r in results).upper())))


RULE_DETAILS = ("severity", "source", "new", "inherited", "file")


def _rule_results(doc: dict) -> list[CheckResult]:
    """The JSON of `reconciler check` (`rules_to_json`) back as the rules' results."""
    return [CheckResult(r["rule"], r["status"], violations=r.get("violations") or 0, samples=list(r.get("samples") or []),
                        message=r.get("message"), reason=r.get("reason"),
                        details={k: r[k] for k in RULE_DETAILS if r.get(k) is not None})
            for r in doc["rules"]]


# -- stored runs (`report list`, `report show`, `run`) ----------------------------------------

def runs_table(runs: list[dict], why: dict | None = None) -> Table:
    """`report list`: one row a run; `why`: run id -> why it did not pass (html.why_text), shown
    in the message column."""
    table = Table(title=f"{len(runs)} run{'s' if len(runs) != 1 else ''}", title_justify="left")
    for column, justify in (("run", "right"), ("job", "left"), ("window start or as of", "left"), ("window end", "left"),
                            ("status", "left"), ("checks", "right"), ("failing", "right"), ("seconds", "right"),
                            ("message", "left")):
        table.add_column(column, justify=justify, overflow="fold")
    for r in runs:
        start, end = (r["as_of"], "") if r.get("as_of") else (r["window"]["start"], r["window"]["end"])
        table.add_row(_text(r["id"]), _text(r["job"]), _text(formatting.instant(start)), _text(formatting.instant(end)),
                      status_text(r["status"]),
                      _text(r.get("checks", "")), _text(r.get("failing_checks", "")),
                      _text(formatting.number(r["duration_s"], 1)),
                      _text((why or {}).get(r["id"]) or r.get("message") or ""))
    return table


def _rules_tables(run: RunResult) -> list:
    out = []
    for rule in rule_violations(run):
        samples = next(r.samples for r in run.results if r.check == rule["rule"])
        title = f"{rule['rule']} ({rule['severity']}): {rule['reason']}"
        out.append(samples_table(samples, title, limit=len(samples)))
    return out


def run_renderable(run: StoredRun | RunResult | dict, stories: dict | None = None) -> Group:
    """`report show`: a stored run (a stored dict is read with `StoredRun.from_dict` first);
    `stories`: per dataset and hour, the stories it belongs to (report/files.py run_stories)."""
    stored = StoredRun.of(run)
    run = stored.run
    head = Text.assemble(f"run {'-' if stored.id is None else stored.id}  ", (run.job, "bold"),
                         f"  {moment_text(run)}  ", status_text(run.status))
    parts: list = [head]
    if run.message:
        parts.append(Text(run.message, style="bold"))
    failing = failing_lines(run.results)
    if failing:
        parts += [Text("what went wrong:", style="bold"), *failing]
    parts.append(checks_table(run.results, run=run))
    for compare in run.compares:
        parts += compare_renderables(replace(compare, checks=[]), run, (stories or {}).get(compare.dataset))
    parts += _rules_tables(run)
    return Group(*parts)


def render_job_runs(runs: list[StoredWindow], out: Console) -> None:
    """`reconciler run`: one line per stored window (or point-in-time run), then its failing
    checks with their reasons and the error's message."""
    for r in runs:
        out.print(Text.assemble(f"run {r.id:>5}  {moment_text(r)}  ", status_text(r.status),
                                " " * max(0, 5 - len(r.status)) + "  ", str(r.html or "")))
        if r.message:
            out.print(Text(f"    {r.message}", style="bold"))
        for line in failing_lines(list(r.failing)):
            out.print(Text.assemble("  ", line))
