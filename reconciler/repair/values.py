"""An old row's values as the new side stores them: its types, its time zone, its way of
writing time. Pure: raw driver values and the sides' time axes in, Python values out, each
with the SQLAlchemy type its literal is rendered with."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import sqlalchemy as sa

from reconciler.compare.rowdiff.columns import BOOL, DATE, DECIMAL, FLOAT, INT, TIMESTAMP, ColumnSpec
from reconciler.compare.rowdiff.normalize import epoch_us
from reconciler.sources.timeaxis import AWARE, EPOCH, NAIVE, TEXT, TimeAxis

UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_new(raw, spec: ColumnSpec, old_axis: TimeAxis, new_axis: TimeAxis):
    """The old side's raw value of `spec` as a value for the new side's column."""
    if raw is None:
        return None
    if isinstance(raw, (bytes, bytearray, memoryview)):
        raw = bytes(raw).decode("utf-8", "replace")
    if spec.ctype == TIMESTAMP or spec.native_new == TIMESTAMP:
        return time_for(epoch_us(raw, old_axis), new_axis)
    native = spec.native_new
    if native == DATE:
        return raw if isinstance(raw, date) and not isinstance(raw, datetime) else date.fromisoformat(str(raw)[:10])
    if native == BOOL:
        return bool(int(raw)) if not isinstance(raw, str) else raw.strip().lower() in ("1", "t", "true")
    if native == INT:
        return int(raw) if isinstance(raw, (int, bool)) else int(Decimal(str(raw).strip()))
    if native == FLOAT:
        return float(raw)
    if native == DECIMAL:
        return raw if isinstance(raw, Decimal) else Decimal(repr(raw) if isinstance(raw, float) else str(raw).strip())
    return raw if isinstance(raw, str) else str(raw)


def time_for(us: int, axis: TimeAxis):
    """A UTC instant (epoch µs) the way `axis` stores it: aware UTC, naive wall clock in its zone,
    ISO text in its zone (with its separator), or epoch seconds."""
    instant = _EPOCH + timedelta(microseconds=us)
    if axis.kind == AWARE:
        return instant
    if axis.kind == EPOCH:
        seconds = us / 1_000_000
        return int(seconds) if us % 1_000_000 == 0 else seconds
    wall = instant.astimezone(axis.zone).replace(tzinfo=None)
    if axis.kind == TEXT:
        return wall.strftime(f"%Y-%m-%d{axis.text_sep}%H:%M:%S.%f")
    return wall if axis.kind == NAIVE else wall


def literal_type(value) -> sa.types.TypeEngine:
    """The type a value's literal is rendered with (an aware datetime keeps its offset)."""
    if isinstance(value, bool):
        return sa.Boolean()
    if isinstance(value, int):
        return sa.BigInteger()
    if isinstance(value, float):
        return sa.Float(precision=53)
    if isinstance(value, Decimal):
        return sa.Numeric()
    if isinstance(value, datetime):
        return sa.DateTime(timezone=value.tzinfo is not None)
    if isinstance(value, date):
        return sa.Date()
    return sa.Text()
