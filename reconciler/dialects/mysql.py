"""MariaDB / MySQL (PyMySQL)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import mysql as mysql_types

from reconciler.dialects.base import Dialect, ReadOnlyState


class MySQLDialect(Dialect):
    name = "mysql"
    default_driver = "pymysql"

    @classmethod
    def read_only_url(cls, url):
        return url.update_query_dict({"init_command": "SET SESSION TRANSACTION READ ONLY"})

    def __init__(self, mariadb: bool = True):
        self.mariadb = mariadb

    def setup_session(self, dbapi_conn, timeout_s, read_only):
        with dbapi_conn.cursor() as cur:
            cur.execute("SELECT VERSION()")
            self.mariadb = "mariadb" in cur.fetchone()[0].lower()
            cur.execute("SET SESSION time_zone = '+00:00'")
            if self.mariadb:
                cur.execute(f"SET SESSION max_statement_time = {float(timeout_s)}")
            else:
                cur.execute(f"SET SESSION max_execution_time = {int(timeout_s * 1000)}")
            if read_only:
                cur.execute("SET SESSION TRANSACTION READ ONLY")

    def read_only_state(self, conn):
        # read_only refuses writes from every user without SUPER (MySQL) or READ ONLY ADMIN
        # (MariaDB 10.11+); super_read_only (MySQL) from those as well
        read_only = int(conn.exec_driver_sql("SELECT @@global.read_only").scalar() or 0)
        if not read_only:
            return ReadOnlyState(False, "@@global.read_only = 0: the server accepts writes")
        return ReadOnlyState(True, "@@global.read_only = 1: only administrators may write")

    def hour_bucket(self, col, seconds, kind):
        hour = sa.func.date_format(col, "%Y-%m-%d %H:00:00")
        if seconds == 3600:
            return hour
        minutes = seconds // 60
        return sa.func.date_add(
            sa.func.str_to_date(hour, "%Y-%m-%d %H:%i:%s"),
            sa.text(f"INTERVAL (MINUTE({_compile(col)}) DIV {minutes}) * {minutes} MINUTE"),
        )

    def seconds_between(self, earlier, later):
        return sa.func.timestampdiff(sa.text("MICROSECOND"), earlier, later) / sa.literal_column("1000000.0")

    def analyze_statement(self, quoted_table):
        return f"ANALYZE TABLE {quoted_table}"

    def exact_equal(self, column, value):
        # the default collations ignore case and trailing spaces: compare the bytes
        return column == sa.cast(value, mysql_types.BINARY())

    def concat(self, parts):
        return sa.func.concat(*parts)

    def text(self, expr):
        return sa.cast(expr, sa.CHAR)

    def char_length(self, expr):
        return sa.func.char_length(expr)

    def epoch_units(self, col, native, kind, unit_us):
        micros = sa.func.timestampdiff(sa.text("MICROSECOND"), sa.literal_column("'1970-01-01 00:00:00'"), col)
        if unit_us == 1:
            return micros
        return self.floor_div(micros, unit_us)

    def floor_div(self, expr, n: int):
        return expr // n  # FLOOR(expr / n): exact decimal division, already a floor

    def as_double(self, col):
        return _as_double(col)

    def double_literal(self, value):
        return sa.literal_column(f"{float(value)!r}e0" if "e" not in repr(float(value)) else repr(float(value)))

    def float4_as_read(self, col):
        # PyMySQL reads a FLOAT as the server's text of it (6 significant digits: 123456.7
        # is '123457'), and Python compares that; CAST(f AS CHAR) is the same text
        return _as_double(sa.type_coerce(self.text(col), sa.Float()))  # a number: + adds, not concat()

    def float_text(self, col):
        return self.text(_as_double(col))

    def date_text(self, col):
        return sa.func.date_format(col, "%Y-%m-%d")

    def hash60(self, text_expr):
        hex15 = sa.func.substring(sa.func.md5(text_expr), 1, 15)
        return sa.cast(sa.func.conv(hex15, 16, 10), mysql_types.INTEGER(unsigned=True))


def _compile(col) -> str:
    from sqlalchemy.dialects import mysql

    return str(col.compile(dialect=mysql.dialect()))


def _as_double(col):
    """MySQL has no portable CAST to DOUBLE; adding a float literal converts."""
    return col + sa.literal_column("0e0")
