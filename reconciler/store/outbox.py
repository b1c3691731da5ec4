"""The Slack outbox table: messages written in the transaction of the run that caused them and
delivered later, in id order. A message key makes every message unique: writing the same key
twice keeps the first. The functions take the caller's connection (the run's transaction);
`Outbox` is the same for a caller that holds only the store (the sender, the digest)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select, update

from reconciler.store.engine import store_errors, writer
from reconciler.store.ledger import insert_ignoring_duplicates
from reconciler.store.schema import notify_outbox

PENDING, SENT, FOLDED, DRY_RUN, SKIPPED, FAILED = "pending", "sent", "folded", "dry_run", "skipped", "failed"


def enqueue(conn: Connection, key: str, kind: str, facts: dict, *, now: datetime, run_id: int | None = None,
            alert_id: int | None = None, parent_key: str | None = None) -> None:
    insert_ignoring_duplicates(conn, notify_outbox, {
        "message_key": key, "kind": kind, "facts": facts, "status": PENDING, "attempts": 0, "created_at": now,
        "run_id": run_id, "alert_id": alert_id, "parent_key": parent_key}, ["message_key"])


def pending(conn: Connection, limit: int | None = None) -> list[dict]:
    query = select(notify_outbox).where(notify_outbox.c.status == PENDING).order_by(notify_outbox.c.id)
    if limit:
        query = query.limit(limit)
    return [dict(r._mapping) for r in conn.execute(query)]


def by_key(conn: Connection, key: str) -> dict | None:
    row = conn.execute(select(notify_outbox).where(notify_outbox.c.message_key == key)).first()
    return dict(row._mapping) if row is not None else None


def latest_of_alert(conn: Connection, alert_id: int, kinds) -> dict | None:
    """The newest message of one alert among `kinds`."""
    row = conn.execute(select(notify_outbox).where(notify_outbox.c.alert_id == alert_id,
                                                   notify_outbox.c.kind.in_(list(kinds)))
                       .order_by(notify_outbox.c.id.desc()).limit(1)).first()
    return dict(row._mapping) if row is not None else None


def first_of_kind(conn: Connection, kind: str) -> dict | None:
    row = conn.execute(select(notify_outbox).where(notify_outbox.c.kind == kind)
                       .order_by(notify_outbox.c.id).limit(1)).first()
    return dict(row._mapping) if row is not None else None


def mark(conn: Connection, message_id: int, **values) -> None:
    conn.execute(update(notify_outbox).where(notify_outbox.c.id == message_id).values(**values))


def count_pending(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(notify_outbox)
                        .where(notify_outbox.c.status == PENDING)).scalar_one()


def known_channel_id(conn: Connection) -> str | None:
    """The channel id Slack answered for the latest message sent by bot token."""
    return conn.execute(select(notify_outbox.c.channel).where(notify_outbox.c.status == SENT,
                                                                notify_outbox.c.channel.is_not(None))
                        .order_by(notify_outbox.c.id.desc()).limit(1)).scalar()


class Outbox:
    """The outbox of one report store, each call in its own transaction (`store.outbox`)."""

    def __init__(self, store):
        self.engine, self.display_url = store.engine, store.display_url

    @store_errors
    def enqueue(self, key: str, kind: str, facts: dict, *, now: datetime) -> None:
        with writer(self.engine).begin() as conn:
            enqueue(conn, key, kind, facts, now=now)

    @store_errors
    def pending(self, limit: int | None = None) -> list[dict]:
        with self.engine.connect() as conn:
            return pending(conn, limit)

    @store_errors
    def by_key(self, key: str) -> dict | None:
        with self.engine.connect() as conn:
            return by_key(conn, key)

    @store_errors
    def first_of_kind(self, kind: str) -> dict | None:
        with self.engine.connect() as conn:
            return first_of_kind(conn, kind)

    @store_errors
    def mark(self, message_id: int, **values) -> None:
        with writer(self.engine).begin() as conn:
            mark(conn, message_id, **values)

    @store_errors
    def depth(self) -> int:
        with self.engine.connect() as conn:
            return count_pending(conn)

    @store_errors
    def known_channel_id(self) -> str | None:
        with self.engine.connect() as conn:
            return known_channel_id(conn)
