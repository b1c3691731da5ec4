"""Reading stored results as typed values: what the gate weighs (the ledger of its datasets,
the totals of the runs whose verdicts are in force, the windowed and the point-in-time
results of its period) and a check's previous result, which a check compares itself with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, func, select

from reconciler.results import ERROR, CheckResult, StoredResult
from reconciler.store.ledger import ledger_rows
from reconciler.store.runs import _result_dict
from reconciler.store.schema import compares, results, runs
from reconciler.timeutil import HOUR, Window, iso

LEGACY_MOMENT_MARKERS = ("point_in_time", "severity")  # how older versions marked a result about a moment
_UNREAD = object()


@dataclass(frozen=True)
class StoredEvidence:
    ledger: dict                                   # (dataset, hour) -> ledger row
    totals: dict                                   # (dataset, hour) -> (run_id, totals) of its newest comparison
    runs: dict                                     # run_id -> {id, job, window, started_at}
    windowed: list[StoredResult] = field(default_factory=list)
    point_in_time: list[StoredResult] = field(default_factory=list)


def stored_result(row, moment: datetime) -> StoredResult:
    """A results row as a StoredResult. A point-in-time result of a version that stored it with
    its run's window and no as_of is read as of its run's start."""
    doc = _result_dict(row, [])
    legacy_moment = row.as_of is None and any(k in (row.details or {}) for k in LEGACY_MOMENT_MARKERS)
    result = CheckResult.from_dict({**doc, "window": None} if legacy_moment else doc, as_of=moment)
    return StoredResult(result, row.run_id, moment)


def point_in_time_results(conn: Connection, since: datetime, until: datetime,
                          known: dict | None = None) -> list[StoredResult]:
    """Results about a moment in [since, until], oldest first: those with `as_of`, and those of
    older versions that marked it in their details (their moment: their run's start).

    `known` (result id -> StoredResult, or None for a result about hours) is what an earlier call
    read: a stored result never changes, so only the ids it lacks are read in full. It is left
    holding this period's results alone, so it never grows beyond one period."""
    moment = func.coalesce(results.c.as_of, runs.c.started_at)
    in_period = (moment >= since, moment <= until)
    joined = results.join(runs, runs.c.id == results.c.run_id)
    ids = conn.execute(select(results.c.id).select_from(joined).where(*in_period)
                       .order_by(moment, results.c.id)).scalars().all()
    known = {} if known is None else known
    seen = {i: r for i in ids if (r := known.get(i, _UNREAD)) is not _UNREAD}  # get: safe beside another thread
    missing = [i for i in ids if i not in seen]
    for chunk in range(0, len(missing), 500):
        query = select(results, moment.label("moment")).select_from(joined) \
            .where(results.c.id.in_(missing[chunk:chunk + 500]))
        for row in conn.execute(query):
            about_moment = row.as_of is not None or any(k in (row.details or {}) for k in LEGACY_MOMENT_MARKERS)
            seen[row.id] = stored_result(row, row.moment) if about_moment else None
    known.clear()
    known.update(seen)
    return [seen[i] for i in ids if seen.get(i) is not None]


def windowed_results(conn: Connection, period: Window) -> list[StoredResult]:
    """Results about hours overlapping the period, by hour then run (a comparison's own checks
    excepted: the ledger holds their verdicts)."""
    query = (select(results, runs.c.started_at).join(runs, runs.c.id == results.c.run_id)
             .where(results.c.compare_id.is_(None), results.c.as_of.is_(None),
                    results.c.window_start < period.end, results.c.window_end > period.start)
             .order_by(results.c.window_start, runs.c.id))
    return [stored_result(row, row.started_at) for row in conn.execute(query)
            if not any(k in (row.details or {}) for k in LEGACY_MOMENT_MARKERS)]


def hour_totals(conn: Connection, datasets, period: Window) -> dict:
    """(dataset, hour) -> (run_id, totals) of the newest comparison of exactly that hour (an
    error compared nothing): the row counts of the hour, whichever job's verdict is in force."""
    if not datasets:
        return {}
    query = (select(compares.c.run_id, compares.c.dataset, compares.c.window_start, compares.c.window_end,
                    compares.c.totals)
             .where(compares.c.dataset.in_(list(datasets)), compares.c.window_start >= period.start,
                    compares.c.window_end <= period.end, compares.c.status != ERROR.value)  # a plain str: see ledger.note_hours
             .order_by(compares.c.run_id))
    return {(r.dataset, r.window_start): (r.run_id, r.totals or {}) for r in conn.execute(query)
            if r.window_end - r.window_start == HOUR}


def run_summaries(conn: Connection, run_ids) -> dict:
    """id -> {id, job, window, started_at}: what a gate outcome links to."""
    if not run_ids:
        return {}
    query = select(runs.c.id, runs.c.job, runs.c.window_start, runs.c.window_end, runs.c.started_at) \
        .where(runs.c.id.in_(run_ids))
    return {r.id: {"id": r.id, "job": r.job, "window": {"start": iso(r.window_start), "end": iso(r.window_end)},
                   "started_at": r.started_at} for r in conn.execute(query)}


def read_gate_evidence(conn: Connection, datasets, period: Window, observed_until: datetime,
                       known_moments: dict | None = None) -> StoredEvidence:
    ledger = {}
    for dataset in datasets:
        for row in ledger_rows(conn, dataset, period.start, period.end):
            ledger[(dataset, row["hour"])] = row
    windowed = windowed_results(conn, period)
    instants = point_in_time_results(conn, period.start, observed_until, known_moments)
    ledger_runs = sorted({row["run_id"] for row in ledger.values() if row["run_id"] is not None})
    totals = hour_totals(conn, datasets, period)
    every_run = sorted(set(ledger_runs) | {run for run, _ in totals.values()} | {r.run_id for r in windowed + instants})
    return StoredEvidence(ledger, totals, run_summaries(conn, every_run), windowed, instants)


def hour_row_totals(conn: Connection, dataset: str, hour: datetime) -> dict | None:
    """The totals of the newest comparison of `dataset` over exactly the hour `hour` (None: it
    was never compared as one hour). Read from the comparisons, not the ledger: another check's
    verdict on the hour (lag, traffic) may be the one the ledger names."""
    from reconciler.timeutil import HOUR

    query = (select(compares.c.totals).where(compares.c.dataset == dataset, compares.c.window_start == hour,
                                             compares.c.window_end == hour + HOUR)
             .order_by(compares.c.run_id.desc()).limit(1))
    return conn.execute(query).scalar()


def previous_result(conn: Connection, check_name: str) -> StoredResult | None:
    """The newest stored result named `check_name` (the newest run; within it, the last one)."""
    query = (select(results, runs.c.started_at).join(runs, runs.c.id == results.c.run_id)
             .where(results.c.check_name == check_name)
             .order_by(runs.c.id.desc(), results.c.position.desc()).limit(1))
    row = conn.execute(query).first()
    return stored_result(row, row.as_of or row.started_at) if row is not None else None


__all__ = ["StoredEvidence", "read_gate_evidence", "previous_result", "hour_row_totals", "point_in_time_results", "windowed_results"]
