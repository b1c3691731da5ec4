"""`reconciler run JOB`: judge a job's windows, store each run, render its report.

Each window is computed completely before anything is written; the store writes the run,
its results and the ledger in one transaction. A window whose sources cannot be reached
is recorded as an error and leaves the watermark where it was, so it is judged again."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

from reconciler import __version__
from reconciler.checks.judgement import mark_empty_hours
from reconciler.checks.registry import CheckContext, run_check, scope_of_check
from reconciler.checks.types import Scope, type_of
from reconciler.config.loader import LoadedConfig
from reconciler.errors import SourceError, UsageError, did_you_mean
from reconciler.notify import notify_after_run, notify_store_down
from reconciler.results import EMPTY, ERROR, NOT_PASSING, PASS, SKIPPED, RunResult, Status, StoredWindow, worst
from reconciler.sources.connection import opened_sources, safe_url
from reconciler.store.ledger import judgements_of
from reconciler.timeutil import HOUR, Window, floor_hour, hour_starts, iso

log = logging.getLogger(__name__)
MAX_CATCH_UP = timedelta(days=7)


@dataclass
class JobReport:
    """What one `run JOB` (or one scheduler tick of a job) did: the windows it stored."""

    runs: list[StoredWindow] = field(default_factory=list)
    skipped: list = field(default_factory=list)   # windows another process judged or holds
    stopped: bool = False                          # asked to stop before every window was taken
    notify: object = None                          # the Slack outbox drain's DrainReport

    @property
    def status(self) -> Status:
        """The worst run status; an `empty` hour (no evidence) is not a pass."""
        status = worst(r.status for r in self.runs) if self.runs else PASS
        if status in (PASS, SKIPPED) and any(r.outcome == EMPTY for r in self.runs):
            return EMPTY
        return status

    @property
    def unreachable(self) -> bool:
        return any(r.unreachable for r in self.runs)


def config_fingerprint(loaded: LoadedConfig) -> str:
    return hashlib.sha256(loaded.path.read_bytes()).hexdigest()[:16]


def source_names(loaded: LoadedConfig) -> dict:
    return {name: safe_url(cfg.url) for name, cfg in loaded.config.sources.items() if cfg.url}


RETRY_BACKOFF_CAP = timedelta(hours=6)


def job_windows(loaded: LoadedConfig, job: str, now: datetime, watermark: datetime | None,
                start: datetime | None = None, end: datetime | None = None) -> list[Window]:
    """Explicit [start, end) cut into hours (whole UTC hours only); otherwise the settled hours
    since the watermark (at most 7 days back) plus the last `recheck_hours`."""
    cfg = loaded.config.jobs[job]
    if start is not None or end is not None:
        end = end or floor_hour(now - cfg.settle)
        start = start or end - HOUR
        for flag, t in (("--start", start), ("--end", end)):
            if t != floor_hour(t):
                raise UsageError(f"bad window: {flag} {iso(t)} is not a whole UTC hour; the ledger holds whole "
                                 "hours only. For an ad-hoc window use `reconciler compare --start T --end T`")
        if end <= start:
            raise UsageError(f"bad window: end {iso(end)} is not after start {iso(start)}")
        if end > now:  # judged empty, it would move the watermark past hours the service then never judges
            raise UsageError(f"bad window: --end {iso(end)} is in the future (now {iso(now.replace(microsecond=0))}): "
                             f"judge hours that have ended, up to --end {iso(floor_hour(now))}")
        return Window(start, end).hour_windows()
    if cfg.window == "previous_day":
        return [previous_day(cfg, now)]
    from reconciler.store.windows import HourState

    # without the store's view, every hour up to the watermark counts as judged before now
    judged_before = {h: HourState(h, judged_at=datetime.min.replace(tzinfo=timezone.utc))
                     for h in hour_starts(now - MAX_CATCH_UP - HOUR, watermark + HOUR)} if watermark else {}
    return plan_hours(cfg, now, watermark, judged_before).windows


@dataclass
class HourPlan:
    """What one tick of an hourly job should judge, and what it leaves for later."""

    windows: list[Window]            # to judge now, oldest first
    rechecks: list[datetime]         # hours among them judged before, judged again
    pending: list[datetime]          # settled hours after the watermark never judged (within 7 days)
    failed: list[datetime]           # pending hours whose last run ended in error
    backing_off: list[datetime]      # failed hours whose retry is not due yet
    floor: datetime                  # the watermark is at least this (older hours are out of reach)


def previous_day(cfg, now: datetime) -> Window:
    """The UTC day that ended at least `settle` before now."""
    day_end = (now - cfg.settle).astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return Window(day_end - timedelta(days=1), day_end)


def plan_day(cfg, now: datetime, states: dict) -> HourPlan:
    """Pure: a `previous_day` job's tick: the previous day, unless every hour of it is judged."""
    day = previous_day(cfg, now)
    judged = all(h in states and states[h].judged for h in day.hours())
    return HourPlan([] if judged else [day], [], [] if judged else [day.start], [], [], day.start)


def retry_delay(cfg, errors: int) -> timedelta:
    """retry_backoff after the first failure, doubling with each further one, at most 6 h."""
    return min(cfg.retry_backoff * (2 ** max(0, errors - 1)), RETRY_BACKOFF_CAP)


def plan_hours(cfg, now: datetime, watermark: datetime | None, states: dict, cap: int | None = None) -> HourPlan:
    """Pure: from the job's config, the clock, its watermark and its hours' states
    (hour -> store.windows.HourState), the windows of one tick. Unjudged hours oldest first, at
    most `cap` of them, the newest settled one always among them so that a long backlog never
    starves fresh hours; failed hours only once their backoff has passed; plus the
    `recheck_hours` hours before the newest settled one, when they were judged before `now`."""
    last = floor_hour(now - cfg.settle)
    recheck_from = last - HOUR * (1 + cfg.recheck_hours)
    first = recheck_from if watermark is None else min(recheck_from, watermark + HOUR)
    floor = last - MAX_CATCH_UP
    hours = hour_starts(max(first, floor), last)
    pending = [h for h in hours if (watermark is None or h > watermark) and (h not in states or not states[h].judged)]
    failed = [h for h in pending if h in states and states[h].errors]
    backing_off = [h for h in failed if states[h].last_error_at + retry_delay(cfg, states[h].errors) > now]
    due = [h for h in pending if h not in backing_off]
    if cap is not None and len(due) > cap:
        due = due[:cap - 1] + due[-1:] if cap > 1 else due[-1:]
    rechecks = [h for h in hours if recheck_from <= h < last - HOUR and h in states and states[h].judged
                and states[h].judged_at < now]
    windows = [Window(h, h + HOUR) for h in sorted(set(due) | set(rechecks))]
    return HourPlan(windows, rechecks, pending, failed, backing_off, floor - HOUR)


def checks_to_run(loaded: LoadedConfig, job: str) -> list[str]:
    """The job's checks, less those whose work another check of the job already does (a counts
    check beside a rows check of the same dataset)."""
    names = loaded.config.jobs[job].checks
    checks = loaded.config.checks
    return [n for n in names
            if not type_of(checks[n]).redundant_in(checks[n], [checks[o] for o in names if o != n])]


def windowed_checks(loaded: LoadedConfig, job: str) -> list[str]:
    """Checks whose evidence is about UTC hours: judged per window, rechecked, in the ledger."""
    return [n for n in checks_to_run(loaded, job) if scope_of_check(loaded, n) == Scope.WINDOWED]


def point_in_time_checks(loaded: LoadedConfig, job: str) -> list[str]:
    """Checks whose evidence is about the moment they run: judged once per run, as of its time."""
    return [n for n in checks_to_run(loaded, job) if scope_of_check(loaded, n) == Scope.POINT_IN_TIME]


def ledger_datasets(loaded: LoadedConfig, job: str) -> list[str]:
    """The datasets whose hours the job's windowed checks judge."""
    checks = loaded.config.checks
    return sorted({d for n in windowed_checks(loaded, job) for d in type_of(checks[n]).ledger_datasets(checks[n])})


def _judge(loaded: LoadedConfig, names: list[str], window: Window | None, sources, now: datetime,
           previous=None, stored_totals=None) -> tuple[list, list]:
    ctx = CheckContext(loaded, sources, window, now=now)
    if previous is not None:
        ctx.previous = previous
    if stored_totals is not None:
        ctx.stored_totals = stored_totals
    results, compares = [], []
    ctx.compares = compares
    checks = loaded.config.checks
    for name in sorted(names, key=lambda n: type_of(checks[n]).reads_comparisons):  # stable: the job's order
        outcome = run_check(ctx, name)
        results += outcome.results
        if outcome.compare is not None:
            compares.append(mark_empty_hours(loaded, outcome.compare))
    return results, compares


def judge_window(loaded: LoadedConfig, job: str, window: Window, sources, now: datetime, previous=None,
                 stored_totals=None) -> RunResult:
    """The job's windowed checks over one window. `previous(check)`: the check's last stored
    result; `stored_totals(dataset, hour)`: the row totals the store holds for an hour."""
    started = datetime.now(timezone.utc)
    results, compares = _judge(loaded, windowed_checks(loaded, job), window, sources, now, previous, stored_totals)
    empty = [f"{c.dataset} {iso(h.hour)}" for c in compares for h in c.hours if h.status == EMPTY]
    message = (f"no row on either side: {', '.join(empty)} recorded as empty (missing evidence; "
               "set allow_empty_hours where quiet hours are normal)") if empty else None
    # checks pass on an hour without a single row; the run says what it is: no evidence
    status = worst([r.status for r in results] + ([EMPTY] if empty else []))
    return RunResult(job=job, window=window, started_at=started, finished_at=datetime.now(timezone.utc),
                     status=status, results=results, compares=compares, message=message)


def judge_point_in_time(loaded: LoadedConfig, job: str, sources, now: datetime, previous=None) -> RunResult:
    """The job's point-in-time checks, once, as of `now`: their results carry `as_of`, no window."""
    started = datetime.now(timezone.utc)
    results, compares = _judge(loaded, point_in_time_checks(loaded, job), None, sources, now, previous)
    return RunResult(job=job, window=None, started_at=started, finished_at=datetime.now(timezone.utc),
                     status=worst(r.status for r in results), results=results, compares=compares, as_of=now)


@dataclass
class JobSession:
    """What judging needs, opened once for a process (`run`, or the scheduler for its whole
    life): the config, the report store, the sources, and what to do after each stored window."""

    loaded: LoadedConfig
    store: object
    sources: dict
    write_report: bool = True
    after_window: list = field(default_factory=list)   # callables(run_id), e.g. the Slack outbox drain
    stop: object = None                                 # a threading.Event: take no further window

    @property
    def provenance(self) -> dict:
        return {"tool_version": __version__, "config_fingerprint": config_fingerprint(self.loaded),
                "source_names": source_names(self.loaded)}

    def datasets(self, job: str) -> list[str]:
        return ledger_datasets(self.loaded, job)

    def previous(self, check: str):
        """The newest stored result named `check` (queue growth, the histogram's last scrape)."""
        return self.store.previous_result(check)


def judge_windows(session: JobSession, job: str, windows: list[Window], now: datetime, *, mark: int,
                  point_in_time: bool = True, progress=None, on_stored=None) -> JobReport:
    """Judge and store each window (claimed; skipped when another process judged it since `mark`
    was taken, i.e. after these windows were listed), then the point-in-time checks once."""
    report = JobReport()
    todo = [(w, w) for w in windows]
    if point_in_time and point_in_time_checks(session.loaded, job):
        todo.append((None, Window(now, now + HOUR)))  # claimed by its moment: replicas ticking together judge it once
    for i, (window, key) in enumerate(todo):
        if session.stop is not None and session.stop.is_set():
            report.stopped = True
            break
        if progress:
            progress(i, len(todo), window or key)
        with session.store.claim(job, key) as claimed:
            # a window may be judged again (a recheck) after `mark`; a moment never: a restart
            # within the tick's minute would store its point-in-time checks twice
            since = mark if window is not None else 0
            if not claimed or session.store.judged_after(job, window, since, as_of=None if window else now):
                log.info("%s %s skipped: judged or being judged by another process", job, _label(window, now))
                report.skipped.append(key)
                continue
            started = time.perf_counter()
            entry = replace(_judge_and_store(session, job, window, now), seconds=time.perf_counter() - started)
        if session.write_report:
            from reconciler.report import write_reports
            from reconciler.store import reports_directory

            html, json_path = write_reports(session.store, entry.id, reports_directory(session.loaded), now=now,
                                            index=False)
            entry = replace(entry, html=html, json=json_path)
        report.runs.append(entry)
        if on_stored:
            on_stored(job, entry)
        for hook in session.after_window:
            hook(entry.id)
    if session.write_report and (report.runs or _reports_missing(session, now)):
        _refresh_index(session, now)
    if progress:
        progress(len(todo), len(todo), None)
    return report


def _reports_missing(session: JobSession, now: datetime) -> bool:
    """Whether a stored run lacks its report files (its process died after the commit): the
    index refresh writes them, even when this job run stored nothing new."""
    from reconciler.report.files import missing_reports
    from reconciler.store import reports_directory

    return bool(missing_reports(session.store, reports_directory(session.loaded), now=now))


def _refresh_index(session: JobSession, now: datetime) -> None:
    """The index and its gate once per job run, after its last stored run (not once per run: a
    catch-up of 24 hours evaluates the 7-day gate once)."""
    from reconciler.gate.summary import index_gate
    from reconciler.report import write_index
    from reconciler.store import reports_directory

    write_index(session.store, reports_directory(session.loaded), now=now,
                gate=index_gate(session.store, session.loaded, now))


def _label(window: Window | None, now: datetime) -> str:
    return f"window {iso(window.start)}" if window is not None else f"point-in-time checks as of {iso(now)}"


def _judge_and_store(session: JobSession, job: str, window: Window | None, now: datetime) -> StoredWindow:
    log.info("%s: judging %s", job, _label(window, now), extra={"job": job, "window": window and iso(window.start)})
    started = datetime.now(timezone.utc)
    as_of = None if window else now
    try:
        if window is None:
            run = judge_point_in_time(session.loaded, job, session.sources, now, session.previous)
        else:
            run = judge_window(session.loaded, job, window, session.sources, now, session.previous,
                               session.store.hour_row_totals)
    except SourceError as e:
        run_id = session.store.record_failure(job, window, str(e), datasets=session.datasets(job) if window else (),
                                              as_of=as_of, started_at=started,
                                              finished_at=datetime.now(timezone.utc), now=now,
                                              **session.provenance)
        log.warning("%s: %s stored as error: %s", job, _label(window, now), e)
        return StoredWindow(run_id, window, as_of, ERROR, message=str(e), unreachable=True)
    run_id = session.store.record_run(run, now=now, **session.provenance)
    verdicts = tuple(sorted({j.verdict for j in judgements_of(run)}))
    return StoredWindow(run_id, window, run.as_of, run.status, verdicts=verdicts,
                        failing=tuple(r for r in run.results if r.status in NOT_PASSING))


def job_plan(session: JobSession, job: str, now: datetime, cap: int | None = None,
             start_watermark: bool = True) -> HourPlan | None:
    """What a job judges now, from the store; the one place `run JOB` and the scheduler's tick
    choose windows. None for a job without windowed checks. `previous_hour`: the settled hours
    after the watermark, failed hours due again and the recheck hours (the watermark started
    where the job has none yet). `previous_day`: the previous day, unless already judged."""
    cfg = session.loaded.config.jobs[job]
    if not windowed_checks(session.loaded, job):
        return None
    if cfg.window == "previous_day":
        day = previous_day(cfg, now)
        return plan_day(cfg, now, session.store.hour_states(job, day.start, day.end))
    watermark = session.store.watermark(job)
    last = floor_hour(now - cfg.settle)
    since = min(last - MAX_CATCH_UP, watermark + HOUR if watermark else last)
    states = session.store.hour_states(job, since - HOUR, last)
    plan = plan_hours(cfg, now, watermark, states, cap)
    if not start_watermark:
        return plan
    if watermark is None and plan.windows:
        session.store.start_watermark(job, plan.windows[0].start - HOUR, now=now)
    elif watermark is not None and watermark < plan.floor:
        log.warning("%s: hours from %s to %s are older than %s and will not be caught up", job,
                    iso(watermark + HOUR), iso(plan.floor), MAX_CATCH_UP)
        session.store.start_watermark(job, plan.floor, now=now)
    return plan


def require_job_sources(loaded: LoadedConfig, jobs) -> None:
    """Every source the jobs' checks connect to has its url: exit 2 naming the variable of each
    one that has none, before a window is planned or judged (a command that does not run these
    checks never asks)."""
    from reconciler.checks.types import source_uses

    loaded.require_sources(source_uses(loaded, [n for job in jobs for n in checks_to_run(loaded, job)]))


def run_job(loaded: LoadedConfig, job: str, now: datetime, start=None, end=None, progress=None,
            write_report: bool = True) -> JobReport:
    from reconciler.service.job_store import open_job_store

    if job not in loaded.config.jobs:
        raise UsageError(f"unknown job {job!r} in {loaded.path} (known: {', '.join(loaded.config.jobs) or 'none'})"
                         + did_you_mean(job, loaded.config.jobs))
    require_job_sources(loaded, [job])
    try:
        store = open_job_store(loaded)
    except SourceError as e:
        notify_store_down(loaded, job, e, now)
        raise
    with opened_sources(loaded) as sources:
        session = JobSession(loaded, store, sources, write_report=write_report)
        mark = store.last_run_id()
        if not windowed_checks(loaded, job):
            windows = []
        elif start is not None or end is not None:
            windows = job_windows(loaded, job, now, store.watermark(job), start, end)
        else:
            windows = job_plan(session, job, now).windows
        report = judge_windows(session, job, windows, now, mark=mark, progress=progress)
    report.notify = notify_after_run(loaded, store, now)
    return report
