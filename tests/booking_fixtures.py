"""Throw-away booking databases on the real servers, and small booking scenarios.

Servers: the ones conftest.py names (RECONCILER_TEST_PG_URL, RECONCILER_TEST_TIMESCALE_URL,
RECONCILER_TEST_MARIADB_URL); each test session creates `reconciler_test_rules_<pid>` on them
and drops it afterwards. A server that cannot be reached skips its tests, or fails them when
CI=true (conftest.unavailable)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from conftest import MARIADB_ADMIN_URL, PG_ADMIN_URL, TIMESCALE_ADMIN_URL, unavailable
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from reconciler.demo.bookings import (
    Stay,
    clear_bookings,
    create_booking_schema,
    device_rows,
    merge_rows,
    stay_rows,
    write_rows,
)

TODAY = date(2026, 3, 15)
DIALECTS = ("postgresql", "timescaledb", "mariadb", "sqlite")
ADMIN_URLS = {"postgresql": PG_ADMIN_URL, "timescaledb": TIMESCALE_ADMIN_URL, "mariadb": MARIADB_ADMIN_URL}
CONNECT_ARGS = {"postgresql": {"connect_timeout": 5}, "timescaledb": {"connect_timeout": 5},
                "mariadb": {"connect_timeout": 5}}


class Databases:
    """One throw-away booking database per dialect, created on first use."""

    def __init__(self, tmp_dir: Path):
        self.tmp_dir = tmp_dir
        self.name = f"reconciler_test_rules_{os.getpid()}"
        self.engines: dict[str, Engine] = {}
        self.failures: dict[str, str] = {}

    def engine(self, dialect: str) -> Engine:
        if dialect in self.failures:
            unavailable(self.failures[dialect])
        if dialect not in self.engines:
            try:
                self.engines[dialect] = self._create(dialect)
            except SQLAlchemyError as exc:
                where = make_url(ADMIN_URLS[dialect]).render_as_string(hide_password=True)
                self.failures[dialect] = f"{dialect} at {where} is unreachable: {exc.__class__.__name__}: " \
                                         f"{str(exc).splitlines()[0]}"
                unavailable(self.failures[dialect])
        return self.engines[dialect]

    def _create(self, dialect: str) -> Engine:
        if dialect == "sqlite":
            engine = create_engine(f"sqlite:///{self.tmp_dir / 'bookings.db'}")
        else:
            with self._admin(dialect) as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {self.name}"))
                conn.execute(text(f"CREATE DATABASE {self.name}"))
            url = make_url(ADMIN_URLS[dialect]).set(database=self.name)
            engine = create_engine(url, connect_args=CONNECT_ARGS[dialect])
        with engine.begin() as conn:
            create_booking_schema(conn)
        return engine

    @contextmanager
    def _admin(self, dialect: str):
        engine = create_engine(ADMIN_URLS[dialect], isolation_level="AUTOCOMMIT",
                               connect_args=CONNECT_ARGS[dialect], poolclass=NullPool)
        try:
            with engine.connect() as conn:
                yield conn
        finally:
            engine.dispose()

    def close(self) -> None:
        for dialect, engine in self.engines.items():
            engine.dispose()
            if dialect != "sqlite":
                with self._admin(dialect) as conn:
                    force = " WITH (FORCE)" if dialect in ("postgresql", "timescaledb") else ""
                    conn.execute(text(f"DROP DATABASE IF EXISTS {self.name}{force}"))


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def booking(booking_id: int, status: str = "confirmed", check_in: int = 1, nights: int = 3,
            property_id: int = 1, guest_id: int | None = None) -> dict[str, list[dict]]:
    """A consistent booking (history, exact-edge access code, sent confirmation) whose
    check-in is `check_in` days after TODAY."""
    stay = Stay(booking_id, property_id, guest_id or 100 + booking_id, status,
                day(check_in), day(check_in + nights))
    return stay_rows(stay, TODAY)


def scenario(*parts: dict[str, list[dict]]) -> dict[str, list[dict]]:
    return merge_rows({"devices": device_rows([1, 2, 3])}, *parts)


def write_scenario(engine: Engine, rows: dict[str, list[dict]]) -> None:
    with engine.begin() as conn:
        clear_bookings(conn)
        write_rows(conn, rows)
