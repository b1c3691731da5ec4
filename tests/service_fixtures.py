"""Fixtures for the service tests: identical device events on two real PostgreSQL databases
(legacy schema old, reference schema new), a schedule.yaml for them, a way to take a
database down and up again, and a Service ticked with an injected clock.

Import: `from service_fixtures import pg_events, service_project  # noqa: F401`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from reconciler.config import load_config
from reconciler.timeutil import HOUR

UTC = timezone.utc
T0 = datetime(2026, 11, 20, tzinfo=UTC)   # the first hour with events
HOURS = 40                                 # hours of events loaded
PER_HOUR = 6
EMPTY_HOUR = T0 + 38 * HOUR               # no event on either side
JOB = "hourly"


def event_rows(hours: int = HOURS, per_hour: int = PER_HOUR):
    for h in range(hours):
        if T0 + h * HOUR == EMPTY_HOUR:
            continue
        for i in range(per_hour):
            event_id = h * 100 + i
            yield event_id, f"dev-{i % 3}", "temp", float(event_id) / 10, T0 + h * HOUR + timedelta(minutes=7 * i + 1)


def load_events(old_url: str, new_url: str) -> None:
    rows = list(event_rows())
    for url, ddl, insert in (
        (old_url, "CREATE TABLE legacy_events (id bigint PRIMARY KEY, device text, kind text, "
                  "reading double precision, ts timestamptz)",
         "INSERT INTO legacy_events VALUES (%s, %s, %s, %s, %s)"),
        (new_url, "CREATE TABLE device_events (event_id bigint PRIMARY KEY, device_id text, event_type text, "
                  "value double precision, time timestamptz)",
         "INSERT INTO device_events VALUES (%s, %s, %s, %s, %s)"),
    ):
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {ddl.split()[2]}")
            conn.exec_driver_sql(ddl)
            conn.connection.cursor().executemany(insert, rows)
        engine.dispose()


def add_new_event(new_url: str, event_id: int, at: datetime) -> None:
    engine = sa.create_engine(new_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO device_events VALUES (%s, 'dev-late', 'temp', 1.5, %s)", (event_id, at))
    engine.dispose()


def set_database_down(pg_admin, url: str, down: bool) -> None:
    """Refuse new connections to the database and cut the open ones (down), or allow them again."""
    name = make_url(url).database
    with pg_admin.connect() as conn:
        conn.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"false" if down else "true"}')
        if down:
            conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))


@pytest.fixture
def pg_events(make_pg_database, pg_admin, request):
    """{"old": url, "new": url} with HOURS hours of identical events, fresh for each test."""
    suffix = request.node.name[:20].lower().replace("[", "_").replace("]", "").replace("-", "_")
    urls = {"old": make_pg_database(f"svc_old_{suffix}"), "new": make_pg_database(f"svc_new_{suffix}")}
    load_events(urls["old"], urls["new"])
    yield urls
    for url in urls.values():
        set_database_down(pg_admin, url, False)


def write_project(directory: Path, old_url: str, new_url: str, *, store_url: str | None = None,
                  job: dict | None = None, checks: str = "", dataset_extra: str = "", old_side: str = "",
                  service: str = "{shutdown_grace: 2s}") -> Path:
    """A schedule.yaml for the two databases: dataset device_events, check event_rows (rows, the
    built-in judgement), one job `hourly` (override its keys with `job`, values as YAML text)."""
    options = {"cron": '"5 * * * *"', "checks": "[event_rows]", "settle": "10m", "recheck_hours": "0",
               "max_catchup_hours": "8", "retry_backoff": "10m", **(job or {})}
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    store_url = store_url or f"sqlite:///{directory / 'store.db'}"
    old_side = old_side or "{source: old, table: legacy_events, time: ts, key: [id]}"
    text = (
        "sources:\n"
        f"  old: {{url: \"{old_url}\", statement_timeout: 30s, connect_timeout: 3s}}\n"
        f"  new: {{url: \"{new_url}\", statement_timeout: 30s, connect_timeout: 3s}}\n"
        "datasets:\n"
        "  device_events:\n"
        f"    old: {old_side}\n"
        "    new: {source: new, table: device_events, time: time, key: [event_id]}\n"
        "    columns: {device_id: {old: device}, event_type: {old: kind}, value: {old: reading}}\n"
        f"{dataset_extra}"
        "checks:\n"
        "  event_rows: {type: rows, dataset: device_events}\n"
        f"{checks}"
        "jobs:\n"
        f"  hourly: {{{', '.join(f'{k}: {v}' for k, v in options.items())}}}\n"
        f"report_store: {{url: \"{store_url}\", directory: {directory / 'reports'}}}\n"
        f"service: {service}\n"
    )
    path = directory / "schedule.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def make_service(tmp_path):
    """make_service(config_path) -> a Service (closed at the end of the test)."""
    from reconciler.service.scheduler import Service

    made = []

    def make(path: Path):
        service = Service(load_config(path))
        made.append(service)
        return service

    yield make
    for service in made:
        service.close()
        service.store.close()


def runs_by_hour(store, job: str = JOB) -> dict:
    """window start -> [status of each run over exactly that hour], oldest first."""
    out: dict = {}
    for run in sorted(store.list_runs(job=job), key=lambda r: r["id"]):
        start = datetime.fromisoformat(run["window"]["start"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(run["window"]["end"].replace("Z", "+00:00"))
        if end - start == HOUR:
            out.setdefault(start, []).append(run["status"])
    return out


# -- driving the service with a simulated clock -------------------------------------------------

class SimulatedClock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Walk:
    """What a walk through the week did: each wake fired (time, job, settled_only)."""

    fired: list = field(default_factory=list)


def walk(service, clock: SimulatedClock, until: datetime, events: dict | None = None, walked: Walk | None = None,
         on_wake=None, jobs=None) -> Walk:
    """Fire every job's wakes in time order up to `until`, as APScheduler would: the clock is
    set to each wake's time and the trigger's own callable (`Service.wake`) runs. `events`:
    {moment: callable} applied once the clock reaches the moment, before the wakes at it.
    `jobs`: the jobs whose wakes fire (default: every job)."""
    from reconciler.service.scheduler import wakeups

    walked = walked or Walk()
    plans = {job: wakeups(service.loaded, job, clock.now) for job in (jobs or service.loaded.config.jobs)}
    events = dict(sorted((events or {}).items()))
    t = clock.now
    while True:
        due = sorted((w.next(t), job, w.settled_only) for job, plan in plans.items() for w in plan)
        at = due[0][0]
        for moment in [m for m in events if m <= min(at, until)]:
            clock.now = max(clock.now, moment)
            events.pop(moment)()
        if at > until:
            clock.now = until
            return walked
        for when, job, settled_only in due:
            if when == at:
                clock.now = at
                service.wake(job, settled_only)
                walked.fired.append((at, job, settled_only))
                if on_wake:
                    on_wake(at, job)
        t = at + timedelta(minutes=1)
