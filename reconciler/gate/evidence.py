"""What the gate reads, and only from the report store: the window ledger, the totals of
the runs whose verdicts are in force, the hourly health results, and the point-in-time
results. No source is queried."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exc, func, select

from reconciler.errors import SourceError
from reconciler.store.ledger import ledger_rows
from reconciler.store.schema import compares, results, runs
from reconciler.timeutil import Window, iso

HOURLY_MEASURES = ("processing_lag",)


@dataclass(frozen=True)
class Evidence:
    period: Window
    observed_until: datetime            # point-in-time results count from period.start up to here
    datasets: tuple[str, ...]
    ledger: dict                        # (dataset, hour) -> ledger row
    totals: dict                        # (run_id, dataset) -> (compare window, totals)
    runs: dict                          # run_id -> run summary {id, job, window}
    hourly: list = field(default_factory=list)          # hourly health results
    point_in_time: list = field(default_factory=list)   # rules, queues, newest-event age, latency


def _store_errors(function):
    @functools.wraps(function)
    def wrapper(store, *args, **kwargs):
        try:
            return function(store, *args, **kwargs)
        except (exc.OperationalError, exc.InterfaceError) as e:
            text = str(getattr(e, "orig", None) or e).strip().splitlines()
            raise SourceError(f"report store {store.display_url}: {text[0] if text else type(e).__name__}") from e
    return wrapper


def _result_row(row, moment_column) -> dict:
    return {"run_id": row.run_id, "check": row.check_name, "status": row.status, "observed": row.observed,
            "threshold": row.threshold, "violations": row.violations, "details": row.details or {},
            "message": row.message,
            "window": Window(row.window_start, row.window_end) if row.window_start is not None else None,
            "moment": moment_column}


def point_in_time_results(conn, since: datetime, until: datetime) -> list[dict]:
    """Results that describe a moment rather than an hour: SQL rules (they carry a severity),
    queue depths, newest-event age, write latency (`details.point_in_time`). The moment is
    the result's `as_of` (the clock of the run that judged it); runs stored before that column
    existed fall back to their started_at."""
    moment = func.coalesce(results.c.as_of, runs.c.started_at)
    query = (select(results, moment.label("moment")).join(runs, runs.c.id == results.c.run_id)
             .where(results.c.compare_id.is_(None), moment >= since, moment <= until)
             .order_by(moment, results.c.id))
    out = []
    for row in conn.execute(query):
        details = row.details or {}
        if "severity" in details or details.get("point_in_time"):
            out.append(_result_row(row, row.moment))
    return out


def hourly_results(conn, period: Window, measures=HOURLY_MEASURES) -> list[dict]:
    query = (select(results, runs.c.started_at).join(runs, runs.c.id == results.c.run_id)
             .where(results.c.compare_id.is_(None), results.c.window_start < period.end,
                    results.c.window_end > period.start)
             .order_by(results.c.window_start, runs.c.id))
    return [_result_row(row, row.started_at) for row in conn.execute(query)
            if (row.details or {}).get("measure") in measures]


def _totals(conn, run_ids) -> dict:
    if not run_ids:
        return {}
    query = select(compares.c.run_id, compares.c.dataset, compares.c.window_start, compares.c.window_end,
                   compares.c.totals).where(compares.c.run_id.in_(run_ids))
    return {(r.run_id, r.dataset): (Window(r.window_start, r.window_end), r.totals or {}) for r in conn.execute(query)}


def _runs(conn, run_ids) -> dict:
    if not run_ids:
        return {}
    query = select(runs.c.id, runs.c.job, runs.c.window_start, runs.c.window_end, runs.c.started_at) \
        .where(runs.c.id.in_(run_ids))
    return {r.id: {"id": r.id, "job": r.job, "window": {"start": iso(r.window_start), "end": iso(r.window_end)},  # equal for point-in-time runs
                   "started_at": r.started_at} for r in conn.execute(query)}


@_store_errors
def read_evidence(store, datasets, period: Window, observed_until: datetime) -> Evidence:
    with store.engine.connect() as conn:
        ledger = {}
        for dataset in datasets:
            for row in ledger_rows(conn, dataset, period.start, period.end):
                ledger[(dataset, row["hour"])] = row
        hourly = hourly_results(conn, period)
        instants = point_in_time_results(conn, period.start, observed_until)
        ledger_runs = sorted({row["run_id"] for row in ledger.values() if row["run_id"] is not None})
        totals = _totals(conn, ledger_runs)
        every_run = sorted(set(ledger_runs) | {r["run_id"] for r in hourly + instants})
        run_summaries = _runs(conn, every_run)
    return Evidence(period, observed_until, tuple(datasets), ledger, totals, run_summaries, hourly, instants)
