"""HTML rendering with the Jinja2 templates shipped in `reconciler/templates/`."""

from __future__ import annotations

from datetime import datetime, timedelta

from jinja2 import Environment, PackageLoader, StrictUndefined

from reconciler.report.model import DEFAULT_DRIFT_THRESHOLD, as_run_dict, run_basename, run_view, timeline
from reconciler.timeutil import floor_hour, iso

RUNS_DIR = "runs"


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("reconciler", "templates"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    return env


_ENV = _environment()


def run_href(run: dict, *, from_runs_dir: bool = False) -> str:
    name = f"{run_basename(run)}.html"
    return name if from_runs_dir else f"{RUNS_DIR}/{name}"


def render_html(run, *, index_href: str | None = None, generated_at: datetime | None = None,
                drift_threshold_pct: float = DEFAULT_DRIFT_THRESHOLD) -> str:
    """One run's page, from a RunResult or a stored run dict (`ReportStore.get_run`)."""
    view = run_view(as_run_dict(run), drift_threshold_pct=drift_threshold_pct)
    return _ENV.get_template("run.html.j2").render(
        **view, index_href=index_href, generated_at=iso(generated_at) if generated_at else None)


def render_index(store, now: datetime, days: int = 7, gate: dict | None = None) -> str:
    """The last `days` UTC days hour by hour, and the runs of that period, newest first;
    headed by the gate's state (`reconciler.gate.summary.index_view`) when given."""
    start = floor_hour(now).replace(hour=0) - timedelta(days=days - 1)
    runs = store.runs_overlapping(start, start + timedelta(days=days))
    rows = timeline(runs, now, days)
    counts = {"pass": 0, "fail": 0, "error": 0, "none": 0}
    for row in rows:
        for cell in row["cells"]:
            if cell["status"] in counts:
                counts[cell["status"]] += 1
    return _ENV.get_template("index.html.j2").render(
        timeline=rows, runs=sorted(runs, key=lambda r: r["id"], reverse=True), days=days, counts=counts,
        run_href=run_href, generated_at=iso(now), gate=gate)
