"""`reconciler repair`: a thin command over reconciler.repair. The config path comes in
ctx.obj["config_path"]."""

from __future__ import annotations

import shlex
from datetime import datetime, timezone
from pathlib import Path

import click

from reconciler.errors import EXIT_FAILED, EXIT_OK, UsageError

PROGRESS_AFTER_HOURS = 3  # as `compare`: progress on stderr for longer windows


def _command_line(ctx: click.Context, dataset: str, start: str, end: str, fmt: str, out: str,
                  delete_extra: bool) -> str:
    """The command that produced the file, as it can be run again (the config named when given)."""
    words = ["reconciler", "repair", dataset, "--start", start, "--end", end, "--format", fmt, "--out", out]
    if delete_extra:
        words.append("--delete-extra")
    config = (ctx.obj or {}).get("config_path")
    if config and config != "schedule.yaml":
        words += ["--config", str(config)]
    return shlex.join(words)


@click.command("repair")
@click.argument("dataset", required=False)
@click.option("--start", required=True, help="Window start: ISO 8601, a date, or now-24h / 7d-ago.")
@click.option("--end", required=True, help="Window end (exclusive).")
@click.option("--format", "fmt", type=click.Choice(["sql", "csv"]), default="sql", show_default=True,
              help="sql: one file of statements for the new side's engine; csv: the same rows for a loader.")
@click.option("--out", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Folder the file(s) are written to.")
@click.option("--delete-extra", is_flag=True, help="Include the DELETEs of rows only in new (commented out otherwise).")
@click.pass_context
def repair(ctx, dataset, start, end, fmt, out, delete_extra):
    """Write what would make new equal old over [--start, --end): missing rows as INSERTs,
    changed columns as UPDATEs, extra rows as (commented) DELETEs. Nothing is executed.
    Exit 0 nothing to repair, 1 a repair was written, 2 bad usage, 3 a source unreachable."""
    from reconciler.config import load_config
    from reconciler.config.loader import resolve_dataset
    from reconciler.repair import write_repair
    from reconciler.timeutil import Window, parse_time

    now = datetime.now(timezone.utc)
    loaded = load_config((ctx.obj or {}).get("config_path") or "schedule.yaml")
    name = resolve_dataset(loaded, dataset, "repair")
    try:
        window = Window(parse_time(start, now), parse_time(end, now))
    except ValueError as e:
        raise UsageError(f"bad window: {e}") from None
    from reconciler.progress import Reporter

    with Reporter(enabled=window.seconds > PROGRESS_AFTER_HOURS * 3600) as reporter:
        result = write_repair(loaded, name, window, out_dir=Path(out), fmt=fmt, delete_extra=delete_extra,
                              command=_command_line(ctx, name, start, end, fmt, out, delete_extra), now=now,
                              reporter=reporter)
    plan = result.plan
    click.echo(f"{len(plan.inserts)} insert(s), {len(plan.updates)} update(s), {len(plan.deletes)} extra row(s)"
               f"{' (deletes included)' if delete_extra else ' (deletes commented out)' if fmt == 'sql' else ''}"
               f"{'; TRUNCATED by the diff budget' if plan.truncated else ''}"
               f"{f'; {len(plan.ambiguous)} missing row(s) not repaired (listed in the file)' if plan.ambiguous else ''}"
               ": " + ", ".join(map(str, result.paths)))
    ctx.exit(EXIT_FAILED if result.needed or plan.truncated else EXIT_OK)
