"""The hourly evidence judged by the device_events suite (Great Expectations) and by
the built-in defaults when a dataset has no suite."""

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from reconciler.checks.judgement import judge
from reconciler.errors import ConfigError
from reconciler.thresholds import Threshold
from reconciler.timeutil import Window

SUITE = Path(__file__).parent.parent / "expectations" / "device_events.json"
WINDOW = Window(datetime(2026, 11, 27, tzinfo=timezone.utc), datetime(2026, 11, 28, tzinfo=timezone.utc))


def hour(i: int, old: int, new: int, drift, **extra) -> dict:
    return {"hour": f"2026-11-27T{i:02d}:00:00Z", "old": old, "new": new, "drift_pct": drift, **extra}


def by_check(results):
    return {r.check: r for r in results}


def test_drift_of_exactly_one_percent_passes_and_just_above_fails():
    rows = [hour(0, 10000, 10100, 1.0), hour(1, 10000, 9900, -1.0), hour(2, 10000, 10101, 1.01)]
    results, failing = judge(SUITE, rows, WINDOW)
    drift = by_check(results)["hourly_count_drift"]
    assert (drift.status, drift.violations) == ("fail", 1)
    assert failing == {"2026-11-27T02:00:00Z"}


def test_rows_only_in_new_and_new_empty_each_fail_their_own_expectation():
    rows = [hour(0, 0, 50, None), hour(1, 80, 0, -100.0), hour(2, 0, 0, 0.0)]
    results, failing = judge(SUITE, rows, WINDOW)
    checks = by_check(results)
    assert checks["drift_defined"].status == "fail" and checks["drift_defined"].violations == 1
    assert checks["new_has_rows"].status == "fail" and checks["new_has_rows"].violations == 1
    assert failing == {"2026-11-27T00:00:00Z", "2026-11-27T01:00:00Z"}


def test_new_has_rows_names_the_hours_its_row_condition_evaluated():
    from reconciler.checks.judgement import explain

    def reason(rows):
        results, failing = judge(SUITE, rows, WINDOW)
        checks, _ = explain(results, failing, rows, {})
        return by_check(checks)["new_has_rows"]

    check = reason([hour(0, 0, 7083, None), hour(1, 80, 80, 0.0), hour(2, 100, 100, 0.0)])
    assert (check.status, check.observed, check.details["condition"]) == ("pass", {"unexpected": 0, "of": 2}, "old > 0")
    assert check.reason == "new ≥ 1 in all 2 hours where old > 0"
    assert reason([hour(0, 0, 7083, None)]).reason == "not evaluated: it judges only hours where old > 0, not this one"
    assert reason([hour(0, 0, 0, None), hour(1, 0, 0, None)]).reason == (
        "not evaluated: it judges only hours where old > 0, none of these 2")


def test_the_drift_check_leaves_an_hour_of_rows_only_in_new_to_drift_defined_and_says_so():
    from reconciler.checks.judgement import explain
    from reconciler.report.observed import result_observed_text

    rows = [hour(0, 0, 7083, None), hour(1, 100, 100, 0.0)]
    results, failing = judge(SUITE, rows, WINDOW)
    checks = by_check(explain(results, failing, rows, {})[0])
    assert checks["hourly_count_drift"].status == "pass"
    assert checks["hourly_count_drift"].reason == (
        "drift 0.00 % within ±1 %: equal counts (100); drift undefined in 1 hour with no events in old (00:00): "
        "judged by drift_defined")
    assert (checks["drift_defined"].status, result_observed_text(checks["drift_defined"])) == (
        "fail", "undefined (1 of 2 hours)")


def test_counts_only_evidence_skips_the_row_expectations_instead_of_passing_them():
    results, _ = judge(SUITE, [hour(0, 10, 10, 0.0)], WINDOW)
    checks = by_check(results)
    assert checks["row_match"].status == "skipped"
    assert checks["row_diff_complete"].status == "skipped"
    assert checks["row_match"].message == "evidence has no column match_pct"


def test_row_expectations_judge_match_pct_and_truncation():
    rows = [hour(0, 1000, 1000, 0.0, match_pct=99.9, truncated=False),
            hour(1, 1000, 1000, 0.0, match_pct=99.8, truncated=False),
            hour(2, 1000, 1000, 0.0, match_pct=100.0, truncated=True)]
    results, failing = judge(SUITE, rows, WINDOW)
    checks = by_check(results)
    assert (checks["row_match"].status, checks["row_match"].violations) == ("fail", 1)
    assert (checks["row_diff_complete"].status, checks["row_diff_complete"].violations) == ("fail", 1)
    assert failing == {"2026-11-27T01:00:00Z", "2026-11-27T02:00:00Z"}


def test_every_failing_hour_is_flagged_not_only_the_sampled_ones():
    rows = [hour(i % 24, 100, 50, -50.0) | {"hour": f"h{i:03d}"} for i in range(40)]
    results, failing = judge(SUITE, rows, WINDOW)
    assert len(by_check(results)["hourly_count_drift"].samples) == 20
    assert len(failing) == 40
    _, failing = judge(None, rows, WINDOW)
    assert len(failing) == 40


def test_editing_the_threshold_in_the_suite_file_changes_the_verdict(tmp_path):
    rows = [hour(0, 10000, 9700, -3.0)]
    assert by_check(judge(SUITE, rows, WINDOW)[0])["hourly_count_drift"].status == "fail"
    edited = tmp_path / "device_events.json"
    shutil.copy(SUITE, edited)
    suite = json.loads(edited.read_text())
    suite["expectations"][0]["kwargs"].update(min_value=-5.0, max_value=5.0)
    edited.write_text(json.dumps(suite))
    drift = by_check(judge(edited, rows, WINDOW)[0])["hourly_count_drift"]
    assert drift.status == "pass"
    assert drift.threshold == Threshold(min=-5.0, max=5.0, unit="%")


def test_without_a_suite_the_builtin_defaults_judge():
    rows = [hour(0, 1000, 1011, 1.1, match_pct=100.0, truncated=False),
            hour(1, 1000, 1000, 0.0, match_pct=99.5, truncated=False)]
    results, failing = judge(None, rows, WINDOW)
    assert [(r.check, r.status, r.violations) for r in results] == [
        ("hourly_count_drift", "fail", 1), ("row_match", "fail", 1), ("row_diff_complete", "pass", 0),
        ("new_keys_unique", "pass", 0)]
    assert failing == {"2026-11-27T00:00:00Z", "2026-11-27T01:00:00Z"}
    # observed as docs/json-contract.md says: N of the M hours judged, never a count read as "1 %"
    assert [r.observed for r in results] == [{"unexpected": 1, "of": 2}] * 2 + [{"unexpected": 0, "of": 2}] * 2


def test_the_built_in_judgement_shows_what_it_measured():
    from reconciler.report.observed import result_observed_text

    results, _ = judge(None, [hour(0, 1000, 1000, 0.0, match_pct=99.8, truncated=False)], WINDOW)
    assert [result_observed_text(r) for r in results] == ["0 unexpected of 1", "99.8\u00a0%", "0 unexpected of 1",
                                                          "0 unexpected of 1"]
    rows = [hour(i, 1000, 1000 if i else 600, 0.0 if i else -40.0028, match_pct=100.0, truncated=False)
            for i in range(24)]
    drift = by_check(judge(None, rows, WINDOW)[0])["hourly_count_drift"]
    assert result_observed_text(drift) == "−40.0028\u00a0% (1 of 24 hours)"


def test_a_broken_suite_file_names_the_file_and_line(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": "x",\n "expectations": [\n  {"type": }\n]}')
    with pytest.raises(ConfigError) as err:
        judge(broken, [hour(0, 1, 1, 0.0)], WINDOW)
    assert str(err.value) == f"{broken}:3: not valid JSON: Expecting value"


def test_the_built_in_judgement_keeps_at_most_sample_limit_samples():
    rows = [hour(i, 100, 90, -10.0) for i in range(3)]
    results, failing = judge(None, rows, WINDOW, sample_limit=2)
    drift = by_check(results)["hourly_count_drift"]
    assert (drift.status, drift.violations, len(failing)) == ("fail", 3, 3)
    assert drift.samples == [{"hour": "2026-11-27T00:00:00Z", "drift_pct": -10.0},
                             {"hour": "2026-11-27T01:00:00Z", "drift_pct": -10.0}]


def test_an_empty_hour_says_it_had_no_rows_not_its_passing_figures():
    from types import SimpleNamespace

    from reconciler.checks.judgement import explain, mark_empty_hours
    from reconciler.results import CompareResult

    rows = [hour(0, 0, 0, 0.0, matched=0, mismatched=0, missing_in_new=0, extra_in_new=0),
            hour(1, 10, 10, 0.0, matched=10, mismatched=0, missing_in_new=0, extra_in_new=0)]
    _, hours = explain([], set(), rows, {})
    assert hours[0].reason == "drift 0.00 %, match 100 %"  # as judged; the empty mark tells the truth
    loaded = SimpleNamespace(config=SimpleNamespace(datasets={"device_events": SimpleNamespace(allow_empty_hours=False)}))
    compare = mark_empty_hours(loaded, CompareResult("device_events", WINDOW, "pass", {}, hours, {}, {}))
    assert [(h.status, h.reason) for h in compare.hours] == [("empty", "no rows on either side"),
                                                             ("pass", "drift 0.00 %, match 100 %")]


def test_a_complete_row_comparison_is_said_in_words_not_as_a_value_set():
    rows = [hour(0, 1000, 1000, 0.0, match_pct=100.0, truncated=False)]
    for suite in (SUITE, None):
        complete = by_check(judge(suite, rows, WINDOW)[0])["row_diff_complete"]
        assert complete.threshold.describe() == "complete (not cut short)"
        assert complete.threshold.admits(False) and not complete.threshold.admits(True)
