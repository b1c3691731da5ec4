"""Dialect registry: engine name -> Dialect class."""

from reconciler.dialects.base import Dialect
from reconciler.dialects.mysql import MySQLDialect
from reconciler.dialects.postgresql import PostgresDialect
from reconciler.dialects.sqlite import SQLiteDialect
from reconciler.dialects.timescale import TimescaleDialect

BY_ENGINE = {"postgresql": PostgresDialect, "mysql": MySQLDialect, "mariadb": MySQLDialect, "sqlite": SQLiteDialect}

__all__ = ["Dialect", "PostgresDialect", "TimescaleDialect", "MySQLDialect", "SQLiteDialect", "BY_ENGINE"]
