"""How numbers and times are written wherever a person reads them: the terminal, the HTML
reports, Slack, the gate and the reasons. JSON keeps full precision and never comes here.

Numbers: digits in groups of three apart by a no-break space, "7 211", "144 040", as SI and
ISO 80000-1 recommend. A space reads the same in English (7,211) and in Spanish (7.211),
where a comma or a point would mean the opposite to one of the two teams; a no-break space
keeps a wrapped line from splitting a number. It is the full no-break space (U+00A0), not
the narrow one (U+202F): every terminal and Slack font has it, one column wide, and the
reasons already stored in report stores use it. Negative numbers take the minus sign (−).

Times: ISO 8601 in UTC to the second with a Z, "2026-12-02T10:52:32Z", the same text a
person can paste back into `--start`/`--end`. Pure functions, no I/O."""

from __future__ import annotations

from datetime import date, datetime, timezone

GROUP = "\u00a0"
MINUS = "\u2212"
NONE = "—"
UNDEFINED = "undefined"  # a measure with no value, e.g. the drift of an hour with no row in old
UTC = timezone.utc


# -- numbers -----------------------------------------------------------------------------------

def count(n) -> str:
    """An integer: 7 211, −40."""
    if n is None:
        return NONE
    return f"{int(n):,}".replace(",", GROUP).replace("-", MINUS)


def number(value, places: int | None = None) -> str:
    """An integer as a count; a float with `places` decimals (grouped), or as short as it
    reads (`:g`, no trailing zeros) when `places` is None: 2.5, 99.9, 10 000."""
    if value is None:
        return NONE
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if value != value:  # NaN (a pandas null): never "nan" to a person
        return UNDEFINED
    if places is None and float(value).is_integer() and abs(value) < 1e15:
        return count(value)
    if places is None:
        return f"{value:g}".replace("-", MINUS)
    return f"{value:,.{places}f}".replace(",", GROUP).replace("-", MINUS)


def trimmed(value, places: int = 3) -> str:
    """Up to `places` decimals without trailing zeros, never rounded up to a whole 100 (a
    match of 99.9996 % is not "100"): 99.889, 59.997, 100."""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    if text == "100" and value < 100:
        return "99." + "9" * places
    return text.replace("-", MINUS)


def signed(value, places: int = 2) -> str:
    """With its sign: +0.42, −1.39; 0.00 for zero (a rounded zero has no sign)."""
    if value is None:
        return NONE
    text = number(value, places)
    if text.lstrip(MINUS).strip("0.") == "":
        return text.lstrip(MINUS)
    return text if text.startswith(MINUS) else "+" + text


def percent(value, places: int = 2, *, sign: bool = False) -> str:
    """A percentage with its unit: "99.89 %", "+0.42 %" (a space before %, as the reasons write it)."""
    if value is None:
        return NONE
    return f"{signed(value, places) if sign else number(value, places)} %"


def seconds(value, places: int = 2) -> str:
    """A duration in seconds: "1.25 s"."""
    if value is None:
        return NONE
    return f"{number(value, places)}{GROUP}s"


# -- times -------------------------------------------------------------------------------------

def _parse(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # the store's naive times are UTC
    return value.astimezone(UTC)


def instant(value: datetime | str | None) -> str:
    """2026-12-02T10:52:32Z: ISO 8601, UTC, to the second (fractions are cut, never rounded
    up into the next second)."""
    if not value:
        return ""
    return _parse(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def span(start: datetime | str | None, end: datetime | str | None) -> str:
    """[start, end): 2026-12-02T10:00:00Z → 2026-12-02T11:00:00Z."""
    if not start or not end:
        return ""
    return f"{instant(start)} → {instant(end)}"


def part_of_hour(start: datetime | str, end: datetime | str) -> str:
    """The part of one hour a window covers, [start, end): 2026-12-02T10:15–10:45Z."""
    return f"{_parse(start).strftime('%Y-%m-%dT%H:%M')}–{_parse(end).strftime('%H:%M')}Z"


def day(value: datetime | date | str) -> str:
    """The UTC date: 2026-12-02."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.strftime("%Y-%m-%d")
    return instant(value)[:10]


def clock(value: datetime | str) -> str:
    """The UTC hour and minute alone (10:52), for a chart's axis ticks under a "UTC" title."""
    return instant(value)[11:16]
