"""Where an expectation fails, "observed" is the value it measured, not its own counter."""

from __future__ import annotations

from datetime import datetime, timezone

from reconciler.report.model import check_rows
from reconciler.results import CheckResult
from reconciler.thresholds import Threshold

HOUR = datetime(2026, 12, 3, 5, tzinfo=timezone.utc)


def _observed(result: CheckResult) -> str:
    return check_rows([result])[0]["observed_full"]


def test_a_failing_hour_shows_its_drift():
    result = CheckResult("hourly_count_drift", "fail", observed={"unexpected": 1, "of": 1},
                         threshold=Threshold.between(-1.0, 1.0, "%"), violations=1,
                         samples=[{"hour": HOUR, "drift_pct": -40.0028}], details={"column": "drift_pct"})
    assert _observed(result) == "−40.0028\u00a0%"


def test_failing_hours_of_a_longer_window_show_their_values_and_how_many_of_the_hours():
    result = CheckResult("row_match", "fail", observed={"unexpected": 2, "of": 24},
                         threshold=Threshold.at_least(99.9, "%"), violations=2,
                         samples=[{"hour": HOUR, "match_pct": 99.5}, {"hour": HOUR, "match_pct": 59.997}],
                         details={"column": "match_pct"})
    assert _observed(result) == "99.5\u00a0%, 59.997\u00a0% (2 of 24 hours)"


def test_an_expectation_on_a_table_shows_the_values_that_broke_it():
    result = CheckResult("access_code_format", "fail", observed={"unexpected": 1, "of": 108}, violations=1,
                         samples=[{"booking_id": 14, "code": "12-34"}], details={"column": "code"})
    assert _observed(result) == "12-34 (1 of 108 rows)"


def test_a_passing_expectation_keeps_its_count():
    result = CheckResult("row_match", "pass", observed={"unexpected": 0, "of": 24}, details={"column": "match_pct"})
    assert _observed(result) == "0 unexpected of 24"
