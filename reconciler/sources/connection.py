"""Opening sources: read-only, statement timeout, UTC, password never shown."""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from reconciler.config.models import SourceConfig
from reconciler.dialects import BY_ENGINE, Dialect, TimescaleDialect
from reconciler.dialects.timescale import DETECT_SQL
from reconciler.errors import ConfigError, SourceError, first_line
from reconciler.redact import safe_url, scrub  # noqa: F401  (re-exported)
from reconciler.sources.urls import anchored_sqlite_url, with_default_driver

_DRIVER_PACKAGES = {"psycopg": "psycopg[binary]", "psycopg2": "psycopg2-binary", "pymysql": "PyMySQL",
                    "mysqldb": "mysqlclient"}


@dataclass
class Source:
    name: str
    config: SourceConfig
    _engine: sa.Engine | None = field(default=None, repr=False)
    _dialect: Dialect | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def safe_url(self) -> str:
        return safe_url(self.config.url)

    @property
    def engine(self) -> sa.Engine:
        with self._lock:
            if self._engine is None:
                self._engine = self._create_engine()
        return self._engine

    @property
    def dialect(self) -> Dialect:
        if self._dialect is None:
            with self.connect():
                pass
        return self._dialect

    def _create_engine(self) -> sa.Engine:
        try:
            url = make_url(self.config.url)
        except ArgumentError:
            raise ConfigError(f"source {self.name!r}: not a valid SQLAlchemy URL: {self.safe_url}") from None
        backend = url.get_backend_name()
        if backend not in BY_ENGINE:
            raise ConfigError(
                f"source {self.name!r}: unsupported database {backend!r} "
                f"(supported: postgresql+psycopg, mysql+pymysql, mariadb+pymysql, sqlite)"
            )
        url = with_default_driver(url)
        kwargs: dict = {"pool_pre_ping": False}
        timeout = self.config.connect_timeout.total_seconds()
        if backend == "sqlite":
            url, kwargs = self._sqlite_url(url, kwargs)
        elif backend == "postgresql":
            kwargs["connect_args"] = {"connect_timeout": max(1, int(timeout))}
        else:
            kwargs["connect_args"] = {"connect_timeout": max(1, int(timeout))}
        try:
            engine = sa.create_engine(url, **kwargs)
        except (NoSuchModuleError, ModuleNotFoundError) as e:
            package = _DRIVER_PACKAGES.get(url.get_driver_name(), url.get_driver_name())
            raise ConfigError(f"source {self.name!r}: driver not installed ({e}); pip install {package}") from None
        self._dialect = BY_ENGINE[backend]()
        self._install_session_setup(engine)
        return engine

    def _sqlite_url(self, url, kwargs):
        database = url.database or ""
        if database in ("", ":memory:"):
            raise ConfigError(f"source {self.name!r}: an in-memory SQLite database has no data to compare")
        path = Path(database)
        if not path.exists():
            raise SourceError(f"source {self.name!r} ({self.safe_url}): database file {path} does not exist")
        # percent-encoded: a '#' or '?' in the path would otherwise end it and drop mode=ro
        uri = f"file:{quote(str(path.resolve()))}?mode={'ro' if self.config.read_only else 'rw'}"
        busy_timeout = self.config.statement_timeout.total_seconds()

        def creator():
            from reconciler.dialects.sqlite_functions import ClockedConnection, register_functions

            conn = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=busy_timeout,
                                   factory=ClockedConnection)
            register_functions(conn)
            return conn

        kwargs["creator"] = creator
        return url, kwargs

    def _install_session_setup(self, engine):
        timeout = self.config.statement_timeout.total_seconds()
        read_only = self.config.read_only

        @sa.event.listens_for(engine, "connect")
        def on_connect(dbapi_conn, _record):
            self._dialect.setup_session(dbapi_conn, timeout, read_only)

        @sa.event.listens_for(engine, "handle_error")
        def name_the_source(context):
            # Both sides' connections are often open in one ExitStack: the error must be blamed
            # on the source whose statement failed, not on whichever context it passes first.
            if context.sqlalchemy_exception is not None:
                context.sqlalchemy_exception.reconciler_source = self

        if engine.dialect.name == "sqlite":
            @sa.event.listens_for(engine, "before_cursor_execute")
            def start_clock(conn, *_args):
                clock = getattr(conn.connection.dbapi_connection, "_reconciler_clock", None)
                if clock is not None:
                    clock["start"] = time.monotonic()

    @contextmanager
    def connect(self):
        """A connection whose session is read-only, time-limited and in UTC."""
        engine = self.engine
        try:
            conn = engine.connect()
        except DBAPIError as e:
            raise unreachable_error(self, e) from None
        try:
            self._detect_timescale(conn)
            yield conn
        except DBAPIError as e:
            raise classify_query_error(getattr(e, "reconciler_source", None) or self, e) from None
        finally:
            conn.close()

    def _detect_timescale(self, conn):
        if self._dialect.name != "postgresql" or getattr(self, "_timescale_checked", False):
            return
        version = conn.exec_driver_sql(DETECT_SQL).scalar()
        conn.rollback()
        if version:
            self._dialect = TimescaleDialect(version)
        self._timescale_checked = True

    def dispose(self):
        if self._engine is not None:
            self._engine.dispose()


_TIMEOUT_WORDS = ("timeout", "timed out", "canceling statement", "max_statement_time", "interrupted")
_LOST_WORDS = ("connection", "server closed", "lost connection", "gone away", "terminat")


def _is_timeout(e: DBAPIError) -> bool:
    return any(w in first_line(e).lower() for w in _TIMEOUT_WORDS)


def _is_lost(e: DBAPIError) -> bool:
    return isinstance(e, sa.exc.OperationalError) and any(w in first_line(e).lower() for w in _LOST_WORDS)


def is_unavailable(e: DBAPIError) -> bool:
    """A lost connection or an exceeded timeout, as opposed to a mistake in the query."""
    return _is_timeout(e) or _is_lost(e)


def unreachable_error(source: Source, e: DBAPIError) -> SourceError:
    text = scrub(first_line(e), source.config.url)
    if _is_timeout(e):
        return SourceError(f"source {source.name!r} ({source.safe_url}) is unreachable: no connection within its "
                           f"connect_timeout ({source.config.connect_timeout.total_seconds():g}s): {text}")
    return SourceError(f"source {source.name!r} ({source.safe_url}) is unreachable: {text}")


def classify_query_error(source: Source, e: DBAPIError) -> Exception:
    source = getattr(e, "reconciler_source", None) or source
    text = scrub(first_line(e), source.config.url)
    if _is_timeout(e):
        return SourceError(f"source {source.name!r}: query exceeded its statement_timeout "
                           f"({source.config.statement_timeout.total_seconds():g}s): {text}")
    if _is_lost(e):
        return SourceError(f"source {source.name!r} ({source.safe_url}) failed: {text}")
    return SourceError(f"source {source.name!r}: query failed: {text}")


def open_sources(loaded) -> dict[str, Source]:
    """Every database source of a loaded config (queues and Prometheus APIs excluded). A relative
    SQLite path is taken from the config file's folder, like every other path in the config."""
    out = {}
    for name, cfg in loaded.config.sources.items():
        if not cfg.url or "://" not in cfg.url or cfg.url.startswith(("redis://", "rediss://")) or cfg.is_prometheus:
            continue
        out[name] = Source(name, cfg.model_copy(update={"url": anchored_sqlite_url(cfg.url, loaded.base_dir)}))
    return out


@contextmanager
def opened_sources(loaded):
    """open_sources for the length of a block; every engine is disposed at its end."""
    sources = open_sources(loaded)
    try:
        yield sources
    finally:
        for source in sources.values():
            source.dispose()


def read_only_url(url: str) -> str:
    """The same database for a library that builds its own engine (Great Expectations),
    with the session made read-only through the URL."""
    parsed = with_default_driver(make_url(url))
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        parsed = parsed.update_query_dict({"options": "-c default_transaction_read_only=on -c TimeZone=UTC"})
    elif backend in ("mysql", "mariadb"):
        parsed = parsed.update_query_dict({"init_command": "SET SESSION TRANSACTION READ ONLY"})
    elif backend == "sqlite" and parsed.database:
        parsed = parsed.set(database=f"file:{Path(parsed.database).resolve()}?mode=ro").update_query_dict(
            {"uri": "true"})
    return parsed.render_as_string(hide_password=False)
