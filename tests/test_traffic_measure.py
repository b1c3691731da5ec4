"""Traffic split per hour, measured on a real Prometheus holding the planted history
(prometheus_fixtures.py), against numbers worked out by hand from what was planted.

Per hour (12 samples of 5 minutes; 20 000 requests per 5 minutes in all):
- day 0, 10 %: new 24 000 requests, 12 errors (0.05 %); old 216 000, 216 errors (0.1 %).
- day 1, 50 %: new 120 000 / 60 (0.05 %); old 120 000 / 120 (0.1 %). SPIKE_HOUR: new 2 400
  errors (2 %). SLOW_HOUR: the new system's slow latency profile.
- days 2-8, 100 %: new 240 000 / 120 (0.05 %); old 0 requests, 0 errors: error rate and
  quantiles unknown (None: nothing to rate), the counters measured at zero.

Quantiles (Prometheus interpolates linearly inside the bucket holding the rank q x N):
- new, buckets 0.05 / 0.1 / 0.25 / 0.5 s holding 50 / 45 / 4.5 / 0.5 %: p50 is the top of
  the first bucket, 50 ms; p95 the top of the second, 100 ms; p99 is 4 of the third bucket's
  4.5 points in: 100 + 150 x 4/4.5 = 233.333333 ms.
- old, 30 / 50 / 18 / 2 %: p50 = 50 + 50 x 20/50 = 70 ms; p95 = 100 + 150 x 15/18 = 225 ms;
  p99 = 250 + 250 x 1/2 = 375 ms.
- new in SLOW_HOUR, 10 / 20 / 30 / 30 / 10 % (the last up to 1 s): p50 = 100 + 150 x 20/30 =
  200 ms; p95 = 500 + 500 x 5/10 = 750 ms; p99 = 500 + 500 x 9/10 = 950 ms."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_fixtures import END, SLOW_HOUR, SPIKE_HOUR, START

from reconciler.checks.traffic.measure import HourTraffic, SystemHour, measure_hour, measure_hours
from reconciler.config import load_config
from reconciler.sources.prometheus import prometheus_source
from reconciler.timeutil import Window

SELECTED = 'service="booking-api"'
NEW = dict(p50_ms=50.0, p95_ms=100.0, p99_ms=233.333333)
OLD = dict(p50_ms=70.0, p95_ms=225.0, p99_ms=375.0)
NOTHING = SystemHour(None, None, None, None, None)


def prometheus(tmp_path, url, metrics: str = f"{{old: {{selector: '{SELECTED}'}}, new: {{selector: '{SELECTED}'}}}}"):
    path = tmp_path / "schedule.yaml"
    path.write_text(f"sources:\n  prom:\n    url: {url}\n    metrics: {metrics}\n")
    return prometheus_source(load_config(path), "prom", ("sources", "prom"))


def hour(offset_hours: int):
    return START + timedelta(hours=offset_hours)


def test_one_hour_of_each_split_step(tmp_path, prometheus_url):
    prom = prometheus(tmp_path, prometheus_url)
    assert measure_hour(prom, hour(0)) == HourTraffic(
        hour(0), old=SystemHour(216000.0, 216.0, **OLD), new=SystemHour(24000.0, 12.0, **NEW),
        split_pct=10.0, split_min_pct=10.0, split_from="requests")
    assert measure_hour(prom, hour(25)) == HourTraffic(
        hour(25), old=SystemHour(120000.0, 120.0, **OLD), new=SystemHour(120000.0, 60.0, **NEW),
        split_pct=50.0, split_min_pct=50.0, split_from="requests")
    full = measure_hour(prom, hour(100))
    assert full == HourTraffic(hour(100), old=SystemHour(0.0, 0.0, None, None, None),
                               new=SystemHour(240000.0, 120.0, **NEW), split_pct=100.0, split_min_pct=100.0,
                               split_from="requests")
    assert (full.new.error_rate_pct, full.old.error_rate_pct) == (0.05, None)
    assert measure_hour(prom, hour(0)).old.error_rate_pct == 0.1


def test_the_error_spike_and_the_latency_regression_hours(tmp_path, prometheus_url):
    prom = prometheus(tmp_path, prometheus_url)
    spike = measure_hour(prom, SPIKE_HOUR)
    assert (spike.new.requests, spike.new.errors, spike.new.error_rate_pct, spike.old.error_rate_pct) == (
        120000.0, 2400.0, 2.0, 0.1)
    slow = measure_hour(prom, SLOW_HOUR)
    assert slow.new == SystemHour(120000.0, 60.0, p50_ms=200.0, p95_ms=750.0, p99_ms=950.0)
    assert slow.old == SystemHour(120000.0, 120.0, **OLD)


def test_hours_without_data_are_none_not_zero(tmp_path, prometheus_url):
    prom = prometheus(tmp_path, prometheus_url)
    assert measure_hour(prom, END) == HourTraffic(END, NOTHING, NOTHING, None, None, "requests")
    assert measure_hour(prom, START - timedelta(hours=3)).measured is False


def test_a_week_in_one_pass_matches_hour_by_hour(tmp_path, prometheus_url):
    prom = prometheus(tmp_path, prometheus_url)
    week = measure_hours(prom, Window(START, START + timedelta(days=7)))
    assert len(week) == 168 and [h.hour for h in week[:2]] == [hour(0), hour(1)]
    assert [h.split_pct for h in week[22:26]] == [10.0, 10.0, 50.0, 50.0]
    assert [h.split_pct for h in week[46:50]] == [50.0, 50.0, 100.0, 100.0]
    assert [h.hour for h in week if h.new.error_rate_pct != 0.05] == [SPIKE_HOUR]
    assert [h.hour for h in week if h.new.p99_ms != 233.333333] == [SLOW_HOUR]
    for offset in (0, 30, 36, 47, 48, 167):
        assert week[offset] == measure_hour(prom, hour(offset))


def test_a_partial_first_hour_is_left_out(tmp_path, prometheus_url):
    prom = prometheus(tmp_path, prometheus_url)
    hours = measure_hours(prom, Window(hour(0) + timedelta(minutes=30), hour(3)))
    assert [h.hour for h in hours] == [hour(1), hour(2)]


def test_the_split_from_a_gauge(tmp_path, prometheus_url):
    metrics = (f"{{old: {{selector: '{SELECTED}'}}, new: {{selector: '{SELECTED}'}}, "
               f"split_gauge: 'traffic_split_percent{{{SELECTED}}}'}}")
    prom = prometheus(tmp_path, prometheus_url, metrics)
    hours = measure_hours(prom, Window(hour(22), hour(26)))
    # the gauge steps from 10 to 50 at hour 24: the hour before it is all 10, not pulled up
    # by the sample on its closing boundary
    assert [(h.split_pct, h.split_min_pct, h.split_from) for h in hours] == [
        (10.0, 10.0, "gauge"), (10.0, 10.0, "gauge"), (50.0, 50.0, "gauge"), (50.0, 50.0, "gauge")]


def test_the_selector_keeps_other_services_out(tmp_path, prometheus_url):
    """A decoy series of another service adds 1 request per 5 minutes to the new system's
    counter: 12 an hour, and the split moves off 10 %."""
    prom = prometheus(tmp_path, prometheus_url, "{}")
    unselected = measure_hour(prom, hour(0))
    assert (unselected.new.requests, unselected.split_pct) == (24012.0, round(24012 / 240012 * 100, 6))


def test_metric_names_with_their_own_matchers(tmp_path, prometheus_url):
    """The request counter and its label matchers written in the metric name: the decoy only."""
    metrics = "{new: {requests: 'traffic_split_new_system_total{service=\"other\"}'}}"
    prom = prometheus(tmp_path, prometheus_url, metrics)
    assert measure_hour(prom, hour(0)).new.requests == 12.0


def test_to_dict_is_plain_json(tmp_path, prometheus_url):
    prom = prometheus(tmp_path, prometheus_url)
    assert measure_hour(prom, hour(100)).to_dict() == {
        "hour": "2026-11-06T04:00:00Z",
        "old": {"requests": 0.0, "errors": 0.0, "p50_ms": None, "p95_ms": None, "p99_ms": None,
                "error_rate_pct": None},
        "new": {"requests": 240000.0, "errors": 120.0, "error_rate_pct": 0.05, **NEW},
        "split_pct": 100.0, "split_min_pct": 100.0, "split_from": "requests"}


def test_a_rejected_metric_name_is_exit_2_naming_its_key(tmp_path, prometheus_url):
    from reconciler.errors import ConfigError

    prom = prometheus(tmp_path, prometheus_url, "{new: {selector: 'service=~\"(\"'}}")
    with pytest.raises(ConfigError) as e:
        measure_hour(prom, hour(0))
    assert str(e.value).startswith(f"{tmp_path}/schedule.yaml:4: sources.prom.metrics.new.requests: source 'prom' "
                                   "rejected the query sum(increase(traffic_split_new_system_total{service=~\"(\"}")
