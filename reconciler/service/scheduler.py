"""`reconciler schedule`: one APScheduler cron trigger per job, every tick judging the job's
settled hours after its watermark (oldest first, at most `max_catchup_hours`), failed hours
again once their backoff has passed, the recheck hours, and its point-in-time checks once.
A job with windowed checks also wakes as each hour (a day, for `previous_day`) settles: at
its end + `settle`, rounded up to the minute, in UTC, whatever its cron says, and judges
the windows that just settled. A cron that already fires then needs no second wake.

Schedules come from schedule.yaml; state comes from the report store (no job store of
APScheduler's: nothing is pickled). The sources and Great Expectations are opened once per
process. Two processes on one PostgreSQL store share the windows (row-lock claims, and a
window another process stored after this one listed it is skipped); on SQLite, one only."""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from reconciler.config.loader import LoadedConfig
from reconciler.errors import ReconcilerError, StoreUnavailable, UsageError
from reconciler.results import ERROR
from reconciler.service.jobs import (
    JobReport,
    JobSession,
    job_plan,
    judge_windows,
    point_in_time_checks,
    require_job_sources,
    windowed_checks,
)
from reconciler.sources.connection import open_sources
from reconciler.timeutil import iso

log = logging.getLogger(__name__)
UTC = timezone.utc
_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def utc_now() -> datetime:
    return datetime.now(UTC)


def cron_trigger(job_cfg):
    """The job's cron in its `timezone` (UTC by default). Day-of-week numbers mean what they mean
    in cron (0 and 7 = Sunday): APScheduler 3 reads 0 as Monday, so they are passed as names."""
    from apscheduler.triggers.cron import CronTrigger

    fields = job_cfg.cron.split()
    fields[4] = re.sub(r"(?<![/\d])\d+", lambda m: _DOW_NAMES[int(m.group()) % 7], fields[4])
    return CronTrigger.from_crontab(" ".join(fields), timezone=ZoneInfo(job_cfg.timezone))


def next_run(job_cfg, now: datetime) -> datetime | None:
    fire = cron_trigger(job_cfg).get_next_fire_time(None, now)
    return fire.astimezone(UTC) if fire else None


def settled_cron(job_cfg) -> str:
    """The UTC cron of the moments the job's windows settle: each hour's (a `previous_day`
    job: each day's) end + `settle`, rounded up to the minute."""
    minutes = math.ceil(job_cfg.settle.total_seconds() / 60)
    if job_cfg.window == "previous_day":
        return f"{minutes % 60} {(minutes // 60) % 24} * * *"
    return f"{minutes % 60} * * * *"


@dataclass(frozen=True)
class Wakeup:
    """When a job's tick runs: its own cron (everything: catch-up, retries, rechecks,
    point-in-time checks), or the moment its windows settle (those windows only)."""

    trigger: object
    settled_only: bool
    cron: str
    timezone: str

    def next(self, after: datetime) -> datetime | None:
        fire = self.trigger.get_next_fire_time(None, after)
        return fire.astimezone(UTC) if fire else None


COVERAGE_CHECKED = timedelta(days=8)  # a cron's fire times repeat at least weekly


def cron_fires_at_every(cron: Wakeup, settled: Wakeup, now: datetime) -> bool:
    """Does the cron already fire at each settle moment (checked over the next 8 days)?"""
    t = settled.next(now)
    while t is not None and t < now + COVERAGE_CHECKED:
        if cron.next(t) != t:
            return False
        t = settled.next(t + timedelta(minutes=1))
    return True


def wakeups(loaded: LoadedConfig, job: str, now: datetime) -> list[Wakeup]:
    """The job's cron, plus the settle wake when it has windowed checks and the cron does not
    already fire at every settle moment."""
    from apscheduler.triggers.cron import CronTrigger

    cfg = loaded.config.jobs[job]
    out = [Wakeup(cron_trigger(cfg), False, cfg.cron, cfg.timezone)]
    if windowed_checks(loaded, job):
        expression = settled_cron(cfg)
        settled = Wakeup(CronTrigger.from_crontab(expression, timezone=UTC), True, expression, "UTC")
        if not cron_fires_at_every(out[0], settled, now):
            out.append(settled)
    return out


def next_window_judged_at(loaded: LoadedConfig, job: str, now: datetime) -> datetime | None:
    """When the job's next window to settle after `now` is first judged (None: no windowed check)."""
    cfg = loaded.config.jobs[job]
    if not windowed_checks(loaded, job):
        return None
    period = timedelta(days=1) if cfg.window == "previous_day" else timedelta(hours=1)
    settled = (now - cfg.settle).astimezone(UTC)
    end = datetime.fromtimestamp((settled.timestamp() // period.total_seconds() + 1) * period.total_seconds(), UTC)
    return first_judgement(loaded, job, end)


def first_judgement(loaded: LoadedConfig, job: str, window_end: datetime) -> datetime | None:
    """When the scheduler first judges the job's window that ends at `window_end`: the first
    wake once it has settled (detection latency = this - window_end, plus the judging)."""
    settled = window_end + loaded.config.jobs[job].settle
    times = [t for w in wakeups(loaded, job, window_end) if (t := w.next(settled)) is not None]
    return min(times) if times else None


def tick_time(t: datetime) -> datetime:
    """Cron fires on whole minutes: replicas ticking together get the same clock."""
    return t.astimezone(UTC).replace(second=0, microsecond=0)


class SingleInstance:
    """On a SQLite report store, one scheduler per store: an exclusive lock on a file beside it,
    released by the kernel when the process ends however it ends."""

    def __init__(self, database: Path):
        import fcntl
        import os

        self.path = database.with_name(database.name + ".scheduler.lock")
        self.file = open(self.path, "a+")
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.file.seek(0)
            holder = self.file.read().strip() or "another process"
            self.file.close()
            raise UsageError(f"another `reconciler schedule` ({holder}) already runs on the SQLite report store "
                             f"{database}: SQLite is for one machine and one scheduler. Stop it first, or give "
                             "both replicas a PostgreSQL report_store.url") from None
        self.file.seek(0)
        self.file.truncate()
        self.file.write(f"pid {os.getpid()}")
        self.file.flush()

    def release(self) -> None:
        self.file.close()


def single_instance(store) -> SingleInstance | None:
    database = store.local_file()
    return SingleInstance(database) if database is not None else None


@dataclass
class TickReport:
    job: str
    now: datetime
    report: JobReport
    pending: int = 0
    failed: list = field(default_factory=list)


class Service:
    """One process's scheduler: its store, sources, metrics and APScheduler."""

    def __init__(self, loaded: LoadedConfig, store=None, *, clock=utc_now, after_window=()):
        from reconciler.service.job_store import open_job_store, with_slack_lifecycle
        from reconciler.service.metrics import Metrics

        require_job_sources(loaded, loaded.config.jobs)
        self.loaded, self.clock = loaded, clock
        self.store = with_slack_lifecycle(store, loaded) if store is not None else open_job_store(loaded)
        self.sources = open_sources(loaded)
        self.stop = threading.Event()
        self.idle = threading.Event()
        self.idle.set()
        self.metrics = Metrics(loaded.config.jobs)
        self.session = JobSession(loaded, self.store, self.sources, after_window=list(after_window), stop=self.stop)
        self.scheduler = None
        self._instance = None
        if any(getattr(c, "suite", None) for c in loaded.config.checks.values()):
            from reconciler.checks import suites

            suites.preload()  # Great Expectations, once per process, while the first tick starts

    # -- the work of one tick -------------------------------------------------------------------
    def tick(self, job: str, now: datetime, *, settled_only: bool = False) -> TickReport:
        """One tick of `job` at `now`. `settled_only`: the wake when its windows settle, which
        judges the windows due then and leaves rechecks and point-in-time checks to the cron."""
        cfg = self.loaded.config.jobs[job]
        mark = self.store.last_run_id()  # before listing: what is stored after it was judged by someone else
        plan = job_plan(self.session, job, now, cap=cfg.max_catchup_hours)
        windows, pending, failed = (plan.windows, len(plan.pending), plan.failed) if plan else ([], 0, [])
        if plan is not None and settled_only:
            windows = [w for w in windows if w.start not in plan.rechecks]
        if plan is not None and plan.backing_off:
            log.info("%s: %d failed hour(s) wait for their retry backoff", job, len(plan.backing_off),
                     extra={"job": job, "backing_off": [iso(h) for h in plan.backing_off]})
        report = judge_windows(self.session, job, windows, now, mark=mark, point_in_time=not settled_only,
                               on_stored=self.metrics.window_stored)
        report.notify = self._notify(now)
        self.metrics.pending.labels(job=job).set(max(0, pending - sum(1 for r in report.runs
                                                                      if r.status != ERROR and r.window)))
        self.metrics.watermark(job, self.store.watermark(job), now)
        judged = [r for r in report.runs if r.window is not None]
        log.info("%s: tick at %s judged %d window(s), skipped %d%s", job, iso(now), len(judged), len(report.skipped),
                 " (stopping)" if report.stopped else "",
                 extra={"job": job, "tick": iso(now), "judged": len(judged), "skipped": len(report.skipped),
                        "statuses": [r.status for r in report.runs]})
        return TickReport(job, now, report, pending, failed)

    def _notify(self, now: datetime):
        """Deliver the Slack outbox the stored windows filled (a Slack outage is logged and the
        messages wait), then publish how many are still waiting."""
        from reconciler.notify import notify_after_run, outbox_depth

        drained = notify_after_run(self.loaded, self.store, now)
        try:
            self.metrics.outbox.set(outbox_depth(self.store))
        except Exception:  # noqa: BLE001 - a metric must not stop the tick
            log.warning("outbox depth unavailable", exc_info=True)
        return drained

    def run_once(self, now: datetime) -> list[TickReport]:
        """Every job once, with catch-up (`schedule --once`)."""
        self._hold_instance()
        out = []
        for job in self.loaded.config.jobs:
            if self.stop.is_set():
                break
            out.append(self.tick(job, now))
        return out

    def wake(self, job: str, settled_only: bool = False) -> None:
        """What a trigger calls: one tick at the clock's minute; a failure is logged and counted,
        and the windows stay pending for the next tick."""
        self.idle.clear()
        try:
            if not self.stop.is_set():
                self.tick(job, tick_time(self.clock()), settled_only=settled_only)
        except StoreUnavailable as e:  # the outbox lives in the store: Slack is told directly, once
            self.metrics.tick_errors.labels(job=job).inc()
            log.error("%s: tick failed, its windows stay pending: %s", job, e, extra={"job": job})
            from reconciler.notify import notify_store_down

            try:
                notify_store_down(self.loaded, job, e, self.clock())
            except Exception:  # noqa: BLE001 - telling Slack must not stop the service
                log.warning("could not tell Slack that the report store is down", exc_info=True)
        except ReconcilerError as e:  # a source without its url, a bad rule file: said plainly, every tick
            self.metrics.tick_errors.labels(job=job).inc()
            log.error("%s: tick failed, its windows stay pending: %s", job, e, extra={"job": job})
        except Exception:  # noqa: BLE001 - the service keeps running; the windows stay pending
            self.metrics.tick_errors.labels(job=job).inc()
            log.exception("%s: tick failed; its windows stay pending and are judged at the next tick", job,
                          extra={"job": job})
        finally:
            self.metrics.tick_ended(job)
            self.idle.set()

    # -- the long-running service ---------------------------------------------------------------
    def _hold_instance(self) -> None:
        if self._instance is None:
            self._instance = single_instance(self.store)

    def start(self, catch_up_now: bool = True) -> None:
        """Start the cron triggers; with `catch_up_now` every job also ticks at once (a restarted
        service catches up without waiting for the next cron time)."""
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        self._hold_instance()
        self.scheduler = BackgroundScheduler(timezone=UTC, executors={"default": ThreadPoolExecutor(1)})
        now = self.clock()
        for job, cfg in self.loaded.config.jobs.items():
            for wakeup in wakeups(self.loaded, job, now):
                options = {"next_run_time": now} if catch_up_now and not wakeup.settled_only else {}
                name = f"{job}:settled" if wakeup.settled_only else job
                self.scheduler.add_job(self.wake, wakeup.trigger, args=[job, wakeup.settled_only], id=name, name=name,
                                       coalesce=True, max_instances=1,
                                       misfire_grace_time=int(cfg.misfire_grace_time.total_seconds()), **options)
                log.info("%s: %s %r (%s), next %s", job, "windows judged as they settle at" if wakeup.settled_only
                         else "cron", wakeup.cron, wakeup.timezone, iso(wakeup.next(now)), extra={"job": job})
        self.scheduler.start()
        self.metrics.running.set(1)

    def scheduler_running(self) -> bool:
        return self.scheduler is not None and self.scheduler.running and not self.stop.is_set()

    def request_stop(self) -> None:
        """From a signal handler: take no further window."""
        self.stop.set()
        self.metrics.running.set(0)

    def shutdown(self, grace: float) -> bool:
        """Stop the triggers and wait up to `grace` seconds for the window being judged. True when
        it finished (stored); False when it is abandoned: nothing of it is stored, since a run is
        written in one transaction at its end, and it is judged again by the next tick anywhere."""
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        finished = self.idle.wait(grace)
        if not finished:
            log.warning("stopping: the window being judged did not finish within %gs; abandoned, nothing of it "
                        "stored", grace, extra={"event": "abandoned"})
        self.close()
        return finished

    def close(self) -> None:
        for source in self.sources.values():
            try:
                source.dispose()
            except Exception:  # noqa: BLE001 - closing on the way out
                pass
        if self._instance is not None:
            self._instance.release()

    def refresh_metrics(self) -> None:
        now = self.clock()
        for job in self.loaded.config.jobs:
            try:
                self.metrics.watermark(job, self.store.watermark(job), now)
            except Exception:  # noqa: BLE001 - a store that is down shows in readiness, not here
                return


def wait_for_stop(service: Service, poll: float = 0.5) -> None:
    """The main thread's part: sleep until a signal asks to stop."""
    while not service.stop.wait(poll):
        time.sleep(0)


def point_in_time_only(loaded: LoadedConfig, job: str) -> bool:
    return not windowed_checks(loaded, job) and bool(point_in_time_checks(loaded, job))
