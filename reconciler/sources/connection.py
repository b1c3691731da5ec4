"""Opening sources: read-only, statement timeout, UTC, password never shown."""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from reconciler.config.models import SourceConfig
from reconciler.dialects import Dialect, dialect_class
from reconciler.errors import ConfigError, SourceError, UnknownDatabase, first_line
from reconciler.redact import safe_url, scrub  # noqa: F401  (re-exported)
from reconciler.sources.urls import anchored_sqlite_url, with_default_driver

_DRIVER_PACKAGES = {"psycopg": "psycopg[binary]", "psycopg2": "psycopg2-binary", "pymysql": "PyMySQL",
                    "mysqldb": "mysqlclient"}


@dataclass
class Source:
    name: str
    config: SourceConfig
    unresolved: str | None = None  # why the source has no url (its variable unset): raised when it is used
    where: str | None = None       # its url's place in the config (`schedule.yaml:3: sources.old.url`)
    _engine: sa.Engine | None = field(default=None, repr=False)
    _dialect: Dialect | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _refined: bool = field(default=False, repr=False)

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
        if self.unresolved is not None:
            raise ConfigError(self.unresolved)
        try:
            url = make_url(self.config.url)
        except (ArgumentError, ValueError):  # ValueError: a port that is not a number
            raise ConfigError(f"source {self.name!r}: not a valid SQLAlchemy URL: {self.safe_url}") from None
        backend = url.get_backend_name()
        dialect_type = dialect_class(backend)
        if dialect_type is None:
            raise ConfigError(
                f"source {self.name!r}: unsupported database {backend!r} "
                f"(supported: postgresql+psycopg, mysql+pymysql, mariadb+pymysql, sqlite)"
            )
        dialect = dialect_type()
        url, kwargs = dialect.engine_arguments(dialect.with_default_driver(url), self)
        try:
            engine = sa.create_engine(url, **kwargs)
        except (NoSuchModuleError, ModuleNotFoundError) as e:
            package = _DRIVER_PACKAGES.get(url.get_driver_name(), url.get_driver_name())
            raise ConfigError(f"source {self.name!r}: driver not installed ({e}); pip install {package}") from None
        self._dialect = dialect
        self._install_session_setup(engine)
        return engine

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

        self._dialect.install_engine_hooks(engine)

    @contextmanager
    def connect(self):
        """A connection whose session is read-only, time-limited and in UTC."""
        engine = self.engine
        try:
            conn = engine.connect()
        except DBAPIError as e:
            raise unreachable_error(self, e) from None
        try:
            self._refine_dialect(conn)
            yield conn
        except DBAPIError as e:
            raise classify_query_error(getattr(e, "reconciler_source", None) or self, e) from None
        finally:
            conn.close()

    def _refine_dialect(self, conn):
        """Once: what the server is beyond its URL (TimescaleDB is PostgreSQL with an extension)."""
        if not self._refined:
            self._dialect = self._dialect.refined(conn)
            self._refined = True

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


# the server's answer when the url's database is not on it: PostgreSQL, MySQL / MariaDB (1049)
_UNKNOWN_DATABASE = (re.compile(r'database "([^"]+)" does not exist'), re.compile(r"Unknown database '([^']+)'"))


def _unknown_database(e: DBAPIError) -> str | None:
    text = first_line(e)
    return next((m.group(1) for pattern in _UNKNOWN_DATABASE if (m := pattern.search(text))), None)


def unreachable_error(source: Source, e: DBAPIError) -> SourceError:
    text = scrub(first_line(e), source.config.url)
    missing = _unknown_database(e)
    if missing is not None:
        where = f"{source.where}: " if source.where else ""
        return UnknownDatabase(f"{where}source {source.name!r} ({source.safe_url}): the server answered, but it has "
                               f"no database {missing!r}: correct the database name in the url")
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


class Sources(dict):
    """name -> Source of the usable database sources. A source whose url is unresolved (its
    variable unset) is not listed, but looking it up gives a Source that raises the
    ConfigError naming its variable as soon as something connects to it."""

    def __init__(self, usable: dict, unresolved: dict):
        super().__init__(usable)
        self.unresolved = unresolved

    def __missing__(self, name):
        if name in self.unresolved:
            return self.unresolved[name]
        raise KeyError(name)

    def __contains__(self, name) -> bool:
        return super().__contains__(name) or name in self.unresolved

    def get(self, name, default=None):
        return self[name] if name in self else default


def open_sources(loaded) -> Sources:
    """Every database source of a loaded config (queues and Prometheus APIs excluded). A
    relative SQLite path is taken from the config file's folder, like every other path in the
    config. Nothing connects here."""
    usable, unresolved = {}, {}
    for name, cfg in loaded.config.sources.items():
        if name in loaded.unresolved:
            unresolved[name] = Source(name, cfg, unresolved=f"{loaded.where('sources', name, 'url')}: "
                                                            f"{loaded.unresolved[name]}")
            continue
        if not cfg.url or "://" not in cfg.url or cfg.url.startswith(("redis://", "rediss://")) or cfg.is_prometheus:
            continue
        usable[name] = Source(name, cfg.model_copy(update={"url": anchored_sqlite_url(cfg.url, loaded.base_dir)}),
                              where=loaded.where("sources", name, "url"))
    return Sources(usable, unresolved)


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
    dialect = dialect_class(parsed.get_backend_name())
    if dialect is not None:
        parsed = dialect.read_only_url(parsed)
    return parsed.render_as_string(hide_password=False)
