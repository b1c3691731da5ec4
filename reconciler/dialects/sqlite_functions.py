"""Python functions registered on SQLite connections (SQLite has no md5)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
import sqlite3


_EPOCH = datetime(1970, 1, 1)


class ClockedConnection(sqlite3.Connection):
    """A connection that can carry the start time of its running statement."""

    _reconciler_clock: dict | None = None


def row_hash60(text):
    if text is None:
        return None
    return int(hashlib.md5(text.encode("utf-8")).hexdigest()[:15], 16)


class HashSum:
    """sum() of 60-bit hashes without SQLite's 64-bit overflow; returns decimal text."""

    def __init__(self):
        self.total = 0

    def step(self, value):
        if value is not None:
            self.total += value

    def finalize(self):
        return str(self.total)


def epoch_us(text):
    """ISO text (naive = as written, or with an offset) as microseconds since the epoch."""
    if text is None:
        return None
    if isinstance(text, (int, float)):
        return round(text * 1_000_000)
    value = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    delta = value - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def real_text(value):
    """Shortest exact text of a double (SQLite's own cast keeps only 15 digits)."""
    if value is None:
        return None
    return repr(float(value))


def register_functions(conn) -> None:
    conn.create_function("rc_hash60", 1, row_hash60, deterministic=True)
    conn.create_function("rc_epoch_us", 1, epoch_us, deterministic=True)
    conn.create_function("rc_real", 1, real_text, deterministic=True)
    conn.create_aggregate("rc_hashsum", 1, HashSum)
