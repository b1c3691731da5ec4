"""ReportStore: the one door to the report store database."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime, timedelta, timezone
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import delete, select, text

from reconciler.errors import SourceError, UsageError
from reconciler.notify.lifecycle import enqueue_for_run as enqueue_notifications
from reconciler.results import ERROR, RunResult
from reconciler.store import claims, ledger
from reconciler.store import runs as run_rows
from reconciler.store.engine import make_store_engine, redact_url, store_errors, writer
from reconciler.store.schema import compares, job_watermarks, ledger_verdicts, results, runs, samples, window_ledger
from reconciler.timeutil import Window

UTC = timezone.utc
MIGRATIONS = Path(__file__).parent / "migrations"
DEFAULT_SAMPLE_LIMIT = 20
_UPGRADE_LOCK_KEY = 0x5EC0_4EC0  # pg advisory lock: replicas starting together upgrade one at a time


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


class ReportStore:
    def __init__(self, url: str, *, sample_limit: int = DEFAULT_SAMPLE_LIMIT):
        self.display_url = redact_url(url)
        self.engine = make_store_engine(url)
        self.sample_limit = sample_limit

    def __repr__(self) -> str:
        return f"ReportStore({self.display_url!r})"

    def close(self) -> None:
        self.engine.dispose()

    # -- schema -------------------------------------------------------------------------
    def _alembic_config(self, connection) -> AlembicConfig:
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = connection
        return cfg

    @store_errors
    def upgrade(self, revision: str = "head") -> str:
        """Create or upgrade the schema; returns the revision now current."""
        with writer(self.engine).begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK_KEY})
            command.upgrade(self._alembic_config(conn), revision)
        return self.revision()

    @store_errors
    def downgrade(self, revision: str) -> str | None:
        with writer(self.engine).begin() as conn:
            command.downgrade(self._alembic_config(conn), revision)
        return self.revision()

    @store_errors
    def revision(self) -> str | None:
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def head(self) -> str:
        return ScriptDirectory(str(MIGRATIONS)).get_current_head()

    def require_current_schema(self) -> None:
        current, head = self.revision(), self.head()
        if current != head:
            state = f"is at revision {current}" if current else "has no schema yet"
            raise SourceError(f"report store {self.display_url} {state}, this version needs {head}: "
                              "run `reconciler db upgrade`")

    # -- writing ------------------------------------------------------------------------
    @store_errors
    def record_run(self, run: RunResult, *, tool_version: str, config_fingerprint: str, source_names,
                   now: datetime | None = None, failed_datasets=()) -> int:
        """Run, results, bounded samples, ledger and watermark in ONE transaction."""
        recorded_at = _now(now)
        provenance = {"tool_version": tool_version, "config_fingerprint": config_fingerprint,
                      "source_names": _safe_source_names(source_names), "recorded_at": recorded_at}
        judgements = ledger.judgements_of(run) + ledger.failure_judgements(failed_datasets, run.window)
        with writer(self.engine).begin() as conn:
            run_id = run_rows.insert_run(conn, run.to_dict(), provenance, self.sample_limit)
            enqueue_notifications(conn, run_id, run, recorded_at)
            ledger.write_judgements(conn, run_id, judgements, recorded_at)
            if run.status != ERROR:
                ledger.advance_watermark(conn, run.job, run.window.hours()[-1], run_id, recorded_at)
        return run_id

    def record_failure(self, job: str, window: Window, message: str, *, datasets=(),
                       started_at: datetime | None = None, **provenance) -> int:
        """A run that could not be computed (source unreachable...): status error, the ledger
        hours of `datasets` go to error, the watermark stays where it was."""
        finished_at = _now(provenance.get("now"))
        run = RunResult(job=job, window=window, started_at=started_at or finished_at, finished_at=finished_at,
                        status=ERROR, results=[], message=message)
        return self.record_run(run, failed_datasets=datasets, **provenance)

    @store_errors
    def note_hours(self, dataset: str, hours, *, now: datetime, settle: timedelta = timedelta(0)) -> None:
        with writer(self.engine).begin() as conn:
            ledger.note_hours(conn, dataset, hours, now=now, settle=settle)

    @store_errors
    def advance_watermark(self, job: str, hour: datetime, *, run_id: int | None = None,
                          now: datetime | None = None) -> None:
        with writer(self.engine).begin() as conn:
            ledger.advance_watermark(conn, job, hour, run_id, _now(now))

    def claim(self, job: str, window: Window, *, owner: str | None = None,
              lease: timedelta = claims.DEFAULT_LEASE) -> AbstractContextManager[bool]:
        """`with store.claim(job, window) as claimed:` -- judge the window only when claimed is True."""
        return claims.claim_window(self.engine, job, window, owner=owner, lease=lease)

    @store_errors
    def prune(self, keep_days: int, now: datetime) -> dict[str, int]:
        """Delete what is older than `keep_days`: samples first (the bulk), then results,
        comparisons, runs, ledger rows and verdicts. Nothing newer is touched."""
        cutoff = now - timedelta(days=keep_days)
        old_runs = select(runs.c.id).where(runs.c.started_at < cutoff).scalar_subquery()
        deleted = {}
        with writer(self.engine).begin() as conn:
            deleted["samples"] = conn.execute(delete(samples).where(
                (samples.c.recorded_at < cutoff) | samples.c.run_id.in_(old_runs))).rowcount
        with writer(self.engine).begin() as conn:
            for name, table in (("results", results), ("compares", compares)):
                deleted[name] = conn.execute(delete(table).where(table.c.run_id.in_(old_runs))).rowcount
            deleted["runs"] = conn.execute(delete(runs).where(runs.c.started_at < cutoff)).rowcount
            deleted["ledger"] = conn.execute(delete(window_ledger).where(window_ledger.c.hour < cutoff)).rowcount
            deleted["verdicts"] = conn.execute(
                delete(ledger_verdicts).where(ledger_verdicts.c.judged_at < cutoff)).rowcount
        return deleted

    # -- reading ------------------------------------------------------------------------
    @store_errors
    def get_run(self, run_id) -> dict:
        with self.engine.connect() as conn:
            found = run_rows.read_run(conn, _run_number(run_id))
        if found is None:
            raise UsageError(f"no run {run_id} in the report store {self.display_url} "
                             "(`reconciler report list` shows the runs)")
        return found

    @store_errors
    def latest_run_id(self, job: str | None = None) -> int | None:
        found = self.list_runs(job=job, limit=1)
        return found[0]["id"] if found else None

    @store_errors
    def list_runs(self, job: str | None = None, since: datetime | None = None, status: str | None = None,
                  limit: int | None = None) -> list[dict]:
        """Newest first: summaries (no results) with `checks` and `failing_checks` counts."""
        with self.engine.connect() as conn:
            return run_rows.list_run_rows(conn, job=job, since=since, status=status, limit=limit)

    @store_errors
    def runs_overlapping(self, start: datetime, end: datetime) -> list[dict]:
        with self.engine.connect() as conn:
            return run_rows.runs_overlapping(conn, start, end)

    @store_errors
    def ledger(self, dataset: str, since: datetime | None = None, until: datetime | None = None) -> list[dict]:
        with self.engine.connect() as conn:
            return ledger.ledger_rows(conn, dataset, since, until)

    @store_errors
    def ledger_history(self, dataset: str, hour: datetime) -> list[dict]:
        with self.engine.connect() as conn:
            return ledger.verdict_history(conn, dataset, hour)

    @store_errors
    def watermark(self, job: str) -> datetime | None:
        with self.engine.connect() as conn:
            return conn.execute(select(job_watermarks.c.hour).where(job_watermarks.c.job == job)).scalar()


def _run_number(run_id) -> int:
    try:
        return int(run_id)
    except (TypeError, ValueError):
        raise UsageError(f"run id must be a number, got {run_id!r} (`reconciler report list` shows the runs)") from None


def _safe_source_names(source_names) -> list | dict:
    """Names only, or name -> URL with the password removed."""
    if isinstance(source_names, dict):
        return {str(name): redact_url(str(url)) if url else "" for name, url in source_names.items()}
    return [str(name) for name in source_names]
