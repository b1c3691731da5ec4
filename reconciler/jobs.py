"""`reconciler run JOB`: judge a job's windows, store each run, render its report.

Each window is computed completely before anything is written; the store writes the run,
its results and the ledger in one transaction. A window whose sources cannot be reached
is recorded as an error and leaves the watermark where it was, so it is judged again."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from reconciler import __version__
from reconciler.checks import CheckContext, run_check
from reconciler.config.loader import LoadedConfig
from reconciler.errors import SourceError, UsageError
from reconciler.notify import notify_after_run, notify_store_down
from reconciler.results import ERROR, RunResult, worst
from reconciler.sources import opened_sources, safe_url
from reconciler.timeutil import HOUR, Window, floor_hour

log = logging.getLogger(__name__)
MAX_CATCH_UP = timedelta(days=7)


@dataclass
class JobReport:
    """What one `run JOB` did: stored run ids, their statuses, and the report paths."""

    runs: list[dict] = field(default_factory=list)
    notify: object = None  # the outbox drain's DrainReport

    @property
    def status(self) -> str:
        return worst(r["status"] for r in self.runs) if self.runs else "pass"

    @property
    def unreachable(self) -> bool:
        return any(r.get("unreachable") for r in self.runs)


def config_fingerprint(loaded: LoadedConfig) -> str:
    return hashlib.sha256(loaded.path.read_bytes()).hexdigest()[:16]


def source_names(loaded: LoadedConfig) -> dict:
    return {name: safe_url(cfg.url) for name, cfg in loaded.config.sources.items() if cfg.url}


def job_windows(loaded: LoadedConfig, job: str, now: datetime, watermark: datetime | None,
                start: datetime | None = None, end: datetime | None = None) -> list[Window]:
    """Explicit [start, end) cut into hours; otherwise the settled hours since the watermark
    (at most 7 days back) plus the last `recheck_hours` already judged."""
    cfg = loaded.config.jobs[job]
    if start is not None or end is not None:
        end = end or floor_hour(now - cfg.settle)
        start = start or end - HOUR
        if end <= start:
            raise UsageError(f"bad window: end {end} is not after start {start}")
        return Window(start, end).hour_windows()
    if cfg.window == "previous_day":
        day_end = (now - cfg.settle).astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        return [Window(day_end - timedelta(days=1), day_end)]
    last = floor_hour(now - cfg.settle)
    first = last - HOUR * (1 + cfg.recheck_hours)
    if watermark is not None:
        first = min(first, max(watermark + HOUR, last - MAX_CATCH_UP))
    return Window(first, last).hour_windows()


def checks_to_run(loaded: LoadedConfig, job: str) -> list[str]:
    """The job's checks, less a counts check whose dataset a rows check of the job already
    compares: the row comparison counts every hour too, and judges it with the same suite."""
    names = loaded.config.jobs[job].checks
    checks = loaded.config.checks
    with_rows = {checks[n].dataset for n in names if checks[n].type == "rows"}
    return [n for n in names if not (checks[n].type == "counts" and checks[n].dataset in with_rows)]


def judge_window(loaded: LoadedConfig, job: str, window: Window, sources, now: datetime, reporter=None) -> RunResult:
    started = datetime.now(timezone.utc)
    ctx = CheckContext(loaded, sources, window, now=now, reporter=reporter)
    results, compares = [], []
    for name in checks_to_run(loaded, job):
        outcome = run_check(ctx, name)
        results += outcome.results
        if outcome.compare is not None:
            compares.append(outcome.compare)
    return RunResult(job=job, window=window, started_at=started, finished_at=datetime.now(timezone.utc),
                     status=worst(r.status for r in results), results=results, compares=compares)


def _observed(now: datetime) -> datetime:
    """The gate's "now" for the index: runs are stamped with the wall clock (started_at), so
    the results just stored count even when `now` was taken before they ran."""
    return max(now, datetime.now(timezone.utc))


def run_job(loaded: LoadedConfig, job: str, now: datetime, start=None, end=None, progress=None,
            write_report: bool = True) -> JobReport:
    from reconciler.gate.summary import index_gate
    from reconciler.report import write_reports
    from reconciler.store import open_report_store, reports_directory

    if job not in loaded.config.jobs:
        import difflib

        close = difflib.get_close_matches(job, list(loaded.config.jobs), n=1)
        raise UsageError(f"unknown job {job!r} in {loaded.path} (known: {', '.join(loaded.config.jobs) or 'none'})"
                         + (f"; did you mean {close[0]!r}?" if close else ""))
    try:
        store = open_report_store(loaded, upgrade=True)
    except SourceError as e:
        notify_store_down(loaded, job, e, now)
        raise
    provenance = {"tool_version": __version__, "config_fingerprint": config_fingerprint(loaded),
                  "source_names": source_names(loaded)}
    datasets = sorted({loaded.config.checks[c].dataset for c in loaded.config.jobs[job].checks
                       if loaded.config.checks[c].dataset})
    windows = job_windows(loaded, job, now, store.watermark(job), start, end)
    report = JobReport()
    with opened_sources(loaded) as sources:
        for i, window in enumerate(windows):
            if progress:
                progress(i, len(windows), window)
            with store.claim(job, window) as claimed:
                if not claimed:
                    log.warning("window %s is being judged by another replica; skipped", window.to_dict())
                    continue
                try:
                    run = judge_window(loaded, job, window, sources, now)
                except SourceError as e:
                    run_id = store.record_failure(job, window, str(e), datasets=datasets, **provenance)
                    entry = {"id": run_id, "window": window, "status": ERROR, "message": str(e), "unreachable": True}
                else:
                    run_id = store.record_run(run, **provenance)
                    entry = {"id": run_id, "window": window, "status": run.status,
                             "failing": [r.to_dict() for r in run.results if r.status in ("fail", "error")]}
            if write_report:
                entry["html"], entry["json"] = write_reports(store, run_id, reports_directory(loaded), now=now,
                                                             gate=index_gate(store, loaded, _observed(now)))
            report.runs.append(entry)
        if progress:
            progress(len(windows), len(windows), None)
    report.notify = notify_after_run(loaded, store, now)
    return report
