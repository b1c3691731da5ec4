"""What every dialect provides. Subclasses hold only what differs between engines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

EXACT_INTEGERS = 2 ** 53  # every integer below this is exactly a double on every engine


class RowHashing:
    """Checksum building blocks; a dialect overrides what its engine spells differently.
    Every expression here is only a filter: it may tell equal rows apart (costing a
    fetch) but must never make different rows look equal, so nothing here may merge two
    values that the Python comparison keeps apart."""

    def concat(self, parts):
        expr = parts[0]
        for p in parts[1:]:
            expr = expr.op("||")(p)
        return expr

    def text(self, expr):
        return sa.cast(expr, sa.Text)

    def char_length(self, expr):
        return sa.func.length(expr)

    def epoch_units(self, col, native: str, kind: str, unit_us: int):
        raise NotImplementedError

    def slice_of(self, col, native: str, kind: str, slice_us: int):
        """floor(epoch in microseconds / slice_us) by a cheaper route than epoch_units, or
        None where the dialect has none."""
        return None

    def int_text(self, col, native: str):
        return self.text(sa.cast(col, sa.BigInteger))

    def bool_text(self, col, native: str):
        """A truth value as '1' or '0' (NULL stays NULL): a number is true when non-zero,
        as the Python comparison says (a legacy TINYINT(1) holding 2 is true)."""
        if native in ("int", "float", "decimal"):
            return self.text(sa.case((col != 0, sa.literal_column("1")), (col == 0, sa.literal_column("0"))))
        return self.int_text(col, native)

    def float4_as_read(self, col):
        """A single-precision column's value as the driver reads it (its shortest decimal
        text, then a double): the value Python compares. The default: the column itself."""
        return col

    def float4_rounded_text(self, col, exact):
        """A number rounded to single precision, as the text of that double (the same text on
        every engine that has a float4 cast); None where the engine has none (SQLite). Inside
        float4's normal range only: below it a float4's step is not relative to its value,
        beyond it the cast fails; there `exact`, the value's own text, stays."""
        x = self.as_double(col)
        normal = sa.and_(sa.func.abs(x) >= sa.literal_column(repr(2.0 ** -126)),
                         sa.func.abs(x) < sa.literal_column(repr(3.4028234663852886e38)))
        return sa.case((normal, self.float_text(sa.cast(x, sa.REAL()))), else_=exact)

    def json_text(self, col):
        """A JSON document's canonical text, where both sides are this engine family."""
        return self.text(col)

    def scaled_text(self, col, scale: float):
        """A number divided by its tolerance, rounded half up to an integer, as text.

        Rounding is floor(q + 0.5) on every engine (PostgreSQL's and MariaDB's round() of a
        double round half to even, SQLite's half away from zero: they disagree exactly on a
        tolerance boundary). The integer text is exact only below 2**53; beyond that a value
        keeps its own exact text, since an inexact integer text (PostgreSQL's float->numeric
        cast keeps 15 digits) would merge values that differ by more than the tolerance."""
        q = self.as_double(col) / self.double_literal(scale)
        rounded = self.floor(q + sa.literal_column("0.5"))
        return sa.case((sa.func.abs(q) < sa.literal_column(str(EXACT_INTEGERS)), self.text(self.to_bigint(rounded))),
                       else_=self.float_text(col))

    def as_double(self, col):
        return sa.cast(col, sa.Float(precision=53))

    def double_literal(self, value: float):
        return sa.literal_column(repr(float(value)))

    def floor(self, expr):
        return sa.func.floor(expr)

    def to_bigint(self, expr):
        return sa.cast(expr, sa.BigInteger)

    def float_text(self, col):
        raise NotImplementedError

    def date_text(self, col):
        return sa.func.substr(self.text(col), 1, 10)

    def trim(self, expr):
        return sa.func.trim(expr)

    def lower(self, expr):
        return sa.func.lower(expr)

    def hash60(self, text_expr):
        raise NotImplementedError

    def same_family_hash60(self, text_expr):
        """A cheaper 60-bit hash usable only when both sides are of this engine family (the
        same built-in function on both); None where there is none: md5 everywhere."""
        return None

    def hash_sum(self, hash_expr):
        return sa.func.sum(hash_expr)

    def hash_sum_value(self, value) -> int:
        return int(value or 0)

    def floor_div(self, expr, n: int):
        """floor(expr / n) for n > 0. `//` is integer division here, which truncates toward
        zero: before 1970 that put a row one slice off from the segment then read back,
        and its difference went unseen."""
        return sa.case((expr >= 0, expr // n), else_=(expr + 1) // n - 1)


@dataclass(frozen=True)
class ReadOnlyState:
    """Whether a database refuses writes from its ordinary users, and what says so (or what
    does not). `read_only` is None where the engine cannot tell."""

    read_only: bool | None
    detail: str

    def to_dict(self) -> dict:
        return {"read_only": self.read_only, "detail": self.detail}


class Dialect(RowHashing):
    name = "generic"
    has_time_bucket = False
    hash_family: str | None = None   # engines sharing a built-in row hash (same_family_hash60) name one family
    percentile_method = "row_number interpolation"
    default_driver: str | None = None  # the driver installed for a bare `backend://` URL

    # -- opening an engine ------------------------------------------------------------------
    @classmethod
    def with_default_driver(cls, url):
        """`backend://` with the driver this project installs; a URL naming its driver as given."""
        if cls.default_driver and "+" not in url.drivername:
            return url.set(drivername=f"{url.drivername}+{cls.default_driver}")
        return url

    @classmethod
    def anchored(cls, url, base):
        """The URL with a relative database file taken from `base` (file-based engines only)."""
        return url

    @classmethod
    def read_only_url(cls, url):
        """The URL for a library that builds its own engine (Great Expectations), with the
        session made read-only (and in UTC) through the URL where the engine allows it."""
        return url

    def engine_arguments(self, url, source) -> tuple:
        """(url, create_engine keyword arguments) for `source` (its name, safe_url, config)."""
        timeout = source.config.connect_timeout.total_seconds()
        return url, {"pool_pre_ping": False, "connect_args": {"connect_timeout": max(1, int(timeout))}}

    def install_engine_hooks(self, engine) -> None:
        """Engine events the dialect needs beyond setup_session (SQLite: its statement clock)."""

    def refined(self, conn) -> "Dialect":
        """The dialect of the server behind the first connection: PostgreSQL with the
        TimescaleDB extension becomes TimescaleDB; any other stays as it is."""
        return self

    def setup_session(self, dbapi_conn, timeout_s: float, read_only: bool) -> None:
        """Read-only session, statement timeout, session time zone UTC."""

    def read_only_state(self, conn) -> ReadOnlyState:
        """Is the database behind `conn` read-only for everyone, not just for our own
        read-only session? (Before decommissioning, the old side must accept no more writes.)"""
        return ReadOnlyState(None, f"{self.name}: this engine cannot tell whether it is read-only")

    def hour_bucket(self, col, seconds: int, kind: str):
        """SQL expression for the wall-clock start of the `seconds`-wide bucket holding `col`.
        `kind` is the time column's storage kind (see timeaxis.TimeAxis.kind)."""
        raise NotImplementedError

    def seconds_between(self, earlier, later):
        """later - earlier in seconds (a fraction), as the database computes it."""
        raise NotImplementedError

    def percentile_select(self, v, quantiles) -> sa.Select:
        """SELECT n, one column per quantile (continuous, as percentile_cont), max(v)."""
        from reconciler.dialects.percentiles import ranked_percentiles

        return ranked_percentiles(self, v, quantiles)

    def utc_timestamp_type(self):
        """Column type of a naive UTC timestamp that compares correctly with DATE columns."""
        return sa.DateTime()

    def analyze_statement(self, quoted_table: str) -> str | None:
        """Fresh planner statistics for a table just loaded (the demo and the tests)."""
        return None

    def exact_equal(self, column, value):
        """`column = value` for a text value, as Python compares text: case, accents and trailing
        spaces count (a repair's WHERE must find the one row the diff saw)."""
        return column == value

    def bucket_value(self, value) -> datetime:
        """What the driver returned for hour_bucket(), as a datetime (naive = wall clock)."""
        if isinstance(value, datetime):
            return value
        return datetime.fromisoformat(str(value))


