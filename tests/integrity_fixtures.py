"""Fixtures for the integrity tests (check, run, completeness, suites): the demo booking data
on PostgreSQL (new) + MariaDB (old) and the SQLite demo pair, a temp project holding a copy
of the shipped schedule.yaml, expectations/ and checks/, and an in-process CLI runner.

Import the fixtures into a test module:
`from integrity_fixtures import pg_mariadb_bookings, sqlite_demo  # noqa: F401`.

The booking filters of schedule.yaml bind `:today` from the wall clock (relation.filter_clause
is not given the run's `now`), so the demo data is planted around the real UTC date."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from reconciler.cli import main
from reconciler.demo.bookings import load_demo_bookings
from reconciler.demo.run import DEMO_ZONE, build_demo_databases
from reconciler.timeutil import HOUR, floor_hour

ROOT = Path(__file__).resolve().parent.parent
UTC = timezone.utc
DEMO_HOURS = 4
DEMO_RATE = 0.05
CLOSED_PORT_PG = "postgresql+psycopg://reconciler:hunter2secret@127.0.0.1:1/nowhere"


def today_utc():
    return datetime.now(UTC).date()


def copy_project(directory: Path) -> Path:
    """schedule.yaml, expectations/ and checks/ of the checkout copied into `directory`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "schedule.yaml", directory / "schedule.yaml")
    for folder in ("expectations", "checks"):
        shutil.copytree(ROOT / folder, directory / folder, dirs_exist_ok=True)
    return directory / "schedule.yaml"


def use_sources(monkeypatch, old_url: str, new_url: str, old_timezone: str = "UTC") -> None:
    """Point the shipped schedule.yaml's ${OLD_DATABASE_URL} etc. at test databases."""
    monkeypatch.setenv("OLD_DATABASE_URL", old_url)
    monkeypatch.setenv("NEW_DATABASE_URL", new_url)
    monkeypatch.setenv("OLD_TIMEZONE", old_timezone)
    for name in ("REDIS_URL", "REPORT_DATABASE_URL", "RECONCILER_CONFIG", "SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)


def run_cli(capfd, *args) -> tuple[int, str, str]:
    """`reconciler ARGS` in this process: (exit code, stdout, stderr) captured at the fds."""
    capfd.readouterr()
    with pytest.raises(SystemExit) as e:
        main([str(a) for a in args])
    out, err = capfd.readouterr()
    return e.value.code, out, err


@pytest.fixture(scope="session")
def pg_mariadb_bookings(make_pg_database, make_mariadb_database):
    """Demo bookings: old on MariaDB, new on PostgreSQL. {"old": url, "new": url, "planted": {...}}."""
    old_url, new_url = make_mariadb_database("integrity_old"), make_pg_database("integrity_new")
    old_engine, new_engine = sa.create_engine(old_url), sa.create_engine(new_url)
    try:
        with old_engine.begin() as old_conn, new_engine.begin() as new_conn:
            planted = load_demo_bookings(old_conn, new_conn, today_utc())
    finally:
        old_engine.dispose()
        new_engine.dispose()
    return {"old": old_url, "new": new_url, "planted": planted}


@pytest.fixture(scope="session")
def sqlite_demo(tmp_path_factory):
    """The `reconciler demo` SQLite pair (events of DEMO_HOURS hours ending at the current
    hour, bookings around today, one malformed access code in new), built once."""
    out = tmp_path_factory.mktemp("sqlite_demo")
    end = floor_hour(datetime.now(UTC))
    start = end - DEMO_HOURS * HOUR
    scenario = build_demo_databases(out, start, DEMO_HOURS, DEMO_RATE)
    return {"old": f"sqlite:///{out / 'old.db'}", "new": f"sqlite:///{out / 'new.db'}", "dir": out,
            "start": start, "end": end, "scenario": scenario, "planted": scenario.faults["bookings"],
            "timezone": DEMO_ZONE}
