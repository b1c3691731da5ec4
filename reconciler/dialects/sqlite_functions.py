"""Python functions registered on SQLite connections (SQLite has no md5)."""

from __future__ import annotations

import hashlib
import math
import sqlite3
from datetime import datetime, timezone
from decimal import Decimal

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
    """Shortest exact text of a double, spelled as PostgreSQL spells float8 (SQLite's own
    cast keeps only 15 digits): '100' not '100.0', '-0', '1e-07', '1e+15', 'NaN'.
    The same text as PostgreSQL means a SQLite side and a PostgreSQL side agree on the
    checksum of an unscaled float column."""
    if value is None:
        return None
    value = float(value)
    if value != value:
        return "NaN"
    if value in (math.inf, -math.inf):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    ds = "".join(map(str, digits))
    exp = exponent + len(ds) - 1  # decimal exponent of the first digit
    if -4 <= exp < 15:  # PostgreSQL's (and printf's) fixed-point range
        if exponent >= 0:
            body = ds + "0" * exponent
        elif exp >= 0:
            body = ds[:exp + 1] + "." + ds[exp + 1:]
        else:
            body = "0." + "0" * (-exp - 1) + ds
    else:
        body = ds[0] + ("." + ds[1:] if len(ds) > 1 else "") + ("e+" if exp >= 0 else "e-") + f"{abs(exp):02d}"
    return ("-" if sign else "") + body


def register_functions(conn) -> None:
    conn.create_function("rc_hash60", 1, row_hash60, deterministic=True)
    conn.create_function("rc_epoch_us", 1, epoch_us, deterministic=True)
    conn.create_function("rc_real", 1, real_text, deterministic=True)
    conn.create_aggregate("rc_hashsum", 1, HashSum)
