"""Python-side normalization: raw driver values -> values compared exactly. This decides
the verdict; the SQL checksum only decides where to look."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timezone
from decimal import Decimal

from reconciler.compare.rowdiff.columns import BOOL, DATE, DECIMAL, FLOAT, INT, JSON, TIMESTAMP, ColumnSpec
from reconciler.config.models import PRECISION_US
from reconciler.sources.timeaxis import TimeAxis

UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BOOL_WORDS = {"true": 1, "false": 0, "t": 1, "f": 0}


def epoch_us(value, axis: TimeAxis | None) -> int | None:
    """A timestamp read from a side as integer microseconds since the epoch (UTC)."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return round(value * 1_000_000)
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        zone = axis.zone if axis is not None else UTC
        value = value.replace(tzinfo=zone)
    delta = value.astimezone(UTC) - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def value_of(raw, spec: ColumnSpec, axis: TimeAxis | None, precision: str):
    """The comparable value of one raw cell."""
    if raw is None:
        return None
    ctype = spec.ctype
    if ctype == TIMESTAMP:
        return epoch_us(raw, axis)
    if ctype == DATE:
        return raw.isoformat()[:10] if isinstance(raw, (date, datetime)) else str(raw)[:10]
    if ctype in (INT, BOOL):
        number = _number(raw)
        # a truth value: any non-zero number is true (a legacy TINYINT(1) holding 2, or 0.5),
        # as the checksum's bool_text says
        return int(number != 0) if ctype == BOOL else int(number)
    if ctype in (FLOAT, DECIMAL):
        return float(raw) if not isinstance(raw, str) else float(Decimal(raw.strip()))
    if isinstance(raw, (bytes, bytearray, memoryview)):
        raw = bytes(raw).decode("utf-8", "replace")
    if ctype == JSON or isinstance(raw, (dict, list)):
        return json_text(raw)
    text = str(raw)
    if spec.is_uuid:  # the canonical spelling, as uuid::text writes it (the checksum lowercases too)
        text = text.lower()
    if spec.settings.trim:
        text = text.strip()
    if spec.settings.casefold:
        text = text.casefold()
    return text


def _number(raw):
    """An integer or boolean cell as a number: BIT(n) bytes, 't'/'false' words, numeric text."""
    if isinstance(raw, (bytes, bytearray, memoryview)):  # MySQL/MariaDB BIT(n)
        return int.from_bytes(bytes(raw), "big")
    if isinstance(raw, str):
        raw = raw.strip()
        word = _BOOL_WORDS.get(raw.lower())  # not .get(..., int(Decimal(raw))): eager, fails on 't'
        return word if word is not None else Decimal(raw)
    return raw


def json_text(raw) -> str:
    """One spelling of a JSON document: keys sorted, no spaces, 1.0 written as 1. Text that is
    not JSON stays as it is (and differs from any document)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return raw
    return json.dumps(_plain(raw), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def key_of(raw_values, specs: list[ColumnSpec], axis: TimeAxis | None, precision: str) -> tuple:
    """Normalized key: timestamps floored to the precision so both engines agree."""
    unit = PRECISION_US[precision]
    out = []
    for raw, spec in zip(raw_values, specs):
        v = value_of(raw, spec, axis, precision)
        if spec.ctype == TIMESTAMP and v is not None:
            v = v // unit
        elif spec.ctype in (FLOAT, DECIMAL) and v is not None and float(v).is_integer():
            v = int(v)
        out.append(v)
    return tuple(out)


def equal(a, b, spec: ColumnSpec, precision: str) -> bool:
    """Exact comparison with the column's tolerance. NULL equals only NULL."""
    if a is None or b is None:
        return a is None and b is None
    if spec.ctype == TIMESTAMP:
        unit = PRECISION_US[precision]
        tol = round(spec.settings.tolerance * 1_000_000) if spec.settings.tolerance else 0
        return abs(a - b) < unit or abs(a - b) <= tol
    if spec.ctype in (FLOAT, DECIMAL):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        if a == b:
            return True
        diff = abs(a - b)
        if spec.settings.tolerance is not None and diff <= spec.settings.tolerance * (1 + 1e-9):
            return True
        rel = spec.settings.relative_tolerance
        return rel is not None and diff <= rel * max(abs(a), abs(b))
    return a == b


def display(raw, spec: ColumnSpec, axis: TimeAxis | None):
    """A JSON-friendly rendering of a raw value for samples (timestamps in UTC ISO)."""
    if raw is None:
        return None
    if spec.ctype == TIMESTAMP:
        from reconciler.timeutil import iso

        us = epoch_us(raw, axis)
        return iso(datetime.fromtimestamp(us // 1_000_000, UTC).replace(microsecond=us % 1_000_000))
    if isinstance(raw, Decimal):
        return float(raw)
    if isinstance(raw, (datetime, date)):
        return raw.isoformat()
    if isinstance(raw, (bytes, bytearray, memoryview)):
        return bytes(raw).decode("utf-8", "replace")
    return raw
