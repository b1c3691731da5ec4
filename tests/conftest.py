"""Shared fixtures: the real servers (PostgreSQL, MariaDB, Redis), throw-away databases on
them, and a schedule.yaml writer.

A test that needs a server fails when CI=true and the server is unreachable (CI must not
go green by skipping), and skips with the reason elsewhere. Server addresses can be moved
with RECONCILER_TEST_PG_URL, RECONCILER_TEST_MARIADB_URL and RECONCILER_TEST_REDIS_URL.
TimescaleDB (>= 2.13) is its own server, RECONCILER_TEST_TIMESCALE_URL (.ci/run builds and
starts one on 127.0.0.1:5433; docs/testing.md says how to get one). A run that skipped
TimescaleDB tests ends with one line saying how many and how to run them."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent

PG_ADMIN_URL = os.environ.get("RECONCILER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
MARIADB_ADMIN_URL = os.environ.get("RECONCILER_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/")
REDIS_URL = os.environ.get("RECONCILER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TIMESCALE_ADMIN_URL = os.environ.get("RECONCILER_TEST_TIMESCALE_URL",
                                     "postgresql+psycopg://postgres@127.0.0.1:5433/postgres")
TIMESCALE_MIN_VERSION = (2, 13)
TIMESCALE_IMAGE = "timescale/timescaledb:2.17.2-pg15"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def server_unavailable(what: str, reason: str) -> None:
    """Fail in CI, skip elsewhere; always says which server and why."""
    unavailable(f"{what} is not available: {reason}")


def unavailable(message: str) -> None:
    """The one place that decides: a missing server fails the test in CI and skips it elsewhere."""
    if in_ci():
        pytest.fail(f"{message} (CI=true: the test servers must be running)", pytrace=False)
    pytest.skip(f"{message} (start it, e.g. with .ci/run, to run this test)")


def timescale_skips(skipped_reports) -> int:
    """How many of the skipped tests were skipped for want of a TimescaleDB server."""
    count = 0
    for report in skipped_reports:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        count += reason.startswith(("Skipped: TimescaleDB", "TimescaleDB"))
    return count


@pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: the line comes after the short summary
def pytest_terminal_summary(terminalreporter):
    """After pytest's own summary: one line when TimescaleDB tests were skipped, saying how many
    and how to run them (most of the main target's tests need that server)."""
    result = yield
    skipped = timescale_skips(terminalreporter.stats.get("skipped", []))
    if skipped:
        where = make_url(TIMESCALE_ADMIN_URL).render_as_string()
        terminalreporter.write_line(
            f"{skipped} TimescaleDB test{'s' if skipped != 1 else ''} skipped: no TimescaleDB (2.13 or newer) answered at {where}. "
            f"Start one (docker run -d -p 5433:5432 -e POSTGRES_HOST_AUTH_METHOD=trust {TIMESCALE_IMAGE}) "
            "or set RECONCILER_TEST_TIMESCALE_URL; see docs/testing.md", yellow=True)
    return result


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_sql_server(what: str, url: str) -> sa.Engine:
    """An AUTOCOMMIT admin engine on the server of `url`, or fail/skip."""
    u = make_url(url)
    host, port = u.host or "127.0.0.1", u.port or {"postgresql": 5432, "mysql": 3306}[u.get_backend_name()]
    if not port_open(host, port):
        server_unavailable(f"{what} on {host}:{port}", "nothing listens on that port")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.DBAPIError as e:
        engine.dispose()
        server_unavailable(f"{what} on {host}:{port}", str(e.orig).strip().splitlines()[0])
    return engine


def require_redis(url: str = REDIS_URL) -> str:
    u = make_url(url)
    host, port = u.host or "127.0.0.1", u.port or 6379
    if not port_open(host, port):
        server_unavailable(f"Redis on {host}:{port}", "nothing listens on that port")
    return url


class ThrowAwayDatabases:
    """Creates `rc_test_<name>_<pid>` databases on one server; drops them all at the end."""

    def __init__(self, admin: sa.Engine, admin_url: str, extension: str | None = None):
        self.admin = admin
        self.admin_url = make_url(admin_url)
        self.backend = self.admin_url.get_backend_name()
        self.extension = extension
        self.created: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        db = f"rc_test_{name}_{os.getpid()}"
        if db not in self.created:
            with self.admin.connect() as conn:
                if self.backend == "postgresql":
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
                    conn.exec_driver_sql(f'CREATE DATABASE "{db}"')
                else:
                    conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{db}`")
                    conn.exec_driver_sql(f"CREATE DATABASE `{db}` CHARACTER SET utf8mb4")
            self.created[db] = self.admin_url.set(database=db).render_as_string(hide_password=False)
            if self.extension:
                engine = sa.create_engine(self.created[db], isolation_level="AUTOCOMMIT")
                try:
                    with engine.connect() as conn:
                        conn.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS {self.extension}")
                finally:
                    engine.dispose()
        return self.created[db]

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for db in self.created:
                if self.backend == "postgresql":
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
                else:
                    conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{db}`")
        self.created.clear()
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_admin():
    """AUTOCOMMIT engine on the PostgreSQL server as its superuser."""
    engine = require_sql_server("PostgreSQL", PG_ADMIN_URL)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def mariadb_admin():
    engine = require_sql_server("MariaDB", MARIADB_ADMIN_URL)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def timescale_admin():
    """AUTOCOMMIT engine on the TimescaleDB server (PostgreSQL with timescaledb preloaded)."""
    engine = require_sql_server("TimescaleDB", TIMESCALE_ADMIN_URL)
    with engine.connect() as conn:
        version = conn.exec_driver_sql(
            "SELECT default_version FROM pg_available_extensions WHERE name = 'timescaledb'").scalar()
    if version is None or tuple(int(p) for p in version.split(".")[:2]) < TIMESCALE_MIN_VERSION:
        engine.dispose()
        server_unavailable(f"TimescaleDB at {make_url(TIMESCALE_ADMIN_URL).render_as_string()}",
                           f"the timescaledb extension is {version or 'not installed'}, the tests need >= 2.13")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def make_pg_database(pg_admin):
    """make_pg_database("counts") -> URL of a fresh database, dropped at the end of the session."""
    dbs = ThrowAwayDatabases(pg_admin, PG_ADMIN_URL)
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def make_timescale_database(timescale_admin):
    """make_timescale_database("caggs") -> URL of a fresh database with CREATE EXTENSION
    timescaledb on the TimescaleDB server, dropped at the end of the session."""
    dbs = ThrowAwayDatabases(timescale_admin, TIMESCALE_ADMIN_URL, extension="timescaledb")
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def make_mariadb_database(mariadb_admin):
    dbs = ThrowAwayDatabases(mariadb_admin, MARIADB_ADMIN_URL)
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def redis_url():
    return require_redis()


def write_schedule(directory: Path, old_url: str, new_url: str, *, old_table: str = "legacy_events",
                   new_table: str = "device_events", old_timezone: str = "UTC", suite: bool = True,
                   extra: str = "") -> Path:
    """A schedule.yaml for the reference device-event dataset (legacy schema on the old side,
    reference schema on the new), with the project's suite copied next to it."""
    directory = Path(directory)
    if suite:
        (directory / "expectations").mkdir(exist_ok=True)
        shutil.copy(ROOT / "expectations" / "device_events.json", directory / "expectations" / "device_events.json")
    checks = ("checks:\n  event_counts: {type: counts, dataset: device_events, suite: device_events}\n"
              if suite else "")
    text = (
        "sources:\n"
        f"  old: {{url: \"{old_url}\", statement_timeout: 30s, connect_timeout: 3s}}\n"
        f"  new: {{url: \"{new_url}\", statement_timeout: 30s, connect_timeout: 3s}}\n"
        "datasets:\n"
        "  device_events:\n"
        f"    old: {{source: old, table: {old_table}, time: ts, timezone: {old_timezone}, key: [id]}}\n"
        f"    new: {{source: new, table: {new_table}, time: time, key: [event_id]}}\n"
        "    columns:\n"
        "      device_id: {old: device}\n"
        "      event_type: {old: kind}\n"
        "      value: {old: reading, tolerance: 0.000001}\n"
        "    time_precision: ms\n"
        f"{checks}{extra}"
    )
    path = directory / "schedule.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def schedule_file(tmp_path):
    """schedule_file(old_url, new_url, **options) -> path of a schedule.yaml in tmp_path."""

    def write(old_url: str, new_url: str, **options) -> Path:
        return write_schedule(tmp_path, old_url, new_url, **options)

    return write


# One Prometheus (with its planted history) for the whole session, shared by every module that
# asks for it: a fixture imported into several test modules would be set up once per module.
from prometheus_fixtures import prometheus_url  # noqa: E402, F401
