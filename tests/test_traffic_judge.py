"""The plan's traffic-split alerts and phase criteria, as pure functions over measured hours
(no server: the hours are built here). The same functions over the real Prometheus history
are at the end (prometheus_fixtures.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from prometheus_fixtures import SLOW_HOUR, SPIKE_HOUR, START

from reconciler.checks.traffic.judge import (
    INCOMPLETE,
    MET,
    NOT_MET,
    PLAN,
    Alert,
    TrafficBounds,
    error_rate_criterion,
    hour_alerts,
    judge_phase,
    p99_criterion,
    stability_criterion,
)
from reconciler.checks.traffic.measure import HourTraffic, SystemHour, measure_hours
from reconciler.config import load_config
from reconciler.sources.prometheus import prometheus_source
from reconciler.timeutil import HOUR, Window

UTC = timezone.utc
T0 = datetime(2026, 12, 1, tzinfo=UTC)
WEEK = Window(T0, T0 + timedelta(days=7))


def traffic(at: datetime, *, split=100.0, new=(100000, 50, 220.0), old=(0, 0, None), split_min=None) -> HourTraffic:
    """An hour: (requests, errors, p99 ms) per system."""
    def system(requests, errors, p99):
        return SystemHour(float(requests), float(errors), 40.0 if requests else None, 90.0 if requests else None, p99)
    return HourTraffic(at, system(*old), system(*new), split, split if split_min is None else split_min, "requests")


def week(**changes) -> list[HourTraffic]:
    """168 good hours at 100 %, with some replaced: {hour index: HourTraffic or None (missing)}."""
    hours = {i: traffic(T0 + i * HOUR) for i in range(168)}
    hours.update(changes.get("at", {}))
    return [h for h in hours.values() if h is not None]


def test_the_error_rate_alert_is_more_than_half_a_point_above_the_old():
    at = T0
    # 0.6 % against 0.1 %: 0.5 points above, not more: no alert
    assert hour_alerts(traffic(at, split=50, new=(10000, 60, 200.0), old=(10000, 10, 300.0))) == []
    alert = hour_alerts(traffic(at, split=50, new=(10000, 61, 200.0), old=(10000, 10, 300.0)))
    assert alert == [Alert(at, "error_rate", 0.61, 0.1, 0.6, "error rate 0.61 % on the new system against 0.1 % on "
                           "the old: more than 0.5 points above")]


def test_the_latency_alert_is_a_new_p99_above_one_and_a_half_times_the_old():
    at = T0
    assert hour_alerts(traffic(at, split=50, new=(10000, 1, 450.0), old=(10000, 1, 300.0))) == []
    alert = hour_alerts(traffic(at, split=50, new=(10000, 1, 450.5), old=(10000, 1, 300.0)))
    assert [(a.kind, a.new, a.old, a.limit) for a in alert] == [("p99_latency", 450.5, 300.0, 450.0)]
    assert alert[0].text == ("p99 latency 450.5 ms on the new system against 300 ms on the old: above 1.5 x the old "
                             "(450 ms)")


def test_no_alert_where_the_old_system_has_nothing_to_compare():
    """At 100 % the old system serves nothing: no error rate, no p99, no comparison."""
    assert hour_alerts(traffic(T0, new=(10000, 900, 5000.0))) == []


def test_a_clean_week_at_full_split_meets_every_criterion():
    verdicts = judge_phase(week(), WEEK)
    assert [(v.criterion, v.status, v.observed) for v in verdicts] == [
        ("error_rate", MET, 0.05), ("p99_latency", MET, 220.0), ("stable_at_full_split", MET, 168.0)]
    assert (verdicts[2].stable_since, verdicts[2].stable_hours) == (T0, 168)
    assert verdicts[0].text == "new error rate 0.05 % (8\u00a0400 of 16\u00a0800\u00a0000 requests) against < 0.1 %"


def test_the_error_rate_is_judged_over_the_period_and_the_p99_hour_by_hour():
    """One hour at 1 % errors among 167 at 0.05 %: over the week (8 350 + 1 000) / 16 800 000
    = 0.055655 %, still met; its p99 of 500 ms is not below 500: not met, that hour named."""
    bad = traffic(T0 + 10 * HOUR, new=(100000, 1000, 500.0))
    hours = week(at={10: bad})
    rate, p99 = error_rate_criterion(hours, WEEK), p99_criterion(hours, WEEK)
    assert (rate.status, rate.observed, rate.worst_hour) == (MET, 0.055655, T0 + 10 * HOUR)
    assert (p99.status, p99.observed, p99.worst_hour) == (NOT_MET, 500.0, T0 + 10 * HOUR)
    # 10 hours of 890 errors and 158 of 50: 16 800 errors in 16 800 000 requests, 0.1 %: not below it
    erring = {i: traffic(T0 + i * HOUR, new=(100000, 890, 200.0)) for i in range(10)}
    assert (error_rate_criterion(week(at=erring), WEEK).status, error_rate_criterion(week(at=erring), WEEK).observed) \
        == (NOT_MET, 0.1)


def test_stable_means_every_hour_at_full_split_within_both_bounds():
    dipped = traffic(T0 + 100 * HOUR, split=99.95, split_min=80.0)
    stability = stability_criterion(week(at={100: dipped}), WEEK)
    assert (stability.status, stability.worst_hour, stability.stable_since, stability.stable_hours) == (
        NOT_MET, T0 + 100 * HOUR, T0 + 101 * HOUR, 67)
    assert stability.text == "1 of 168 hours off full split or out of bounds (first 2026-12-05T04:00:00Z)"
    slow = traffic(T0 + 5 * HOUR, new=(100000, 50, 600.0))
    assert stability_criterion(week(at={5: slow}), WEEK).status == NOT_MET
    erring = traffic(T0 + 5 * HOUR, new=(100000, 100, 200.0))  # 0.1 %: not below 0.1 %
    assert stability_criterion(week(at={5: erring}), WEEK).status == NOT_MET
    at_99_9 = traffic(T0 + 5 * HOUR, split=99.9)
    assert stability_criterion(week(at={5: at_99_9}), WEEK).status == MET


def test_a_missing_hour_or_a_short_period_is_incomplete_not_a_failure():
    stability = stability_criterion(week(at={50: None}), WEEK)
    assert (stability.status, stability.hours_measured, stability.stable_hours) == (INCOMPLETE, 167, 117)
    unknown_p99 = replace(traffic(T0 + 3 * HOUR), new=SystemHour(100000.0, 50.0, None, None, None))
    assert stability_criterion(week(at={3: unknown_p99}), WEEK).status == INCOMPLETE
    short = Window(T0 + timedelta(days=2), T0 + timedelta(days=7))
    assert (stability_criterion(week(), short).status, stability_criterion(week(), short).hours_measured) == (
        INCOMPLETE, 120)
    assert error_rate_criterion(week(at={7: None}), WEEK).status == INCOMPLETE
    # a failing hour outweighs a missing one
    assert stability_criterion(week(at={7: None, 8: traffic(T0 + 8 * HOUR, split=50)}), WEEK).status == NOT_MET


def test_only_the_last_seven_days_of_a_longer_period_need_to_be_stable():
    hours = [traffic(T0 - timedelta(days=1) + i * HOUR, split=50) for i in range(24)] + week()
    period = Window(T0 - timedelta(days=1), WEEK.end)
    assert stability_criterion(hours, period).status == MET
    assert stability_criterion(hours, period, replace(PLAN, stable_days=8)).status == NOT_MET
    assert TrafficBounds().max_p99_ms == 500.0


def test_the_planted_history_judged(tmp_path, prometheus_url):
    """The real history: two alerts (the error spike, the latency regression), both in the
    50 % day; the last 7 days at 100 % are stable; the 7 days before them are not."""
    path = tmp_path / "schedule.yaml"
    selector = "{selector: 'service=\"booking-api\"'}"
    path.write_text(f"sources:\n  prom:\n    url: {prometheus_url}\n    metrics: {{old: {selector}, new: {selector}}}\n")
    prom = prometheus_source(load_config(path), "prom", ("sources", "prom"))
    hours = measure_hours(prom, Window(START, START + timedelta(days=9)))
    alerts = [(a.hour, a.kind, a.new, a.old, a.limit) for h in hours for a in hour_alerts(h)]
    assert alerts == [(SPIKE_HOUR, "error_rate", 2.0, 0.1, 0.6), (SLOW_HOUR, "p99_latency", 950.0, 375.0, 562.5)]
    last_week = Window(START + timedelta(days=2), START + timedelta(days=9))
    assert [(v.criterion, v.status, v.observed) for v in judge_phase(hours, last_week)] == [
        ("error_rate", MET, 0.05), ("p99_latency", MET, 233.333333), ("stable_at_full_split", MET, 168.0)]
    week_before = Window(START + timedelta(days=1), START + timedelta(days=8))
    verdicts = judge_phase(hours, week_before)
    # errors 23 x 60 + 2 400 (the spike) on the 50 % day and 144 x 120 after it: 21 060, in
    # 24 x 120 000 + 144 x 240 000 = 37 440 000 requests: 0.05625 %
    assert [(v.criterion, v.status) for v in verdicts] == [
        ("error_rate", MET), ("p99_latency", NOT_MET), ("stable_at_full_split", NOT_MET)]
    assert verdicts[0].observed == 0.05625
    assert (verdicts[1].worst_hour, verdicts[2].worst_hour, verdicts[2].stable_hours) == (SLOW_HOUR, START + timedelta(
        days=1), 144)
