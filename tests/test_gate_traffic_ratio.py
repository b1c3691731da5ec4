"""The ratio criteria of earlier traffic-split configs when the old system had none of the
figure: an hour where the old system served without errors and the new one failed requests is
worse by any factor (not met), never "no hour in which both systems served"."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from reconciler.checks.types.traffic import TRAFFIC
from reconciler.config.phases import CriterionConfig
from reconciler.gate.evidence import Evidence
from reconciler.gate.traffic import TRAFFIC_JUDGES as TRAFFIC_CRITERIA
from reconciler.results import FAIL, PASS, CheckResult, StoredResult
from reconciler.timeutil import Window

UTC = timezone.utc
START = datetime(2026, 11, 20, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _hour(i: int, old_errors: int, new_errors: int) -> StoredResult:
    window = Window(START + i * HOUR, START + (i + 1) * HOUR)
    observed = {"old": {"requests": 1000, "errors": old_errors, "p99_ms": 100.0},
                "new": {"requests": 1000, "errors": new_errors, "p99_ms": 100.0}, "split_pct": 50.0}
    result = CheckResult("traffic.split", FAIL if new_errors else PASS, observed=observed, window=window,
                         check_type=TRAFFIC, config_check="traffic")
    return StoredResult(result, i + 1, window.end)


def _evidence(*hours: StoredResult) -> Evidence:
    period = Window(START, START + len(hours) * HOUR)
    return Evidence(period, period.end, ("device_events",), {}, {}, {}, windowed={TRAFFIC: list(hours)})


def test_old_without_errors_and_new_with_errors_is_not_met():
    outcome = TRAFFIC_CRITERIA["error_rate_ratio"](_evidence(_hour(0, 0, 0), _hour(1, 0, 20)),
                                                   CriterionConfig(max_ratio=1.0))
    assert outcome.state == "not met"
    assert outcome.summary == ("1 of 2 hour(s) both systems served above × 1; worst 2026-11-20T01:00:00Z "
                               "error rate 2 new / 0 old = ∞")


def test_both_without_errors_is_equal():
    outcome = TRAFFIC_CRITERIA["error_rate_ratio"](_evidence(_hour(0, 0, 0), _hour(1, 0, 0)),
                                                   CriterionConfig(max_ratio=1.0))
    assert outcome.state == "met"
