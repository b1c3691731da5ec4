"""`reconciler gate` and `reconciler calibrate`: thin commands over reconciler.gate and
reconciler.compare.calibrate. The config path comes in ctx.obj["config_path"]."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import click

from reconciler.cli.options import time_option
from reconciler.errors import UsageError


def _loaded(ctx: click.Context):
    from reconciler.config import load_config

    return load_config((ctx.obj or {}).get("config_path") or "schedule.yaml")


@click.command("gate")
@click.option("--phase", help="A phase under `phases:` in schedule.yaml (default: its `current_phase`, shadow "
              "unless set).")
@click.option("--days", type=click.IntRange(min=1), help="Whole days of hours ending at the last settled hour "
              "(default: the phase's days, 7).")
@click.option("--start", help="Period start (a whole hour); with --end instead of --days.")
@click.option("--end", help="Period end (exclusive, a whole hour).")
@click.option("--now", "now_text", help="Judge as if it were this time (default: now).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def gate(ctx, phase, days, start, end, now_text, fmt):
    """Are the phase's success criteria met? Reads only the report store.
    Exit 0 go, 1 no-go, 4 incomplete evidence, 3 store unreachable."""
    from reconciler.gate import evaluate_gate
    from reconciler.gate.render import gate_lines
    from reconciler.store import open_report_store, reports_directory

    real_now = datetime.now(timezone.utc)
    now = time_option("--now", now_text, real_now) or real_now
    start_t, end_t = time_option("--start", start, now), time_option("--end", end, now)
    if days and (start_t or end_t):
        raise UsageError("give --days or --start/--end, not both")
    loaded = _loaded(ctx)
    store = open_report_store(loaded)
    try:
        report = evaluate_gate(store, loaded, now, phase=phase, days=days, start=start_t, end=end_t)
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo("\n".join(gate_lines(report, reports_directory(loaded))))
    ctx.exit(report.exit_code)


@click.command("calibrate")
@click.argument("dataset")
@click.option("--start", required=True, help="Window start.")
@click.option("--end", required=True, help="Window end (exclusive).")
@click.option("--side", type=click.Choice(["old", "new"]), default="new", show_default=True,
              help="Which side of the dataset is compared with itself.")
@click.option("--replica", help="A replica's URL: compare the side's source with it instead of re-reading.")
@click.option("--settle", default="30s", show_default=True, help="Delay between the two reads (no --replica).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def calibrate(ctx, dataset, start, end, side, replica, settle, fmt):
    """A/A noise floor: compare a source with itself (read twice, or primary vs replica) and
    suggest thresholds above the drift and mismatch that appear with no migration."""
    import time

    from reconciler.compare.calibrate import calibrate_dataset, calibration_lines
    from reconciler.config.loader import resolve_dataset
    from reconciler.config.models import parse_duration
    from reconciler.timeutil import Window

    now = datetime.now(timezone.utc)
    try:
        window = Window(time_option("--start", start, now), time_option("--end", end, now))
    except ValueError as e:
        raise UsageError(f"bad window: {e}") from None
    try:
        delay = parse_duration(settle).total_seconds()
    except ValueError as e:
        raise UsageError(f"--settle: {e}") from None
    loaded = _loaded(ctx)
    name = resolve_dataset(loaded, dataset, "calibrate")
    result = calibrate_dataset(loaded, name, window, side=side, replica_url=replica,
                               between=(lambda: time.sleep(delay)) if not replica else None)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo("\n".join(calibration_lines(result)))
