"""From schedule.yaml's `report_store` to an open store and a reports directory. Relative
SQLite paths and directories are taken relative to the config file, like every other path in it."""

from __future__ import annotations

from pathlib import Path

from reconciler.config.loader import LoadedConfig
from reconciler.errors import SourceError
from reconciler.sources.urls import anchored_sqlite_url
from reconciler.store.store import ReportStore


def store_url(loaded: LoadedConfig) -> str:
    return anchored_sqlite_url(loaded.config.report_store.url, loaded.base_dir)


def reports_directory(loaded: LoadedConfig) -> Path:
    return loaded.resolve(loaded.config.report_store.directory)


def open_report_store(loaded: LoadedConfig, *, upgrade: bool = True) -> ReportStore:
    """The configured store, its schema created or brought to head first (what `reconciler db
    upgrade` does): every command that opens the store, reading or writing, does this, so a
    fresh store answers `report list` as it answers `run`. `upgrade=False` instead makes a
    store whose schema is not current an error that says how to fix it."""
    store = ReportStore(store_url(loaded))
    store.live_jobs = frozenset(loaded.config.jobs)
    if upgrade:
        from alembic.util.exc import CommandError

        try:
            store.upgrade()
        except CommandError as e:  # a revision this version does not know: written by a newer one
            raise SourceError(f"report store {store.display_url}: {e}; this version's newest revision is "
                              f"{store.head()}: use the reconciler version that upgraded the store") from None
    else:
        store.require_current_schema()
    return store
