"""The first pass's row hash: PostgreSQL (or TimescaleDB) on both sides uses the built-in
hashtextextended, any mixed pair keeps md5 (which every engine computes alike), and
`diff.row_hash: md5` forces md5. The mixed pairs themselves are guarded by test_rowdiff_parity."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from reconciler.compare.rowdiff.engine import RowDiff
from reconciler.config.models import DatasetConfig
from reconciler.dialects.mysql import MySQLDialect
from reconciler.dialects.postgresql import PostgresDialect
from reconciler.dialects.sqlite import SQLiteDialect
from reconciler.dialects.timescale import TimescaleDialect
from reconciler.timeutil import Window

T0 = datetime(2026, 11, 27, 10, tzinfo=timezone.utc)


def dataset(row_hash: str = "auto") -> DatasetConfig:
    side = {"source": "x", "table": "t", "time": "time", "key": ["id"]}
    return DatasetConfig(old=side, new=side, diff={"row_hash": row_hash})


def diff_between(old, new, row_hash="auto") -> RowDiff:
    sides = {name: SimpleNamespace(source=SimpleNamespace(dialect=d)) for name, d in (("old", old), ("new", new))}
    return RowDiff(dataset(row_hash), sides, Window(T0, T0 + timedelta(hours=1)))


@pytest.mark.parametrize("old, new, expected", [
    (PostgresDialect(), PostgresDialect(), True),
    (PostgresDialect(), TimescaleDialect("2.28.3"), True),
    (MySQLDialect(), PostgresDialect(), False),
    (SQLiteDialect(), TimescaleDialect("2.28.3"), False),
])
def test_the_built_in_hash_only_when_both_sides_are_postgresql(old, new, expected):
    assert diff_between(old, new)._same_family() is expected
    assert diff_between(old, new, row_hash="md5")._same_family() is False


def test_the_postgresql_family_hash_is_60_bits_of_hashtextextended_and_md5_elsewhere():
    text = sa.literal_column("'V3:abc'")
    fast = PostgresDialect().same_family_hash60(text)
    assert str(fast.compile(dialect=postgresql.dialect())) == \
        "hashtextextended('V3:abc', 0) & 1152921504606846975"
    assert MySQLDialect().same_family_hash60(text) is None
    assert "md5" in str(PostgresDialect().hash60(text).compile(dialect=postgresql.dialect()))


def test_both_postgresql_hashes_agree_on_what_differs(make_pg_database):
    """The same pair of rows hashed both ways on a real server: equal rows equal, a changed
    value different, values in [0, 2**60)."""
    engine = sa.create_engine(make_pg_database("hash_family"))
    text = "concat('V3:', a)"
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                f"SELECT {text} AS t, hashtextextended({text}, 0) & {2 ** 60 - 1} AS fast "
                "FROM (VALUES ('abc'), ('abc'), ('abd')) v(a)").all()
    finally:
        engine.dispose()
    fast = [r.fast for r in rows]
    assert fast[0] == fast[1] != fast[2]
    assert all(0 <= h < 2 ** 60 for h in fast)
