"""The `reconciler` command. Each command parses options, calls one library function and
renders its result; errors become a message and an exit code here and nowhere else."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import datetime, timezone

import click

from reconciler.errors import EXIT_FAILED, EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE, ReconcilerError, UsageError

log = logging.getLogger("reconciler")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _config(ctx):
    from reconciler.config import load_config

    return load_config(ctx.obj["config_path"])


def _window(start: str | None, end: str | None):
    from reconciler.timeutil import Window, floor_hour, parse_time

    now = _now()
    try:
        end_t = parse_time(end, now) if end else floor_hour(now)
        start_t = parse_time(start, now) if start else end_t - _hour()
        return Window(start_t, end_t)
    except ValueError as e:
        raise UsageError(f"bad window: {e}") from None


def _hour():
    from datetime import timedelta

    return timedelta(hours=1)


def _emit_json(doc: dict) -> None:
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False))


PROGRESS_AFTER_HOURS = 3


def _reporter(window):
    """Progress on stderr for windows longer than a few hours."""
    from reconciler.progress import Reporter

    return Reporter(enabled=window.seconds > PROGRESS_AFTER_HOURS * 3600)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", envvar="RECONCILER_CONFIG", default="schedule.yaml", show_default=True,
              type=click.Path(dir_okay=False), help="schedule.yaml to use ($RECONCILER_CONFIG).")
@click.option("-v", "--verbose", count=True, help="More log output on stderr.")
@click.version_option(package_name="shadow-reconciler")
@click.pass_context
def cli(ctx, config_path, verbose):
    """Proves a shadow-mode migration safe: compares the old and the new database hour by
    hour, keeps the evidence, and tells the team."""
    logging.basicConfig(level=logging.WARNING - 10 * min(verbose, 2), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path


@cli.command()
@click.argument("dataset", required=False)
@click.option("--start", help="Window start: ISO 8601, a date, or now-24h / 7d-ago. Default: the previous hour.")
@click.option("--end", help="Window end (exclusive). Default: the start of the current hour.")
@click.option("--rows/--counts-only", default=True, help="Row-level diff (default) or hourly counts only.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def compare(ctx, dataset, start, end, rows, fmt):
    """Compare DATASET between old and new over [--start, --end)."""
    from reconciler.compare import compare_dataset, resolve_dataset

    loaded = _config(ctx)
    window = _window(start, end)
    name = resolve_dataset(loaded, dataset)
    with _reporter(window) as reporter:
        result = compare_dataset(loaded, name, window, rows=rows, reporter=reporter)
    if fmt == "json":
        _emit_json(result.to_dict())
    else:
        from rich.console import Console

        from reconciler.render.terminal import render_compare

        render_compare(result, Console())
    ctx.exit(EXIT_OK if result.status == "pass" else EXIT_FAILED)


@cli.command()
@click.option("--hours", default=24, show_default=True, help="Hours of demo events.")
@click.option("--rate", default=2.0, show_default=True, help="Events per second (scaled down from production).")
@click.option("--out", default="reports/demo", show_default=True, type=click.Path(file_okay=False))
@click.pass_context
def demo(ctx, hours, rate, out):
    """Build a demo old/new pair (SQLite) with injected faults, compare it and write the report."""
    from reconciler.demo import run_demo

    status = run_demo(out_dir=out, hours=hours, rate=rate, now=_now(), config_path=ctx.obj["config_path"])
    ctx.exit(EXIT_OK if status in ("pass", "fail") else EXIT_FAILED)


def _attach_optional_commands():
    for module, names in (("reconciler.cli_report", ("report", "db")), ("reconciler.cli_check", ("check",)),
                          ("reconciler.cli_run", ("run",))):
        try:
            mod = __import__(module, fromlist=list(names))
        except ImportError:
            continue
        for name in names:
            if hasattr(mod, name):
                cli.add_command(getattr(mod, name))


_attach_optional_commands()


def main(argv=None) -> None:
    try:
        code = cli.main(args=argv, prog_name="reconciler", standalone_mode=False)
    except ReconcilerError as e:
        click.echo(f"reconciler: {e}", err=True)
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.ClickException as e:
        e.show()
        sys.exit(EXIT_USAGE)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except Exception:
        import traceback

        traceback.print_exc()
        click.echo("reconciler: internal error (above); nothing was judged", err=True)
        sys.exit(EXIT_UNAVAILABLE)
    sys.exit(code or 0)


if __name__ == "__main__":
    main()
