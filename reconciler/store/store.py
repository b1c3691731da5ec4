"""ReportStore: the one door to the report store database."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, delete, select, text

from reconciler.errors import SourceError, UsageError
from reconciler.results import DEFAULT_SAMPLE_LIMIT, ERROR, RunResult, StoredResult, StoredRun
from reconciler.store import claims, evidence, ledger, windows
from reconciler.store import runs as run_rows
from reconciler.store.alerts import Alerts
from reconciler.store.engine import make_store_engine, redact_url, store_errors, writer
from reconciler.store.finding_history import FindingHistory
from reconciler.store.outbox import Outbox
from reconciler.store.result_history import ResultHistory
from reconciler.store.schema import compares, job_watermarks, ledger_verdicts, results, runs, samples, window_ledger
from reconciler.store.verifications import Verifications
from reconciler.timeutil import Window

UTC = timezone.utc
MIGRATIONS = Path(__file__).parent / "migrations"
GATE_PERIOD = timedelta(days=7)  # the go/no-go gate judges the last 7 days: prune keeps their evidence
_UPGRADE_LOCK_KEY = 0x5EC0_4EC0  # pg advisory lock: replicas starting together upgrade one at a time

# Called inside record_run's transaction with (conn, run_id, run, now): whatever it writes is
# committed with the run or not at all (service/ wires the Slack lifecycle in here).
RunHook = Callable[[Connection, int, RunResult, datetime], None]


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


class ReportStore:
    def __init__(self, url: str, *, sample_limit: int = DEFAULT_SAMPLE_LIMIT, run_hooks: tuple[RunHook, ...] = ()):
        self.display_url = redact_url(url)
        self.engine = make_store_engine(url)
        self.sample_limit = sample_limit
        self.run_hooks: list[RunHook] = []
        for hook in run_hooks:
            self.add_run_hook(hook)
        self.outbox = Outbox(self)        # Slack messages waiting or sent
        self.alerts = Alerts(self)        # Slack alerts, open or resolved
        self.history = ResultHistory(self)
        self.findings = FindingHistory(self)  # findings hour by hour, for stories
        self.verifications = Verifications(self)  # whole-history verifications (reconciler verify)
        self.live_jobs: frozenset[str] | None = None  # the configured jobs, whose verdicts on an hour count
        self._moments: dict = {}          # the gate's point-in-time results, by id, from its last read

    def add_run_hook(self, hook: RunHook) -> None:
        """Run `hook` inside every later record_run's transaction, after the run, its ledger
        verdicts and its watermark are written. Adding the same hook twice adds it once."""
        if hook not in self.run_hooks:
            self.run_hooks.append(hook)

    def __repr__(self) -> str:
        return f"ReportStore({self.display_url!r})"

    def close(self) -> None:
        self.engine.dispose()

    def local_file(self) -> Path | None:
        """The database file of a SQLite store (one machine, one scheduler); None for a server."""
        if self.engine.dialect.name != "sqlite" or not self.engine.url.database:
            return None
        return Path(self.engine.url.database).resolve()

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
        """Run, results, bounded samples, ledger, watermark and what the run hooks write, in ONE
        transaction."""
        recorded_at = _now(now)
        provenance = {"tool_version": tool_version, "config_fingerprint": config_fingerprint,
                      "source_names": _safe_source_names(source_names), "recorded_at": recorded_at}
        judgements = ledger.judgements_of(run)
        if run.window is not None:
            judgements += ledger.failure_judgements(failed_datasets, run.window)
        with writer(self.engine).begin() as conn:
            run_id = run_rows.insert_run(conn, run, provenance, self.sample_limit)
            ledger.write_judgements(conn, run_id, judgements, recorded_at, message=run.message,
                                    live_jobs=self.live_jobs)
            if run.status != ERROR and run.window is not None:
                windows.advance_over_judged(conn, run.job, run.window.start, run_id, recorded_at)
            for hook in self.run_hooks:
                hook(conn, run_id, run, recorded_at)
        return run_id

    def record_failure(self, job: str, window: Window | None, message: str, *, datasets=(),
                       started_at: datetime | None = None, finished_at: datetime | None = None,
                       as_of: datetime | None = None, **provenance) -> int:
        """A run that could not be computed (source unreachable...): status error, the ledger
        hours of `datasets` get the error (beside a verdict already in force), the watermark stays
        where it was. `window=None, as_of=T`: point-in-time checks that could not run at T."""
        finished_at = finished_at or _now(provenance.get("now"))
        run = RunResult(job=job, window=window, started_at=started_at or finished_at, finished_at=finished_at,
                        status=ERROR, results=[], message=message, as_of=as_of)
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

    @store_errors
    def start_watermark(self, job: str, hour: datetime, *, now: datetime | None = None) -> None:
        """Set the job's watermark to `hour` if it has none or an older one."""
        with writer(self.engine).begin() as conn:
            windows.start_watermark(conn, job, hour, _now(now))

    @store_errors
    def ran_before(self, instant: datetime) -> bool:
        """Was any run stored before `instant`, or about a time before it (did the checker
        exist then)?"""
        with self.engine.connect() as conn:
            return windows.ran_before(conn, instant)

    @store_errors
    def last_run_id(self) -> int:
        """A mark taken when windows are listed: `judged_after(job, window, mark)` then tells whether
        another process judged one of them since."""
        with self.engine.connect() as conn:
            return windows.last_run_id(conn)

    @store_errors
    def judged_after(self, job: str, window: Window | None, mark: int, *, as_of: datetime | None = None) -> bool:
        """Was a run of `job` over `window` (or, window None, of its point-in-time checks as of
        `as_of`) stored after run id `mark`?"""
        start, end = (window.start, window.end) if window is not None else (as_of, as_of)
        with self.engine.connect() as conn:
            return windows.judged_after(conn, job, start, end, mark)

    @store_errors
    def hour_states(self, job: str, since: datetime, until: datetime) -> dict:
        with self.engine.connect() as conn:
            return windows.hour_states(conn, job, since, until)

    @store_errors
    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def claim(self, job: str, window: Window, *, owner: str | None = None,
              lease: timedelta = claims.DEFAULT_LEASE) -> AbstractContextManager[bool]:
        """`with store.claim(job, window) as claimed:` -- judge the window only when claimed is True."""
        return claims.claim_window(self.engine, job, window, owner=owner, lease=lease)

    @store_errors
    def prune(self, keep_days: int, now: datetime) -> dict[str, int]:
        """Delete runs started more than `keep_days` ago with their results, comparisons and
        samples (samples first: the bulk). What a gate period (the last GATE_PERIOD) still needs is
        kept whatever `keep_days` says: the ledger rows and verdict history of its hours, the runs
        whose verdicts are in force for them (the gate reads their totals) and the point-in-time
        runs stamped inside it. Samples older than `keep_days` go in any case."""
        cutoff = now - timedelta(days=keep_days)
        protect_from = min(cutoff, now - GATE_PERIOD)
        needed = (select(window_ledger.c.run_id)
                  .where(window_ledger.c.hour >= protect_from, window_ledger.c.run_id.is_not(None))
                  .union(select(results.c.run_id).where(results.c.as_of >= protect_from)))
        old_runs = select(runs.c.id).where(runs.c.started_at < cutoff, ~runs.c.id.in_(needed)).scalar_subquery()
        deleted = {}
        with writer(self.engine).begin() as conn:
            deleted["samples"] = conn.execute(delete(samples).where(
                (samples.c.recorded_at < cutoff) | samples.c.run_id.in_(old_runs))).rowcount
        with writer(self.engine).begin() as conn:
            doomed = [r for (r,) in conn.execute(select(runs.c.id).where(runs.c.id.in_(old_runs)))]
            for name, table in (("results", results), ("compares", compares)):
                deleted[name] = conn.execute(delete(table).where(table.c.run_id.in_(doomed))).rowcount
            deleted["runs"] = conn.execute(delete(runs).where(runs.c.id.in_(doomed))).rowcount
            deleted["ledger"] = conn.execute(delete(window_ledger).where(window_ledger.c.hour < protect_from)).rowcount
            deleted["verdicts"] = conn.execute(
                delete(ledger_verdicts).where(ledger_verdicts.c.hour < protect_from)).rowcount
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

    def load_run(self, run_id) -> RunResult:
        """The stored run as the typed value it was written from (`RunResult.from_dict`): the
        same types in as out, whatever version of the store wrote it."""
        return RunResult.from_dict(self.get_run(run_id))

    def stored_run(self, run_id) -> StoredRun:
        """The typed run with its provenance (id, recorded_at, tool version, config fingerprint,
        sources): what the report renderers read."""
        return StoredRun.from_dict(self.get_run(run_id))

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
    def ledger_period(self, start: datetime, end: datetime) -> list[dict]:
        """Every dataset's ledger rows of the hours in [start, end)."""
        with self.engine.connect() as conn:
            return ledger.period_rows(conn, start, end)

    @store_errors
    def ledger_history(self, dataset: str, hour: datetime) -> list[dict]:
        with self.engine.connect() as conn:
            return ledger.verdict_history(conn, dataset, hour)

    @store_errors
    def gate_evidence(self, datasets, period: Window, observed_until: datetime) -> evidence.StoredEvidence:
        """What the gate weighs for `datasets` over `period` (point-in-time results up to
        `observed_until`), read in one transaction."""
        with self.engine.connect() as conn:
            return evidence.read_gate_evidence(conn, datasets, period, observed_until, self._moments)

    @store_errors
    def previous_result(self, check_name: str) -> StoredResult | None:
        """The newest stored result named `check_name`, for a check that compares itself with
        its last run (queue growth, a histogram's previous scrape)."""
        with self.engine.connect() as conn:
            return evidence.previous_result(conn, check_name)

    @store_errors
    def hour_row_totals(self, dataset: str, hour: datetime) -> dict | None:
        """The row-comparison totals of the newest comparison of the dataset over exactly that
        hour (None: never compared as one hour)."""
        with self.engine.connect() as conn:
            return evidence.hour_row_totals(conn, dataset, hour)

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
