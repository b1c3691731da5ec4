"""The SQL of the row diff, built with SQLAlchemy Core from a dialect's pieces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa

from reconciler.compare.rowdiff.columns import (
    BOOL,
    DATE,
    DECIMAL,
    FLOAT,
    FLOAT4,
    INT,
    TIMESTAMP,
    ColumnSpec,
    storage_of,
)

_COMMA_FREE = (TIMESTAMP, DATE, INT, BOOL, FLOAT, DECIMAL)  # their text never holds a ','


class Skipped(NamedTuple):
    """A spring-forward at the start of a naive side's region: the wall times the clock skipped
    (before `after`, the first wall time of the new offset) are read with the offset `before`
    the change, `jump_units` later than the region's offset reads them."""

    after: datetime
    after_bound: object  # `after` as the column compares it (a datetime, or text)
    jump_units: int
    before: timedelta


class _Untyped(sa.types.TypeDecorator):
    impl = sa.types.NullType
    cache_ok = True


@dataclass(frozen=True)
class SideSQL:
    """Expressions for one side of a dataset within one constant-offset region."""

    dialect: object
    rel: object
    specs: list
    side: str
    kind: str
    unit_us: int
    offset_units: int
    same_family: bool = False   # both sides of one engine family: its cheaper built-in hash may be used
    fold: tuple | None = None   # (cut as a bound, one hour in units, cut): a fall-back's second pass read one hour back
    skipped: Skipped | None = None  # a spring-forward at the region's start

    def column(self, spec: ColumnSpec):
        return self.rel.col(spec.old if self.side == "old" else spec.new)

    def looked_up(self, spec: ColumnSpec):
        """The column compared with key values bound without a type, so the server reads each
        as the column's own: a uuid column's key looked up by its text."""
        return sa.type_coerce(self.column(spec), _Untyped())

    def native(self, spec: ColumnSpec) -> str:
        return spec.native_old if self.side == "old" else spec.native_new

    def epoch(self, col, native: str):
        units = self.dialect.epoch_units(col, native, self.kind, self.unit_us)
        if self.offset_units:
            units = units - self.offset_units
        if self.fold is not None:
            cut, hour_units, _ = self.fold
            units = units - sa.case((col >= sa.literal(cut), sa.literal_column(str(hour_units))),
                                    else_=sa.literal_column("0"))
        if self.skipped is not None:
            units = units + sa.case((col < sa.literal(self.skipped.after_bound),
                                     sa.literal_column(str(self.skipped.jump_units))), else_=sa.literal_column("0"))
        return units

    @property
    def time_units(self):
        time_spec = next(s for s in self.specs if s.is_time)
        return self.epoch(self.column(time_spec), self.native(time_spec))

    def value_text(self, spec: ColumnSpec):
        d, col, native = self.dialect, self.column(spec), self.native(spec)
        if spec.ctype == TIMESTAMP:
            units, grid = self.epoch(col, native), spec.time_grid(self.unit_us)
            return d.text(d.floor_div(units, grid) if grid else units)
        if spec.ctype == DATE:
            return d.date_text(col)
        if spec.ctype == BOOL:
            return d.bool_text(col, native)
        if spec.ctype == INT:
            return d.int_text(col, native)
        if spec.ctype in (FLOAT, DECIMAL):
            # a float4 as the value the driver hands Python, not its float8 widening
            read = d.float4_as_read(col) if storage_of(native) == FLOAT4 else col
            if spec.hash_scale:
                return d.scaled_text(read, spec.hash_scale)
            # rounded from what Python compares: MariaDB's FLOAT reads as 6 digits ('123457')
            rounded = d.float4_rounded_text(read, d.float_text(read)) if spec.float4_hashed else None
            return rounded if rounded is not None else d.float_text(read)
        if spec.json_hashable:
            return d.json_text(col)
        text = d.text(col)
        if spec.settings.trim:
            text = d.trim(text)
        if spec.settings.casefold or spec.is_uuid:
            text = d.lower(text)
        return text

    def encoded(self, spec: ColumnSpec):
        """'N' for NULL; text as 'V<length>:<text>'; any other value as '<text>,'. Numbers,
        epochs, booleans and dates never spell a ',', so every row has its own text. The
        value is computed once: NULL || anything is NULL, and coalesce turns it into 'N'."""
        d, value = self.dialect, self.value_text(spec)
        if spec.ctype in _COMMA_FREE:
            present = d.concat([value, sa.literal_column("','")])
        else:
            present = d.concat([sa.literal_column("'V'"), d.text(d.char_length(value)), sa.literal_column("':'"),
                                value])
        return sa.func.coalesce(present, sa.literal_column("'N'"))

    def hash60(self, text_expr):
        fast = self.dialect.same_family_hash60(text_expr) if self.same_family else None
        return fast if fast is not None else self.dialect.hash60(text_expr)

    def row_hash(self):
        return self.hash60(self.dialect.concat([self.encoded(s) for s in self.specs]))

    def key_hash(self):
        keys = [s for s in self.specs if s.is_key]
        return self.hash60(self.dialect.concat([self.encoded(s) for s in keys]))

    def time_slice(self, slice_units: int):
        """floor(time_units / slice_units), cheaper where the dialect knows how."""
        time_spec = next(s for s in self.specs if s.is_time)
        fast = None if self.offset_units or self.fold or self.skipped else self.dialect.slice_of(
            self.column(time_spec), self.native(time_spec), self.kind, slice_units * self.unit_us)
        return fast if fast is not None else self.dialect.floor_div(self.time_units, slice_units)

    def checksum_select(self, slice_units: int, conditions: list, partitions: int | None = None):
        """count and hash sum per time slice (or per key partition)."""
        if partitions:
            group = self.key_hash() % partitions
        else:
            group = self.time_slice(slice_units)
        return (sa.select(group.label("g"), sa.func.count().label("n"),
                          self.dialect.hash_sum(self.row_hash()).label("h"))
                .where(*conditions).group_by(sa.text("1")))

    def total_select(self, conditions: list):
        """count and hash sum of every row the conditions select: no GROUP BY."""
        return sa.select(sa.func.count().label("n"), self.dialect.hash_sum(self.row_hash()).label("h")).where(*conditions)

    def hash_list_select(self, conditions: list):
        """One (instant, row hash) per row: the finest checksum, added up by the caller."""
        return sa.select(self.time_units.label("g"), self.row_hash().label("h")).where(*conditions)

    def rows_select(self, conditions: list):
        cols = [self.column(s).label(f"c{i}") for i, s in enumerate(self.specs)]
        return sa.select(*cols).where(*conditions)
