"""Findings of an hour's changed rows: which columns differ, in what share, and how their values
differ (patterns.py). Pure: the changed rows the diff kept in, findings out."""

from __future__ import annotations

from datetime import datetime

from reconciler.compare.findings.patterns import PatternGroup, group_pairs
from reconciler.compare.findings.text import count, iso_us, number, pct, signed, signed_duration
from reconciler.compare.rowdiff.columns import TIMESTAMP
from reconciler.results import Finding

ABOUT = "mismatched"
SAMPLES = 5


def describe(pattern: str, param, ctype: str) -> str:
    """The words of a pattern: `+1.5 exactly (constant offset)`, `case only`, `NULL → 0`."""
    shown = iso_us(param) if ctype == TIMESTAMP and isinstance(param, int) else number(param)
    fixed = {"null_to_zero": "NULL → 0", "zero_to_null": "0 → NULL", "null_to_empty": "NULL → ''",
             "empty_to_null": "'' → NULL", "case_only": "case only", "whitespace_only": "whitespace only",
             "unicode_only": "Unicode normalisation only", "sign_flip": "sign flipped",
             "truncated": "truncated to an integer", "none": "no single pattern",
             "single_precision": "stored in single precision (a 4-byte float: about 7 significant digits)"}
    if pattern in fixed:
        return fixed[pattern]
    if pattern == "rounded":
        return "rounded to an integer" if param == 0 else f"rounded to {param} decimal{'s' if param != 1 else ''}"
    if pattern == "scale":
        return f"×{number(param)} (a unit)"
    if pattern == "zone_shift":
        return f"shifted by {signed_duration(param)} (a time zone)"
    if pattern == "time_truncated":
        return f"truncated to the {'second' if param == 's' else 'millisecond'} (precision lost)"
    if pattern == "time_coarser_in_old":
        unit = "second" if param == "s" else "millisecond"
        return f"old holds whole {unit}s, new a finer time (compare at the old precision: time_precision {param})"
    if pattern == "offset":
        step = signed_duration(param) if ctype == TIMESTAMP else signed(param)
        return f"{step} exactly (constant offset)"
    return f"→ {shown} (one new value)"  # to_constant


def _key(row, key_names: list[str]) -> dict:
    return {k: row.shown.get(k) for k in key_names}


def change_findings(hour: datetime, changed: list[tuple], specs: list, key_names: list[str]) -> list[Finding]:
    """`changed`: (old Row, new Row, differing column names) of one hour."""
    if not changed:
        return []
    n = len(changed)
    by_column: dict[str, list[int]] = {}
    for i, (_, _, columns) in enumerate(changed):
        for column in columns:
            by_column.setdefault(column, []).append(i)
    ordered = sorted(by_column, key=lambda c: (-len(by_column[c]), c))
    parts = ", ".join(f"`{c}` in {count(len(by_column[c]))} ({pct(len(by_column[c]) / n)})" for c in ordered)
    findings = [Finding(hour=hour, about=ABOUT, kind="changed_columns", text=f"{count(n)} changed: {parts}", rows=n,
                        share=1.0, signature=f"{ABOUT}|changed_columns|{','.join(sorted(by_column))}",
                        evidence={"changed": n, "columns": {c: len(by_column[c]) for c in ordered}},
                        sample_keys=[_key(o, key_names) for o, _, _ in changed[:SAMPLES]])]
    position = {s.name: i for i, s in enumerate(specs)}
    for column in ordered:
        spec = specs[position[column]]
        rows = [changed[i] for i in by_column[column]]
        pairs = [(o.values[position[column]], w.values[position[column]]) for o, w, _ in rows]
        for group in group_pairs(pairs, spec.ctype, spec.settings.tolerance):
            findings.append(_group_finding(hour, column, spec.ctype, group, rows, n, key_names))
    return findings


def _group_finding(hour: datetime, column: str, ctype: str, group: PatternGroup, rows: list, n: int,
                   key_names: list[str]) -> Finding:
    members = [rows[i] for i in group.members]
    k = len(members)
    kind = "no_pattern" if group.pattern == "none" else "value_pattern"
    param = group.param
    samples = [{"key": _key(o, key_names), "old": o.shown.get(column), "new": w.shown.get(column)}
               for o, w, _ in members[:SAMPLES]]
    evidence = {"column": column, "pattern": group.pattern, "param": param, "column_rows": len(rows),
                "column_share": len(rows) / n, "samples": samples}
    stable = "" if param is None else f"|{param!r}"
    return Finding(hour=hour, about=ABOUT, kind=kind, text=f"{count(k)} `{column}` {describe(group.pattern, param, ctype)}",
                   rows=k, share=k / n, signature=f"{ABOUT}|{kind}|{column}|{group.pattern}{stable}",
                   evidence=evidence, sample_keys=[s["key"] for s in samples])
