"""Generated device-event scenarios with known faults: the demo, the tests and the
benchmark load the same data into any engine and know the exact expected numbers."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from reconciler.timeutil import HOUR, floor_hour

UTC = timezone.utc
EVENT_TYPES = ("temperature", "humidity", "door_open", "door_close", "battery", "motion")


@dataclass
class Scenario:
    old: list[dict]
    new: list[dict]
    start: datetime
    hours: int
    faults: dict = field(default_factory=dict)

    def counts(self, side: str) -> Counter:
        return Counter(floor_hour(e["time"]) for e in getattr(self, side))


def generate_events(start: datetime, hours: int, rate: float, seed: int = 7, first_id: int = 1) -> list[dict]:
    """Events at about `rate` per second with jittered times (millisecond precision)."""
    rng = random.Random(seed)
    events, next_id = [], first_id
    for h in range(hours):
        hour_start = start + h * HOUR
        n = max(1, int(rng.gauss(rate * 3600, (rate * 3600) ** 0.5)))
        offsets = sorted(rng.randrange(0, 3_600_000) for _ in range(n))
        for ms in offsets:
            kind = rng.choice(EVENT_TYPES)
            value = round(rng.uniform(-20, 80), 3) if kind in ("temperature", "humidity", "battery") else None
            events.append({"id": next_id, "device_id": f"dev-{rng.randrange(1, 400):04d}", "event_type": kind,
                           "value": value, "time": hour_start + timedelta(milliseconds=ms)})
            next_id += 1
    return events


def demo_scenario(start: datetime, hours: int = 24, rate: float = 2.0, seed: int = 7) -> Scenario:
    """Both sides equal except for faults a person would recognise:
    - hour `loss`: the new system lost 3 % of the events;
    - hour `new_only`: the old system recorded nothing (its outage), the new system did;
    - hour `late`: the last hour, where 40 % of the new system's events have not arrived yet;
    - hour `silent`: equal counts but 4 events missing and 4 extra (only rows can tell);
    - hour `changed`: 6 events with a changed value and 2 with a changed type."""
    rng = random.Random(seed + 1)
    events = generate_events(start, hours, rate, seed)
    by_hour: dict[int, list[dict]] = {}
    for e in events:
        by_hour.setdefault(int((e["time"] - start) / HOUR), []).append(e)
    loss, new_only, silent, changed, late = (min(x, hours - 1) for x in (14, 6, 9, 3, hours - 1))
    old = [dict(e) for e in events if int((e["time"] - start) / HOUR) != new_only]
    new_by_id = {e["id"]: dict(e) for e in events}
    faults: dict = {"loss": loss, "new_only": new_only, "late": late, "silent": silent, "changed": changed}
    lost = rng.sample(by_hour[loss], k=round(len(by_hour[loss]) * 0.03))
    late_missing = rng.sample(by_hour[late], k=round(len(by_hour[late]) * 0.4))
    silent_missing = rng.sample(by_hour[silent], k=4)
    for e in lost + late_missing + silent_missing:
        new_by_id.pop(e["id"], None)
    next_id = max(e["id"] for e in events) + 1
    extra = []
    for i in range(4):
        base = by_hour[silent][i * 7]
        extra.append({**base, "id": next_id + i, "time": base["time"] + timedelta(milliseconds=1)})
    changed_rows = [e for e in by_hour[changed] if e["value"] is not None][:6]
    changed_rows = [e for e in changed_rows if e["id"] in new_by_id]
    for e in changed_rows:
        new_by_id[e["id"]]["value"] = round(e["value"] + 1.5, 3)
    retyped = [e for e in by_hour[changed] if e["value"] is None and e["id"] in new_by_id][:2]
    for e in retyped:
        new_by_id[e["id"]]["event_type"] = "unknown"
    new = list(new_by_id.values()) + extra
    faults.update({
        "lost_ids": sorted(e["id"] for e in lost), "late_ids": sorted(e["id"] for e in late_missing),
        "silent_missing_ids": sorted(e["id"] for e in silent_missing), "extra_ids": [e["id"] for e in extra],
        "changed_value_ids": sorted(e["id"] for e in changed_rows),
        "changed_type_ids": sorted(e["id"] for e in retyped),
    })
    return Scenario(old=old, new=new, start=start, hours=hours, faults=faults)


LEGACY = {"id": "id", "device_id": "device", "event_type": "kind", "value": "reading", "time": "ts"}
REFERENCE = {"id": "event_id", "device_id": "device_id", "event_type": "event_type", "value": "value", "time": "time"}


def legacy_table(metadata: sa.MetaData, name: str = "legacy_events") -> sa.Table:
    """The old system's schema: other names, naive local timestamps (DATETIME(3))."""
    return sa.Table(
        name, metadata,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("device", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("reading", sa.Float(precision=53)),
        sa.Column("ts", sa.DateTime(timezone=False).with_variant(mysql.DATETIME(fsp=3), "mysql",
                                                                  "mariadb"), nullable=False, index=True),
    )


def reference_table(metadata: sa.MetaData, name: str = "device_events") -> sa.Table:
    """The new system's schema: reference names, timestamptz."""
    return sa.Table(
        name, metadata,
        sa.Column("event_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("device_id", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("value", sa.Float(precision=53)),
        sa.Column("time", sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql",
                                                                   "mariadb"), nullable=False, index=True),
    )


def to_rows(events: list[dict], names: dict, zone: str | None = None, as_text: bool = False) -> list[dict]:
    """Rows for a table: `zone` turns UTC times into naive wall-clock times there."""
    tz = ZoneInfo(zone) if zone else None
    out = []
    for e in events:
        t = e["time"]
        if tz is not None:
            t = t.astimezone(tz).replace(tzinfo=None)
        if as_text:
            t = t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo else t
            t = t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d}"
        out.append({names[k]: (t if k == "time" else v) for k, v in e.items()})
    return out


def load(engine: sa.Engine, table: sa.Table, rows: list[dict], chunk: int = 20000) -> None:
    table.metadata.create_all(engine, tables=[table])
    with engine.begin() as conn:
        conn.execute(table.delete())
        for i in range(0, len(rows), chunk):
            conn.execute(table.insert(), rows[i:i + chunk])
    analyze(engine, table.name)


def analyze(engine: sa.Engine, table: str) -> None:
    """Fresh planner statistics, as a production table has: without them PostgreSQL
    plans the diff's range queries as sequential scans."""
    from reconciler.dialects import dialect_of

    statement = dialect_of(engine).analyze_statement(engine.dialect.identifier_preparer.quote(table))
    if statement:
        with engine.begin() as conn:
            conn.exec_driver_sql(statement)
