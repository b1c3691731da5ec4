"""Traffic measured by the real Prometheus of prometheus_fixtures.py, stored hour by hour
beside each hour's row comparison (gate_fixtures.hour_run) through the store's own record_run:
the evidence of the traffic-split gate and of the phase-aware digest."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta

from gate_fixtures import hour_run, open_store, record
from prometheus_fixtures import END, START

from reconciler.checks.registry import CheckContext, run_check
from reconciler.config import load_config
from reconciler.results import worst
from reconciler.timeutil import HOUR, Window

DAY = timedelta(days=1)
FULL = Window(START + 2 * DAY, END)  # the 7 days at 100 %


SELECTED = "{old: {selector: 'service=\"booking-api\"'}, new: {selector: 'service=\"booking-api\"'}}"


def configured(tmp_path, url, metrics: str = SELECTED, more: str = ""):
    """The project; `metrics`: the Prometheus source's, `more`: YAML appended (phases:)."""
    path = tmp_path / "schedule.yaml"
    path.write_text(
        "sources:\n  old: {url: \"sqlite:///old.db\"}\n  new: {url: \"sqlite:///new.db\"}\n"
        f"  prom:\n    url: {url}\n    metrics: {metrics}\n"
        "datasets:\n  device_events:\n"
        "    old: {source: old, table: legacy_events, time: ts, key: [id]}\n"
        "    new: {source: new, table: device_events, time: time, key: [event_id]}\n"
        "checks:\n  traffic: {type: traffic, source: prom, dataset: device_events}\n"
        "current_phase: traffic-split\n"
        "report_store: {url: \"sqlite:///store/reconciler.db\", directory: out}\n" + more)
    return load_config(path)


@contextmanager
def traffic_store(tmp_path, url, metrics: str = SELECTED, more: str = ""):
    """(loaded config, open report store) of a project reading the Prometheus at `url`."""
    loaded = configured(tmp_path, url, metrics, more)
    store = open_store(loaded)
    try:
        yield loaded, store
    finally:
        store.close()


def store_hours(loaded, store, window: Window, *, skip=(), rows=None) -> dict:
    """Measure `window` on Prometheus (one pass) and store one run per hour: its traffic result
    and its row comparison (`rows`: hour -> hour_run options). Returns {hour: run id}."""
    rows = rows or {}
    measured = run_check(CheckContext(loaded, {}, window, now=window.end + HOUR), "traffic").results
    ids = {}
    for result in measured:
        hour = result.window.start
        if hour in skip:
            continue
        run = hour_run(hour, **rows.get(hour, {}))
        run = replace(run, job="hourly-traffic", results=[result], status=worst([result.status, run.status]))
        ids[hour] = record(store, run)
    return ids
