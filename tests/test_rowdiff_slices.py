"""PostgreSQL's cheaper first-pass slice (floor of the double epoch times a power of two)
gives the same group as floor(epoch units / slice) for every timestamp, boundaries and
one microsecond either side of them included, before 1970 and in the 2200s."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from rowdiff_fixtures import server_url
from sqlalchemy.dialects import postgresql

from reconciler.dialects.postgresql import PostgresDialect

US = timedelta(microseconds=1)
BASES = [datetime(2026, 11, 26, 12, 0, 0, tzinfo=timezone.utc), datetime(1969, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
         datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(2241, 6, 30, 23, 59, 59, tzinfo=timezone.utc),
         datetime(1700, 3, 1, tzinfo=timezone.utc)]
TIMES = [b + k * timedelta(milliseconds=125) + d * US for b in BASES for k in range(-9, 10) for d in (-1, 0, 1)]


@pytest.fixture(scope="module")
def stamps(request):
    url = server_url(request, "postgresql", "slices")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE stamps (aware timestamptz(6), naive timestamp(6))")
        conn.execute(sa.text("INSERT INTO stamps VALUES (:t, :n)"),
                     [{"t": t, "n": t.replace(tzinfo=None)} for t in TIMES])
    yield engine
    engine.dispose()


@pytest.mark.parametrize("unit_us", [1, 1000, 1_000_000])
@pytest.mark.parametrize("slice_us", [125_000, 250_000, 500_000, 1_000_000])
@pytest.mark.parametrize("kind", ["aware", "naive"])
def test_the_fast_slice_equals_floor_of_epoch_units(stamps, kind, slice_us, unit_us):
    if slice_us < unit_us:
        pytest.skip("a slice is whole units")
    dialect = PostgresDialect()
    native = "timestamp with time zone" if kind == "aware" else "timestamp without time zone"
    col = sa.column(kind)
    fast = dialect.slice_of(col, native, kind, slice_us)
    slow = dialect.floor_div(dialect.epoch_units(col, native, kind, unit_us), slice_us // unit_us)
    with stamps.connect() as conn:
        conn.exec_driver_sql("SET TIME ZONE 'UTC'")
        rows = conn.execute(sa.select(col, fast, slow).select_from(sa.table("stamps"))).all()
    assert len(rows) == len(TIMES) == 285
    assert [(t, f, s) for t, f, s in rows if f != s] == []


def test_no_fast_slice_where_the_scaling_would_not_be_exact():
    dialect = PostgresDialect()
    col = sa.column("aware")
    assert dialect.slice_of(col, "timestamp with time zone", "aware", 100_000) is None  # x10
    assert dialect.slice_of(col, "timestamp with time zone", "aware", 2_000_000) is None  # / 2 s
    assert dialect.slice_of(col, "date", "aware", 1_000_000) is None
    assert dialect.slice_of(col, "text", "text", 250_000) is None
    fast = dialect.slice_of(col, "timestamp with time zone", "aware", 250_000)
    assert str(fast.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})) == \
        "CAST(floor(date_part('epoch', aware) * 4) AS BIGINT)"
