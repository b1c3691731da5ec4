"""The outbox table: messages written in the transaction of the run that caused them and
delivered later, in id order. A message key makes every message unique: writing the same
key twice keeps the first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select, update

from reconciler.store.schema import notify_outbox

PENDING, SENT, FOLDED, DRY_RUN, SKIPPED, FAILED = "pending", "sent", "folded", "dry_run", "skipped", "failed"


def enqueue(conn: Connection, key: str, kind: str, facts: dict, *, now: datetime, run_id: int | None = None,
            alert_id: int | None = None, parent_key: str | None = None) -> None:
    from reconciler.store.ledger import insert_ignoring_duplicates

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
