"""`reconciler notify test|flush`: check the Slack setup; deliver the outbox now. Thin
commands over reconciler.notify; the config path comes in ctx.obj["config_path"]."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import click

from reconciler.errors import EXIT_UNAVAILABLE


def _loaded(ctx: click.Context):
    from reconciler.config import load_config

    return load_config((ctx.obj or {}).get("config_path") or "schedule.yaml")


def _echo_payload(payload: dict) -> None:
    click.echo(json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True))


@click.group("notify")
def notify():
    """Slack: send a test message, or deliver the outbox now."""


def _mode(slack) -> str:
    """How a message would go: a token wins over a webhook; neither is a dry run."""
    if slack.token:
        return "bot"
    return "webhook" if slack.webhook_url else "none"


@notify.command("test")
@click.option("--dry-run", is_flag=True, help="Print the exact payload instead of sending it.")
@click.pass_context
def test_message(ctx, dry_run):
    """Send one test message and report exactly what Slack answered (exit 3 if it refused).
    Without a token or webhook, print the payload that would be sent (exit 0)."""
    from reconciler.notify.blocks import Links, render
    from reconciler.notify.i18n import Texts
    from reconciler.notify.slack import make_delivery

    loaded = _loaded(ctx)
    cfg = loaded.config.notify
    delivery = None if dry_run else make_delivery(cfg.slack)
    payload = render("test", {"mode": _mode(cfg.slack)}, Texts(cfg.locale), Links(cfg.report_base_url))
    if delivery is None:
        _echo_payload({"channel": cfg.slack.channel, **payload})
        if not dry_run:
            click.echo(f"nothing sent: {loaded.path} sets neither notify.slack.token nor notify.slack.webhook_url "
                       "(above: the payload that would be sent)", err=True)
        return
    posted = delivery.post(payload, f"test:{uuid.uuid4().hex}")
    if delivery.mode == "bot":
        click.echo(f"Slack accepted the test message: channel {cfg.slack.channel} (id {posted.channel}), "
                   f"ts {posted.ts}, through {delivery.where}")
    else:
        click.echo(f"Slack accepted the test message through the incoming webhook {delivery.where}")


@notify.command("flush")
@click.option("--dry-run", is_flag=True, help="Print the exact payloads instead of sending them; mark nothing.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def flush(ctx, dry_run, fmt):
    """Deliver the pending Slack messages now, in order (exit 3 if Slack refused or is down)."""
    from reconciler.notify import digest_scope, drain_outbox
    from reconciler.store import open_report_store, reports_directory

    loaded = _loaded(ctx)
    store = open_report_store(loaded, upgrade=True)
    now = datetime.now(timezone.utc)
    report = drain_outbox(store, loaded.config.notify, now=now, dry_run=dry_run,
                          reports_dir=reports_directory(loaded).resolve(), digest=digest_scope(loaded, store, now))
    if fmt == "json":
        doc = report.to_dict()
        if dry_run:
            doc["payloads"] = [{"key": key, "payload": payload} for key, payload, _path in report.dry_run]
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        for key, payload, path in report.dry_run:
            if path is None:
                click.echo(f"--- {key}")
                _echo_payload(payload)
            else:
                click.echo(f"{key}: no Slack configured, payload written to {path}")
        if report.busy:
            click.echo("another process is delivering the outbox now; nothing done")
        for key, why in report.failed:
            click.echo(f"{key}: refused by Slack and set aside: {why}")
        click.echo(f"sent {report.sent}, found already posted {report.recovered}, folded into reminders "
                   f"{report.folded}, skipped {report.skipped}, dry run {len(report.dry_run)}; "
                   f"{report.pending} still pending")
    if report.error:
        click.echo(f"reconciler: {report.error}", err=True)
        ctx.exit(EXIT_UNAVAILABLE)
    if report.failed:
        ctx.exit(EXIT_UNAVAILABLE)
