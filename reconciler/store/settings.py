"""From schedule.yaml's `report_store` to an open store and a reports directory. Relative
SQLite paths and directories are taken relative to the config file, like every other path in it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import exc
from sqlalchemy.engine import make_url

from reconciler.config.loader import LoadedConfig
from reconciler.store.store import ReportStore


def store_url(loaded: LoadedConfig) -> str:
    url = loaded.config.report_store.url
    try:
        parsed = make_url(url)
    except exc.ArgumentError:
        return url  # ReportStore names the problem
    database = parsed.database
    if parsed.get_backend_name() == "sqlite" and database and database != ":memory:" \
            and not database.startswith("file:") and not Path(database).is_absolute():
        return parsed.set(database=str(loaded.resolve(database))).render_as_string(hide_password=False)
    return url


def reports_directory(loaded: LoadedConfig) -> Path:
    return loaded.resolve(loaded.config.report_store.directory)


def open_report_store(loaded: LoadedConfig, *, upgrade: bool = False) -> ReportStore:
    """The configured store; `upgrade=True` (the service, `reconciler run`) migrates it first,
    otherwise a store whose schema is not current is an error that says how to fix it."""
    store = ReportStore(store_url(loaded))
    if upgrade:
        store.upgrade()
    else:
        store.require_current_schema()
    return store
