"""The `reconciler` command. Each command parses options, calls one library function and
renders its result; errors become a message and an exit code here and nowhere else."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import datetime, timezone

import click

from reconciler.cli.options import CommonOptionsGroup
from reconciler.errors import EXIT_FAILED, EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE, ReconcilerError, UsageError
from reconciler.results import FAIL, PASS, SKIPPED

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


@click.group(cls=CommonOptionsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", envvar="RECONCILER_CONFIG", default="schedule.yaml", show_default=True,
              type=click.Path(dir_okay=False), help="schedule.yaml to use ($RECONCILER_CONFIG).")
@click.option("-v", "--verbose", count=True, help="More log output on stderr: -v our progress, -vv our debug and "
              "the libraries' logs, -vvv Alembic's too.")
@click.version_option(package_name="shadow-reconciler")
@click.pass_context
def cli(ctx, config_path, verbose):
    """Proves a shadow-mode migration safe: compares the old and the new database hour by
    hour, keeps the evidence, and tells the team. --config and -v may also follow the command."""
    # -v: our own progress (INFO of `reconciler`); -vv: our DEBUG and the libraries' INFO too;
    # -vvv: Alembic's INFO as well
    logging.basicConfig(level=logging.INFO if verbose >= 2 else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if verbose:
        log.setLevel(logging.DEBUG if verbose >= 2 else logging.INFO)
    # Alembic's INFO is a dozen 'setup plugin ...' lines each time the store opens: only at -vvv
    logging.getLogger("alembic").setLevel(logging.NOTSET if verbose >= 3 else logging.WARNING)
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
    from reconciler.checks.judgement import compare_dataset, mark_empty_hours
    from reconciler.config.loader import resolve_dataset

    loaded = _config(ctx)
    window = _window(start, end)
    name = resolve_dataset(loaded, dataset)
    with _reporter(window) as reporter:
        result = mark_empty_hours(loaded, compare_dataset(loaded, name, window, rows=rows, reporter=reporter))
    if fmt == "json":
        _emit_json(result.to_dict())
    else:
        from reconciler.report.terminal import console, render_compare

        render_compare(result, console())
        if rows and not loaded.config.datasets[name].columns:
            console().print(f"note: {loaded.where('datasets', name)} lists no `columns`: rows were compared by key "
                            "and time only; list the value columns to compare their values", markup=False,
                            style="yellow")
    ctx.exit(EXIT_OK if result.status == PASS else EXIT_FAILED)


@cli.command()
@click.option("--hours", default=24, show_default=True, type=click.IntRange(min=1), help="Hours of demo events.")
@click.option("--rate", default=2.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Events per second (scaled down from production).")
@click.option("--out", default="reports/demo", show_default=True, type=click.Path(file_okay=False))
@click.pass_context
def demo(ctx, hours, rate, out):
    """Build a demo old/new pair (SQLite) with injected faults, compare it and write the report.
    Everything goes under --out, with the demo's own OUT/schedule.yaml (--config is not read)."""
    from reconciler.demo.run import run_demo

    status = run_demo(out_dir=out, hours=hours, rate=rate, now=_now())
    ctx.exit(EXIT_OK if status in (PASS, FAIL) else EXIT_FAILED)


@cli.command()
@click.argument("rules", nargs=-1)
@click.option("--source", "source", help="Where the rules run: old, new or both (default: each check's own, else new).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def check(ctx, rules, source, fmt):
    """Run the relational rules (checks/*.sql) and, without RULE names, the table suites and
    migration-completeness checks. Exit 1 when any fails."""
    from reconciler.checks.registry import CheckContext, run_check, validate_source_override
    from reconciler.checks.rules import rules_to_json
    from reconciler.sources.connection import opened_sources

    loaded = _config(ctx)
    validate_source_override(loaded, source)
    names = _integrity_checks(loaded, rules)
    _check_rule_names(loaded, rules)
    results = []
    with opened_sources(loaded) as sources:
        context = CheckContext(loaded, sources, now=_now(), rule_names=tuple(rules), source_override=source)
        for name in names:
            results += run_check(context, name).results
    doc = rules_to_json(results)
    if fmt == "json":
        _emit_json(doc)
    else:
        from reconciler.report.terminal import console, render_rules

        render_rules(results, console())
    ctx.exit(EXIT_OK if doc["status"] == PASS else EXIT_FAILED)


def _integrity_checks(loaded, rules: tuple) -> list[str]:
    """The checks `reconciler check` runs (their type says so), rule checks first; with RULE
    names, the rule checks only. A RULE that names a check it does not run says what does."""
    from reconciler.checks.types import Scope, type_of

    checks = loaded.config.checks
    elsewhere = [n for n in rules if n in checks and not type_of(checks[n]).in_check_command(checks[n], loaded.config)]
    for name in elsewhere:
        if type_of(checks[name]).scope(checks[name], loaded.config) == Scope.WINDOWED:
            raise UsageError(f"{loaded.path}: {name!r} is a {checks[name].type} check, judged hour by hour: "
                             "`reconciler run JOB` runs it over its hours (a job that lists it under `checks:`), "
                             "not `reconciler check`")
    names = [n for n, c in checks.items() if type_of(c).in_check_command(c, loaded.config)]
    names.sort(key=lambda n: not type_of(checks[n]).holds_rules)
    if rules:
        names = [n for n in names if type_of(checks[n]).holds_rules]
    if not names:
        raise UsageError(f"{loaded.path}: no check of type sql, suite or snapshot rows is configured (`reconciler "
                         "check` runs those; windowed checks, such as traffic, run in `reconciler run JOB`)")
    return names


def _check_rule_names(loaded, rules) -> None:
    if not rules:
        return
    from reconciler.checks.rules import select_rules
    from reconciler.checks.types import type_of

    known = [rule for c in loaded.config.checks.values() for rule in type_of(c).rules(loaded, c)]
    select_rules(known, rules)


@cli.command("run")
@click.argument("job")
@click.option("--start", help="Judge from here (whole UTC hours). Default: the settled hours since the last run.")
@click.option("--end", help="Judge until here (exclusive, a whole UTC hour).")
@click.option("--now", "now_text", help="Judge as if the clock read this time (replays and tests).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def run_command(ctx, job, start, end, now_text, fmt):
    """Run JOB now: judge its windows, store the evidence, write the reports."""
    from reconciler.progress import window_progress
    from reconciler.service.jobs import run_job
    from reconciler.timeutil import parse_time

    loaded = _config(ctx)
    now = _clock(now_text)
    try:
        start_t = parse_time(start, now) if start else None
        end_t = parse_time(end, now) if end else None
    except ValueError as e:
        raise UsageError(f"bad window: {e}") from None
    with window_progress() as progress:
        report = run_job(loaded, job, now, start_t, end_t, progress=progress)

    if fmt == "json":
        _emit_json({"job": job, "status": report.status, "runs": [
            {"id": r.id, "window": r.moment_dict(), "status": r.status, "message": r.message,
             "html": str(r.html or ""), "json": str(r.json or ""),
             "failing": [{"check": f.check, "status": f.status, "reason": f.reason, "message": f.message}
                         for f in r.failing]}
            for r in report.runs]})
    else:
        from reconciler.report.terminal import console, render_job_runs

        render_job_runs(report.runs, console())
        if not report.runs:
            click.echo("nothing to judge: every settled window is already judged or claimed")
    if report.unreachable:
        ctx.exit(EXIT_UNAVAILABLE)
    ctx.exit(EXIT_OK if report.status in (PASS, SKIPPED) else EXIT_FAILED)


def _clock(now_text: str | None) -> datetime:
    """The real clock, or `--now T` for replays."""
    if not now_text:
        return _now()
    from reconciler.timeutil import parse_time

    try:
        return parse_time(now_text, _now())
    except ValueError as e:
        raise UsageError(f"--now: {e}") from None


def _attach_store_commands():
    from reconciler.cli.gate import calibrate, gate
    from reconciler.cli.init import init
    from reconciler.cli.notify import notify
    from reconciler.cli.repair import repair
    from reconciler.cli.report import db, report
    from reconciler.cli.service import jobs, schedule
    from reconciler.cli.verify import verify

    for command in (report, db, init, gate, calibrate, notify, schedule, jobs, repair, verify):
        cli.add_command(command)

_attach_store_commands()


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


def run() -> None:
    """The console script: main(), then leave without the interpreter's teardown. With Great
    Expectations loaded, tearing down its thousands of modules takes a second or more after
    everything is stored, printed and closed; nothing of ours waits for it."""
    try:
        main()
        code = 0
    except SystemExit as e:
        code = e.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing left to say on it
            pass
    os._exit(code)


if __name__ == "__main__":
    run()
