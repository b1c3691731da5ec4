"""HTML rendering with the Jinja2 templates shipped in `reconciler/report/templates/`."""

from __future__ import annotations

from datetime import datetime, timedelta

from jinja2 import Environment, PackageLoader, StrictUndefined

from reconciler import formatting
from reconciler.report.index import index_grid
from reconciler.report.model import moment, reason_of, run_basename, run_view, span
from reconciler.report.observed import words
from reconciler.results import NOT_PASSING, RunResult, StoredRun
from reconciler.timeutil import Window, parse_time

RUNS_DIR = "runs"
TOTAL_HEADERS = {"old": "Old rows", "new": "New rows", "matched": "Matched", "mismatched": "Changed",
                 "missing_in_new": "Missing in new", "extra_in_new": "Extra in new", "duplicates_old": "Duplicates in old",
                 "duplicates_new": "Duplicates in new"}
WHY_RUNS = 100  # the newest runs that did not pass get their reasons on the index
WHY_REASONS = 2


def why_text(summary: dict, run: RunResult | None) -> str:
    """Why a run did not pass, in one cell: its message, or its first failing checks' reasons.
    `summary`: the store's summary of the run (`runs_overlapping`)."""
    if summary.get("message") or run is None:
        return summary.get("message") or ""
    failing = [f"{r.check}: {reason_of(r)}" for r in run.results if r.status in NOT_PASSING]
    more = f"; {len(failing) - WHY_REASONS} more" if len(failing) > WHY_REASONS else ""
    return "; ".join(failing[:WHY_REASONS]) + more


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("reconciler.report", "templates"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["moment"] = moment
    env.filters["span"] = span
    env.filters["count"] = formatting.count
    env.filters["number"] = formatting.number
    env.filters["signed"] = formatting.signed
    env.filters["percent"] = formatting.percent
    env.filters["seconds"] = formatting.seconds
    env.filters["words"] = words
    env.filters["day"] = formatting.day
    env.globals["hours_of_day"] = [f"{h:02d}" for h in range(24)]
    env.globals["total_columns"] = list(TOTAL_HEADERS)
    env.globals["total_headers"] = TOTAL_HEADERS
    return env


_ENV = _environment()


def run_href(run: StoredRun | dict, *, from_runs_dir: bool = False) -> str:
    name = f"{run_basename(run)}.html"
    return name if from_runs_dir else f"{RUNS_DIR}/{name}"


def render_html(run: StoredRun | RunResult | dict, *, index_href: str | None = None, generated_at: datetime | None = None,
                context: dict[str, list[dict]] | None = None, stories: dict | None = None) -> str:
    """One run's page, from a StoredRun (`ReportStore.stored_run`) or a RunResult; a stored run
    dict (an older run report's JSON) is read with `StoredRun.from_dict` first.
    `context`: per dataset, the hours around the run from the store (model.context_hours);
    `stories`: per dataset and hour, the stories it belongs to (files.run_stories)."""
    view = run_view(StoredRun.of(run), context=context, stories=stories)
    return _ENV.get_template("run.html.j2").render(
        **view, index_href=index_href, generated_at=moment(generated_at) if generated_at else None)


def index_period(now: datetime, days: int, gate: dict | None) -> tuple[Window, list[str] | None]:
    """The gate's period and datasets when the gate is given; else `days` x 24 whole hours
    up to the current hour, computed as the gate computes its own (no settle)."""
    if gate is not None and gate.get("period"):
        period = Window(parse_time(gate["period"]["start"], now), parse_time(gate["period"]["end"], now))
        return period, list(gate["datasets"]) if gate.get("datasets") is not None else None
    from reconciler.gate.evaluate import gate_period

    return gate_period(now, days, timedelta(0))[0], None


def render_index(store, now: datetime, days: int = 7, *, generated_at: datetime | None = None,
                 gate: dict | None = None) -> str:
    """The gate period hour by hour (the ledger's verdicts), its point-in-time runs apart, and
    the runs of that period, newest first; headed by the gate's state
    (`reconciler.gate.summary.index_view`) when given."""
    period, datasets = index_period(now, days, gate)
    ledger_rows = store.ledger_period(period.start, period.end)
    if datasets is None:
        datasets = sorted({r["dataset"] for r in ledger_rows})
    runs = store.runs_overlapping(period.start, max(period.end, now) + timedelta(seconds=1))
    grid = index_grid(period, datasets, ledger_rows, runs, until=now)
    runs = sorted(runs, key=lambda r: r["id"], reverse=True)
    explained = [r for r in runs if r["status"] != "pass"][:WHY_RUNS]
    why = {r["id"]: why_text(r, store.load_run(r["id"]) if not r.get("message") else None) for r in explained}
    return _ENV.get_template("index.html.j2").render(
        grid=grid, runs=runs, why=why, days=days, datasets=datasets,
        run_href=run_href, generated_at=moment(generated_at or now), gate=gate)
