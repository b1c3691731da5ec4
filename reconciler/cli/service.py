"""`reconciler schedule` (the service) and `reconciler jobs` (each job's state): thin commands
over reconciler.service and reconciler.service.jobs. Heavy imports stay inside the commands."""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
from datetime import datetime, timezone

import click

from reconciler.errors import EXIT_FAILED, EXIT_OK, EXIT_UNAVAILABLE, UsageError
from reconciler.formatting import instant
from reconciler.reasons import plural

log = logging.getLogger("reconciler.service")


def _loaded(ctx: click.Context):
    from reconciler.config import load_config

    return load_config((ctx.obj or {}).get("config_path") or "schedule.yaml")


def _clock(now_text: str | None) -> datetime:
    from reconciler.timeutil import parse_time

    now = datetime.now(timezone.utc)
    if not now_text:
        return now
    try:
        return parse_time(now_text, now)
    except ValueError as e:
        raise UsageError(f"--now: {e}") from None


def _log_level() -> int:
    return min(logging.INFO, logging.getLogger().level or logging.INFO)


@click.command()
@click.option("--once", is_flag=True, help="Run every job once, with catch-up, and exit (for cron and CI).")
@click.option("--now", "now_text", help="With --once: judge as if the clock read this time (replays, tests).")
@click.option("--port", type=click.IntRange(0, 65535), help="HTTP port of health, metrics and reports "
              "(default: service.port, 9108; 0: any free port).")
@click.option("--host", help="HTTP address (default: service.host, 127.0.0.1; 0.0.0.0 in a container).")
@click.pass_context
def schedule(ctx, once, now_text, port, host):
    """The scheduler service: each job on its cron, catching up from its watermark; serves
    /health/liveness, /health/readiness, /metrics and the reports, read-only, under /reports/.
    SIGTERM stops it cleanly (exit 0)."""
    from reconciler.service import jsonlog

    if now_text and not once:
        raise UsageError("--now needs --once: the service follows the real clock")
    loaded = _loaded(ctx)
    jsonlog.configure(_log_level())
    from reconciler.service.scheduler import Service

    grace = loaded.config.service.shutdown_grace.total_seconds()
    if once:
        ctx.exit(_once(Service(loaded), _clock(now_text), grace))
    from reconciler.service.http import HealthServer, served_at
    from reconciler.service.scheduler import wait_for_stop
    from reconciler.store import reports_directory

    cfg = loaded.config.service
    server = HealthServer(None, host or cfg.host, cfg.port if port is None else port,
                          reports=reports_directory(loaded))
    try:
        service = Service(served_at(loaded, server.host, server.port))
    except BaseException:
        server.close()
        raise
    server.attach(service)
    _on_stop_signals(service)
    service.start()
    server.start()
    wait_for_stop(service)
    log.info("stopping: no further window is taken", extra={"event": "stopping"})
    finished = service.shutdown(grace)
    server.close()
    log.info("stopped", extra={"event": "stopped", "current_window": "finished" if finished else "abandoned"})
    ctx.exit(EXIT_OK)


def _on_stop_signals(service, grace: float | None = None) -> None:
    def stop(signum, _frame):
        log.info("%s received", signal.Signals(signum).name, extra={"event": "signal"})
        service.request_stop()
        if grace is not None:  # --once: the main thread waits for the worker, at most this long
            def abandon():
                log.warning("stopping: the window being judged did not finish within %gs; abandoned, nothing of "
                            "it stored", grace, extra={"event": "abandoned"})
                logging.shutdown()
                os._exit(EXIT_OK)

            timer = threading.Timer(grace, abandon)
            timer.daemon = True
            timer.start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def _once(service, now: datetime, grace: float) -> int:
    from reconciler.results import PASS, SKIPPED
    from reconciler.timeutil import iso

    ticks, failure = [], []

    def work():
        try:
            ticks.extend(service.run_once(now))
        except BaseException as e:  # noqa: BLE001 - re-raised in the main thread
            failure.append(e)

    _on_stop_signals(service, grace)
    worker = threading.Thread(target=work, name="schedule-once", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.2)
    service.close()
    if failure:
        raise failure[0]
    outcomes = []
    for t in ticks:
        runs = t.report.runs
        outcomes += [r.outcome for r in runs]
        counts = {}
        for r in runs:
            counts[r.outcome] = counts.get(r.outcome, 0) + 1
        watermark = service.store.watermark(t.job)
        click.echo(f"{t.job}: {len(runs)} run(s) stored"
                   + (f" ({', '.join(f'{n} {s}' for s, n in sorted(counts.items()))})" if counts else "")
                   + f", {len(t.report.skipped)} skipped (another process had them)"
                   + f"; watermark {iso(watermark) if watermark else '-'}"
                   + (" -- stopped" if t.report.stopped else ""))
    if any(t.report.unreachable for t in ticks):
        return EXIT_UNAVAILABLE
    return EXIT_OK if all(s in (PASS, SKIPPED) for s in outcomes) else EXIT_FAILED


FAILING_SPAN = 24  # hours `reconciler jobs` looks back for failing hours


@click.command("jobs")
@click.option("--now", "now_text", help="As if the clock read this time.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def jobs(ctx, now_text, fmt):
    """Each job: its cron, next run, watermark, pending hours, errored hours (their run could not
    finish: retried), failing hours of the last 24 h (judged, and a check failed), last run."""
    from reconciler.results import FAIL
    from reconciler.service.jobs import JobSession, job_plan, point_in_time_checks, windowed_checks
    from reconciler.service.scheduler import next_run, next_window_judged_at, wakeups
    from reconciler.store import open_report_store
    from reconciler.timeutil import HOUR, floor_hour, iso

    loaded = _loaded(ctx)
    now = _clock(now_text)
    store = open_report_store(loaded, upgrade=True)
    session = JobSession(loaded, store, {}, write_report=False)
    out = []
    for name, cfg in loaded.config.jobs.items():
        plan = job_plan(session, name, now, start_watermark=False)
        watermark = store.watermark(name)
        last = store.list_runs(job=name, limit=1)
        settled = [w.cron for w in wakeups(loaded, name, now) if w.settled_only]
        judged_at = next_window_judged_at(loaded, name, now)
        recent = store.hour_states(name, floor_hour(now) - FAILING_SPAN * HOUR, floor_hour(now))
        out.append({
            "job": name, "cron": cfg.cron, "timezone": cfg.timezone, "next_run": iso(next_run(cfg, now)),
            "settled_wake": settled[0] if settled else None,
            "next_window_judged_at": iso(judged_at) if judged_at else None,
            "windowed_checks": windowed_checks(loaded, name), "point_in_time_checks": point_in_time_checks(loaded, name),
            "watermark": iso(watermark) if watermark else None,
            "pending_hours": [iso(h) for h in plan.pending] if plan else [],
            "failed_hours": [iso(h) for h in plan.failed] if plan else [],
            "retry_waiting": [iso(h) for h in plan.backing_off] if plan else [],
            "failing_hours_24h": [iso(h) for h, st in sorted(recent.items()) if st.judged and st.status == FAIL],
            "last_run": {"id": last[0]["id"], "status": last[0]["status"], "started_at": last[0]["started_at"]}
            if last else None,
        })
    if fmt == "json":
        click.echo(json.dumps({"now": iso(now), "jobs": out}, indent=2))
        return
    for j in out:
        pending, failed = j["pending_hours"], j["failed_hours"]
        click.echo(f"{j['job']}")
        click.echo(f"  cron        {j['cron']} ({j['timezone']}), next run {instant(j['next_run'])}")
        if j["next_window_judged_at"]:
            wake = f", also waking at {j['settled_wake']} (UTC) as windows settle" if j["settled_wake"] else ""
            click.echo(f"  judging     the next window to settle is judged at {instant(j['next_window_judged_at'])}{wake}")
        click.echo(f"  watermark   {instant(j['watermark']) or '- (never judged)'}")
        click.echo("  pending     " + (f"{plural(len(pending), 'hour')}: {instant(pending[0])} .. {instant(pending[-1])}"
                                         if pending else "none"))
        # "errored": the run could not finish (a source down); a failing hour was judged, and failed
        waiting = f"; {len(j['retry_waiting'])} waiting for their retry" if j["retry_waiting"] else ""
        click.echo("  errored     " + (f"{plural(len(failed), 'hour')}: {', '.join(map(instant, failed[:6]))}"
                                         f"{' ..' if len(failed) > 6 else ''} (run ended in an error, retried{waiting})"
                                         if failed else "none"))
        failing = j["failing_hours_24h"]
        if j["windowed_checks"]:  # point-in-time runs judge no hour: their verdict is the last run's
            click.echo("  failing     " + (f"{plural(len(failing), 'hour')} of the last {FAILING_SPAN}: "
                                             f"{', '.join(map(instant, failing[:6]))}{' ..' if len(failing) > 6 else ''}"
                                             if failing else f"none in the last {FAILING_SPAN} hours"))
        if not j["windowed_checks"]:
            click.echo("  checks      point-in-time only (judged once per run, as of its time)")
        last = j["last_run"]
        click.echo("  last run    " + (f"{last['id']} {last['status']} at {instant(last['started_at'])}" if last else "-"))
