"""SQLAlchemy URLs as this project reads them: the drivers it installs, and relative SQLite
paths taken from the config file's folder, like every other path in the config."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError


def with_default_driver(url: URL) -> URL:
    """`postgresql://` means psycopg 3 and `mysql://` / `mariadb://` PyMySQL: the drivers installed."""
    backend = url.get_backend_name()
    if backend == "postgresql" and url.drivername == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    if backend in ("mysql", "mariadb") and "+" not in url.drivername:
        return url.set(drivername=f"{backend}+pymysql")
    return url


def anchored_sqlite_url(url: str, base: Path) -> str:
    """A SQLite URL with a relative file path made relative to `base`; any other URL as given
    (an unparsable one too: whoever opens it names the problem)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" \
            or database.startswith("file:") or Path(database).is_absolute():
        return url
    return parsed.set(database=str(base / database)).render_as_string(hide_password=False)
