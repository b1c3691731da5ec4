"""HTML rendering with the Jinja2 templates shipped in `reconciler/templates/`."""

from __future__ import annotations

from datetime import datetime, timedelta

from jinja2 import Environment, PackageLoader, StrictUndefined

from reconciler.report.model import as_run_dict, moment, run_basename, run_view, span, timeline
from reconciler.timeutil import floor_hour, iso

RUNS_DIR = "runs"


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("reconciler", "templates"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["moment"] = moment
    env.filters["span"] = span
    return env


_ENV = _environment()


def run_href(run: dict, *, from_runs_dir: bool = False) -> str:
    name = f"{run_basename(run)}.html"
    return name if from_runs_dir else f"{RUNS_DIR}/{name}"


def render_html(run, *, index_href: str | None = None, generated_at: datetime | None = None,
                context: dict[str, list[dict]] | None = None) -> str:
    """One run's page, from a RunResult or a stored run dict (`ReportStore.get_run`).
    `context`: per dataset, the hours around the run from the store (model.context_hours)."""
    view = run_view(as_run_dict(run), context=context)
    return _ENV.get_template("run.html.j2").render(
        **view, index_href=index_href, generated_at=moment(iso(generated_at)) if generated_at else None)


def render_index(store, now: datetime, days: int = 7, *, generated_at: datetime | None = None,
                 extra: dict | None = None) -> str:
    """The last `days` UTC days hour by hour, and the runs of that period, newest first.
    `extra`: more template variables, for sections added at the top (`{% block top %}`)."""
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
        run_href=run_href, generated_at=moment(iso(generated_at or now)), **(extra or {}))
