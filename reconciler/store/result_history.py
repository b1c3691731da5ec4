"""Stored results read back for what happens after a run: the results an earlier run of the
same job and window gave (the Slack lifecycle tells a recheck that changed a verdict), and
the point-in-time results of a period (the digest counts them as moments)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from reconciler.store.engine import store_errors
from reconciler.store.runs import run_results
from reconciler.store.schema import results, runs


def earlier_results(conn: Connection, job: str, start: datetime, run_id: int) -> list[dict]:
    """{check, details, status} of every result of the earlier runs of `job` whose window
    starts at `start` (a point-in-time run: its as_of), oldest run first."""
    query = (select(results.c.run_id, results.c.compare_id, results.c.position, results.c.check_name,
                    results.c.details, results.c.status)
             .join(runs, runs.c.id == results.c.run_id)
             .where(runs.c.job == job, runs.c.window_start == start, runs.c.id != run_id)
             .order_by(results.c.run_id, results.c.position))
    return [{"check": r.check_name, "details": r.details or {}, "status": r.status}
            for r in _each_once(conn.execute(query))]


def moment_results(conn: Connection, start: datetime, end: datetime) -> list[dict]:
    """{run_id, job, check, details, status, as_of} of the point-in-time results judged within
    [start, end), oldest first."""
    query = (select(results.c.run_id, results.c.compare_id, results.c.position, runs.c.job, results.c.check_name,
                    results.c.details, results.c.status, results.c.as_of)
             .join(runs, runs.c.id == results.c.run_id)
             .where(results.c.as_of >= start, results.c.as_of < end)
             .order_by(results.c.as_of, results.c.id))
    return [{"run_id": r.run_id, "job": r.job, "check": r.check_name, "details": r.details or {},
             "status": r.status, "as_of": r.as_of} for r in _each_once(conn.execute(query))]


def _each_once(rows) -> list:
    """Rows in their order, a comparison's checks once: older versions stored them twice per run
    (store.runs.run_results decides which copy is the run's)."""
    rows = list(rows)
    by_run: dict[int, list] = {}
    for r in rows:
        by_run.setdefault(r.run_id, []).append(r)
    kept = {id(r) for group in by_run.values() for r in run_results(group)}
    return [r for r in rows if id(r) in kept]


class ResultHistory:
    """`store.history`: the same reads, each in its own connection."""

    def __init__(self, store):
        self.engine, self.display_url = store.engine, store.display_url

    @store_errors
    def moment_results(self, start: datetime, end: datetime) -> list[dict]:
        with self.engine.connect() as conn:
            return moment_results(conn, start, end)
