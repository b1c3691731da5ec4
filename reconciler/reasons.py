"""One-line reasons for verdicts, in the units people use: "match 99.889 % < 99.9 %: 160 of
144 040 rows differ (100 missing, 40 extra, 20 changed)". Built from the typed evidence (hour
rows, totals, thresholds), never from a library's raw output. Pure functions: the wording
every check type shares (numbers, hours, a dataset's hourly evidence, the generic reason);
each type's own reason lives with the type (reconciler/checks/types/)."""

from __future__ import annotations

from reconciler.formatting import count, number, signed, trimmed
from reconciler.results import ERROR, FAIL, PASS, SKIPPED, CheckResult
from reconciler.thresholds import Threshold

MAX_HOURS_LISTED = 2



def signed_pct(value: float) -> str:
    """Drift: two decimals with its sign, −1.39 / +0.42 / 0.00."""
    return signed(value, 2)


def match_text(pct: float) -> str:
    """Match: up to three decimals, never rounded up to 100 when a row differs."""
    return trimmed(pct, 3)


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{count(n)} {word if n == 1 else (many or word + 's')}"


def hhmm(hour: str) -> str:
    return hour[11:16] if isinstance(hour, str) and len(hour) >= 16 else str(hour)


# -- the evidence of one hour (or a whole window) ---------------------------------------------

def drift_reason(old: int, new: int, drift: float | None, threshold: Threshold, noun: str = "events") -> str:
    if drift is None:
        return f"no {noun} in old, {count(new)} in new"
    if new == 0 and old > 0:
        return f"no {noun} in new, {count(old)} in old"
    inside = threshold.admits(drift)
    verdict = f"drift {signed_pct(drift)} % {'within' if inside else 'outside'} {threshold.describe()}"
    gap = new - old
    if gap == 0:
        return f"{verdict}: equal counts ({count(old)})"
    return f"{verdict}: {count(abs(gap))} {'fewer' if gap < 0 else 'more'} {noun} in new"


def row_classes(missing: int, extra: int, changed: int) -> str:
    parts = [f"{count(n)} {label}" for n, label in ((missing, "missing"), (extra, "extra"), (changed, "changed"))
             if n]
    return f" ({', '.join(parts)})" if parts else ""


def match_reason(matched: int, mismatched: int, missing: int, extra: int, threshold: Threshold) -> str:
    total = matched + mismatched + missing + extra
    differ = total - matched
    pct = matched / total * 100 if total else 100.0
    bound = threshold.min if threshold.min is not None else None
    if threshold.admits(pct):
        op = "≥" if bound is not None else "within"
    else:
        op = "<" if bound is not None and pct < bound else "outside"
    limit = f"{number(bound)} %" if bound is not None else threshold.describe()
    return (f"match {match_text(pct)} % {op} {limit}: {count(differ)} of {plural(total, 'row')} differ"
            + row_classes(missing, extra, mismatched))


def column_reason(column: str | None, row: dict, threshold: Threshold) -> str:
    """Why one evidence row (an hour, or a window's totals) passes or fails on one column."""
    if column == "drift_pct" and (threshold.has_bounds or row.get("drift_pct") is None):
        return drift_reason(row["old"], row["new"], row.get("drift_pct"), threshold)
    if column == "drift_pct":
        return f"drift defined ({signed_pct(row['drift_pct'])} %)"
    if column == "match_pct" and row.get("matched") is not None:
        return match_reason(row["matched"], row.get("mismatched") or 0, row.get("missing_in_new") or 0,
                            row.get("extra_in_new") or 0, threshold)
    if column == "truncated":
        return ("row comparison cut short by its budget: some rows were not compared" if row.get("truncated")
                else "every row compared")
    if column == "duplicates_new" and row.get("duplicates_new") is not None:
        return duplicates_reason(row["duplicates_new"], row.get("duplicates_old") or 0)
    if column in ("new", "old") and row.get(column) == 0 and row.get("old" if column == "new" else "new"):
        other = "old" if column == "new" else "new"
        return f"no events in {column}, {count(row[other])} in {other}"
    value = row.get(column)
    shown = "null" if value is None else (count(value) if isinstance(value, int) and not isinstance(value, bool)
                                          else str(value))
    return f"{column} = {shown}, required {threshold.describe()}"


def duplicates_reason(in_new: int, in_old: int) -> str:
    """Keys held more than once: in new they fail the hour, in old they are only told."""
    if not in_new:
        return "no key held twice in new" + (f" ({count(in_old)} in old)" if in_old else "")
    return f"{plural(in_new, 'key')} held twice in new" + (f" ({count(in_old)} in old)" if in_old else "")


# -- a check judged over the hours of a window -------------------------------------------------

def hourly_check_reason(result: CheckResult, rows: list[dict], totals: dict | None = None,
                        undefined_by: str | None = None) -> str:
    """A check over the hourly evidence: the flagged hours' own reasons, or, when it passes,
    the window's figure (one hour: that hour's). A bounded drift check does not judge an hour
    whose drift is undefined (rows only in new): it says so, and names `undefined_by`, the
    check that does (drift_defined), rather than pass on that hour's numbers."""
    if result.status in (ERROR, SKIPPED):
        return status_message(result)
    column = (result.details or {}).get("column")
    threshold = result.threshold or Threshold()
    flagged = set((result.details or {}).get("unexpected_index") or [])
    bad = [r for r in rows if r["hour"] in flagged]
    if column == "drift_pct" and threshold.has_bounds and result.status in (PASS, FAIL):
        unjudged = [r for r in rows if r.get("drift_pct") is None and r["hour"] not in flagged]
        if unjudged:
            return _with_undefined(result, column, rows, bad, unjudged, threshold, totals, undefined_by)
    where = (result.details or {}).get("condition")
    if where:
        judged = evaluated(result)
        if not judged and result.status != FAIL:
            return (f"not evaluated: it judges only hours where {where}, "
                    + ("not this one" if len(rows) == 1 else f"none of these {count(len(rows))}"))
        if judged is not None and len(rows) > 1:
            if result.status == FAIL and bad:
                return _failing_hours(column, bad, rows, threshold, f"{plural(judged, 'hour')} where {where}")
            if result.status == PASS:
                return f"{column or result.check} {threshold.describe()} in " + (
                    f"all {plural(judged, 'hour')} where {where}" if judged != 1 else f"the only hour where {where}")
    if result.status == FAIL:
        return _failing_hours(column, bad, rows, threshold) if bad else generic_reason(result)
    if len(rows) == 1:
        return column_reason(column, rows[0], threshold)
    return _passing_hours(result, column, rows, threshold, totals)


def _undefined_tail(undefined_by: str | None) -> str:
    return f"judged by {undefined_by}" if undefined_by else "not judged by this check"


def _with_undefined(result: CheckResult, column: str, rows: list[dict], bad: list[dict], unjudged: list[dict],
                    threshold: Threshold, totals: dict | None, undefined_by: str | None) -> str:
    """A drift check whose window holds hours of undefined drift (no event in old): they are
    neither its passes nor its failures."""
    if len(rows) == 1:
        r = unjudged[0]
        return f"drift undefined ({drift_reason(r['old'], r['new'], None, threshold)}): {_undefined_tail(undefined_by)}"
    listed = ", ".join(hhmm(r["hour"]) for r in unjudged[:MAX_HOURS_LISTED]) + (
        f" and {count(len(unjudged) - MAX_HOURS_LISTED)} more" if len(unjudged) > MAX_HOURS_LISTED else "")
    note = (f"drift undefined in {plural(len(unjudged), 'hour')} with no events in old ({listed}): "
            f"{_undefined_tail(undefined_by)}")
    defined = [r for r in rows if r not in unjudged]
    if result.status == FAIL and bad:
        return f"{_failing_hours(column, bad, rows, threshold)}; {note}"
    if not defined:
        return note
    if len(defined) == 1:
        return f"{column_reason(column, defined[0], threshold)}; {note}"
    return f"{_passing_hours(result, column, defined, threshold, totals)}; {note}"


def evaluated(result: CheckResult) -> int | None:
    """How many rows (hours) an expectation judged: with a row condition, those it selected."""
    observed = result.observed
    if isinstance(observed, dict) and isinstance(observed.get("of"), int) and not isinstance(observed["of"], bool):
        return observed["of"]
    return None


def _failing_hours(column: str | None, bad: list[dict], rows: list[dict], threshold: Threshold,
                   judged: str | None = None) -> str:
    if len(rows) == 1:
        return column_reason(column, bad[0], threshold)
    listed = "; ".join(f"{hhmm(r['hour'])} {column_reason(column, r, threshold)}" for r in bad[:MAX_HOURS_LISTED])
    more = f"; {count(len(bad) - MAX_HOURS_LISTED)} more" if len(bad) > MAX_HOURS_LISTED else ""
    return f"{count(len(bad))} of {judged or plural(len(rows), 'hour')} fail: {listed}{more}"


def _passing_hours(result: CheckResult, column: str | None, rows: list[dict], threshold: Threshold,
                   totals: dict | None) -> str:
    hours = plural(len(rows), "hour")
    if column == "drift_pct" and not threshold.has_bounds:
        return f"drift defined in all {hours}"
    if column == "drift_pct":
        worst = max((r for r in rows if r.get("drift_pct") is not None), key=lambda r: abs(r["drift_pct"]),
                    default=None)
        tail = f" (largest {signed_pct(worst['drift_pct'])} % at {hhmm(worst['hour'])})" if worst else ""
        if worst and worst["drift_pct"] == 0:
            tail = " (equal counts in every hour)"
        return f"drift within {threshold.describe()} in all {hours}{tail}"
    if column == "match_pct" and totals and totals.get("matched") is not None:
        return match_reason(totals["matched"], totals.get("mismatched") or 0, totals.get("missing_in_new") or 0,
                            totals.get("extra_in_new") or 0, threshold) + f", every hour {threshold.describe()}"
    if column == "truncated":
        return f"every row compared in all {hours}"
    if column == "duplicates_new":
        in_old = sum(r.get("duplicates_old") or 0 for r in rows)
        return f"no key held twice in new in all {hours}" + (f" ({count(in_old)} twice in old)" if in_old else "")
    return f"{column or result.check} {threshold.describe()} in all {hours}"


def hour_reason(row: dict, flagging: list[CheckResult]) -> str:
    """An hour's verdict: the reasons of the checks that flagged it; a passing hour shows its
    drift and, with rows, its match."""
    if flagging:
        seen, parts = set(), []
        for check in flagging:
            text = column_reason((check.details or {}).get("column"), row, check.threshold or Threshold())
            if text not in seen:
                seen.add(text)
                parts.append(text)
        return "; ".join(parts)
    parts = []
    if row.get("drift_pct") is not None:
        parts.append(f"drift {signed_pct(row['drift_pct'])} %")
    if row.get("matched") is not None:
        total = sum(row.get(k) or 0 for k in ("matched", "mismatched", "missing_in_new", "extra_in_new"))
        pct = row["matched"] / total * 100 if total else 100.0
        parts.append(f"match {match_text(pct)} %")
    if row.get("duplicates_old"):
        parts.append(f"{plural(row['duplicates_old'], 'key')} held twice in old")
    return ", ".join(parts)


# -- checks that are not hourly ----------------------------------------------------------------

def status_message(result: CheckResult) -> str:
    first = (result.message or "").strip().splitlines()[0] if (result.message or "").strip() else ""
    if result.status == ERROR:
        return f"could not run: {first}" if first else "could not run"
    if result.status == SKIPPED:
        return f"not judged: {first}" if first else "not judged"
    return first


def generic_reason(result: CheckResult) -> str:
    threshold = result.threshold.describe() if result.threshold is not None else None
    observed = result.observed
    numeric = isinstance(observed, (int, float)) and not isinstance(observed, bool)
    if numeric and result.threshold is not None and result.threshold.has_bounds:
        return f"{number(observed)} {'within' if result.threshold.admits(observed) else 'outside'} {threshold}"
    if numeric and threshold:
        return f"observed {number(observed)}, threshold {threshold}"
    if result.violations:
        return f"{plural(result.violations, 'violation')}" + (f" (allowed: {threshold})" if threshold else "")
    return "passed" if result.status == PASS else result.status
