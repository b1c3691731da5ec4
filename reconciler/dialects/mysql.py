"""MariaDB / MySQL (PyMySQL)."""

from __future__ import annotations

import sqlalchemy as sa

from reconciler.dialects.base import Dialect


class MySQLDialect(Dialect):
    name = "mysql"

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

    def hour_bucket(self, col, seconds, kind):
        hour = sa.func.date_format(col, "%Y-%m-%d %H:00:00")
        if seconds == 3600:
            return hour
        minutes = seconds // 60
        return sa.func.date_add(
            sa.func.str_to_date(hour, "%Y-%m-%d %H:%i:%s"),
            sa.text(f"INTERVAL (MINUTE({_compile(col)}) DIV {minutes}) * {minutes} MINUTE"),
        )

    def describe(self):
        return "mariadb" if self.mariadb else "mysql"


def _compile(col) -> str:
    from sqlalchemy.dialects import mysql

    return str(col.compile(dialect=mysql.dialect()))
