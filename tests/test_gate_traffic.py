"""`gate --phase traffic-split` on traffic measured by a real Prometheus (prometheus_fixtures.py):
each hour's `traffic` result is what the check measured on the planted history, stored beside
that hour's row comparison (gate_fixtures.hour_run) through the store's own record_run.

The planted numbers (test_traffic_measure.py works them out): day 0 at 10 %, day 1 at 50 %
(SPIKE_HOUR: the new system fails 2 %; SLOW_HOUR: its p99 950 ms), days 2-8 at 100 % with the
new system failing 0.05 % (120 of 240 000 requests an hour) at p99 233.333333 ms."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from gate_fixtures import open_store
from integrity_fixtures import run_cli
from prometheus_fixtures import END, SLOW_HOUR, SPIKE_HOUR, START
from traffic_fixtures import DAY, FULL, configured, store_hours, traffic_store

from reconciler.config import load_config
from reconciler.gate import evaluate_gate
from reconciler.timeutil import HOUR, Window, iso


@pytest.fixture
def env(tmp_path, prometheus_url, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with traffic_store(tmp_path, prometheus_url) as opened:
        yield opened


def gate(loaded, store, period: Window):
    return evaluate_gate(store, loaded, period.end + timedelta(minutes=20), start=period.start, end=period.end)


def by_name(report):
    return {o.criterion: o for o in report.outcomes}


def test_go_after_seven_days_stable_at_full_split(env):
    loaded, store = env
    ids = store_hours(loaded, store, FULL)
    report = gate(loaded, store, FULL)
    assert (report.phase, report.verdict, report.exit_code) == ("traffic-split", "go", 0)
    o = by_name(report)
    assert {name: x.state for name, x in o.items()} == {
        "coverage": "met", "error_rate": "met", "p99_latency": "met", "stable_split": "met", "discrepancy": "met"}
    assert o["error_rate"].summary == "new error rate 0.05 % (20\u00a0160 of 40\u00a0320\u00a0000 requests) against < 0.1 %"
    assert (o["error_rate"].worst.text, o["error_rate"].worst.run_id) == (
        "error rate 0.05 % (120 of 240\u00a0000 requests)", ids[FULL.start])
    assert o["p99_latency"].summary == f"worst hourly p99 233.333 ms ({iso(FULL.start)}) against < 500 ms"
    assert (o["p99_latency"].worst.value, o["p99_latency"].worst.run_id) == (233.333333, ids[FULL.start])
    assert o["stable_split"].summary == f"168 of 168 hours stable at ≥ 99.9 % split since {iso(FULL.start)}"
    assert o["stable_split"].worst.run_id == ids[FULL.start]
    assert o["discrepancy"].extra == {"period_discrepancy_pct": 0.0, "rows": 168000, "differing": 0}


def test_no_go_on_the_day_at_50_percent_with_its_spike_and_slow_hour(env):
    loaded, store = env
    day1 = Window(START + DAY, START + 2 * DAY)
    ids = store_hours(loaded, store, day1, rows={SPIKE_HOUR + HOUR: {"mismatched": 15}})
    report = gate(loaded, store, day1)
    assert report.verdict == "no-go"
    o = by_name(report)
    assert {name: x.state for name, x in o.items()} == {
        "coverage": "met", "error_rate": "not met", "p99_latency": "not met", "stable_split": "not met",
        "discrepancy": "not met", "period": "incomplete"}
    # 23 hours x 60 errors + 2 400 in the spike, of 24 x 120 000 requests
    assert o["error_rate"].summary == "new error rate 0.13125 % (3\u00a0780 of 2\u00a0880\u00a0000 requests) against < 0.1 %"
    assert o["error_rate"].worst.text == "error rate 2 % (2\u00a0400 of 120\u00a0000 requests)"
    assert (o["error_rate"].worst.at, o["error_rate"].worst.run_id) == (iso(SPIKE_HOUR), ids[SPIKE_HOUR])
    assert o["p99_latency"].summary == (f"1 hour(s) with p99 ≥ 500 ms; worst hourly p99 950 ms ({iso(SLOW_HOUR)}) "
                                        "against < 500 ms")
    assert (o["p99_latency"].worst.value, o["p99_latency"].worst.run_id) == (950.0, ids[SLOW_HOUR])
    assert o["stable_split"].summary.startswith(f"24 of 24 hours off full split or out of bounds, first "
                                                f"{iso(day1.start)} split 50 % (lowest)")
    assert o["stable_split"].worst.run_id == ids[day1.start]
    assert o["discrepancy"].summary == (f"1 hour(s) above 1 %: device_events {iso(SPIKE_HOUR + HOUR)} 1.5 % "
                                        "(15 of 1000 rows differ)")
    assert o["discrepancy"].worst.run_id == ids[SPIKE_HOUR + HOUR]


def test_incomplete_when_hours_were_not_measured(env):
    """The period runs 2 hours past the planted history (Prometheus has nothing there: the traffic
    results are skipped) and one hour inside it was never stored."""
    loaded, store = env
    period = Window(FULL.start + 2 * HOUR, FULL.end + 2 * HOUR)
    hole = FULL.start + 50 * HOUR
    store_hours(loaded, store, period, skip={hole})
    report = gate(loaded, store, period)
    assert report.verdict == "incomplete"
    o = by_name(report)
    assert {name: x.state for name, x in o.items()} == {
        "coverage": "incomplete", "error_rate": "incomplete", "p99_latency": "incomplete",
        "stable_split": "incomplete", "discrepancy": "incomplete"}
    assert o["coverage"].summary == f"167 of 168 dataset-hours judged; not judged: device_events {iso(hole)} (no run)"
    nothing = ("not judged: the new system's request count is unknown: traffic_split_new_system_total"
               '{service="booking-api"} returned no series')
    assert [(g["hour"], g["reason"]) for g in o["error_rate"].gaps] == [
        (iso(hole), "no traffic measured"), (iso(END), nothing), (iso(END + HOUR), nothing)]
    assert o["error_rate"].summary.endswith(
        f"; 3 of 168 hours not measured: {iso(hole)} (no traffic measured), {iso(END)} … {iso(END + HOUR)} "
        f"(2 hours, {nothing})")
    assert o["stable_split"].summary.startswith("0 of 168 hours stable")


def test_hours_with_an_unknown_figure_are_gaps_of_every_criterion_with_their_reason(tmp_path, prometheus_url,
                                                                                   monkeypatch):
    """The new error counter misspelt: on the day at 50 % (with its 2 % spike) no hour is judged, so
    no criterion is met or clean, and each names what was missing."""
    monkeypatch.chdir(tmp_path)
    misspelt = "{new: {errors: errors_new_sytem_total, selector: 'service=\"booking-api\"'}}"
    day1 = Window(START + DAY, START + 2 * DAY)
    with traffic_store(tmp_path, prometheus_url, misspelt) as (loaded, store):
        store_hours(loaded, store, day1)
        report = gate(loaded, store, day1)
    o = by_name(report)
    assert report.verdict == "incomplete"
    assert {name: o[name].state for name in ("error_rate", "p99_latency", "stable_split")} == {
        "error_rate": "incomplete", "p99_latency": "incomplete", "stable_split": "incomplete"}
    why = ("not judged: the new system's error count is unknown: errors_new_sytem_total{service=\"booking-api\"} "
           "returned no series, nor in the 7 days before (a misspelt name? A counter created by its first error: "
           "initialise it to 0 at start, or count errors with a label of the request counter, e.g. "
           'traffic_split_new_system_total{code=~"5.."})')
    assert o["error_rate"].summary == (f"no hour with the new system's requests and errors measured; 24 of 24 hours "
                                       f"not measured: {iso(day1.start)} … {iso(day1.end - HOUR)} (24 hours, {why})")
    assert {g["reason"] for g in o["error_rate"].gaps} == {why}


def test_without_the_old_systems_series_no_criterion_is_met(tmp_path, prometheus_url, monkeypatch):
    """Old pods scaled away at 100 %: the split is unknown, and so is every criterion of those hours."""
    monkeypatch.chdir(tmp_path)
    gone = "{new: {selector: 'service=\"booking-api\"'}, old: {selector: 'job=\"old-scaled-to-zero\"'}}"
    day = Window(FULL.start, FULL.start + DAY)
    with traffic_store(tmp_path, prometheus_url, gone) as (loaded, store):
        store_hours(loaded, store, day)
        o = by_name(gate(loaded, store, day))
    assert {name: o[name].state for name in ("error_rate", "p99_latency", "stable_split")} == {
        "error_rate": "incomplete", "p99_latency": "incomplete", "stable_split": "incomplete"}
    assert o["p99_latency"].gaps[0]["reason"].startswith(
        "not judged: the old system's request count is unknown: traffic_split_old_system_total"
        '{job="old-scaled-to-zero"} returned no series, so the split new / (old + new) cannot be computed')


def test_stable_split_takes_the_phase_error_rate_bound_and_says_which_bound_an_hour_broke(
        tmp_path, prometheus_url, monkeypatch):
    """Every planted hour at 100 % fails 0.05 %: not below an error_rate bound of 0.05 %, so no hour
    is stable either (stable_split's own max_pct and max_ms default to error_rate's and p99_latency's)."""
    monkeypatch.chdir(tmp_path)
    phases = ("phases:\n  traffic-split:\n    criteria: {error_rate: {max_pct: 0.05}, p99_latency: {max_ms: 300}, "
              "stable_split: {days: 7, min_split_pct: 99}}\n")
    with traffic_store(tmp_path, prometheus_url, more=phases) as (loaded, store):
        store_hours(loaded, store, FULL)
        o = by_name(gate(loaded, store, FULL))
    assert (o["error_rate"].state, o["stable_split"].state) == ("not met", "not met")
    assert o["stable_split"].bound == {"days": 7, "min_split_pct": 99.0, "max_pct": 0.05, "max_ms": 300.0}
    assert o["stable_split"].summary == (f"168 of 168 hours off full split or out of bounds, first {iso(FULL.start)} "
                                         "split 100 % (lowest), error rate 0.05 % ≥ 0.05 %, p99 233.333 ms; "
                                         "stable for the last 0 hours")


def test_the_cli_judges_the_current_phase_by_default(env, capfd):
    loaded, store = env
    store_hours(loaded, store, FULL)
    code, out, err = run_cli(capfd, "--config", loaded.path, "gate", "--start", iso(FULL.start), "--end",
                             iso(FULL.end), "--now", iso(FULL.end + HOUR), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["phase"], doc["verdict"]) == ("traffic-split", "go")
    assert [c["criterion"] for c in doc["criteria"]] == ["coverage", "error_rate", "p99_latency", "stable_split",
                                                        "discrepancy"]
    code, out, _ = run_cli(capfd, "--config", loaded.path, "gate", "--start", iso(FULL.start), "--end",
                           iso(FULL.end), "--now", iso(FULL.end + HOUR))
    assert "not measured by this version" not in out
    assert "  stable_split  MET         168 of 168 hours stable" in out


def test_the_ratio_criteria_of_earlier_configs_are_measured_where_both_systems_served(tmp_path, prometheus_url,
                                                                                    monkeypatch):
    """`error_rate_ratio` and `p99_latency_ratio` (the phase's shape before it was measured) read
    the same results: new / old in each hour both systems served."""
    monkeypatch.chdir(tmp_path)
    loaded = configured(tmp_path, prometheus_url)
    path = loaded.path
    path.write_text(path.read_text() + "phases:\n  traffic-split:\n    criteria:\n"
                    "      error_rate_ratio: {max_ratio: 1.0}\n      p99_latency_ratio: {max_ratio: 1.1}\n")
    loaded = load_config(path)
    store = open_store(loaded)
    try:
        day1 = Window(START + DAY, START + 2 * DAY)
        ids = store_hours(loaded, store, day1)
        o = by_name(gate(loaded, store, day1))
        assert (o["error_rate_ratio"].state, o["error_rate_ratio"].summary) == (
            "not met", f"1 of 24 hour(s) both systems served above × 1; worst {iso(SPIKE_HOUR)} error rate 2 new / "
                       "0.1 old = 20")
        assert (o["p99_latency_ratio"].state, o["p99_latency_ratio"].worst.value,
                o["p99_latency_ratio"].worst.run_id) == ("not met", 2.5333, ids[SLOW_HOUR])
        store_hours(loaded, store, FULL)
        o = by_name(gate(loaded, store, FULL))
        assert (o["error_rate_ratio"].state, o["error_rate_ratio"].summary) == (
            "incomplete", "no hour in which both systems served, to compare error rate (at full split the plan's "
                          "criteria are error_rate and p99_latency)")
    finally:
        store.close()
