"""The booking schema of DESIGN.md ("Bookings") and demo data for both systems.

`load_demo_bookings` writes a realistic old and new system: a few properties with
back-to-back and gapped stays around `today`, their status history, access codes and
notifications, then plants violations of every rule in `checks/bookings/` -- some in
both systems (inherited from the old one) and some only in the new one (migration
regressions) -- plus the differences the completeness check must find. It returns
what it planted so tests and the demo can assert exact numbers.

SQLite has no timestamp type: SQLAlchemy stores '2026-03-10 00:00:00.000000', which
sorts after the DATE text '2026-03-10'. Access-code validity bounds are therefore
stored as the bare date when they fall exactly on midnight, so the rules' plain
`valid_from <= check_in` stays correct on SQLite as on PostgreSQL and MariaDB.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Column, Date, DateTime, Index, Integer, MetaData, String, Table
from sqlalchemy.types import TypeDecorator

TABLES = ("bookings", "booking_status_history", "access_codes", "devices", "notifications")
DAY = timedelta(days=1)


class UtcTimestamp(TypeDecorator):
    """A naive UTC timestamp that compares correctly with DATE columns on SQLite too."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        from reconciler.dialects import dialect_of

        return dialect.type_descriptor(dialect_of(dialect).utc_timestamp_type())


metadata = MetaData()

bookings = Table(
    "bookings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("property_id", Integer, nullable=False),
    Column("guest_id", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("check_in", Date, nullable=False),
    Column("check_out", Date, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_bookings_property_stay", "property_id", "check_in"),
)
booking_status_history = Table(
    "booking_status_history", metadata,
    Column("booking_id", Integer, nullable=False, index=True),
    Column("from_status", String(20)),
    Column("to_status", String(20), nullable=False),
    Column("changed_at", DateTime, nullable=False),
)
access_codes = Table(
    "access_codes", metadata,
    Column("booking_id", Integer, nullable=False, index=True),
    Column("device_id", Integer, nullable=False),
    Column("code", String(16), nullable=False),
    Column("valid_from", UtcTimestamp, nullable=False),
    Column("valid_to", UtcTimestamp, nullable=False),
    Column("status", String(20), nullable=False),
)
devices = Table(
    "devices", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("property_id", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
)
notifications = Table(
    "notifications", metadata,
    Column("booking_id", Integer, nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("sent_at", DateTime),
)


def create_booking_schema(conn) -> None:
    """Create the five booking tables (drops nothing; existing tables are kept)."""
    metadata.create_all(conn)


def clear_bookings(conn) -> None:
    for name in TABLES:
        conn.execute(metadata.tables[name].delete())


def write_rows(conn, rows: dict[str, list[dict]]) -> None:
    """Insert {table name: [row, ...]} with one executemany per table."""
    for name in TABLES:
        if rows.get(name):
            conn.execute(metadata.tables[name].insert(), rows[name])


@dataclass(frozen=True)
class Stay:
    id: int
    property_id: int
    guest_id: int
    status: str
    check_in: date
    check_out: date


def lock_id(property_id: int) -> int:
    return property_id * 10 + 1


def device_rows(property_ids) -> list[dict]:
    out = []
    for p in property_ids:
        out.append({"id": lock_id(p), "property_id": p, "kind": "lock"})
        out.append({"id": p * 10 + 2, "property_id": p, "kind": "sensor"})
    return out


def at(day: date, hour: int = 0) -> datetime:
    return datetime.combine(day, time(hour))


def _history(stay: Stay, created: datetime) -> list[dict]:
    path = {"pending": ["pending"], "confirmed": ["pending", "confirmed"],
            "in-progress": ["pending", "confirmed", "in-progress"],
            "completed": ["pending", "confirmed", "in-progress", "completed"],
            "cancelled": ["pending", "confirmed", "cancelled"]}[stay.status]
    moments = {"pending": created, "confirmed": created + timedelta(hours=1),
               "in-progress": at(stay.check_in, 15), "completed": at(stay.check_out, 11),
               "cancelled": created + timedelta(days=2)}
    steps, previous = [], None
    for status in path:
        steps.append({"booking_id": stay.id, "from_status": previous, "to_status": status,
                      "changed_at": moments[status]})
        previous = status
    return steps


def stay_rows(stay: Stay, today: date) -> dict[str, list[dict]]:
    """A consistent booking: history ending in its status, and -- once confirmed -- an
    access code covering exactly check-in to check-out and a sent confirmation."""
    created = min(at(stay.check_in - 20 * DAY, 10), at(today - 3 * DAY, 10))
    history = _history(stay, created)
    rows = {"bookings": [{"id": stay.id, "property_id": stay.property_id, "guest_id": stay.guest_id,
                          "status": stay.status, "check_in": stay.check_in, "check_out": stay.check_out,
                          "created_at": created, "updated_at": history[-1]["changed_at"]}],
            "booking_status_history": history, "access_codes": [], "notifications": []}
    if stay.status == "pending":
        return rows
    confirmed = created + timedelta(hours=1)
    code_status = {"completed": "expired", "cancelled": "revoked"}.get(stay.status, "active")
    rows["access_codes"].append({"booking_id": stay.id, "device_id": lock_id(stay.property_id),
                                 "code": f"{stay.id * 7919 % 1000000:06d}",
                                 "valid_from": at(stay.check_in), "valid_to": at(stay.check_out),
                                 "status": code_status})
    rows["notifications"] += [
        {"booking_id": stay.id, "kind": "confirmation", "status": "sent", "sent_at": confirmed},
        {"booking_id": stay.id, "kind": "access_code", "status": "sent", "sent_at": confirmed},
    ]
    return rows


def merge_rows(*parts: dict[str, list[dict]]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {name: [] for name in TABLES}
    for part in parts:
        for name, rows in part.items():
            out[name].extend(rows)
    return out



BASE_PROPERTIES = range(1, 7)
PLANT_PROPERTIES = range(7, 13)


def base_stays(today: date) -> list[Stay]:
    """Consecutive stays per property from ~10 weeks ago to ~6 weeks ahead, some
    back-to-back, a few cancelled or still pending; statuses follow the dates."""
    stays, next_id = [], 1
    for p in BASE_PROPERTIES:
        start, i = today - (70 - 3 * p) * DAY, 0
        while start < today + 45 * DAY:
            end = start + (2 + (i * p + p) % 5) * DAY
            stays.append(Stay(next_id, p, 5000 + next_id * 37 % 400, _status(next_id, start, end, today),
                              start, end))
            start, i, next_id = end + ((i + p) % 3) * DAY, i + 1, next_id + 1
    return stays


def _status(booking_id: int, check_in: date, check_out: date, today: date) -> str:
    if booking_id % 11 == 0:
        return "cancelled"
    if check_out < today:
        return "completed"
    if check_in < today:
        return "in-progress"
    return "pending" if booking_id % 5 == 0 else "confirmed"


def _vary_codes(rows: dict[str, list[dict]]) -> None:
    for code in rows["access_codes"]:
        if code["booking_id"] % 2:
            code["valid_from"] -= timedelta(hours=10)
            code["valid_to"] += timedelta(hours=12)


def _only(rows: dict[str, list[dict]], keep) -> dict[str, list[dict]]:
    out = {}
    for name, table_rows in rows.items():
        key = "id" if name == "bookings" else "booking_id"
        out[name] = [r for r in table_rows if name == "devices" or keep(r[key])]
    return out


def find_rows(rows: dict, table: str, booking_id: int, **match) -> list[dict]:
    key = "id" if table == "bookings" else "booking_id"
    return [r for r in rows[table] if r[key] == booking_id and all(r[k] == v for k, v in match.items())]


def remove_rows(rows: dict, table: str, booking_id: int, **match) -> None:
    doomed = {id(r) for r in find_rows(rows, table, booking_id, **match)}
    rows[table] = [r for r in rows[table] if id(r) not in doomed]


def _inherited_plants(today: date) -> tuple[dict, dict]:
    """Violations present in the old system and migrated as they were."""
    s, t = Stay, (lambda n: today + n * DAY)
    stays = [s(201, 7, 6001, "confirmed", t(10), t(14)), s(202, 7, 6001, "confirmed", t(10), t(14)),
             s(203, 8, 6002, "in-progress", t(-2), t(3)), s(204, 8, 6003, "confirmed", t(1), t(5)),
             s(205, 9, 6004, "confirmed", t(5), t(8)), s(206, 9, 6005, "confirmed", t(12), t(15)),
             s(207, 10, 6006, "in-progress", t(-1), t(2)), s(208, 10, 6007, "completed", t(-20), t(-16)),
             s(209, 11, 6008, "in-progress", t(-6), t(-2))]
    rows = merge_rows(*(stay_rows(x, today) for x in stays))
    remove_rows(rows, "access_codes", 205)
    remove_rows(rows, "notifications", 205, kind="access_code")
    find_rows(rows, "access_codes", 206)[0]["device_id"] = lock_id(1)
    find_rows(rows, "notifications", 207, kind="confirmation")[0]["status"] = "failed"
    remove_rows(rows, "booking_status_history", 208)
    rows["booking_status_history"] += [
        {"booking_id": 208, "from_status": None, "to_status": "pending", "changed_at": at(t(-40), 10)},
        {"booking_id": 208, "from_status": "pending", "to_status": "completed", "changed_at": at(t(-16), 11)}]
    planted = {"no_duplicate_bookings": [202], "no_overlapping_bookings": [201, 203],
               "access_code_valid": [205, 206], "notifications_sent": [207],
               "valid_status_transitions": [208], "status_matches_dates": [209]}
    return rows, planted


def _regression_plants(today: date) -> tuple[dict, dict, dict]:
    """Bookings whose new-system copy breaks a rule the old one kept."""
    t = lambda n: today + n * DAY  # noqa: E731
    old = [Stay(210, 12, 6010, "cancelled", t(3), t(7)), Stay(216, 9, 6016, "in-progress", t(-1), t(3))]
    both = [Stay(211, 12, 6011, "confirmed", t(4), t(8)), Stay(212, 11, 6012, "confirmed", t(9), t(12)),
            Stay(213, 7, 6013, "in-progress", t(-1), t(4)), Stay(214, 8, 6014, "confirmed", t(20), t(23)),
            Stay(215, 12, 6015, "in-progress", t(-3), t(1))]
    old_rows = merge_rows(*(stay_rows(x, today) for x in old + both))
    new_rows = merge_rows(stay_rows(Stay(210, 12, 6010, "confirmed", t(3), t(7)), today),
                          copy.deepcopy(_only(old_rows, lambda b: b != 210)))
    code = find_rows(new_rows, "access_codes", 212)[0]
    code["valid_from"] -= timedelta(hours=2)
    code["valid_to"] -= timedelta(hours=2)
    find_rows(new_rows, "access_codes", 213)[0]["status"] = "expired"
    remove_rows(new_rows, "notifications", 214, kind="confirmation")
    remove_rows(new_rows, "booking_status_history", 215, to_status="in-progress")
    find_rows(new_rows, "bookings", 216)[0].update(status="completed", updated_at=at(today, 9))
    find_rows(new_rows, "access_codes", 216)[0]["status"] = "expired"
    new_rows["booking_status_history"].append(
        {"booking_id": 216, "from_status": "in-progress", "to_status": "completed", "changed_at": at(today, 9)})
    planted = {"no_overlapping_bookings": [210], "access_code_valid": [212, 213],
               "notifications_sent": [214], "valid_status_transitions": [215],
               "status_matches_dates": [216]}
    return old_rows, new_rows, planted


def _pick(stays: list[Stay], today: date, status: str, skip: int = 0) -> Stay:
    return [x for x in stays if x.status == status and x.check_in > today + 5 * DAY][skip]


def _demo_rows(today: date) -> tuple[dict, dict, dict]:
    stays = base_stays(today)
    base = merge_rows(*(stay_rows(x, today) for x in stays))
    _vary_codes(base)
    inherited, inherited_ids = _inherited_plants(today)
    regress_old, regress_new, new_ids = _regression_plants(today)
    doubled, missing = _pick(stays, today, "confirmed"), [_pick(stays, today, "confirmed", 1),
                                                         _pick(stays, today, "pending")]
    changed = _pick(stays, today, "confirmed", 2)
    past = [x.id for x in stays if x.check_out < today - 30 * DAY]
    gone = set(past) | {x.id for x in missing}
    devices = {"devices": device_rows([*BASE_PROPERTIES, *PLANT_PROPERTIES])}
    old = merge_rows(devices, base, inherited, regress_old)
    copied = stay_rows(Stay(901, doubled.property_id, doubled.guest_id, doubled.status,
                            doubled.check_in, doubled.check_out), today)
    migrated = _only(merge_rows(base, inherited), lambda b: b not in gone)
    new = copy.deepcopy(merge_rows(devices, migrated, regress_new, copied))
    find_rows(new, "bookings", changed.id)[0]["guest_id"] += 1
    new_ids = {**new_ids, "no_duplicate_bookings": [901],
               "no_overlapping_bookings": sorted([doubled.id, *new_ids["no_overlapping_bookings"]])}
    planted = {"rules": {rule: {"new": sorted(new_ids.get(rule, [])), "inherited": sorted(ids)}
                         for rule, ids in inherited_ids.items()},
               "completeness": {"missing_in_new": sorted(x.id for x in missing),
                                "changed_in_new": sorted([changed.id, 210, 216]),
                                "extra_in_new": [901], "past_not_migrated": sorted(past)}}
    return old, new, planted


def load_demo_bookings(old_conn, new_conn, today: date) -> dict:
    """Replace the booking tables of both sides with the demo data; return what was planted:
    {"rules": {rule: {"new": [booking_id, ...], "inherited": [...]}},
     "completeness": {"missing_in_new": [...], "changed_in_new": [...], "extra_in_new": [...],
                      "past_not_migrated": [...]}}
    where the ids are the `booking_id` column of the rule's violating rows in the new system."""
    old, new, planted = _demo_rows(today)
    for conn, rows in ((old_conn, old), (new_conn, new)):
        create_booking_schema(conn)
        clear_bookings(conn)
        write_rows(conn, rows)
    return planted
