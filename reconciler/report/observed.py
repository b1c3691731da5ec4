"""A result's observed value in words with its unit, never as raw JSON:
{"of": 1, "unexpected": 1} reads "1 of 1 unexpected", {"p50": 12.5, "p99": 40} with a
threshold in ms reads "p50 12.5 ms, p99 40 ms". Pure functions."""

from __future__ import annotations

from reconciler.formatting import NONE, UNDEFINED, count, number
from reconciler.thresholds import Threshold

MAX_ITEMS = 6
CLASS_WORDS = {"matched": "matched", "mismatched": "changed", "missing_in_new": "missing in new",
               "extra_in_new": "extra in new", "duplicates_old": "duplicate in old",
               "duplicates_new": "duplicate in new"}
KEY_UNITS = {"seconds": "s", "ms": "ms", "pct": "%", "drift_pct": "%", "match_pct": "%"}


def words(key: str) -> str:
    """A key as words: `missing_in_new` -> "missing in new"."""
    return CLASS_WORDS.get(key) or str(key).replace("_", " ")


# a count unit for one: "1 new violation", not "1 new violations"
ONE = {"messages": "message", "violations": "violation", "new violations": "new violation", "keys": "key",
       "differing hours": "differing hour", "rows missing or changed": "row missing or changed", "entries": "entry"}


def _with_unit(value, unit: str | None) -> str:
    text = number(value)
    if value == 1 and not isinstance(value, bool) and unit in ONE:
        unit = ONE[unit]
    return f"{text}\u00a0{unit}" if unit and text not in (NONE, UNDEFINED) else text


STATISTICS = ("max", "min", "mean")  # measured in the threshold's unit, like percentiles


def _is_percentile(key) -> bool:
    return isinstance(key, str) and key[:1] == "p" and key[1:].replace(".", "").isdigit()


def observed_text(value, threshold: Threshold | None = None) -> str:
    """`value` as a person reads it, in the threshold's unit when it has one."""
    unit = threshold.unit if threshold is not None else None
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return _with_unit(value, unit)
    if isinstance(value, dict):
        return _dict_text(value, unit)
    if isinstance(value, list):
        return f"{count(len(value))} row{'s' if len(value) != 1 else ''}"
    return str(value)


def _dict_text(value: dict, unit: str | None) -> str:
    if set(value) <= {"unexpected", "of"} and "unexpected" in value:
        of = value.get("of")
        return f"{count(value['unexpected'])} unexpected" + (f" of {count(of)}" if of is not None else "")
    if any(_is_percentile(k) for k in value):
        return ", ".join(f"{k} {_with_unit(v, unit) if _is_percentile(k) or k in STATISTICS else number(v)}"
                         for k, v in value.items())
    parts = []
    for key, item in list(value.items())[:MAX_ITEMS]:
        if isinstance(item, (dict, list)):
            parts.append(f"{words(key)} {observed_text(item)}")
        elif key in KEY_UNITS:
            parts.append(_with_unit(item, KEY_UNITS[key]))
        elif key in CLASS_WORDS:
            parts.append(f"{number(item)} {words(key)}")
        else:
            parts.append(f"{words(key)} {number(item) if isinstance(item, (int, float)) else item}")
    more = len(value) - MAX_ITEMS
    return ", ".join(parts) + (f", …{more} more" if more > 0 else "")


def _undefined(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def result_observed_text(result) -> str:
    """What a result observed, in words. An expectation's counter ({"unexpected": N, "of": M})
    is the expectation's bookkeeping: where its samples hold the values of the expectation's
    column that broke it, those are what was measured ("−40.0028 %", "12-34 (1 of 108 rows)")."""
    observed, threshold = result.observed, result.threshold
    column = (result.details or {}).get("column")
    where = (result.details or {}).get("condition")
    if where and isinstance(observed, dict) and observed.get("of") == 0:  # its reason names the rows it judged
        return f"none judged (none where {where.replace(' ', chr(0xA0))})"
    if isinstance(observed, list) and ((result.details or {}).get("summary_by") or result.check.endswith(".summary")):
        # a snapshot's summary observes groups (one per value of summary_by), not rows
        differ = max(int(result.violations or 0), len(result.samples or []))
        return f"{count(differ)} of {count(len(observed))} group{'s' if len(observed) != 1 else ''} differ"
    if not (isinstance(observed, dict) and "unexpected" in observed and column):
        return observed_text(observed, threshold)
    measure = column in KEY_UNITS  # a drift or a match with no value is undefined, not absent
    rows = [s for s in result.samples or [] if isinstance(s, dict)
            and (not _undefined(s.get(column)) or (measure and column in s))]
    if not rows:
        return observed_text(observed, threshold)
    unit = threshold.unit if threshold is not None else None
    values = ", ".join(UNDEFINED if _undefined(s[column]) else _with_unit(s[column], unit)
                       if isinstance(s[column], (int, float)) else str(s[column])
                       for s in rows[:MAX_ITEMS]) + (", …" if len(rows) > MAX_ITEMS else "")
    unexpected, of = observed.get("unexpected"), observed.get("of")
    if not of or of <= 1:
        return values
    noun = "hours" if "hour" in rows[0] else "rows"
    return f"{values} ({count(unexpected)} of {count(of)} {noun})"
