"""`reconciler demo`: an old/new SQLite pair with injected faults, compared end to end."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from reconciler.formatting import clock, number
from reconciler.reasons import plural
from reconciler.timeutil import HOUR, Window, floor_hour, iso

DEMO_ZONE = "America/Bogota"


def build_demo_databases(out_dir: Path, start: datetime, hours: int, rate: float):
    from reconciler.demo.scenario import LEGACY, REFERENCE, demo_scenario, legacy_table, load, reference_table, to_rows

    out_dir.mkdir(parents=True, exist_ok=True)
    scenario = demo_scenario(start, hours, rate)
    for name in ("old.db", "new.db"):
        (out_dir / name).unlink(missing_ok=True)
    old_engine = sa.create_engine(f"sqlite:///{out_dir / 'old.db'}")
    new_engine = sa.create_engine(f"sqlite:///{out_dir / 'new.db'}")
    load(old_engine, legacy_table(sa.MetaData()), to_rows(scenario.old, LEGACY, zone=DEMO_ZONE))
    load(new_engine, reference_table(sa.MetaData()), to_rows(scenario.new, REFERENCE))
    try:
        from reconciler.demo.bookings import create_booking_schema, load_demo_bookings

        with old_engine.begin() as old_conn, new_engine.begin() as new_conn:
            create_booking_schema(old_conn)
            create_booking_schema(new_conn)
            scenario.faults["bookings"] = load_demo_bookings(old_conn, new_conn, end_of(start, hours).date())
            new_conn.execute(sa.text("UPDATE access_codes SET code = '12-34' WHERE booking_id = "
                                     "(SELECT min(booking_id) FROM access_codes WHERE status = 'active')"))
    except ImportError:
        pass
    old_engine.dispose()
    new_engine.dispose()
    return scenario


def end_of(start: datetime, hours: int) -> datetime:
    return start + hours * HOUR


def run_demo(out_dir: str, hours: int, rate: float, now: datetime) -> str:
    """Build the pair under `out_dir`, write the demo's own config there and run everything
    against it. Returns the comparison's status."""
    from reconciler.checks.judgement import compare_dataset
    from reconciler.config import load_config
    from reconciler.demo.config import write_demo_config
    from reconciler.report.terminal import console as make_console
    from reconciler.report.terminal import render_compare

    console = make_console()
    out = Path(out_dir).resolve()
    end = floor_hour(now)
    start = end - hours * HOUR
    console.print(f"building demo databases in {out}/ ({hours} h at {number(rate)} events/s)…")
    scenario = build_demo_databases(out, start, hours, rate)
    config_path = write_demo_config(out, DEMO_ZONE)
    _forget_earlier_runs(out)
    loaded = load_config(config_path, env={})
    window = Window(start, end)
    result = compare_dataset(loaded, "device_events", window, rows=True)
    render_compare(result, console)
    json_path = out / "compare.json"
    json_path.write_text(json.dumps(result.to_dict(), indent=2))
    f = scenario.faults
    console.print(
        f"\ninjected: hour {_h(start, f['loss'])} lost 3 %; hour {_h(start, f['new_only'])} only in new; "
        f"hour {_h(start, f['late'])} late (40 % not arrived); hour {_h(start, f['silent'])} 4 missing + 4 extra at "
        f"equal counts; hour {_h(start, f['changed'])} {len(f['changed_value_ids'])} changed values and "
        f"{len(f['changed_type_ids'])} changed types"
    )
    console.print(f"JSON written to {json_path}\n")
    _integrity(loaded, now, console)
    index = _store_and_report(loaded, start, end, now, console)
    _show_slack_messages(loaded, now, console)
    console.print(f"\nHTML report: {Path(index).resolve()}")
    console.print(f"config: {config_path} (the demo's own; the shipped schedule.yaml is for production)",
                  soft_wrap=True, markup=False, highlight=False)
    shown = _shown(config_path)
    console.print(f"again: reconciler compare device_events --config {shown} --start {iso(start)} --end {iso(end)}",
                  soft_wrap=True, markup=False, highlight=False)
    console.print(f"       reconciler report list --config {shown}", soft_wrap=True, markup=False, highlight=False)
    console.print(f"repair: reconciler repair device_events --config {shown} --start {iso(start)} --end {iso(end)} "
                  f"--out {_shown(out / 'repairs')}", soft_wrap=True, markup=False, highlight=False)
    console.print(f"       reconciler report serve --config {shown}   (the reports where the links above point)",
                  soft_wrap=True, markup=False, highlight=False)
    return result.status


def _forget_earlier_runs(out: Path) -> None:
    """The demo's store and reports hold this demo's runs only (they are its own, under --out):
    its run pages and the Slack payloads of its dry run (notify/) go with the store."""
    for name in ("reconciler.db", "reconciler.db-wal", "reconciler.db-shm", "index.html"):
        (out / name).unlink(missing_ok=True)
    for directory in ("runs", "notify"):
        shutil.rmtree(out / directory, ignore_errors=True)


def _next_second(t: datetime) -> datetime:
    """`t` as a whole second not before it: --now takes seconds, and the runs of `t` must count."""
    return t.replace(microsecond=0) + timedelta(seconds=1 if t.microsecond else 0)


def _shown(path: Path) -> str:
    """`path` as a person would type it here: relative when it is under the working directory."""
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _integrity(loaded, now: datetime, console) -> None:
    from reconciler.checks.registry import CheckContext, run_check
    from reconciler.report.terminal import render_rules
    from reconciler.sources.connection import opened_sources

    results = []
    with opened_sources(loaded) as sources:
        context = CheckContext(loaded, sources, now=now)
        for name in ("bookings", "bookings_suite", "bookings_migrated"):
            if name in loaded.config.checks:
                results += run_check(context, name).results
    console.print("[bold]bookings[/bold]: rules on old and new, the new system's table suite, migration completeness")
    render_rules(results, console)


def _store_and_report(loaded, start: datetime, end: datetime, now: datetime, console) -> Path:
    """Judge every demo hour as the hourly job would, store it, render the reports."""
    from reconciler.progress import window_progress
    from reconciler.report import write_index
    from reconciler.results import PASS
    from reconciler.service.jobs import run_job
    from reconciler.store import open_report_store, reports_directory

    with window_progress() as progress:
        for job in loaded.config.jobs:
            report = run_job(loaded, job, now, start if job == "hourly-shadow" else end - HOUR, end,
                             progress=progress)
            windows = [r for r in report.runs if r.window is not None]
            moments = [r for r in report.runs if r.window is None]
            failed = sum(r.status != PASS for r in report.runs)
            judged = [plural(len(windows), "hour")] if windows else []
            judged += [f"point-in-time checks as of {iso(r.as_of.replace(microsecond=0))}" for r in moments]
            console.print(f"job {job}: {', '.join(judged) or 'nothing'} judged and stored, {failed} not passing",
                          markup=False, highlight=False)
    from reconciler.gate.evaluate import current_phase, phase_config
    from reconciler.gate.summary import index_gate

    store = open_report_store(loaded)
    # as soon as the demo's last hour counts for the gate (its settle), whatever minute it is now,
    # so that the index shows the hours the demo judged
    as_of = max(now, end + phase_config(loaded, current_phase(loaded)).settle)
    gate = index_gate(store, loaded, as_of)
    if gate:
        states = ", ".join(f"{c['criterion']} {c['state']}" for c in gate["criteria"])
        console.print(f"go/no-go gate ({gate['phase']}): {gate['verdict'].upper()} — {states}; "
                      f"reasons: reconciler gate --config {_shown(Path(loaded.path))} --now {iso(_next_second(as_of))}",
                      soft_wrap=True, markup=False, highlight=False)
    return write_index(store, reports_directory(loaded), now=as_of, generated_at=now, gate=gate)


def _show_slack_messages(loaded, now: datetime, console) -> None:
    from reconciler.notify.preview import as_text, demo_messages
    from reconciler.store import open_report_store, reports_directory

    store = open_report_store(loaded)
    messages = demo_messages(store, loaded, reports_directory(loaded).resolve(), now)
    console.print("\n[bold]Slack[/bold] (dry run: no token or webhook configured; the exact payloads are the JSON files)")
    for kind, path, payload in messages:
        console.print(f"\n[bold]── {kind}[/bold]  {path}")
        console.print(as_text(payload), markup=False, highlight=False)


def _h(start: datetime, index: int) -> str:
    return clock(start + index * HOUR)
