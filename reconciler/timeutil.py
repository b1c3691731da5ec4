"""UTC windows and the parsing of user-given times. Pure functions, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

UTC = timezone.utc
HOUR = timedelta(hours=1)

_RELATIVE = re.compile(
    r"^\s*now\s*(?:(?P<sign>[-+])\s*(?P<n>\d+)\s*(?P<unit>[smhdw]))?\s*$"
    r"|^\s*(?P<n2>\d+)\s*(?P<unit2>[smhdw])[ -]?ago\s*$",
    re.IGNORECASE,
)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
# the times a user may give: far enough from datetime's own limits (years 1 and 9999) that
# adding hours, days or a time zone's offset to them cannot overflow
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, order=True)
class Window:
    """A half-open interval [start, end) of aware UTC datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self):
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("Window bounds must be timezone-aware")
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "end", self.end.astimezone(UTC))
        if self.end <= self.start:
            raise ValueError(f"window end {iso(self.end)} is not after its start {iso(self.start)}")

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    def hours(self) -> list[datetime]:
        """Start of every UTC hour that intersects the window."""
        return hour_starts(self.start, self.end)

    def hour_windows(self) -> list["Window"]:
        """The window cut at hour boundaries (first and last piece may be partial)."""
        pieces = []
        for h in self.hours():
            pieces.append(Window(max(h, self.start), min(h + HOUR, self.end)))
        return pieces

    def to_dict(self) -> dict:
        return {"start": iso(self.start), "end": iso(self.end)}


def floor_hour(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def hour_starts(start: datetime, end: datetime) -> list[datetime]:
    out, h = [], floor_hour(start)
    while h < end:
        out.append(h)
        h += HOUR
    return out


def iso(t: datetime) -> str:
    """ISO 8601 in UTC with a Z; fractional seconds only when present."""
    t = t.astimezone(UTC)
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    if t.microsecond:
        text += f".{t.microsecond:06d}".rstrip("0")
    return text + "Z"


def parse_time(text: str, now: datetime) -> datetime:
    """ISO 8601 (naive means UTC), a date (midnight UTC), `now`, `now-24h`, `7d-ago`,
    `today`, `yesterday`, between EARLIEST and LATEST. `now` must be aware."""
    try:
        parsed = _parse_time(text, now)
    except OverflowError:
        parsed = None
    if parsed is None or not EARLIEST <= parsed < LATEST:
        raise ValueError(f"{text!r} is out of range: give a time from {EARLIEST.year} to {LATEST.year - 1}")
    return parsed


def _parse_time(text: str, now: datetime) -> datetime:
    raw = text.strip()
    lowered = raw.lower()
    if lowered in ("today", "yesterday"):
        midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight - timedelta(days=1 if lowered == "yesterday" else 0)
    m = _RELATIVE.match(raw)
    if m:
        if m.group("n2"):
            return now - timedelta(**{_UNITS[m.group("unit2").lower()]: int(m.group("n2"))})
        if not m.group("n"):
            return now
        delta = timedelta(**{_UNITS[m.group("unit").lower()]: int(m.group("n"))})
        return now - delta if m.group("sign") == "-" else now + delta
    candidate = raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(candidate), datetime.min.time())
        except ValueError:
            raise ValueError(
                f"cannot read {text!r} as a time: use ISO 8601 (2026-11-27T10:00Z), "
                "a date (2026-11-27), or a relative form (now-24h, 7d-ago, yesterday)"
            ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def previous_hour(now: datetime, settle: timedelta = timedelta(0)) -> Window:
    """The last full UTC hour that ended at least `settle` ago."""
    end = floor_hour((now - settle).astimezone(UTC))
    return Window(end - HOUR, end)
