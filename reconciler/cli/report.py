"""`reconciler report list|show|open` and `reconciler db upgrade|prune`: thin commands over
the report store and the report renderers. The config path comes in ctx.obj["config_path"]."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import click

from reconciler.errors import UsageError
from reconciler.results import STATUSES

# The store, renderers and config are imported inside the commands so `reconciler --help`
# stays instant.


def _loaded(ctx: click.Context):
    from reconciler.config import load_config

    return load_config((ctx.obj or {}).get("config_path") or "schedule.yaml")


def open_report_store(*args, **kwargs):
    from reconciler.store import open_report_store as _open

    return _open(*args, **kwargs)


def reports_directory(loaded):
    from reconciler.store import reports_directory as _directory

    return _directory(loaded)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _echo_json(document) -> None:
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


@click.group("report")
def report():
    """Stored runs: list them, show one, open the HTML index, serve the reports over HTTP."""


@report.command("list")
@click.option("--job", help="Only the runs of this job.")
@click.option("--since", help="Only runs started at or after this time (ISO 8601, 2026-11-27, 24h-ago, yesterday).")
@click.option("--status", type=click.Choice(STATUSES), help="Only runs with this status.")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True, help="At most this many runs.")
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def list_runs(ctx, job, since, status, limit, output):
    """List stored runs, newest first."""
    from reconciler.report.terminal import console, runs_table
    from reconciler.timeutil import parse_time

    since_time = None
    if since:
        try:
            since_time = parse_time(since, _now())
        except ValueError as e:
            raise UsageError(f"--since: {e}") from None
    store = open_report_store(_loaded(ctx))
    runs = store.list_runs(job=job, since=since_time, status=status, limit=limit)
    if output == "json":
        _echo_json({"runs": runs})
    else:
        from reconciler.report.html import WHY_RUNS, why_text

        # as the HTML index's "Why": an error run's message, else its first failing checks' reasons
        explained = [r for r in runs if r["status"] != "pass"][:WHY_RUNS]
        why = {r["id"]: why_text(r, store.load_run(r["id"]) if not r.get("message") else None) for r in explained}
        console().print(runs_table(runs, why))


@report.command("show")
@click.argument("run", metavar="RUN")
@click.option("--format", "output", type=click.Choice(["table", "json", "html"]), default="table", show_default=True)
@click.pass_context
def show_run(ctx, run, output):
    """Show one stored run: RUN is its number (see `report list`) or `latest`."""
    from reconciler.report import render_html
    from reconciler.report.terminal import console, run_renderable

    store = open_report_store(_loaded(ctx))
    run_id = store.latest_run_id() if run == "latest" else run
    if run_id is None:
        raise UsageError("the report store holds no run yet")
    document = store.get_run(run_id)  # the JSON contract: the stored run as it is
    if output == "json":
        _echo_json(document)
        return
    from reconciler.results import StoredRun

    stored = StoredRun.from_dict(document)
    if output == "html":
        from reconciler.report.files import run_context, run_stories

        click.echo(render_html(stored, generated_at=_now(), context=run_context(store, stored),
                               stories=run_stories(store, stored)), nl=False)
    else:
        from reconciler.report.files import run_stories

        console().print(run_renderable(stored, run_stories(store, stored)))


@report.command("open")
@click.option("--browser/--no-browser", default=False, help="Also open the index in the default browser.")
@click.pass_context
def open_index(ctx, browser):
    """Refresh the HTML index of the last 7 days and print its path."""
    from reconciler.gate.summary import index_gate
    from reconciler.report import write_index

    loaded = _loaded(ctx)
    store = open_report_store(loaded)
    path = write_index(store, reports_directory(loaded), now=_now(), gate=index_gate(store, loaded, _now()))
    click.echo(str(path))
    if browser:
        click.launch(str(path))


@report.command("serve")
@click.option("--host", help="Address to listen on (default: service.host, 127.0.0.1; 0.0.0.0: every interface).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default: service.port, 9108; 0: any free port).")
@click.pass_context
def serve(ctx, host, port):
    """Serve the report directory read-only under http://HOST:PORT/reports/, as `reconciler
    schedule` does, without the scheduler; until Ctrl-C or SIGTERM (exit 0)."""
    import signal
    import threading

    from reconciler.service.http import HealthServer

    loaded = _loaded(ctx)
    cfg = loaded.config.service
    directory = reports_directory(loaded)
    server = HealthServer(None, host or cfg.host, cfg.port if port is None else port, reports=directory).start()
    address = cfg.model_copy(update={"host": server.host, "port": server.port}).reports_url
    click.echo(f"serving {directory} read-only at {address} (Ctrl-C to stop)")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    server.close()


@click.group("db")
def db():
    """The report store's database."""


@db.command("upgrade")
@click.pass_context
def upgrade(ctx):
    """Create or upgrade the report store schema (safe to run again)."""
    store = open_report_store(_loaded(ctx), upgrade=True)
    click.echo(f"report store {store.display_url} is at revision {store.revision()} (head)")


@db.command("prune")
@click.option("--keep-days", type=click.IntRange(min=1), help="Default: report_store.keep_days.")
@click.pass_context
def prune(ctx, keep_days):
    """Delete samples, then runs, older than the retention limit."""
    loaded = _loaded(ctx)
    days = keep_days or loaded.config.report_store.keep_days
    deleted = open_report_store(loaded).prune(days, _now())
    click.echo(f"kept the last {days} days; deleted " + ", ".join(f"{n} {what}" for what, n in deleted.items()))
