"""Dialect registry: engine name -> Dialect class. The only place that maps an engine's
name to what differs about it; everything else asks the dialect."""

from reconciler.dialects.base import Dialect
from reconciler.dialects.mysql import MySQLDialect
from reconciler.dialects.postgresql import PostgresDialect
from reconciler.dialects.sqlite import SQLiteDialect
from reconciler.dialects.timescale import TimescaleDialect

BY_ENGINE = {"postgresql": PostgresDialect, "mysql": MySQLDialect, "mariadb": MySQLDialect, "sqlite": SQLiteDialect}


def dialect_class(backend: str) -> type[Dialect] | None:
    """The Dialect class of SQLAlchemy's backend name (`url.get_backend_name()`,
    `engine.dialect.name`); None for an engine this project does not compare."""
    return BY_ENGINE.get(backend)


def dialect_of(sqlalchemy_dialect_or_engine) -> Dialect:
    """Our dialect for a SQLAlchemy engine or dialect (generic when unsupported)."""
    name = getattr(getattr(sqlalchemy_dialect_or_engine, "dialect", sqlalchemy_dialect_or_engine), "name", "")
    return (dialect_class(name) or Dialect)()


__all__ = ["Dialect", "PostgresDialect", "TimescaleDialect", "MySQLDialect", "SQLiteDialect", "BY_ENGINE",
           "dialect_class", "dialect_of"]
