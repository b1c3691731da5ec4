"""`gate --phase booking-cutover`: zero duplicate bookings, every access code valid and every
notification sent, in each point-in-time booking result of the 7 days, every day of which has
one; the completeness summary equal on both sides. Each criterion names the run that proves it.
Runs are written through the store's own record_run (gate_fixtures.py); the last test makes
them with the shipped rules, through `reconciler run`, on a real database pair."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from gate_fixtures import END, NOW, START, gate_config, open_store, record

from reconciler.gate import evaluate_gate
from reconciler.results import CheckResult, RunResult, worst
from reconciler.thresholds import Threshold

DAY = timedelta(days=1)
RULES = {"no_duplicate_bookings": "duplicate_bookings", "access_code_valid": "access_codes",
         "notifications_sent": "notifications", "no_overlapping_bookings": "overlapping_bookings",
         "valid_status_transitions": "status_transitions"}
CRITERIA = ("duplicate_bookings", "access_codes", "notifications", "booking_summary", "overlapping_bookings",
            "status_transitions", "bookings_migrated")


def cutover_run(at, *, violations: dict | None = None, errors=(), inherited: dict | None = None) -> RunResult:
    """The booking checks as of `at`: the rules (on both sides), the bookings summary and
    completeness. `inherited` violations are the rules' warnings: they leave a rule passing."""
    violations = violations or {}
    results = []
    for rule in RULES:
        n = violations.get(rule, 0)
        status = "error" if rule in errors else "fail" if n else "pass"
        if rule in (inherited or {}):
            n += inherited[rule]
        results.append(CheckResult(rule, status, observed=None if status == "error" else n,
                                   threshold=Threshold.at_most(0, "new violations"), violations=n, as_of=at,
                                   check_type="sql", config_check="bookings",
                                   message="database error" if status == "error" else None,
                                   details={"severity": "critical", "source": "both"}))
    differing = violations.get("bookings.summary", 0)
    results.append(CheckResult("bookings.summary", "fail" if differing else "pass",
                               observed=[{"status": "confirmed", "old": 10, "new": 10 - differing}],
                               threshold=Threshold(text="equal on both sides"), violations=differing, as_of=at,
                               check_type="rows", config_check="bookings_migrated",
                               details={"severity": "critical", "source": "both", "dataset": "bookings"}))
    changed = violations.get("bookings.complete", 0)
    results.append(CheckResult("bookings.complete", "fail" if changed else "pass", observed=changed,
                               threshold=Threshold(text="every booking in new, unchanged"), violations=changed,
                               as_of=at, check_type="rows", config_check="bookings_migrated",
                               details={"severity": "critical", "source": "both", "dataset": "bookings"}))
    return RunResult("hourly-bookings", None, at, at + timedelta(seconds=3), worst(r.status for r in results),
                     results, as_of=at)


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    loaded = gate_config(tmp_path)
    store = open_store(loaded)
    yield loaded, store
    store.close()


def daily(store, *, skip_days=(), special=None) -> dict:
    """One run at noon of each day of the period; {day index: run id}."""
    ids = {}
    for i in range(7):
        if i in skip_days:
            continue
        ids[i] = record(store, cutover_run(START + i * DAY + timedelta(hours=12), **(special or {}).get(i, {})))
    return ids


def outcomes(loaded, store):
    report = evaluate_gate(store, loaded, NOW, phase="booking-cutover")
    return report, {o.criterion: o for o in report.outcomes}


def test_go_with_seven_clean_days(env):
    loaded, store = env
    ids = daily(store)
    report, o = outcomes(loaded, store)
    assert (report.verdict, report.period.start, report.period.end) == ("go", START, END)
    assert {c: x.state for c, x in o.items()} == {c: "met" for c in CRITERIA}
    assert o["duplicate_bookings"].summary == ("0 duplicate bookings in 7 result(s) of no_duplicate_bookings, every "
                                               "day of the period")
    assert o["booking_summary"].summary == ("0 status groups that differ in 7 result(s) of *.summary, every day of "
                                            "the period")
    for x in o.values():  # the run that proves it: the newest clean one
        assert (x.worst.run_id, x.worst.value, x.worst.at) == (ids[6], 0, "2026-11-29T12:00:00Z")
    # the hourly ledger's "clean evidence" says nothing of rule results: not shown, not in the headline
    from reconciler.gate.render import gate_lines

    lines = gate_lines(report)
    assert lines[0] == ("gate booking-cutover: point-in-time results of 2026-11-23T00:00:00Z → 2026-11-30T00:00:00Z, "
                        "up to 2026-11-30T00:20:00Z")
    assert not any(line.startswith("clean evidence") for line in lines) and lines[-1].startswith("verdict: GO")
    assert report.headline == "gate booking-cutover: GO, point-in-time results over 7 days"
    assert report.to_dict()["hourly"] is False


def test_no_go_on_one_duplicate_and_a_summary_that_differs(env):
    loaded, store = env
    ids = daily(store, special={2: {"violations": {"no_duplicate_bookings": 2}},
                                4: {"violations": {"bookings.summary": 1}}})
    report, o = outcomes(loaded, store)
    assert report.verdict == "no-go"
    assert {c: x.state for c, x in o.items()} == {**{c: "met" for c in CRITERIA}, "duplicate_bookings": "not met",
                                                  "booking_summary": "not met"}
    assert o["duplicate_bookings"].summary == (
        "1 of 7 result(s) of no_duplicate_bookings found duplicate bookings (2026-11-25T12:00:00Z); worst "
        "2026-11-25T12:00:00Z no_duplicate_bookings: 2 duplicate bookings")
    assert (o["duplicate_bookings"].worst.run_id, o["duplicate_bookings"].worst.value) == (ids[2], 2)
    assert (o["booking_summary"].worst.run_id, o["booking_summary"].worst.text) == (
        ids[4], "bookings.summary: 1 status groups that differ")
    assert report.exit_code == 1


def test_no_go_on_a_new_overlap_and_a_changed_booking_not_on_inherited_ones(env):
    """Inherited overlaps (old has them too) leave the rule passing, with a warning: met. A new
    overlap on one day and a booking changed in new on another: not met, each naming its run."""
    loaded, store = env
    every_day = {"inherited": {"no_overlapping_bookings": 3}}
    ids = daily(store, special={i: every_day for i in range(7)} | {
        1: {**every_day, "violations": {"no_overlapping_bookings": 1}},
        5: {**every_day, "violations": {"bookings.complete": 1}}})
    report, o = outcomes(loaded, store)
    assert (report.verdict, report.exit_code) == ("no-go", 1)
    assert {c: x.state for c, x in o.items()} == {**{c: "met" for c in CRITERIA},
                                                  "overlapping_bookings": "not met", "bookings_migrated": "not met"}
    assert o["overlapping_bookings"].summary == (
        "1 of 7 result(s) of no_overlapping_bookings found overlapping bookings (2026-11-24T12:00:00Z); worst "
        "2026-11-24T12:00:00Z no_overlapping_bookings: 4 overlapping bookings")
    assert (o["overlapping_bookings"].worst.run_id, o["bookings_migrated"].worst.run_id) == (ids[1], ids[5])


def test_inherited_overlaps_are_told_beside_a_met_criterion(env):
    """Met on the rule's verdict, but "0 overlapping bookings" would hide the 3 the rule warns of."""
    loaded, store = env
    daily(store, special={i: {"inherited": {"no_overlapping_bookings": 3}} for i in range(7)})
    report, o = outcomes(loaded, store)
    assert (report.verdict, o["overlapping_bookings"].state) == ("go", "met")
    assert o["overlapping_bookings"].summary == (
        "0 new overlapping bookings in 7 result(s) of no_overlapping_bookings (up to 3 inherited from old, which "
        "the rule only warns of), every day of the period")
    assert o["status_transitions"].summary == ("0 illegal status transitions in 7 result(s) of "
                                               "valid_status_transitions, every day of the period")


def test_incomplete_with_a_day_without_results_and_a_rule_in_error(env):
    loaded, store = env
    daily(store, skip_days={3}, special={5: {"errors": ("notifications_sent",)}})
    report, o = outcomes(loaded, store)
    assert (report.verdict, report.exit_code) == ("incomplete", 4)
    assert {c: x.state for c, x in o.items()} == {c: "incomplete" for c in o}
    assert o["access_codes"].summary == ("0 bookings without a valid access code in 6 result(s) of access_code_valid; "
                                         "no result on 1 day(s): 2026-11-26")
    assert o["notifications"].summary == (
        "0 bookings without a sent confirmation in 5 result(s) of notifications_sent; no result on 1 day(s): "
        "2026-11-26; 1 result(s) in error, first 2026-11-28T12:00:00Z")
    assert o["notifications"].worst.text == ("notifications_sent: 0 bookings without a sent confirmation, newest of 5 "
                                             "result(s)")


def test_nothing_recorded_says_what_to_run(env):
    loaded, store = env
    _, o = outcomes(loaded, store)
    assert o["duplicate_bookings"].state == "incomplete"
    assert o["duplicate_bookings"].summary.startswith("no result of no_duplicate_bookings in the period")


def test_the_rule_a_criterion_reads_is_configurable(tmp_path, monkeypatch, capfd):
    from integrity_fixtures import run_cli

    monkeypatch.chdir(tmp_path)
    loaded = gate_config(tmp_path, "phases:\n  booking-cutover:\n    criteria:\n"
                                   "      duplicate_bookings: {rule: status_matches_dates}\n")
    store = open_store(loaded)
    try:
        daily(store)
    finally:
        store.close()
    code, out, _ = run_cli(capfd, "--config", loaded.path, "gate", "--phase", "booking-cutover", "--now",
                           NOW.isoformat(), "--format", "json")
    doc = json.loads(out)
    assert (code, [(c["criterion"], c["state"], c["bound"]) for c in doc["criteria"]][:2]) == (
        4, [("duplicate_bookings", "incomplete", {"rule": "status_matches_dates", "max_violations": 0}),
            ("access_codes", "met", {"rule": "access_code_valid", "max_violations": 0})])
    assert len(doc["criteria"]) == 7, "tuning one criterion keeps the phase's others"


def test_current_phase_names_a_phase(tmp_path, capfd):
    from integrity_fixtures import run_cli

    loaded = gate_config(tmp_path, "current_phase: booking-cutover\n")
    assert loaded.config.current_phase == "booking-cutover"
    path = tmp_path / "schedule.yaml"
    path.write_text(path.read_text().replace("current_phase: booking-cutover", "current_phase: traffic-splt"))
    code, _, err = run_cli(capfd, "--config", path, "gate")
    assert code == 2
    assert err.strip().splitlines()[-1] == (f"reconciler: {path}:9: current_phase: unknown phase 'traffic-splt' "
                                            "(phases: shadow, traffic-split, booking-cutover, decommission); did you mean "
                                            "'traffic-split'?")


# ------------------------------------------------------------------ end to end, the shipped rules

def test_the_shipped_booking_checks_through_run_and_gate(tmp_path, monkeypatch, capfd):
    """Seven daily `reconciler run hourly-bookings` (the shipped rules, suite and completeness
    of schedule.yaml) on an identical, consistent SQLite pair: GO. A duplicate booking planted
    in new, one more run: NO-GO, naming that run."""
    import sqlalchemy as sa
    from integrity_fixtures import copy_project, run_cli, today_utc, use_sources

    from reconciler.demo.bookings import Stay, create_booking_schema, device_rows, merge_rows, stay_rows, write_rows
    from reconciler.timeutil import floor_hour, iso

    today = today_utc()
    stays = [Stay(1, 1, 101, "confirmed", today + 2 * DAY, today + 5 * DAY),
             Stay(2, 2, 102, "in-progress", today - DAY, today + DAY),
             Stay(3, 3, 103, "pending", today + 9 * DAY, today + 12 * DAY)]
    rows = merge_rows({"devices": device_rows([1, 2, 3])}, *(stay_rows(s, today) for s in stays))
    urls = {side: f"sqlite:///{tmp_path / f'{side}.db'}" for side in ("old", "new")}
    for url in urls.values():
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            create_booking_schema(conn)
            write_rows(conn, rows)
        engine.dispose()
    config = copy_project(tmp_path / "project")
    use_sources(monkeypatch, urls["old"], urls["new"])
    monkeypatch.chdir(tmp_path / "project")
    from datetime import datetime, timezone

    end = floor_hour(datetime.now(timezone.utc)) - 2 * timedelta(hours=1)
    days = [end - (7 - i) * DAY + timedelta(hours=1) for i in range(7)]  # one run inside each day of the period
    run_ids = []
    for at in days:
        code, out, err = run_cli(capfd, "--config", config, "run", "hourly-bookings", "--now", iso(at),
                                 "--format", "json")
        assert code == 0, err
        run_ids.append(json.loads(out)["runs"][-1]["id"])
    gate_args = ("--config", config, "gate", "--phase", "booking-cutover", "--start", iso(end - 7 * DAY), "--end",
                 iso(end), "--format", "json")
    code, out, err = run_cli(capfd, *gate_args)
    doc = json.loads(out)
    assert (code, doc["verdict"]) == (0, "go"), doc["reasons"]
    assert {c["criterion"]: (c["state"], c["worst"]["run_id"]) for c in doc["criteria"]} == {
        c: ("met", run_ids[-1]) for c in CRITERIA}

    duplicate = merge_rows(stay_rows(Stay(4, 1, 101, "confirmed", today + 2 * DAY, today + 5 * DAY), today))
    engine = sa.create_engine(urls["new"])
    with engine.begin() as conn:
        write_rows(conn, duplicate)
    engine.dispose()
    code, out, err = run_cli(capfd, "--config", config, "run", "hourly-bookings", "--now",
                             iso(end - timedelta(minutes=30)), "--format", "json")
    assert code == 1, err
    failing_run = json.loads(out)["runs"][-1]["id"]
    code, out, _ = run_cli(capfd, *gate_args)
    doc = json.loads(out)
    criteria = {c["criterion"]: c for c in doc["criteria"]}
    assert (code, doc["verdict"]) == (1, "no-go")
    dup = criteria["duplicate_bookings"]
    assert (dup["state"], dup["worst"]["run_id"], dup["worst"]["text"]) == (
        "not met", failing_run, "no_duplicate_bookings: 1 duplicate bookings")
    # the new booking changes the summary too: one more confirmed booking in new
    assert criteria["booking_summary"]["state"] == "not met"
