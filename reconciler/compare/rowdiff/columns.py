"""Which columns are compared, as what type, on each side."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa

from reconciler.config.models import ColumnConfig, DatasetConfig

INT, FLOAT, DECIMAL, TEXT, BOOL, TIMESTAMP, DATE = "int", "float", "decimal", "text", "bool", "timestamp", "date"
JSON = "json"  # compared as parsed documents: key order and spacing do not count
# what a side stores, finer than its class above, where the checksum must know it
FLOAT4, UUID, JSONB = "float4", "uuid", "jsonb"
FLOAT4_RELATIVE = 2.0 ** -22  # the smallest relative tolerance that covers two float4 roundings

log = logging.getLogger(__name__)


class Native(str):
    """A side's column type class (INT, FLOAT, TEXT, ...: what the dialects and repair test),
    with `storage` naming the finer type where the checksum must know it: FLOAT4 (single
    precision: the driver reads its shortest decimal text), UUID, JSONB (a PostgreSQL json or
    jsonb column). It equals its class: `Native(FLOAT, FLOAT4) == FLOAT`."""

    storage: str | None

    def __new__(cls, value: str, storage: str | None = None):
        obj = super().__new__(cls, value)
        obj.storage = storage
        return obj


def storage_of(native) -> str | None:
    return getattr(native, "storage", None)


@dataclass(frozen=True)
class ColumnSpec:
    """One compared column: its name on each side, its comparison type and settings."""

    name: str
    old: str
    new: str
    ctype: str
    native_old: str
    native_new: str
    settings: ColumnConfig
    is_key: bool = False
    is_time: bool = False

    @property
    def hash_scale(self) -> float | None:
        """Absolute tolerance whose grid numbers are rounded to inside the checksum (None:
        exact text). Values in one grid cell differ by less than the tolerance, so a checksum
        that agrees never hides a difference the Python comparison would report; values on
        either side of a cell boundary cost a fetch and are judged exactly. A relative
        tolerance beside it only widens what Python calls equal, so the grid stays sound; a
        relative tolerance alone has no fixed grid (exact text, or float4_hashed). Never for
        a key: keys pair rows exactly."""
        if self.ctype in (FLOAT, DECIMAL) and self.settings.tolerance and not self.is_key:
            return self.settings.tolerance
        return None

    @property
    def float4_hashed(self) -> bool:
        """Hash both sides rounded to single precision: one side is single precision, the
        column has a relative tolerance of at least 2**-22 and no absolute one (whose grid
        comes first). Two values that round to the same float4 r differ by at most one float4
        ulp (2**-23 of r) from each other, the driver's reading of r ('23.45') included, so
        the Python comparison calls them equal: an agreeing checksum hides nothing. Below
        that relative tolerance, or without one, each side keeps its exact text."""
        return (self.ctype in (FLOAT, DECIMAL) and not self.hash_scale and not self.is_key
                and (self.settings.relative_tolerance or 0) >= FLOAT4_RELATIVE
                and FLOAT4 in (storage_of(self.native_old), storage_of(self.native_new)))

    def time_grid(self, unit_us: int) -> int | None:
        """A timestamp's tolerance as a whole number (at least 2) of time units, the width of
        the grid cells floor(epoch / width) hashed instead of the epoch; None: the exact epoch.
        Two epochs in one cell are at most width - 1 units apart, so the instants differ by
        less than width units <= the tolerance: the checksum agrees only where Python finds
        them equal. A floor grid puts a value truncated to the tolerance (a legacy DATETIME
        without fractions against a tolerance of 1 s) in the cell of the exact value."""
        if self.ctype != TIMESTAMP or not self.settings.tolerance or self.is_key:
            return None
        width = round(self.settings.tolerance * 1_000_000) // unit_us
        return width if width >= 2 else None

    @property
    def is_uuid(self) -> bool:
        """A text column whose either side is a uuid type: compared lowercase (its canonical
        spelling, PostgreSQL's uuid::text) on both sides, keys included."""
        return self.ctype == TEXT and UUID in (storage_of(self.native_old), storage_of(self.native_new))

    @property
    def json_hashable(self) -> bool:
        """Both sides PostgreSQL json/jsonb: each database writes the document as jsonb text,
        one canonical spelling (keys ordered, one space after ':' and ','). Across engines no
        SQL spelling is common (MariaDB's JSON_NORMALIZE writes numbers and spaces otherwise):
        such a column is fetched in every row (see warn_unhashable)."""
        return self.ctype == JSON and storage_of(self.native_old) == JSONB == storage_of(self.native_new)


def native_type(sqltype, backend: str = "") -> str:
    """The class of a reflected column type; `backend` (the SQLAlchemy dialect name) tells a
    single-precision REAL (PostgreSQL) from SQLite's REAL, a double."""
    if sqltype is None:
        return TEXT
    name = type(sqltype).__name__.upper()
    if isinstance(sqltype, sa.Boolean):
        return BOOL
    if isinstance(sqltype, sa.JSON) or "JSON" in name:
        return Native(JSON, JSONB) if backend == "postgresql" else JSON
    if isinstance(sqltype, sa.Uuid) or name == "UUID":
        return Native(TEXT, UUID)
    if isinstance(sqltype, sa.DateTime):
        return TIMESTAMP
    if isinstance(sqltype, sa.Date):
        return DATE
    if isinstance(sqltype, sa.Integer):
        return INT
    if isinstance(sqltype, sa.Float):
        return Native(FLOAT, FLOAT4) if _single_precision(sqltype, name, backend) else FLOAT
    if isinstance(sqltype, sa.Numeric):
        return INT if (sqltype.scale == 0) else DECIMAL
    if "TIMESTAMP" in name or "DATETIME" in name:
        return TIMESTAMP
    if "DOUBLE" in name or "REAL" in name or "FLOAT" in name:
        return FLOAT
    return TEXT


def _single_precision(sqltype, name: str, backend: str) -> bool:
    """PostgreSQL real (float4), MariaDB/MySQL FLOAT without a double precision."""
    if isinstance(sqltype, sa.Double) or "DOUBLE" in name:
        return False
    if backend == "postgresql":
        return name == "REAL" or (getattr(sqltype, "precision", None) or 53) <= 24
    if backend in ("mysql", "mariadb"):
        return name == "FLOAT" and (getattr(sqltype, "precision", None) or 0) <= 24
    return False


def sample_type(value) -> str | None:
    from datetime import date, datetime
    from decimal import Decimal
    from uuid import UUID as PyUUID

    if value is None:
        return None
    if isinstance(value, PyUUID):
        return Native(TEXT, UUID)
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return FLOAT
    if isinstance(value, Decimal):
        return DECIMAL
    if isinstance(value, datetime):
        return TIMESTAMP
    if isinstance(value, date):
        return DATE
    return TEXT


def comparison_type(a: str, b: str) -> str:
    """The type both sides are compared as, from each side's own type."""
    pair = {a, b}
    if len(pair) == 1:
        return a
    if TIMESTAMP in pair:
        return TIMESTAMP
    if pair <= {INT, BOOL}:
        return BOOL  # a side is boolean: any non-zero integer is true
    if JSON in pair and pair <= {JSON, TEXT}:
        return JSON
    if pair & {FLOAT, DECIMAL} and pair <= {FLOAT, DECIMAL, INT}:
        return FLOAT if FLOAT in pair else DECIMAL
    return TEXT


def reflect_types(conn, rel, names: list[str]) -> dict[str, str]:
    """Column types of one side: reflection for tables, one sample row for queries."""
    side = rel.side
    backend = conn.dialect.name
    found: dict[str, str] = {}
    if side.table:
        schema, _, table = side.table.rpartition(".")
        try:
            for col in sa.inspect(conn).get_columns(table, schema=schema or None):
                found[col["name"].lower()] = native_type(col["type"], backend)
        except Exception:
            conn.rollback()
        finally:
            # MySQL's reflection leaves skip_user_error_events set on the connection, which
            # would silence the hook that names the source of every later error
            if conn.get_execution_options().get("skip_user_error_events"):
                conn.execution_options(skip_user_error_events=False)
    missing = [n for n in names if n.lower() not in found]
    if missing:
        stmt = sa.select(*[rel.col(n) for n in missing]).limit(50)
        for row in conn.execute(stmt):
            for n, v in zip(missing, row):
                t = sample_type(v)
                if t and n.lower() not in found:
                    found[n.lower()] = t
    return {n: found.get(n.lower(), TEXT) for n in names}


def build_specs(ds: DatasetConfig, old_types: dict, new_types: dict) -> list[ColumnSpec]:
    """Key columns first (in key order), then the time column, then value columns."""
    specs: list[ColumnSpec] = []
    configured = {new: (old, cfg) for old, new, cfg in ds.column_pairs()}
    for old_key, new_key in zip(ds.old.key, ds.new.key):
        _, cfg = configured.get(new_key, (old_key, ColumnConfig()))
        specs.append(_spec(new_key, old_key, new_key, cfg, old_types, new_types, is_key=True,
                           is_time=new_key == ds.new.time))
    key_names = {s.new for s in specs}
    if ds.new.time not in key_names:
        _, cfg = configured.get(ds.new.time, (ds.old.time, ColumnConfig()))
        specs.append(_spec(ds.new.time, ds.old.time, ds.new.time, cfg, old_types, new_types, is_time=True))
    for new_name, (old_name, cfg) in configured.items():
        if new_name in key_names or new_name == ds.new.time:
            continue
        specs.append(_spec(new_name, old_name, new_name, cfg, old_types, new_types))
    warn_unhashable(ds, specs)
    return specs


def warn_unhashable(ds: DatasetConfig, specs: list[ColumnSpec]) -> None:
    """Say up front what no checksum can settle: a JSON column between engines that spell
    documents differently makes every row of the window differ in its checksum, so every
    row is fetched (and counted against diff.max_rows_fetched)."""
    for spec in specs:
        if spec.ctype == JSON and not spec.json_hashable:
            log.warning("column %s: JSON documents (%s on old, %s on new) have no spelling both "
                        "databases compute alike, so the checksum cannot tell equal rows: every row of the window "
                        "is fetched and compared in Python, against diff.max_rows_fetched (%d rows per side)",
                        spec.name, _shown(spec.native_old),
                        _shown(spec.native_new), ds.diff.max_rows_fetched)


def _shown(native) -> str:
    return storage_of(native) or str(native)


def _spec(name, old, new, cfg, old_types, new_types, is_key=False, is_time=False) -> ColumnSpec:
    native_old, native_new = old_types[old], new_types[new]
    ctype = cfg.type or (TIMESTAMP if is_time else comparison_type(native_old, native_new))
    return ColumnSpec(name, old, new, ctype, native_old, native_new, cfg, is_key, is_time)
