"""The go/no-go gate over a fabricated 7-day ledger (168 one-hour runs written through the
store's record_run): go, no-go naming the hour, incomplete for a missing, `error` or
`empty` hour, a critical booking violation, and the period's boundary.

Boundary (docs/gate.md, "The period"): with --now 2026-11-30T00:20Z and the phase's 15 min
settle, the period is exactly the 168 hours [2026-11-23T00:00Z, 2026-11-30T00:00Z): the
first hour (23rd 00:00) is included, the hour starting at the end (30th 00:00) is not."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from gate_fixtures import END, NOW, PROVENANCE, START, fabricate_week, gate_config, hour_run, open_store, record
from sqlalchemy import update

from reconciler.gate import evaluate_gate, gate_summary
from reconciler.gate.render import gate_lines
from reconciler.store.schema import window_ledger
from reconciler.timeutil import HOUR, iso


@pytest.fixture
def gate_env(tmp_path):
    loaded = gate_config(tmp_path)
    store = open_store(loaded)
    yield loaded, store
    store.close()


def outcome(report, name):
    return next(o for o in report.outcomes if o.criterion == name)


def states(report) -> dict:
    return {o.criterion: o.state for o in report.outcomes}


def test_a_green_week_is_go(gate_env):
    loaded, store = gate_env
    fabricate_week(store)
    report = evaluate_gate(store, loaded, NOW)
    assert (report.period.start, report.period.end, len(report.period.hours())) == (START, END, 168)
    assert states(report) == {"coverage": "met", "drift": "met", "match": "met", "lag": "met", "latency": "met",
                              "queues": "met", "bookings": "met"}
    assert (report.verdict, report.exit_code, report.clean_hours) == ("go", 0, 168)
    assert outcome(report, "match").extra == {"period_match_pct": 100.0, "rows": 168000, "matched": 168000}
    assert outcome(report, "lag").worst.value == 1.5
    assert report.to_dict()["clean_evidence"] == {"hours": 168, "days": 7.0, "days_required": 7}


def test_one_drifting_hour_is_no_go_naming_it(gate_env):
    loaded, store = gate_env
    bad = START + 50 * HOUR
    ids = fabricate_week(store, special={bad: {"new": 1020}})
    report = evaluate_gate(store, loaded, NOW)
    drift = outcome(report, "drift")
    assert drift.state == "not met"
    assert (drift.worst.at, drift.worst.value, drift.worst.run_id) == (iso(bad), 2.0, ids[bad])
    assert drift.summary == f"1 hour(s) beyond ±1 %: device_events {iso(bad)} +2.00 %"
    # 1000 matched, 20 extra: 98.0392 % in that hour; the period, weighted by rows, stays above 99.9
    match = outcome(report, "match")
    assert (match.state, match.worst.at, match.worst.value) == ("not met", iso(bad), 98.0392)
    assert match.extra["period_match_pct"] == round(168000 / 168020 * 100, 4)
    assert (report.verdict, report.exit_code) == ("no-go", 1)
    assert report.clean_hours == 168 - 51
    text = "\n".join(gate_lines(report))
    assert f"worst: {iso(bad)} +2.00 % — run {ids[bad]} runs/{ids[bad]:06d}-hourly-shadow-20261125T0200Z.html" in text


def test_a_match_below_the_bound_over_the_period_is_no_go_even_when_every_hour_passes(gate_env):
    loaded, store = gate_env
    fabricate_week(store, special={START + h * HOUR: {"mismatched": 1} for h in range(168)})
    report = evaluate_gate(store, loaded, NOW)
    # 999 of 1000 per hour: 99.9 % is the bound itself, met every hour and over the period
    assert outcome(report, "match").state == "met"
    assert outcome(report, "match").extra["period_match_pct"] == 99.9


def test_a_key_held_twice_in_new_is_no_go_though_match_is_perfect(gate_env):
    loaded, store = gate_env
    doubled = START + 30 * HOUR
    fabricate_week(store, special={doubled: {"duplicates_new": 2}})
    report = evaluate_gate(store, loaded, NOW)
    match = outcome(report, "match")
    assert (report.verdict, match.state) == ("no-go", "not met")
    assert match.summary == (f"1 hour(s) below 99.9 % or with a key held twice in new: device_events {iso(doubled)} "
                            "100.0000 % (0 of 1\u00a0000 differ), 2 keys held twice in new; period 100.0000 % "
                            "over 168\u00a0000 rows")


def test_one_missing_hour_makes_it_incomplete_and_lists_it(gate_env):
    loaded, store = gate_env
    missing = START + 100 * HOUR
    fabricate_week(store, skip={missing})
    report = evaluate_gate(store, loaded, NOW)
    coverage = outcome(report, "coverage")
    assert coverage.state == "incomplete"
    assert coverage.gaps == [{"dataset": "device_events", "hour": iso(missing), "reason": "no run", "run_id": None}]
    assert coverage.summary == f"167 of 168 dataset-hours judged; not judged: device_events {iso(missing)} (no run)"
    assert outcome(report, "drift").state == "incomplete"
    assert outcome(report, "lag").gaps == [{"dataset": "device_events", "hour": iso(missing), "reason": "no lag result"}]
    assert (report.verdict, report.exit_code) == ("incomplete", 4)


def test_an_empty_hour_makes_it_incomplete(gate_env):
    loaded, store = gate_env
    empty = START + 7 * HOUR
    fabricate_week(store)
    with store.engine.begin() as conn:  # the scheduler's `empty` verdict (issue 12), written as it will be
        conn.execute(update(window_ledger).where(window_ledger.c.hour == empty).values(state="empty", verdict="empty"))
    report = evaluate_gate(store, loaded, NOW)
    assert outcome(report, "coverage").gaps[0]["reason"] == "empty"
    assert outcome(report, "coverage").gaps[0]["hour"] == iso(empty)
    assert (report.verdict, report.exit_code) == ("incomplete", 4)


def test_an_error_hour_makes_it_incomplete(gate_env):
    loaded, store = gate_env
    broken = START + 3 * HOUR
    fabricate_week(store, skip={broken})
    run_id = store.record_failure("hourly-shadow", hour_run(broken).window, "source 'new' is unreachable",
                                  datasets=["device_events"], started_at=broken + HOUR, now=broken + 2 * HOUR,
                                  **PROVENANCE)
    report = evaluate_gate(store, loaded, NOW)
    assert outcome(report, "coverage").gaps == [{"dataset": "device_events", "hour": iso(broken), "reason": "error",
                                                 "run_id": run_id}]
    assert (report.verdict, report.exit_code) == ("incomplete", 4)


def test_a_not_met_criterion_is_no_go_even_with_incomplete_evidence(gate_env):
    loaded, store = gate_env
    fabricate_week(store, skip={START}, special={START + 5 * HOUR: {"new": 900}})
    report = evaluate_gate(store, loaded, NOW)
    assert outcome(report, "coverage").state == "incomplete"
    assert (report.verdict, report.exit_code) == ("no-go", 1)


def test_a_critical_booking_violation_is_no_go(gate_env):
    loaded, store = gate_env
    when = START + 140 * HOUR
    ids = fabricate_week(store, special={when: {"booking_violations": 2}})
    report = evaluate_gate(store, loaded, NOW)
    bookings = outcome(report, "bookings")
    assert bookings.state == "not met"
    assert (bookings.worst.at, bookings.worst.value, bookings.worst.run_id) == (
        iso(when + HOUR + timedelta(minutes=10)), 2, ids[when])
    assert bookings.summary == ("critical violations in 1 of 168 runs: no_overlapping_bookings: 2 violations (failed in "
                                "1 run); worst 2026-11-28T21:10:00Z no_overlapping_bookings: 2 violations")
    assert (report.verdict, report.exit_code) == ("no-go", 1)


def test_lag_latency_and_queues_beyond_their_bounds_are_no_go(gate_env):
    loaded, store = gate_env
    fabricate_week(store, special={START + HOUR: {"lag_p99": 6.25}, START + 2 * HOUR: {"latency_p99": 12.5},
                                   START + 3 * HOUR: {"dlq": 3}})
    report = evaluate_gate(store, loaded, NOW)
    assert {k: v for k, v in states(report).items() if v != "met"} == {
        "lag": "not met", "latency": "not met", "queues": "not met"}
    assert (outcome(report, "lag").worst.at, outcome(report, "lag").worst.value) == (iso(START + HOUR), 6.25)
    assert outcome(report, "latency").worst.value == 12.5
    assert outcome(report, "queues").worst.value == 3


class TestPeriodBoundary:
    """Exactly 7 x 24 hours; the first hour in, the hour at the end out."""

    def test_hours_outside_the_period_do_not_count(self, gate_env):
        loaded, store = gate_env
        fabricate_week(store)
        record(store, hour_run(START - HOUR, new=1500))   # the hour before the first: outside
        record(store, hour_run(END, new=1500))            # the hour starting at the end: outside
        assert evaluate_gate(store, loaded, NOW).verdict == "go"

    def test_the_first_hour_is_in_the_period(self, gate_env):
        loaded, store = gate_env
        fabricate_week(store, skip={START})
        assert outcome(evaluate_gate(store, loaded, NOW), "coverage").gaps[0]["hour"] == iso(START)

    def test_the_last_hour_is_in_the_period(self, gate_env):
        loaded, store = gate_env
        fabricate_week(store, skip={END - HOUR})
        assert outcome(evaluate_gate(store, loaded, NOW), "coverage").gaps[0]["hour"] == iso(END - HOUR)

    def test_an_hour_not_settled_yet_is_not_asked_for(self, gate_env):
        loaded, store = gate_env
        fabricate_week(store, start=START - HOUR, end=END - HOUR)
        # 00:10 is less than the 15 min settle after END: the period ends an hour earlier
        report = evaluate_gate(store, loaded, END + timedelta(minutes=10))
        assert (report.period.start, report.period.end, report.verdict) == (START - HOUR, END - HOUR, "go")

    def test_an_hour_judged_before_the_settle_counts_at_once(self, gate_env):
        loaded, store = gate_env
        fabricate_week(store, start=START - HOUR, end=END)
        # at 00:10 the phase's 15 min settle has not passed, but the job (settled at 10 min)
        # has judged the hour before END: the period, and so the index's gate line, includes it
        report = evaluate_gate(store, loaded, END + timedelta(minutes=10))
        assert (report.period.start, report.period.end, report.verdict) == (START, END, "go")

    def test_an_hour_not_ended_yet_is_never_asked_for(self, gate_env):
        loaded, store = gate_env
        fabricate_week(store, start=START - HOUR, end=END + HOUR)
        report = evaluate_gate(store, loaded, END + timedelta(minutes=10))
        assert report.period.end == END

    def test_an_explicit_period(self, gate_env):
        loaded, store = gate_env
        fabricate_week(store, start=START, end=END)
        report = evaluate_gate(store, loaded, NOW, start=START, end=END)
        assert (len(report.period.hours()), report.verdict) == (168, "go")

    def test_an_explicit_period_shorter_than_the_phase_never_says_go(self, gate_env):
        """Every hour of a day may pass; the phase still asks for 7 days in a row."""
        loaded, store = gate_env
        fabricate_week(store, start=START, end=START + 24 * HOUR)
        report = evaluate_gate(store, loaded, NOW, start=START, end=START + 24 * HOUR)
        assert (len(report.period.hours()), report.verdict, report.reasons) == (24, "incomplete", [
            "period incomplete: the period holds 24 hours; the phase needs 7 days (168 hours) of evidence"])
        assert evaluate_gate(store, loaded, NOW, start=START, end=START + 24 * HOUR, days=1).verdict == "go"


def test_gate_summary_is_the_shadow_phase_and_serializes(gate_env):
    loaded, store = gate_env
    fabricate_week(store, skip={START})
    summary = gate_summary(store, loaded, NOW)
    doc = json.loads(json.dumps(summary.to_dict()))
    assert (doc["phase"], doc["verdict"], doc["exit_code"], doc["hours"]) == ("shadow", "incomplete", 4, 168)
    assert doc["headline"] == "gate shadow: INCOMPLETE (incomplete: coverage, drift, match, lag), 7.0 of 7 days clean"
    assert doc["reasons"] == [f"coverage incomplete: 167 of 168 dataset-hours judged; not judged: "
                              f"device_events {iso(START)} (no run)",
                              "drift incomplete: within ±1 % in all 167 judged hours; 1 hour(s) without evidence "
                              "(see coverage)",
                              "match incomplete: ≥ 99.9 % in every compared hour; period 100.0000 % over 167\u00a0000 rows; "
                              "1 hour(s) without evidence (see coverage)",
                              f"lag incomplete: p99 within 5 s where measured; not measured: device_events {iso(START)} "
                              "(no lag result)"]


def test_the_traffic_split_phase_without_a_traffic_check_says_which_to_configure(gate_env):
    """The row comparisons give coverage and the discrepancy rate; the new system's error rate,
    p99 and split need a `traffic` check (test_gate_traffic.py judges them on a real Prometheus)."""
    loaded, store = gate_env
    fabricate_week(store)
    report = evaluate_gate(store, loaded, NOW, phase="traffic-split")
    assert states(report) == {"coverage": "met", "error_rate": "incomplete", "p99_latency": "incomplete",
                              "stable_split": "incomplete", "discrepancy": "met"}
    assert outcome(report, "p99_latency").summary == ("no traffic evidence: configure a `traffic` check (a "
                                                      "Prometheus source) in an hourly job")
    assert outcome(report, "discrepancy").summary == "≤ 1 % in every compared hour; period 0 % (0 of 168000 rows differ)"
    assert report.verdict == "incomplete"


def legacy_shape(run):
    """The run as earlier versions stored it: no check_type or config_check, the point-in-time
    results with the run's window and `details.point_in_time` instead of an as_of."""
    from dataclasses import replace

    out = []
    for r in run.results:
        r = replace(r, check_type=None, config_check=None)
        if r.as_of is not None:
            marker = {"point_in_time": True} if "severity" not in r.details else {}
            r = replace(r, as_of=None, window=run.window, details={**r.details, **marker})
        out.append(r)
    return replace(run, results=out)


def test_results_stored_by_earlier_versions_still_feed_the_gate(gate_env):
    """Their type read from their shape and their moment from their run (the markers they had)."""
    loaded, store = gate_env
    hour = START + 30 * HOUR
    for h in [START + i * HOUR for i in range(168)]:
        special = {"dlq": 3} if h == hour else {"lag_p99": 6.0} if h == hour + HOUR else {}
        record(store, legacy_shape(hour_run(h, **special)))
    report = evaluate_gate(store, loaded, NOW)
    assert {k: v for k, v in states(report).items() if v != "met"} == {"lag": "not met", "queues": "not met"}
    queues, lag = outcome(report, "queues"), outcome(report, "lag")
    assert (queues.worst.at, queues.worst.value) == (iso(hour + HOUR + timedelta(minutes=10)), 3)
    assert (lag.worst.at, lag.worst.value) == (iso(hour + HOUR), 6.0)
    assert outcome(report, "bookings").summary == "no critical violation in 168 runs (168 rule results)"


def test_point_in_time_results_read_again_come_from_what_the_last_read_kept(gate_env):
    """A stored result never changes: a second read of the period reads in full only the results
    stored since, and what is kept holds the period's results alone."""
    from reconciler.store.evidence import point_in_time_results

    loaded, store = gate_env
    fabricate_week(store, start=END - 3 * HOUR)
    known: dict = {}
    with store.engine.connect() as conn:
        first = point_in_time_results(conn, START, NOW, known)
    assert [r.result.check for r in first] == ["pipeline_dlq.dlq_depth.events:dlq", "write.write_latency",
                                              "no_overlapping_bookings"] * 3
    assert sum(v is not None for v in known.values()) == 9 and len(known) == 12  # + the 3 hours' lag
    kept = dict(known)
    record(store, hour_run(END, booking_violations=2))
    with store.engine.connect() as conn:
        second = point_in_time_results(conn, START, NOW + HOUR, known)
        assert [r.result for r in second[:9]] == [r.result for r in first]
        assert all(known[i] is kept[i] for i in kept)          # the same objects: not read again
        assert (second[-1].result.check, second[-1].result.observed) == ("no_overlapping_bookings", 2)
        later = point_in_time_results(conn, END + HOUR, NOW + HOUR, known)
    assert [r.result.check for r in later] == [r.result.check for r in second[-3:]]
    assert len(known) == 4


def test_match_counts_an_hour_whose_verdict_in_force_is_another_jobs(gate_env):
    """A job judging lag alone fails an hour the comparison passed: the hour's verdict and run are
    the lag's, and match still reads the hour's rows from its comparison."""
    from reconciler.results import RunResult
    from reconciler.store import ledger
    from reconciler.store.engine import writer
    from reconciler.timeutil import Window

    loaded, store = gate_env
    fabricate_week(store)
    hour = START + 50 * HOUR
    at = hour + 2 * HOUR
    lagging = store.record_run(RunResult("lagging", Window(hour, hour + HOUR), at, at, "fail", []), **PROVENANCE, now=at)
    with writer(store.engine).begin() as conn:
        ledger.write_judgements(conn, lagging, [ledger.HourJudgement("device_events", hour, "fail")], at)
    [row] = store.ledger("device_events", hour, hour + HOUR)
    assert (row["verdict"], row["run_id"]) == ("fail", lagging)
    report = evaluate_gate(store, loaded, NOW)
    match = outcome(report, "match")
    assert (match.state, match.extra["rows"], match.extra["matched"]) == ("met", 168 * 1000, 168 * 1000)
    assert outcome(report, "drift").state == "met"
