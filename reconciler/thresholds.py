"""The one shape of a check's threshold: bounds and a unit. Every producer emits it, every
renderer reads it (`Threshold.from_dict` also reads the shapes stored before it existed).
Pure values, no I/O."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from reconciler.formatting import number

# The migration plan's numbers (DESIGN.md), used wherever nothing configures another bound
DEFAULT_DRIFT_PCT = 1.0  # hourly count drift, at most ± this
DEFAULT_MATCH_PCT = 99.9  # rows matched, at least this


@dataclass(frozen=True)
class Threshold:
    """Accepted values: `min <= x <= max` (either bound may be absent; `strict_*` makes it
    `<`), or one of `value_set`, or matching `regex`; `mostly` is the share of rows that
    must conform (Great Expectations); `text` describes a rule that is not a number."""

    min: float | None = None
    max: float | None = None
    unit: str | None = None
    strict_min: bool = False
    strict_max: bool = False
    value_set: tuple | None = None
    regex: str | None = None
    mostly: float | None = None
    text: str | None = None

    @classmethod
    def between(cls, low, high, unit: str | None = None) -> "Threshold":
        return cls(min=low, max=high, unit=unit)

    @classmethod
    def at_least(cls, low, unit: str | None = None) -> "Threshold":
        return cls(min=low, unit=unit)

    @classmethod
    def at_most(cls, high, unit: str | None = None) -> "Threshold":
        return cls(max=high, unit=unit)

    @classmethod
    def symmetric(cls, limit, unit: str | None = None) -> "Threshold":
        return cls(min=-limit, max=limit, unit=unit)

    @property
    def has_bounds(self) -> bool:
        return self.min is not None or self.max is not None

    def admits(self, value) -> bool:
        """Whether a number lies inside the bounds (None never does)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return False
        if self.min is not None and (value < self.min or (self.strict_min and value == self.min)):
            return False
        if self.max is not None and (value > self.max or (self.strict_max and value == self.max)):
            return False
        if self.value_set is not None and value not in self.value_set:
            return False
        return True

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"min": self.min, "max": self.max, "unit": self.unit}
        for key in ("strict_min", "strict_max"):
            if getattr(self, key):
                out[key] = True
        for key in ("value_set", "regex", "mostly", "text"):
            value = getattr(self, key)
            if value is not None:
                out[key] = list(value) if key == "value_set" else value
        return out

    @classmethod
    def from_dict(cls, value) -> "Threshold | None":
        """This shape, or any shape stored before it: Great Expectations kwargs
        (`min_value`...), the built-in judgement's (`max_abs_drift_pct`, `min_match_pct`),
        health's `{"max": n}`, `{"differing_hours": 0}`, a rule's bare 0 (at most 0), a text.
        Another bare number says nothing of its direction: it is kept as text."""
        if value is None or isinstance(value, Threshold):
            return value
        if isinstance(value, bool):
            return cls(value_set=(value,))
        if isinstance(value, (int, float)):
            return cls(max=value) if value == 0 else cls(text=number(value))
        if isinstance(value, str):
            return cls(text=value)
        if not isinstance(value, dict):
            return cls(text=json.dumps(value, sort_keys=True, default=str))
        if {"min", "max", "unit"} <= set(value):
            return cls(min=value["min"], max=value["max"], unit=value["unit"],
                       strict_min=bool(value.get("strict_min")), strict_max=bool(value.get("strict_max")),
                       value_set=_tuple(value.get("value_set")), regex=value.get("regex"),
                       mostly=value.get("mostly"), text=value.get("text"))
        return _legacy(cls, value)

    def describe(self) -> str:
        """`±1 %`, `≥ 99.9 %`, `≤ 0 messages`, `in [false]`, `matches ^[0-9]{6}$`."""
        parts = []
        if self.has_bounds:
            parts.append(self._bounds())
        if self.value_set is not None and not self.text:  # a text is the set in a person's words
            parts.append("in " + json.dumps(list(self.value_set), default=str))
        if self.regex is not None:
            parts.append(f"matches {self.regex}")
        if self.text:
            parts.append(self.text)
        if self.mostly is not None and self.mostly < 1:
            parts.append(f"for at least {number(self.mostly * 100)} % of rows")
        return ", ".join(parts) if parts else "none"

    def _bounds(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        low, high = self.min, self.max
        if low is not None and high is not None:
            if low == -high and not self.strict_min and not self.strict_max:
                return f"±{number(high)}{unit}"
            return f"{signed_number(low) if low < 0 else number(low)}{unit} to {number(high)}{unit}"
        if low is not None:
            return f"{'>' if self.strict_min else '≥'} {number(low)}{unit}"
        return f"{'<' if self.strict_max else '≤'} {number(high)}{unit}"

    def __str__(self) -> str:
        return self.describe()



def signed_number(value) -> str:
    return number(value) if value < 0 else f"+{number(value)}"


def _tuple(value):
    return tuple(value) if isinstance(value, (list, tuple)) else None


_GX_KEYS = {"min_value", "max_value", "mostly", "value_set", "regex", "strict_min", "strict_max"}


def _legacy(cls, value: dict) -> Threshold:
    if set(value) & _GX_KEYS:
        return cls(min=value.get("min_value"), max=value.get("max_value"), unit=value.get("unit"),
                   strict_min=bool(value.get("strict_min")), strict_max=bool(value.get("strict_max")),
                   value_set=_tuple(value.get("value_set")), regex=value.get("regex"), mostly=value.get("mostly"))
    if "max_abs_drift_pct" in value:
        return cls.symmetric(value["max_abs_drift_pct"], "%")
    if "min_match_pct" in value:
        return cls.at_least(value["min_match_pct"], "%")
    if set(value) == {"truncated"}:
        return cls(value_set=(value["truncated"],))
    if set(value) == {"max"}:
        return cls.at_most(value["max"])
    if set(value) == {"min"}:
        return cls.at_least(value["min"])
    if len(value) == 1:
        (name, limit), = value.items()
        if isinstance(limit, (int, float)) and not isinstance(limit, bool):
            return cls.at_most(limit, name.replace("_", " "))
    return cls(text=", ".join(f"{k} {v}" for k, v in value.items()))


# what a value set means on an evidence column, said as a person says it (not "in [false]")
VALUE_SET_WORDS = {("truncated", (False,)): "complete (not cut short)"}


def value_set_words(column: str | None, value_set) -> str | None:
    """The words of an expectation's value set on an evidence column: `truncated` in [false]
    is "complete (not cut short)"."""
    if column is None or value_set is None:
        return None
    return VALUE_SET_WORDS.get((column, tuple(value_set)))


def unit_of_column(column: str | None) -> str | None:
    """The unit of an evidence column, from its name: `drift_pct` is in %."""
    return "%" if column and column.endswith("_pct") else None
