"""Python functions registered on SQLite connections (SQLite has no md5)."""

from __future__ import annotations

import hashlib
import sqlite3


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


def register_functions(conn) -> None:
    conn.create_function("rc_hash60", 1, row_hash60, deterministic=True)
    conn.create_aggregate("rc_hashsum", 1, HashSum)
