"""SQLAlchemy URLs as this project reads them: the drivers it installs, and relative SQLite
paths taken from the config file's folder, like every other path in the config."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from reconciler.dialects import dialect_class


def with_default_driver(url: URL) -> URL:
    """`postgresql://` means psycopg 3 and `mysql://` / `mariadb://` PyMySQL: the drivers installed."""
    dialect = dialect_class(url.get_backend_name())
    return dialect.with_default_driver(url) if dialect else url


def anchored_sqlite_url(url: str, base: Path) -> str:
    """A SQLite URL with a relative file path made relative to `base`; any other URL as given
    (an unparsable one too: whoever opens it names the problem)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url
    dialect = dialect_class(parsed.get_backend_name())
    anchored = dialect.anchored(parsed, base) if dialect else parsed
    return url if anchored is parsed else anchored.render_as_string(hide_password=False)
