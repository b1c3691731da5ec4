"""The Slack alerts table: one row per alert, open from its first failure until its check
passes again. notify/lifecycle.py decides what happens to an alert; these functions only
read and write its row, inside the caller's transaction. `Alerts` is the same for a caller
that holds only the store (the sender, the digest)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Connection, insert, or_, select, text, update

from reconciler.store.engine import store_errors, writer
from reconciler.store.schema import notify_alerts

OPEN, RESOLVED = "open", "resolved"


def lock_job(conn: Connection, job: str) -> None:
    """Replicas storing runs of one job decide its alerts one at a time (PostgreSQL; SQLite
    transactions that write are serial already)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                     {"key": int(hashlib.sha1(f"notify:{job}".encode()).hexdigest()[:15], 16)})


def open_alert(conn: Connection, fingerprint: str) -> dict | None:
    row = conn.execute(select(notify_alerts).where(notify_alerts.c.fingerprint == fingerprint,
                                                   notify_alerts.c.state == OPEN)
                       .order_by(notify_alerts.c.id.desc()).limit(1)).first()
    return dict(row._mapping) if row is not None else None


def insert_alert(conn: Connection, **values) -> dict:
    """A new open alert; its top message's key is `alert:ID`. Returns the row."""
    alert_id = conn.execute(insert(notify_alerts).values(state=OPEN, top_key="", **values)
                            .returning(notify_alerts.c.id)).scalar_one()
    update_alert(conn, alert_id, top_key=f"alert:{alert_id}")
    return get(conn, alert_id)


def update_alert(conn: Connection, alert_id: int, **values) -> None:
    conn.execute(update(notify_alerts).where(notify_alerts.c.id == alert_id).values(**values))


def get(conn: Connection, alert_id: int) -> dict | None:
    row = conn.execute(select(notify_alerts).where(notify_alerts.c.id == alert_id)).first()
    return dict(row._mapping) if row is not None else None


def touching(conn: Connection, start: datetime, end: datetime) -> list[dict]:
    """Alerts open now, and the resolved ones that may have failed or recovered in the judged
    hours [start, end): their first judged hour before `end`, resolved at or after `start`
    (a recovery is judged before it is stored). The caller picks by judged hour; the wall
    clock is not the period's when a past period is replayed. Oldest first."""
    began = or_(notify_alerts.c.first_hour < end, notify_alerts.c.first_hour.is_(None))
    query = select(notify_alerts).where(or_(
        notify_alerts.c.state == OPEN, began & (notify_alerts.c.resolved_at >= start))).order_by(notify_alerts.c.id)
    return [dict(r._mapping) for r in conn.execute(query)]


class Alerts:
    """The alerts of one report store, each call in its own transaction (`store.alerts`)."""

    def __init__(self, store):
        self.engine, self.display_url = store.engine, store.display_url

    @store_errors
    def get(self, alert_id: int) -> dict | None:
        with self.engine.connect() as conn:
            return get(conn, alert_id)

    @store_errors
    def mark_reminded(self, alert_id: int, at: datetime) -> None:
        with writer(self.engine).begin() as conn:
            update_alert(conn, alert_id, reminded_at=at)

    @store_errors
    def touching(self, start: datetime, end: datetime) -> list[dict]:
        with self.engine.connect() as conn:
            return touching(conn, start, end)
