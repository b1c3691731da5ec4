"""Reasons (the shared wording of reconciler/reasons.py, each check type's own in
reconciler/checks/types/) and thresholds (reconciler/thresholds.py) as pure functions: exact
strings, no database. A result's reason is chosen by its type, never by its shape."""

from __future__ import annotations

import pytest

from reconciler.checks.types import reason_for, with_reason
from reconciler.reasons import drift_reason, hour_reason, hourly_check_reason, match_reason
from reconciler.results import CheckResult
from reconciler.thresholds import Threshold

DRIFT = Threshold.symmetric(1.0, "%")
NBSP = "\u00a0"


def spaced(text: str) -> str:
    """Reasons keep thousands together with a no-break space; the expected strings use a space."""
    return text.replace(NBSP, " ")


def _spaced(function):
    return lambda *args: spaced(function(*args))


spaced_match_reason, spaced_drift_reason = _spaced(match_reason), _spaced(drift_reason)
spaced_hour_reason, spaced_hourly_check_reason = _spaced(hour_reason), _spaced(hourly_check_reason)
spaced_reason_for = _spaced(reason_for)
MATCH = Threshold.at_least(99.9, "%")


def test_match_reason_in_the_units_people_use():
    assert spaced_match_reason(143_880, 20, 100, 40, MATCH) == (
        "match 99.889 % < 99.9 %: 160 of 144 040 rows differ (100 missing, 40 extra, 20 changed)")
    assert spaced_match_reason(144_040, 0, 0, 0, MATCH) == "match 100 % ≥ 99.9 %: 0 of 144 040 rows differ"
    # one row in a million differs: never rounded up to 100 %
    assert spaced_match_reason(999_999, 1, 0, 0, MATCH) == (
        "match 99.999 % ≥ 99.9 %: 1 of 1 000 000 rows differ (1 changed)")


def test_drift_reason_says_how_many_and_which_way():
    assert spaced_drift_reason(144_000, 142_000, -1.3889, DRIFT) == "drift −1.39 % outside ±1 %: 2 000 fewer events in new"
    assert spaced_drift_reason(1000, 1005, 0.5, DRIFT) == "drift +0.50 % within ±1 %: 5 more events in new"
    assert spaced_drift_reason(7211, 7211, 0.0, DRIFT) == "drift 0.00 % within ±1 %: equal counts (7 211)"
    assert spaced_drift_reason(0, 4233, None, DRIFT) == "no events in old, 4 233 in new"
    assert spaced_drift_reason(7211, 0, -100.0, DRIFT) == "no events in new, 7 211 in old"
    assert spaced_drift_reason(1000, 975, -2.5, Threshold.symmetric(2.5, "%")) == (
        "drift −2.50 % within ±2.5 %: 25 fewer events in new")


def hour(i, old, new, drift, **rows):
    return {"hour": f"2026-11-27T{i:02d}:00:00Z", "old": old, "new": new, "drift_pct": drift, **rows}


def test_an_hour_failing_on_rows_says_so_not_drift():
    row = hour(4, 7211, 7211, 0.0, matched=7203, mismatched=8, missing_in_new=0, extra_in_new=0)
    match = CheckResult("row_match", "fail", threshold=MATCH, details={"column": "match_pct"})
    assert spaced_hour_reason(row, [match]) == "match 99.889 % < 99.9 %: 8 of 7 211 rows differ (8 changed)"
    assert spaced_hour_reason(row, []) == "drift 0.00 %, match 99.889 %"


def test_a_window_check_lists_its_failing_hours():
    rows = [hour(0, 100, 100, 0.0), hour(1, 170, 165, -2.9412), hour(2, 207, 124, -40.0966), hour(3, 50, 50, 0.0)]
    check = CheckResult("hourly_count_drift", "fail", threshold=DRIFT,
                        details={"column": "drift_pct", "unexpected_index": [rows[1]["hour"], rows[2]["hour"]]})
    assert spaced_hourly_check_reason(check, rows) == (
        "2 of 4 hours fail: 01:00 drift −2.94 % outside ±1 %: 5 fewer events in new; "
        "02:00 drift −40.10 % outside ±1 %: 83 fewer events in new")
    passing = CheckResult("hourly_count_drift", "pass", threshold=DRIFT, details={"column": "drift_pct"})
    assert spaced_hourly_check_reason(passing, [rows[0], rows[3], hour(4, 1000, 1004, 0.4)]) == (
        "drift within ±1 % in all 3 hours (largest +0.40 % at 04:00)")
    assert spaced_hourly_check_reason(passing, [rows[0]]) == "drift 0.00 % within ±1 %: equal counts (100)"


def rule(name, status, violations, **details):
    return CheckResult(name, status, observed=violations, threshold=Threshold.at_most(0, "new violations"),
                       violations=violations, details={"severity": "critical", "file": f"{name}.sql", **details},
                       check_type="sql")


def test_rule_reasons_split_new_from_inherited():
    assert spaced_reason_for(rule("no_overlapping_bookings", "fail", 5, source="both", new=3, inherited=2)) == (
        "3 new overlapping bookings (2 inherited from old)")
    assert spaced_reason_for(rule("no_duplicate_bookings", "fail", 2, source="both", new=1, inherited=1)) == (
        "1 new duplicate booking (1 inherited from old)")
    assert spaced_reason_for(rule("no_overlapping_bookings", "pass", 2, source="both", new=0, inherited=2)) == (
        "no new overlapping bookings (2 inherited from old)")
    assert spaced_reason_for(rule("access_code_valid", "fail", 4, source="new")) == "4 violations of access_code_valid on new"
    assert spaced_reason_for(rule("no_overlapping_bookings", "pass", 0, source="new")) == "no overlapping bookings on new"


def test_a_rule_whose_row_is_a_pair_says_so():
    pairs = "overlapping pair of bookings / overlapping pairs of bookings"
    assert spaced_reason_for(rule("no_overlapping_bookings", "fail", 1, source="new", noun=pairs)) == (
        "1 overlapping pair of bookings on new")
    assert spaced_reason_for(rule("no_overlapping_bookings", "fail", 5, source="both", new=3, inherited=2,
                                  noun=pairs)) == "3 new overlapping pairs of bookings (2 inherited from old)"
    assert spaced_reason_for(rule("no_gaps", "fail", 2, source="new", noun="gap")) == "2 gaps on new"


def test_queue_caggs_suites_completeness_summary_errors():
    dlq = CheckResult("queue.dlq_depth", "fail", observed=12, threshold=Threshold.at_most(0, "messages"),
                      violations=12, details={"key": "events:dlq"}, check_type="health")
    assert spaced_reason_for(dlq) == "dead-letter queue (events:dlq) holds 12 messages, more than the 0 allowed"
    cagg = CheckResult("caggs", "fail", observed=2, threshold=Threshold.at_most(0, "differing hours"), violations=2,
                       samples=[{"hour": "2026-11-27T10:00:00Z", "aggregate": 700, "raw": 720}],
                       details={"aggregate": "public.events_hourly"}, check_type="caggs")
    assert spaced_reason_for(cagg) == ("public.events_hourly differs from its raw table in 2 hours: "
                                "10:00 700 vs 720 rows")
    suite = CheckResult("bookings_guest_not_null", "fail", observed={"unexpected": 3, "of": 120},
                        threshold=Threshold(text="not null"), violations=3,
                        details={"expectation": "expect_column_values_to_not_be_null", "column": "guest_id"},
                        check_type="suite")
    assert spaced_reason_for(suite) == "3 of 120 rows fail: guest_id not null"
    complete = CheckResult("bookings.complete", "fail", observed={"missing_in_new": 2, "mismatched": 3,
                                                                  "extra_in_new": 1}, violations=5,
                           details={"severity": "critical", "source": "both"}, check_type="rows")
    assert spaced_reason_for(complete) == ("5 rows missing or changed in new (2 missing, 3 changed); "
                                    "1 only in new (allowed)")
    summary = CheckResult("bookings.summary", "fail", observed=[{"status": "a", "old": 1, "new": 1},
                                                                {"status": "b", "old": 7, "new": 6}],
                          samples=[{"status": "b", "old": 7, "new": 6}], violations=1,
                          details={"severity": "critical", "source": "both"}, check_type="rows")
    assert spaced_reason_for(summary) == "1 of 2 groups differ between old and new (b: 7 old vs 6 new rows)"
    guests = CheckResult("bookings.summary", "fail", observed=[{"status": "confirmed", "old": 4, "new": 4}],
                         samples=[{"status": "confirmed", "old": 4, "new": 4, "old_guest_id": 4, "new_guest_id": 3}],
                         violations=1, details={"severity": "critical", "source": "both"}, check_type="rows")
    # equal rows, a distinct count that differs: the reason names the number that differs
    assert spaced_reason_for(guests) == ("1 of 1 group differ between old and new (confirmed: distinct guest_id 4 "
                                         "old vs 3 new)")


def test_a_summary_reason_keeps_its_groups_apart_and_counts_those_not_listed():
    from reconciler.report.observed import result_observed_text

    groups = [{"status": "cancelled", "old": 7, "new": 6, "old_guest_id": 7, "new_guest_id": 6},
              {"status": "completed", "old": 0, "new": 1, "old_guest_id": 0, "new_guest_id": 1},
              {"status": "confirmed", "old": 51, "new": 52, "old_guest_id": 50, "new_guest_id": 50},
              {"status": "in-progress", "old": 3, "new": 2, "old_guest_id": 3, "new_guest_id": 2},
              {"status": "pending", "old": 9, "new": 8, "old_guest_id": 9, "new_guest_id": 8}]
    summary = CheckResult("bookings.summary", "fail", observed=groups, samples=groups, violations=5,
                          details={"severity": "critical", "source": "both", "summary_by": "status"}, check_type="rows")
    assert spaced_reason_for(summary) == (
        "5 of 5 groups differ between old and new (cancelled: 7 old vs 6 new rows, distinct guest_id 7 old vs 6 new; "
        "completed: 0 old vs 1 new rows, distinct guest_id 0 old vs 1 new; confirmed: 51 old vs 52 new rows; "
        "…and 2 more)")
    assert result_observed_text(summary) == "5 of 5 groups differ"
    passing = CheckResult("bookings.summary", "pass", observed=groups[:2], details={"summary_by": "status"})
    assert result_observed_text(passing) == "0 of 2 groups differ"
    error = CheckResult("no_overlapping_bookings", "error", message="checks/x.sql: no such table: bookings\nmore",
                        details={"severity": "critical", "file": "x.sql"}, check_type="sql")
    assert spaced_reason_for(error) == "could not run: checks/x.sql: no such table: bookings"
    skipped = CheckResult("row_match", "skipped", message="evidence has no column match_pct", check_type="rows")
    assert spaced_reason_for(skipped) == "not judged: evidence has no column match_pct"


def test_the_type_not_the_shape_chooses_the_reason():
    """A result shaped like a queue depth but of type sql is worded as a rule; one of no known
    type gets the generic reason."""
    shaped_like_a_queue = CheckResult("codes_unique", "fail", observed=3, threshold=Threshold.at_most(0, "violations"),
                                      violations=3, details={"key": "events:dlq", "source": "new"}, check_type="sql")
    assert spaced_reason_for(shaped_like_a_queue) == "3 violations of codes_unique on new"
    untyped = CheckResult("queue.dlq_depth", "fail", observed=12, threshold=Threshold.at_most(0, "messages"),
                          violations=12, details={"key": "events:dlq"})
    assert spaced_reason_for(untyped) == "12 outside ≤ 0 messages"


def test_lag_and_latency_reasons_name_the_percentile_the_bound_and_the_count():
    lag = CheckResult("lag.processing_lag", "fail", observed={"count": 11, "p50": 0.6, "p95": 4.0, "p99": 6.4,
                                                             "max": 7.0},
                      threshold=Threshold(max=5.0, unit="s", text="at p99"), violations=1, check_type="lag",
                      details={"measure": "processing_lag"})
    assert spaced_reason_for(lag) == "p99 lag 6.4 s above the 5 s allowed (11 events)"
    age = CheckResult("lag.newest_event_age", "pass", observed={"seconds": 2.5}, threshold=Threshold.at_most(5, "s"),
                      check_type="lag", details={"measure": "newest_event_age"})
    assert spaced_reason_for(age) == "newest event 2.5 s old, within 5 s"
    latency = CheckResult("write.write_latency", "pass", observed={"count": 1200, "p99": 4.25},
                          threshold=Threshold(max=10.0, unit="ms", text="at p99"), check_type="latency")
    assert spaced_reason_for(latency) == "p99 write latency 4.25 ms within 10 ms (1 200 writes)"


def test_with_reason_keeps_a_reason_already_given():
    given = CheckResult("x", "fail", reason="because")
    assert with_reason(given) is given
    assert with_reason(CheckResult("x", "pass", observed=0.4, threshold=DRIFT)).reason == "0.4 within ±1 %"


@pytest.mark.parametrize("threshold, text", [
    (Threshold.symmetric(2.5, "%"), "±2.5 %"),
    (Threshold.at_least(99.9, "%"), "≥ 99.9 %"),
    (Threshold.at_most(0, "messages"), "≤ 0 messages"),
    (Threshold(min=-1.0, max=2.5, unit="%"), "−1 % to 2.5 %"),
    (Threshold(value_set=(False,)), "in [false]"),
    (Threshold(value_set=(False,), text="complete (not cut short)"), "complete (not cut short)"),
    (Threshold(value_set=("a", "b"), mostly=0.8), 'in ["a", "b"], for at least 80 % of rows'),
    (Threshold(regex="^[0-9]{6}$"), "matches ^[0-9]{6}$"),
    (Threshold(min=1, strict_min=True), "> 1"),
])
def test_a_threshold_describes_itself_in_full(threshold, text):
    assert threshold.describe() == text


@pytest.mark.parametrize("stored, expected", [
    ({"min": -2.5, "max": 2.5, "unit": "%"}, Threshold.symmetric(2.5, "%")),
    ({"min_value": -2.5, "max_value": 2.5}, Threshold(min=-2.5, max=2.5)),
    ({"value_set": [False]}, Threshold(value_set=(False,))),
    ({"max_abs_drift_pct": 1.0}, Threshold.symmetric(1.0, "%")),
    ({"min_match_pct": 99.9}, Threshold.at_least(99.9, "%")),
    ({"truncated": False}, Threshold(value_set=(False,))),
    ({"max": 0}, Threshold.at_most(0)),
    ({"differing_hours": 0}, Threshold.at_most(0, "differing hours")),
    (0, Threshold.at_most(0)),
    (99.9, Threshold(text="99.9")),
    ("equal on both sides", Threshold(text="equal on both sides")),
    (None, None),
])
def test_stored_threshold_shapes_of_every_version_read_back(stored, expected):
    assert Threshold.from_dict(stored) == expected


def test_the_threshold_round_trips_through_its_dict():
    threshold = Threshold(min=-2.5, max=2.5, unit="%", value_set=(1, 2), mostly=0.9)
    assert threshold.to_dict() == {"min": -2.5, "max": 2.5, "unit": "%", "value_set": [1, 2], "mostly": 0.9}
    assert Threshold.from_dict(threshold.to_dict()) == threshold
    assert CheckResult("x", "pass", threshold={"min_value": 1}).threshold == Threshold(min=1)


def test_a_passing_match_over_several_hours_gives_the_window_figure():
    rows = [hour(0, 1000, 1000, 0.0), hour(1, 1000, 1000, 0.0)]
    totals = {"matched": 1999, "mismatched": 1, "missing_in_new": 0, "extra_in_new": 0}
    check = CheckResult("row_match", "pass", threshold=MATCH, details={"column": "match_pct"})
    assert spaced_hourly_check_reason(check, rows, totals) == (
        "match 99.95 % ≥ 99.9 %: 1 of 2 000 rows differ (1 changed), every hour ≥ 99.9 %")


NEW_HAS_ROWS = Threshold(min=1)


def conditioned(status, unexpected, of, flagged=()):
    """new_has_rows as the suite runs it: only hours where old > 0 are evaluated."""
    return CheckResult("new_has_rows", status, observed={"unexpected": unexpected, "of": of}, threshold=NEW_HAS_ROWS,
                       details={"column": "new", "condition": "old > 0", "unexpected_index": list(flagged)})


def test_a_conditioned_expectation_names_the_hours_it_evaluated():
    day = [hour(i, 100, 100, 0.0) for i in range(23)] + [hour(23, 0, 7083, None)]
    assert spaced_hourly_check_reason(conditioned("pass", 0, 23), day) == "new ≥ 1 in all 23 hours where old > 0"
    quiet = [hour(i, 0, 0, None) for i in range(24)]
    assert spaced_hourly_check_reason(conditioned("pass", 0, 0), quiet) == (
        "not evaluated: it judges only hours where old > 0, none of these 24")
    assert spaced_hourly_check_reason(conditioned("pass", 0, 0), [hour(15, 0, 7083, None)]) == (
        "not evaluated: it judges only hours where old > 0, not this one")
    gone = day[:22] + [hour(22, 7267, 0, -100.0), day[23]]
    assert spaced_hourly_check_reason(conditioned("fail", 1, 23, [gone[22]["hour"]]), gone) == (
        "1 of 23 hours where old > 0 fail: 22:00 no events in new, 7 267 in old")
    assert spaced_hourly_check_reason(conditioned("pass", 0, 1), [hour(3, 0, 5, None), hour(4, 9, 9, 0.0)]) == (
        "new ≥ 1 in the only hour where old > 0")


def test_a_conditioned_expectations_observed_names_its_condition():
    from reconciler.report.observed import result_observed_text

    assert spaced(result_observed_text(conditioned("pass", 0, 0))) == "none judged (none where old > 0)"
    assert result_observed_text(conditioned("pass", 0, 23)) == "0 unexpected of 23"


@pytest.mark.parametrize("condition, text", [
    ({"type": "comparison", "column": {"name": "old"}, "operator": ">", "parameter": 0}, "old > 0"),
    ({"type": "comparison", "column": {"name": "old"}, "operator": ">=", "parameter": 1.5}, "old ≥ 1.5"),
    ({"type": "and", "conditions": [{"type": "comparison", "column": {"name": "old"}, "operator": ">", "parameter": 0},
                                    {"type": "nullity", "column": {"name": "new"}, "is_null": False}]},
     "old > 0 and new is not null"),
    ('old > 0', "old > 0"), (None, None),
])
def test_a_row_condition_reads_as_words(condition, text):
    from reconciler.checks.suites import condition_text

    assert condition_text(condition) == text


def test_a_drift_check_does_not_pass_an_hour_of_undefined_drift_on_its_numbers():
    only_new = hour(15, 0, 7083, None)
    passing = CheckResult("hourly_count_drift", "pass", threshold=DRIFT, details={"column": "drift_pct"})
    assert spaced(hourly_check_reason(passing, [only_new], None, "drift_defined")) == (
        "drift undefined (no events in old, 7 083 in new): judged by drift_defined")
    assert spaced_hourly_check_reason(passing, [only_new]) == (
        "drift undefined (no events in old, 7 083 in new): not judged by this check")
    day = [hour(14, 100, 100, 0.0), only_new, hour(16, 200, 201, 0.5)]
    assert spaced(hourly_check_reason(passing, day, None, "drift_defined")) == (
        "drift within ±1 % in all 2 hours (largest +0.50 % at 16:00); drift undefined in 1 hour with no events in "
        "old (15:00): judged by drift_defined")
    failing = CheckResult("hourly_count_drift", "fail", threshold=DRIFT,
                          details={"column": "drift_pct", "unexpected_index": [day[2]["hour"]]})
    day[2] = hour(16, 200, 150, -25.0)
    assert spaced(hourly_check_reason(failing, day, None, "drift_defined")) == (
        "1 of 3 hours fail: 16:00 drift −25.00 % outside ±1 %: 50 fewer events in new; drift undefined in 1 hour "
        "with no events in old (15:00): judged by drift_defined")
    # the built-in judgement has no drift_defined: its drift check fails the hour itself, with that hour's reason
    builtin = CheckResult("hourly_count_drift", "fail", threshold=DRIFT,
                          details={"column": "drift_pct", "unexpected_index": [only_new["hour"]]})
    assert spaced_hourly_check_reason(builtin, [only_new]) == "no events in old, 7 083 in new"


def test_an_undefined_drift_is_never_nan_to_a_person():
    from reconciler.formatting import number
    from reconciler.report.observed import result_observed_text

    defined = CheckResult("drift_defined", "fail", observed={"unexpected": 1, "of": 1},
                          threshold=Threshold(text="not null", unit="%"), violations=1,
                          samples=[{"hour": "2026-12-02T15:00:00Z", "drift_pct": float("nan")}],
                          details={"column": "drift_pct"})
    assert result_observed_text(defined) == "undefined"
    many = CheckResult("drift_defined", "fail", observed={"unexpected": 1, "of": 24}, threshold=defined.threshold,
                       violations=1, samples=[{"hour": "2026-12-02T15:00:00Z", "drift_pct": None}],
                       details={"column": "drift_pct"})
    assert result_observed_text(many) == "undefined (1 of 24 hours)"
    assert number(float("nan")) == "undefined"
