"""Window claims: two replicas never judge the same job window at once.

PostgreSQL: the claim is a row lock (`SELECT ... FOR UPDATE SKIP LOCKED`) held by an open
transaction on a dedicated connection for as long as the window is being judged; if the
process dies the server drops the connection and the lock with it.
SQLite (one machine): the claim is a lease row written under BEGIN IMMEDIATE; a lease whose
holder process is gone, or whose time ran out, is taken over."""

from __future__ import annotations

import os
import socket
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Iterator

from sqlalchemy import Engine, delete, select

from reconciler.store.engine import writer
from reconciler.store.ledger import insert_ignoring_duplicates
from reconciler.store.schema import window_claims
from reconciler.timeutil import Window

UTC = timezone.utc
DEFAULT_LEASE = timedelta(hours=1)


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@contextmanager
def claim_window(engine: Engine, job: str, window: Window, *, owner: str | None = None,
                 lease: timedelta = DEFAULT_LEASE) -> Iterator[bool]:
    """Yields True while this caller holds the window, False if another holder has it."""
    holder = {"owner": owner or default_owner(), "host": socket.gethostname(), "pid": os.getpid()}
    key = {"job": job, "window_start": window.start}
    if engine.dialect.name == "postgresql":
        with _row_lock(engine, key, holder) as claimed:
            yield claimed
    else:
        with _lease(engine, key, holder, lease) as claimed:
            yield claimed


def _where(key: dict):
    return (window_claims.c.job == key["job"], window_claims.c.window_start == key["window_start"])


@contextmanager
def _row_lock(engine: Engine, key: dict, holder: dict) -> Iterator[bool]:
    # The locked row is never updated: an INSERT ... ON CONFLICT by another claimer would wait
    # for an uncommitted update of the row, where a mere lock lets it pass.
    with engine.connect() as conn:
        with conn.begin():
            if conn.execute(select(window_claims.c.job).where(*_where(key))).first() is None:
                insert_ignoring_duplicates(conn, window_claims, {**key, **holder}, ["job", "window_start"])
        with conn.begin():
            locked = conn.execute(select(window_claims.c.job).where(*_where(key))
                                  .with_for_update(skip_locked=True)).first()
            yield locked is not None


@contextmanager
def _lease(engine: Engine, key: dict, holder: dict, lease: timedelta) -> Iterator[bool]:
    now = datetime.now(UTC)
    with writer(engine).begin() as conn:
        current = conn.execute(select(window_claims).where(*_where(key))).first()
        taken = current is not None and current.owner is not None and _lease_alive(current, now)
        if not taken:
            conn.execute(delete(window_claims).where(*_where(key)))
            conn.execute(window_claims.insert().values(claimed_at=now, expires_at=now + lease, **key, **holder))
    if taken:
        yield False
        return
    try:
        yield True
    finally:
        with writer(engine).begin() as conn:
            conn.execute(delete(window_claims).where(*_where(key), window_claims.c.owner == holder["owner"]))


def _lease_alive(row, now: datetime) -> bool:
    if row.expires_at is not None and row.expires_at <= now:
        return False
    if row.host == socket.gethostname() and row.pid and not _process_alive(row.pid):
        return False
    return True


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
