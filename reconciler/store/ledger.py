"""The window ledger: one row per dataset x hour moving pending -> settled -> verified |
drifted | empty | error, plus the history of every verdict. Deriving judgements from a run is
pure; writing them happens inside the caller's transaction.

A verdict is `pass`, `fail`, `empty` (no row on either side: missing evidence) or `error`.
An error never replaces a verdict of the other three: it is recorded beside it
(`last_error*`) and in the history, and the verdict in force stays."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Connection, false, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from reconciler.checks.types import check_type
from reconciler.results import EMPTY, ERROR, FAIL, PASS, RunResult, worst
from reconciler.store.schema import job_watermarks, ledger_verdicts, runs, window_ledger
from reconciler.timeutil import HOUR, Window


class LedgerState(StrEnum):
    """Where a dataset x hour stands: waiting to settle, settled, then as its verdict says."""

    PENDING = "pending"
    SETTLED = "settled"
    VERIFIED = "verified"   # verdict pass
    DRIFTED = "drifted"     # verdict fail
    EMPTY = "empty"         # verdict empty: no row on either side
    ERROR = "error"         # verdict error, with no conclusive verdict before it


PENDING, SETTLED, VERIFIED, DRIFTED = LedgerState.PENDING, LedgerState.SETTLED, LedgerState.VERIFIED, \
    LedgerState.DRIFTED
STATE_OF_STATUS = {PASS: VERIFIED, FAIL: DRIFTED, ERROR: LedgerState.ERROR, EMPTY: LedgerState.EMPTY}
LEDGER_STATES = tuple(s.value for s in LedgerState)
OBSERVED = (PASS, FAIL, EMPTY)  # verdicts that were actually observed; an error observed nothing
_RANK = {PASS: 0, EMPTY: 1, FAIL: 2, ERROR: 3}
_UPSERTING_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@dataclass(frozen=True)
class HourJudgement:
    dataset: str
    hour: datetime
    verdict: str
    old: int | None = None
    new: int | None = None
    drift_pct: float | None = None

    @property
    def state(self) -> str:
        return STATE_OF_STATUS[self.verdict]


def judgements_of(run: RunResult) -> list[HourJudgement]:
    """One judgement per dataset x hour the run decided. From its comparisons: an hour takes
    its own count status; a comparison of a single hour also passes on its row-level status;
    a comparison in error puts all its hours in error. Then what other windowed results say
    about their dataset's hours (their type's `hour_verdicts`: per-hour lag), the worst verdict
    winning: an hour whose lag failed is not a passing hour. Skipped hours are not judgements."""
    by_key: dict[tuple, HourJudgement] = {}
    for compare in run.compares:
        if compare.window is None:
            continue  # a snapshot judges no hour
        single_hour = len(compare.window.hours()) == 1
        for hour in compare.hours:
            statuses = [PASS if hour.status == EMPTY else hour.status]
            if compare.status == ERROR or single_hour:
                statuses.append(compare.status)
            verdict = worst(statuses)
            if verdict not in STATE_OF_STATUS:
                continue
            if verdict == PASS and hour.status == EMPTY:
                verdict = EMPTY
            key = (compare.dataset, hour.hour)
            earlier = by_key.get(key)
            if earlier is not None:
                verdict = max(verdict, earlier.verdict, key=_RANK.__getitem__)
            by_key[key] = HourJudgement(compare.dataset, hour.hour, verdict, hour.old, hour.new, hour.drift_pct)
    for result in run.results:
        found = check_type(result.check_type) if result.window is not None else None
        for dataset, hour, verdict in found.hour_verdicts(result) if found else ():
            earlier = by_key.get((dataset, hour))
            if earlier is not None:
                verdict = max(verdict, earlier.verdict, key=_RANK.__getitem__)
                earlier = replace(earlier, verdict=verdict)
            by_key[(dataset, hour)] = earlier or HourJudgement(dataset, hour, verdict)
    return [by_key[k] for k in sorted(by_key)]


def failure_judgements(datasets, window: Window) -> list[HourJudgement]:
    return [HourJudgement(d, h, ERROR) for d in sorted(set(datasets)) for h in window.hours()]


def insert_ignoring_duplicates(conn: Connection, table, values: dict, keys: list[str]) -> None:
    upserting_insert = _UPSERTING_INSERT.get(conn.dialect.name)
    if upserting_insert is not None:
        conn.execute(upserting_insert(table).values(**values).on_conflict_do_nothing(index_elements=keys))
        return
    where = [table.c[k] == values[k] for k in keys]
    if conn.execute(select(table.c[keys[0]]).where(*where)).first() is None:
        conn.execute(insert(table).values(**values))


def write_judgements(conn: Connection, run_id: int, judgements: list[HourJudgement], now: datetime,
                     message: str | None = None, live_jobs: frozenset[str] | None = None) -> None:
    """Each job keeps its own verdict on an hour (its latest run's), and the hour's verdict in
    force is the worst of them: a job judging lag alone never replaces another job's failed
    comparison of the hour with its pass. Another job's verdict counts while it is one of
    `live_jobs` (the configured jobs; None: any job), so a renamed or retired job's old verdicts
    do not hold its hours for good. Sorted by key so that concurrent writers lock ledger rows in
    the same order (no deadlock)."""
    job = conn.execute(select(runs.c.job).where(runs.c.id == run_id)).scalar()
    this_jobs_runs = select(runs.c.id).where(runs.c.job == job)
    other_jobs_runs = select(runs.c.id).where(runs.c.job != job) if live_jobs is None else \
        select(runs.c.id).where(runs.c.job.in_(sorted(live_jobs - {job})))
    for j in sorted(judgements, key=lambda j: (j.dataset, j.hour)):
        insert_ignoring_duplicates(conn, window_ledger, {"dataset": j.dataset, "hour": j.hour, "state": SETTLED,
                                                          "updated_at": now, "judged_count": 0}, ["dataset", "hour"])
        where = (window_ledger.c.dataset == j.dataset, window_ledger.c.hour == j.hour)
        in_force = conn.execute(select(window_ledger.c.verdict).where(*where).with_for_update()).scalar()
        judged = {"updated_at": now, "last_judged_at": now, "judged_count": window_ledger.c.judged_count + 1}
        counts = {"old_count": j.old, "new_count": j.new, "drift_pct": j.drift_pct}
        # a lag or traffic check in a job of its own judges the hour without counting its rows
        kept_counts = counts if j.old is not None or j.new is not None else {}
        history = {"dataset": j.dataset, "hour": j.hour, "run_id": run_id, "state": j.state, "verdict": j.verdict,
                   "judged_at": now}
        standing = (ledger_verdicts.c.dataset == j.dataset, ledger_verdicts.c.hour == j.hour,
                    ledger_verdicts.c.superseded == false())
        verdict, verdict_run = j.verdict, run_id
        if j.verdict == ERROR:
            error = {"last_error": message or "error", "last_error_at": now, "last_error_run_id": run_id}
            if in_force in OBSERVED:  # recorded beside the verdict in force, which stays
                conn.execute(update(window_ledger).where(*where).values(**judged, **error))
                conn.execute(insert(ledger_verdicts).values(**history, superseded=True, **counts))
                continue
            conn.execute(update(window_ledger).where(*where).values(state=j.state, verdict=j.verdict, run_id=run_id,
                                                                     **judged, **error, **kept_counts))
        else:
            others = conn.execute(select(ledger_verdicts.c.verdict, ledger_verdicts.c.run_id)
                                  .where(*standing, ledger_verdicts.c.run_id.in_(other_jobs_runs))).all()
            for other, other_run in others:
                if other in OBSERVED and (_RANK[other] > _RANK[verdict] or (other == verdict and not kept_counts)):
                    verdict, verdict_run = other, other_run  # a tie names the comparison's run (its totals)
            cleared = {"last_error": None, "last_error_at": None, "last_error_run_id": None}
            conn.execute(update(window_ledger).where(*where).values(
                state=STATE_OF_STATUS[verdict], verdict=verdict, run_id=verdict_run, **judged, **cleared,
                **kept_counts))
        conn.execute(update(ledger_verdicts).where(*standing, ledger_verdicts.c.run_id.in_(this_jobs_runs))
                     .values(superseded=True, superseded_by=run_id))
        changed = in_force if in_force in OBSERVED and verdict in OBSERVED and in_force != verdict else None
        conn.execute(insert(ledger_verdicts).values(**history, superseded=False, changed_from=changed, **counts))


def note_hours(conn: Connection, dataset: str, hours, *, now: datetime, settle: timedelta) -> None:
    """Open ledger rows for hours not judged yet: `settled` once the hour ended `settle` ago, else `pending`.
    A WHERE compares with the state's plain value: given a str subclass, SQLAlchemy inspects it,
    which imports sqlalchemy.orm lazily, and that import races another thread's (the Great
    Expectations preload) into "partially initialized module"."""
    for hour in sorted(hours):
        state = SETTLED if hour + HOUR + settle <= now else PENDING
        insert_ignoring_duplicates(conn, window_ledger, {"dataset": dataset, "hour": hour, "state": state,
                                                          "updated_at": now, "judged_count": 0}, ["dataset", "hour"])
        if state == SETTLED:
            conn.execute(update(window_ledger)
                         .where(window_ledger.c.dataset == dataset, window_ledger.c.hour == hour,
                                window_ledger.c.state == PENDING.value)
                         .values(state=SETTLED, updated_at=now))


def advance_watermark(conn: Connection, job: str, hour: datetime, run_id: int | None, now: datetime) -> None:
    """Forward only: re-judging an old window never moves the watermark back."""
    insert_ignoring_duplicates(conn, job_watermarks, {"job": job, "hour": hour, "run_id": run_id, "updated_at": now},
                               ["job"])
    conn.execute(update(job_watermarks).where(job_watermarks.c.job == job, job_watermarks.c.hour < hour)
                 .values(hour=hour, run_id=run_id, updated_at=now))


def ledger_rows(conn: Connection, dataset: str, since: datetime | None, until: datetime | None) -> list[dict]:
    query = select(window_ledger).where(window_ledger.c.dataset == dataset).order_by(window_ledger.c.hour)
    if since is not None:
        query = query.where(window_ledger.c.hour >= since)
    if until is not None:
        query = query.where(window_ledger.c.hour < until)
    return [_ledger_dict(r._mapping) for r in conn.execute(query)]


def period_rows(conn: Connection, start: datetime, end: datetime) -> list[dict]:
    query = (select(window_ledger).where(window_ledger.c.hour >= start, window_ledger.c.hour < end)
             .order_by(window_ledger.c.dataset, window_ledger.c.hour))
    return [_ledger_dict(r._mapping) for r in conn.execute(query)]


def verdict_history(conn: Connection, dataset: str, hour: datetime) -> list[dict]:
    query = (select(ledger_verdicts).where(ledger_verdicts.c.dataset == dataset, ledger_verdicts.c.hour == hour)
             .order_by(ledger_verdicts.c.id))
    return [{k: v for k, v in r._mapping.items() if k not in ("id", "dataset")} for r in conn.execute(query)]


def _ledger_dict(row) -> dict:
    return {"dataset": row["dataset"], "hour": row["hour"], "state": row["state"], "verdict": row["verdict"],
            "run_id": row["run_id"], "judged_count": row["judged_count"], "last_judged_at": row["last_judged_at"],
            "old": row["old_count"], "new": row["new_count"], "drift_pct": row["drift_pct"],
            "last_error": row["last_error"], "last_error_at": row["last_error_at"],
            "last_error_run_id": row["last_error_run_id"]}

