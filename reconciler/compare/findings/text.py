"""The words and numbers of findings: counts, shares, times of day, durations, values. Pure."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

from reconciler.formatting import GROUP as NBSP
from reconciler.formatting import count  # noqa: F401  (the findings modules import it from here)

UTC = timezone.utc
LABEL = {"missing_in_new": "missing", "extra_in_new": "extra", "mismatched": "changed"}
OTHER_SIDE = {"missing_in_new": "new", "extra_in_new": "old"}


def pct(share: float) -> str:
    """A share as people say it: 3 %, 40 %, 0.2 %, 0.04 %; never 0 % for a non-zero share."""
    value = share * 100
    if value == 0:
        return f"0{NBSP}%"
    if 99.5 <= value < 100:  # never rounded up to 100 % when something is left out
        return f"{math.floor(value * 10) / 10:g}{NBSP}%"
    digits = 0 if value >= 9.5 else max(0, 1 - math.floor(math.log10(value)))
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}{NBSP}%"


def clock(us: int) -> str:
    """Epoch microseconds as the UTC time of day to the second, 10:00:13."""
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)).strftime("%H:%M:%S")


def iso_us(us: int) -> str:
    t = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")


def duration(us: int) -> str:
    """10 min 49 s, 2 h 5 min, 1.5 s, 400 ms, 250 µs."""
    us = abs(int(us))
    if us < 1000:
        return f"{us}{NBSP}µs"
    if us < 1_000_000:
        return f"{_trim(us / 1000)}{NBSP}ms"
    if us < 60_000_000:
        return f"{_trim(us / 1_000_000)}{NBSP}s"
    seconds = round(us / 1_000_000)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [(hours, "h"), (minutes, "min"), (seconds, "s")]
    shown = [f"{v}{NBSP}{unit}" for v, unit in parts if v]
    return " ".join(shown[:2]) if hours else " ".join(shown)


def signed_duration(us: int) -> str:
    return ("+" if us >= 0 else "−") + duration(us)


def _trim(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def number(value) -> str:
    """A compared value in a sentence: floats at full precision, text quoted, NULL."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if not value.is_integer() or abs(value) >= 1e16 else str(int(value))
    if isinstance(value, int):
        return str(value)
    return repr(str(value))


def signed(value: float) -> str:
    return ("+" if value >= 0 else "−") + number(abs(value))
