"""What a `url:` key may hold, checked when the config is loaded: a source's database, queue
or Prometheus API, and the report store's database. Nothing connects here."""

from __future__ import annotations

from reconciler.config.prometheus import is_prometheus_url
from reconciler.redact import safe_url

SOURCE_DATABASES = ("postgresql", "mysql", "mariadb", "sqlite")
STORE_DATABASES = ("sqlite", "postgresql")
_SOURCE_EXAMPLE = ("a SQLAlchemy URL such as postgresql+psycopg://user@host/db, redis://host:6379/0 for a queue, "
                   "or http(s)://host:9090 for Prometheus")
_STORE_EXAMPLE = "a SQLAlchemy URL such as sqlite:///reports/reconciler.db or postgresql+psycopg://host/db"


def is_queue_url(url: str) -> bool:
    return url.strip().lower().startswith(("redis://", "rediss://"))


def source_url_problem(url: str) -> str | None:
    """Why a source's (non-empty) url cannot be used, or None."""
    if is_prometheus_url(url) or is_queue_url(url):
        return None
    return _database_url_problem(url, SOURCE_DATABASES, _SOURCE_EXAMPLE)


def store_url_problem(url: str) -> str | None:
    """Why the report store's url cannot be used, or None."""
    return _database_url_problem(url, STORE_DATABASES, _STORE_EXAMPLE)


def _database_url_problem(url: str, supported: tuple, example: str) -> str | None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    shown = safe_url(url)
    if "://" not in url:
        return f"{shown!r} is not a URL (expected {example})"
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        return f"{shown!r} is not a URL (expected {example})"
    except ValueError as e:  # a port that is not a number
        return f"{shown!r} is not a valid URL: {e}"
    if backend not in supported:
        return f"unsupported database {backend!r} in {shown!r} (supported: {', '.join(supported)})"
    return None
