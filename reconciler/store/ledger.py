"""The window ledger: one row per dataset x hour moving pending -> settled -> verified |
drifted | error, plus the history of every verdict. Deriving judgements from a run is
pure; writing them happens inside the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, false, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from reconciler.results import ERROR, FAIL, PASS, RunResult, worst
from reconciler.store.schema import job_watermarks, ledger_verdicts, window_ledger
from reconciler.timeutil import HOUR, Window

PENDING, SETTLED, VERIFIED, DRIFTED = "pending", "settled", "verified", "drifted"
STATE_OF_STATUS = {PASS: VERIFIED, FAIL: DRIFTED, ERROR: ERROR}
LEDGER_STATES = (PENDING, SETTLED, VERIFIED, DRIFTED, ERROR)
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
    """One judgement per dataset x hour the run's comparisons decided. An hour takes its own
    count status; a comparison of a single hour also passes on its row-level status; a
    comparison in error puts all its hours in error. Skipped hours are not judgements."""
    by_key: dict[tuple, HourJudgement] = {}
    for compare in run.compares:
        single_hour = len(compare.window.hours()) == 1
        for hour in compare.hours:
            statuses = [hour.status]
            if compare.status == ERROR or single_hour:
                statuses.append(compare.status)
            verdict = worst(statuses)
            if verdict not in STATE_OF_STATUS:
                continue
            key = (compare.dataset, hour.hour)
            earlier = by_key.get(key)
            if earlier is not None:
                verdict = worst([verdict, earlier.verdict])
            by_key[key] = HourJudgement(compare.dataset, hour.hour, verdict, hour.old, hour.new, hour.drift_pct)
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


def write_judgements(conn: Connection, run_id: int, judgements: list[HourJudgement], now: datetime) -> None:
    """Sorted by key so that concurrent writers lock ledger rows in the same order (no deadlock)."""
    for j in sorted(judgements, key=lambda j: (j.dataset, j.hour)):
        insert_ignoring_duplicates(conn, window_ledger, {"dataset": j.dataset, "hour": j.hour, "state": SETTLED,
                                                          "updated_at": now, "judged_count": 0}, ["dataset", "hour"])
        counts = {"old_count": j.old, "new_count": j.new, "drift_pct": j.drift_pct}
        conn.execute(update(window_ledger).where(window_ledger.c.dataset == j.dataset, window_ledger.c.hour == j.hour)
                     .values(state=j.state, verdict=j.verdict, run_id=run_id, updated_at=now, last_judged_at=now,
                             judged_count=window_ledger.c.judged_count + 1, **counts))
        conn.execute(update(ledger_verdicts)
                     .where(ledger_verdicts.c.dataset == j.dataset, ledger_verdicts.c.hour == j.hour,
                            ledger_verdicts.c.superseded == false())
                     .values(superseded=True, superseded_by=run_id))
        conn.execute(insert(ledger_verdicts).values(dataset=j.dataset, hour=j.hour, run_id=run_id, state=j.state,
                                                    judged_at=now, superseded=False, **counts))


def note_hours(conn: Connection, dataset: str, hours, *, now: datetime, settle: timedelta) -> None:
    """Open ledger rows for hours not judged yet: `settled` once the hour ended `settle` ago, else `pending`."""
    for hour in sorted(hours):
        state = SETTLED if hour + HOUR + settle <= now else PENDING
        insert_ignoring_duplicates(conn, window_ledger, {"dataset": dataset, "hour": hour, "state": state,
                                                          "updated_at": now, "judged_count": 0}, ["dataset", "hour"])
        if state == SETTLED:
            conn.execute(update(window_ledger)
                         .where(window_ledger.c.dataset == dataset, window_ledger.c.hour == hour,
                                window_ledger.c.state == PENDING)
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


def verdict_history(conn: Connection, dataset: str, hour: datetime) -> list[dict]:
    query = (select(ledger_verdicts).where(ledger_verdicts.c.dataset == dataset, ledger_verdicts.c.hour == hour)
             .order_by(ledger_verdicts.c.id))
    return [{k: v for k, v in r._mapping.items() if k not in ("id", "dataset")} for r in conn.execute(query)]


def _ledger_dict(row) -> dict:
    return {"dataset": row["dataset"], "hour": row["hour"], "state": row["state"], "verdict": row["verdict"],
            "run_id": row["run_id"], "judged_count": row["judged_count"], "last_judged_at": row["last_judged_at"],
            "old": row["old_count"], "new": row["new_count"], "drift_pct": row["drift_pct"]}

