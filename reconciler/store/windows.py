"""Which hours of a job are judged, failed or due again, read from the job's runs; and the
watermark, which moves only over hours judged without a gap (never past an unjudged hour).

An hour counts as judged by a job when a run of that job covering the whole hour ended in
anything but `error`. Point-in-time runs (window_start = window_end = as_of) cover no hour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Connection, func, select, update

from reconciler.results import ERROR
from reconciler.store.ledger import insert_ignoring_duplicates
from reconciler.store.schema import job_watermarks, runs
from reconciler.timeutil import HOUR, hour_starts

FAR_FUTURE = datetime(9999, 1, 1, tzinfo=timezone.utc)


@dataclass
class HourState:
    """One hour of one job, as its runs tell it."""

    hour: datetime
    judged_at: datetime | None = None      # recorded_at of the latest run that judged it
    errors: int = 0                        # error runs since it was last judged (all, if never)
    last_error_at: datetime | None = None
    status: str | None = None              # the verdict of the latest run that judged it (pass, fail...)

    @property
    def judged(self) -> bool:
        return self.judged_at is not None


def whole_hours(start: datetime, end: datetime) -> list[datetime]:
    return [h for h in hour_starts(start, end) if h >= start and h + HOUR <= end]


def hour_states(conn: Connection, job: str, since: datetime, until: datetime) -> dict[datetime, HourState]:
    """Every hour of [since, until) that a run of `job` touched, oldest run first."""
    query = (select(runs.c.window_start, runs.c.window_end, runs.c.status, runs.c.recorded_at)
             .where(runs.c.job == job, runs.c.window_end > since, runs.c.window_start < until,
                    runs.c.window_end > runs.c.window_start)
             .order_by(runs.c.id))
    states: dict[datetime, HourState] = {}
    for start, end, status, recorded_at in conn.execute(query):
        for hour in whole_hours(start, end):
            state = states.setdefault(hour, HourState(hour))
            if status == ERROR:
                state.errors += 1
                state.last_error_at = recorded_at
            else:
                state.judged_at, state.errors, state.last_error_at = recorded_at, 0, None
                state.status = status
    return states


def judged_after(conn: Connection, job: str, start: datetime, end: datetime, mark: int) -> bool:
    """Did a run of `job` over exactly [start, end) get stored after run id `mark`? (A
    point-in-time run: start = end = its as_of.)"""
    query = select(func.count()).where(runs.c.job == job, runs.c.window_start == start,
                                       runs.c.window_end == end, runs.c.id > mark)
    return conn.execute(query).scalar() > 0


def ran_before(conn: Connection, instant: datetime) -> bool:
    """A run started before `instant`, or about a window (a moment) before it."""
    query = select(runs.c.id).where((runs.c.started_at < instant) | (runs.c.window_start < instant)).limit(1)
    return conn.execute(query).first() is not None


def last_run_id(conn: Connection) -> int:
    return conn.execute(select(func.max(runs.c.id))).scalar() or 0


def start_watermark(conn: Connection, job: str, hour: datetime, now: datetime) -> None:
    """The watermark is at least `hour`: set when the job has none, moved forward when older (hours
    before it are no longer caught up)."""
    insert_ignoring_duplicates(conn, job_watermarks, {"job": job, "hour": hour, "run_id": None, "updated_at": now},
                               ["job"])
    conn.execute(update(job_watermarks).where(job_watermarks.c.job == job, job_watermarks.c.hour < hour)
                 .values(hour=hour, run_id=None, updated_at=now))


def advance_over_judged(conn: Connection, job: str, first_hour: datetime, run_id: int, now: datetime) -> None:
    """Inside the transaction that stored run `run_id`: move the watermark over every hour right
    after it that the job has judged. A job without a watermark starts just before `first_hour`."""
    start_watermark_if_missing = {"job": job, "hour": first_hour - HOUR, "run_id": None, "updated_at": now}
    insert_ignoring_duplicates(conn, job_watermarks, start_watermark_if_missing, ["job"])
    current = conn.execute(select(job_watermarks.c.hour).where(job_watermarks.c.job == job)
                           .with_for_update()).scalar()
    judged = {h for h, s in hour_states(conn, job, current + HOUR, FAR_FUTURE).items()
              if s.judged}
    hour = current
    while hour + HOUR in judged:
        hour += HOUR
    if hour > current:
        conn.execute(update(job_watermarks).where(job_watermarks.c.job == job)
                     .values(hour=hour, run_id=run_id, updated_at=now))
