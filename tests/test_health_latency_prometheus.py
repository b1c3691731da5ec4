"""The latency check through a Prometheus source, on the real server with the planted history
(prometheus_fixtures.py): the new system's histogram quantiles over each hour, evaluated at the
hour's end. Hand-computed values (see test_traffic_measure.py): a normal hour p50 50 ms, p95
100 ms, p99 233.333333 ms; SLOW_HOUR p50 200, p95 750, p99 950 ms. The highest finite bucket
holding an observation is the max: 0.5 s normally, 1 s in SLOW_HOUR."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from integrity_fixtures import run_cli
from prometheus_fixtures import SLOW_HOUR, START

from reconciler.checks.registry import CheckContext, run_check
from reconciler.config import load_config
from reconciler.errors import UsageError
from reconciler.store import open_report_store
from reconciler.timeutil import HOUR, Window, iso

NORMAL = {"p50": 50.0, "p95": 100.0, "p99": 233.333333, "max": 500.0, "count": 120000.0}
SLOW = {"p50": 200.0, "p95": 750.0, "p99": 950.0, "max": 1000.0, "count": 120000.0}


def configured(tmp_path, url, check: str = "{type: latency, source: prom, max_latency_ms: 500}"):
    path = tmp_path / "schedule.yaml"
    path.write_text(
        "sources:\n"
        f"  prom:\n    url: {url}\n    metrics: {{new: {{selector: 'service=\"booking-api\"'}}}}\n"
        f"checks:\n  write: {check}\n"
        "jobs:\n  health: {cron: \"5 * * * *\", checks: [write], settle: 0m}\n"
        "report_store: {url: \"sqlite:///store/reconciler.db\", directory: out}\n")
    return load_config(path)


def results(loaded, window, now=None):
    return run_check(CheckContext(loaded, {}, window, now=now or window.end), "write").results


def test_each_hour_of_the_window_is_judged_at_its_end(tmp_path, prometheus_url):
    loaded = configured(tmp_path, prometheus_url)
    hours = results(loaded, Window(SLOW_HOUR - HOUR, SLOW_HOUR + 2 * HOUR))
    assert [(r.window.start, r.status, r.observed) for r in hours] == [
        (SLOW_HOUR - HOUR, "pass", NORMAL), (SLOW_HOUR, "fail", SLOW), (SLOW_HOUR + HOUR, "pass", NORMAL)]
    slow = hours[1]
    assert (slow.check, slow.violations, slow.threshold.max, slow.details["ms"]) == ("write.write_latency", 1, 500.0,
                                                                                     950.0)
    assert slow.details == {"measure": "write_latency", "method": "prometheus query", "source": "prom",
                            "metric": "latency_new_system_seconds", "evaluated_at": iso(SLOW_HOUR + HOUR),
                            "ms": 950.0, "duration_s": slow.details["duration_s"]}
    assert (slow.config_check, slow.check_type, slow.as_of) == ("write", "latency", None)
    assert slow.reason == "p99 write latency 950 ms above the 500 ms allowed"


def test_the_judged_percentile_and_another_histogram(tmp_path, prometheus_url):
    loaded = configured(tmp_path, prometheus_url, "{type: latency, source: prom, latency_percentile: p50, "
                        "histogram: 'latency_old_system_seconds{service=\"booking-api\"}', max_latency_ms: 60}")
    [result] = results(loaded, Window(START, START + HOUR))
    # the old system's histogram on day 0: p50 70 ms (50 + 50 x 20/50)
    assert (result.status, result.observed["p50"], result.details["metric"]) == (
        "fail", 70.0, 'latency_old_system_seconds{service="booking-api"}')


def test_an_hour_without_data_is_skipped_not_passed(tmp_path, prometheus_url):
    loaded = configured(tmp_path, prometheus_url)
    before = START - timedelta(days=1)
    [result] = results(loaded, Window(before, before + HOUR))
    assert (result.status, result.observed, result.message) == (
        "skipped", {"p50": None, "p95": None, "p99": None, "max": None, "count": None}, "no request measured in this hour")


def test_it_judges_hours_so_it_runs_only_in_a_window(tmp_path, prometheus_url):
    """Read from Prometheus, latency is windowed: each hour's histogram at the hour's end. As of
    a moment it has nothing to judge (a job runs it per window, like the row comparison)."""
    loaded = configured(tmp_path, prometheus_url)
    with pytest.raises(UsageError, match="check 'write' judges hours"):
        run_check(CheckContext(loaded, {}, None, now=SLOW_HOUR + HOUR), "write")


def test_reconciler_run_stores_it_hour_by_hour_and_the_gate_reads_it(tmp_path, prometheus_url, monkeypatch, capfd):
    loaded = configured(tmp_path, prometheus_url)
    monkeypatch.chdir(tmp_path)
    now = SLOW_HOUR + HOUR + timedelta(minutes=10)
    code, out, err = run_cli(capfd, "--config", loaded.path, "run", "health", "--start", iso(SLOW_HOUR - HOUR),
                             "--end", iso(SLOW_HOUR + HOUR), "--now", iso(now), "--format", "json")
    assert code == 1, err
    runs = json.loads(out)["runs"]
    store = open_report_store(loaded)
    try:
        stored = [store.get_run(r["id"])["results"] for r in runs]
    finally:
        store.close()
    assert [(r["window"], r["status"], r["observed"]["p99"], r.get("as_of")) for [r] in stored] == [
        ({"start": iso(SLOW_HOUR - HOUR), "end": iso(SLOW_HOUR)}, "pass", 233.333333, None),
        ({"start": iso(SLOW_HOUR), "end": iso(SLOW_HOUR + HOUR)}, "fail", 950.0, None)]
    code, out, err = run_cli(capfd, "--config", loaded.path, "gate", "--start", iso(SLOW_HOUR - HOUR), "--end",
                             iso(SLOW_HOUR + HOUR), "--now", iso(now), "--format", "json")
    [latency] = [c for c in json.loads(out)["criteria"] if c["criterion"] == "latency"]
    assert (latency["state"], latency["worst"]["at"], latency["worst"]["value"]) == ("not met", iso(SLOW_HOUR), 950.0)


def test_a_source_that_is_not_prometheus_is_exit_2(tmp_path, capfd):
    path = tmp_path / "schedule.yaml"
    path.write_text("sources:\n  new: {url: \"sqlite:///new.db\"}\n  prom: {url: \"http://127.0.0.1:1\"}\n"
                    "datasets:\n  events:\n"
                    "    old: {source: new, table: a, time: t, key: [id]}\n"
                    "    new: {source: prom, table: a, time: t, key: [id]}\n"
                    "checks:\n  write: {type: latency, source: new}\n")
    code, _, err = run_cli(capfd, "--config", path, "jobs")
    assert code == 2
    assert err.strip().splitlines()[-2:] == [
        f"  - {path}:7: datasets.events.new.source: 'prom' is a Prometheus source; a dataset side reads a database",
        f"  - {path}:9: checks.write.source: 'new' is not a Prometheus source (an http:// or https:// url); a latency "
        "check reads a database through 'latency_query'"]
