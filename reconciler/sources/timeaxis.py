"""How one side stores time, and the translation between that and UTC.

A side's time column holds either aware timestamps (PostgreSQL timestamptz), naive
wall-clock timestamps in the side's declared zone (DATETIME, timestamp, SQLite text), or
epoch numbers (SQLite). Window bounds are translated to the column's own representation
so the database compares the raw column with bound parameters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

UTC = timezone.utc
HOUR = timedelta(hours=1)
TICK = timedelta(microseconds=1)
AWARE, NAIVE, TEXT, EPOCH = "aware", "naive", "text", "epoch"


@dataclass(frozen=True)
class TimeAxis:
    kind: str
    zone: ZoneInfo
    text_sep: str = " "

    @classmethod
    def from_sample(cls, sample, zone_name: str) -> "TimeAxis":
        zone = ZoneInfo(zone_name)
        if isinstance(sample, datetime):
            return cls(AWARE if sample.tzinfo else NAIVE, zone)
        if isinstance(sample, (int, float)) and not isinstance(sample, bool):
            return cls(EPOCH, ZoneInfo("UTC"))
        if isinstance(sample, str):
            return cls(TEXT, zone, "T" if len(sample) > 10 and sample[10] == "T" else " ")
        return cls(NAIVE, zone)

    @property
    def is_utc(self) -> bool:
        return self.kind in (AWARE, EPOCH) or self.zone.key == "UTC"

    def wall(self, instant: datetime) -> datetime:
        """Naive wall-clock time in the side's zone for a UTC instant. Monotone: an instant in
        the second pass of a repeated (fall-back) hour maps to the end of that hour, so wall
        ranges of consecutive UTC windows never overlap; rows in a repeated hour belong to
        its first pass, as zoneinfo reads them. The instant of a spring-forward maps to the
        first wall time the clock skipped, so a value stored there belongs to the hour after
        the change, as zoneinfo reads it too."""
        local = instant.astimezone(self.zone)
        if local.fold == 0:
            before = (instant - TICK).astimezone(self.zone)
            if before.utcoffset() < local.utcoffset():
                # the first instant after a spring-forward: the wall times the clock skipped
                # belong after it, read with the offset before it, as zoneinfo reads them
                return (before + TICK).replace(tzinfo=None)
            return local.replace(tzinfo=None)
        probe = instant.replace(second=0, microsecond=0)
        while probe.astimezone(self.zone).fold == 1:
            probe += timedelta(minutes=1)
        return probe.astimezone(self.zone).replace(tzinfo=None)

    def bound(self, instant: datetime):
        """Parameter value comparing correctly with the raw column for a UTC instant."""
        if self.kind == AWARE:
            return instant.astimezone(UTC)
        if self.kind == EPOCH:
            return instant.timestamp()
        return self.wall_bound(self.wall(instant))

    def wall_bound(self, wall: datetime):
        """Parameter value comparing correctly with the raw naive column for a wall time."""
        return text_bound(wall, self.text_sep) if self.kind == TEXT else wall

    def to_utc(self, value: datetime) -> datetime:
        """A value read from the database (naive = wall clock in this zone) as aware UTC."""
        if value.tzinfo is not None:
            return value.astimezone(UTC)
        return value.replace(tzinfo=self.zone).astimezone(UTC)

    def repeated_hours(self, start: datetime, end: datetime) -> list[datetime]:
        """The fall-backs of a naive wall clock touching [start, end): each is the UTC
        instant its one-hour wall clock starts over, on the hour, so that the UTC hours
        just before and after it hold the same wall-clock times. A naive value there cannot
        say which pass it belongs to. Fall-backs of another length or off the hour (Lord
        Howe's 30 minutes) are not listed: their passes do not fill whole UTC hours."""
        if self.is_utc:
            return []
        out, t = [], start.replace(minute=0, second=0, microsecond=0) - HOUR
        while t <= end:
            if _offset_at(t - timedelta(microseconds=1), self.zone) - _offset_at(t, self.zone) == HOUR:
                out.append(t)
            t += HOUR
        return [cut for cut in out if cut - HOUR < end and cut + HOUR > start]

    def two_instants(self, value) -> tuple[datetime, datetime] | None:
        """The two UTC instants a naive wall-clock value names when a fall-back repeats it
        (first pass, second pass), or None where it names one."""
        if self.kind not in (NAIVE, TEXT) or self.zone.key == "UTC" or value is None:
            return None
        wall = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).strip())
        first = wall.replace(tzinfo=self.zone, fold=0)
        second = wall.replace(tzinfo=self.zone, fold=1)
        if first.utcoffset() <= second.utcoffset():
            return None
        return first.astimezone(UTC), second.astimezone(UTC)

    def bucket_seconds(self, start: datetime, end: datetime) -> int:
        """Hour buckets unless the zone has a non-whole-hour offset in the window."""
        if self.is_utc:
            return 3600
        t = start.replace(minute=0, second=0, microsecond=0)
        while t <= end:
            if self.zone.utcoffset(t.astimezone(self.zone).replace(tzinfo=None)).total_seconds() % 3600:
                return 900
            t += timedelta(hours=1)
        return 3600


def _offset_at(instant: datetime, zone: ZoneInfo) -> timedelta:
    return instant.astimezone(zone).utcoffset()


def text_bound(wall: datetime, sep: str = " ") -> str:
    """The shortest ISO text of a wall time. Compared as text, '2026-01-01 10:00:00' sorts
    before '2026-01-01 10:00:00.000' and after '2026-01-01 09:59:59.999', whatever number of
    fractional digits the stored values carry."""
    if wall.hour == wall.minute == wall.second == wall.microsecond == 0:
        return wall.strftime("%Y-%m-%d")  # also right against DATE text '2026-03-10'
    text = wall.strftime(f"%Y-%m-%d{sep}%H:%M:%S")
    if wall.microsecond:
        text += f".{wall.microsecond:06d}".rstrip("0")
    return text
