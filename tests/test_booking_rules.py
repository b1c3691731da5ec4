"""The booking rules of checks/bookings/ on PostgreSQL, TimescaleDB, MariaDB and SQLite, the
runner's old-vs-new classification, error isolation, and the planted demo data."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from booking_fixtures import DIALECTS, TODAY, Databases, booking, day, scenario, write_scenario
from notify_helpers import PROVENANCE, T0, make_store
from sqlalchemy import create_engine

from reconciler.checks.rules import (
    classify,
    load_rules,
    normalize_value,
    parse_rule,
    rules_to_json,
    run_rules,
    select_rules,
)
from reconciler.demo.bookings import at, find_rows, load_demo_bookings, remove_rows
from reconciler.errors import ConfigError, SourceError, UsageError
from reconciler.results import RunResult

RULES_DIR = Path(__file__).resolve().parent.parent / "checks" / "bookings"
RULES = {r.name: r for r in load_rules(RULES_DIR)}
KEY = {"no_duplicate_bookings": ("booking_id", "duplicate_of"),
       "no_overlapping_bookings": ("booking_id", "other_booking_id")}
SECOND = timedelta(seconds=1)


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    dbs = Databases(tmp_path_factory.mktemp("booking-rules"))
    yield dbs
    dbs.close()


@pytest.fixture(params=DIALECTS)
def engine(request, databases):
    return databases.engine(request.param)


def changed(rows, *changes):
    for change in changes:
        change(rows)
    return rows


def code(booking_id, **values):
    return lambda rows: find_rows(rows, "access_codes", booking_id)[0].update(values)


def confirmation(booking_id, **values):
    return lambda rows: find_rows(rows, "notifications", booking_id, kind="confirmation")[0].update(values)


def status(booking_id, value):
    return lambda rows: find_rows(rows, "bookings", booking_id)[0].update(status=value)


def drop(table, booking_id, **match):
    return lambda rows: remove_rows(rows, table, booking_id, **match)


def add(table, **row):
    return lambda rows: rows[table].append(row)


def successor(booking_id, valid_from, valid_to, **values):
    """A second access code of the booking, on the property's sensor (device 12 of property 1)."""
    return add("access_codes", **{"booking_id": booking_id, "device_id": 12, "code": "222222", "status": "active",
                                  "valid_from": valid_from, "valid_to": valid_to, **values})


def replaced_at(booking_id, moment, gap=timedelta(0), **first):
    """The booking's code ends at `moment`; its successor runs from `moment + gap` to check-out."""
    return lambda rows: [code(booking_id, valid_to=moment, **first)(rows),
                         successor(booking_id, moment + gap, find_rows(rows, "bookings", booking_id)[0]["check_out"])(
                             rows)]


def history_at_once(booking_id, *steps):
    """Every step at the same changed_at (one transaction), stored in the order given."""
    def replace(rows):
        remove_rows(rows, "booking_status_history", booking_id)
        for before, after in steps:
            rows["booking_status_history"].append({"booking_id": booking_id, "from_status": before,
                                                   "to_status": after, "changed_at": at(day(-30), 0)})
    return replace


def history(booking_id, *steps):
    def replace(rows):
        remove_rows(rows, "booking_status_history", booking_id)
        for hour, (before, after) in enumerate(steps):
            rows["booking_status_history"].append({"booking_id": booking_id, "from_status": before,
                                                   "to_status": after, "changed_at": at(day(-30), hour)})
    return replace


CASES = {
    "no_duplicate_bookings": [
        ("same guest back-to-back", [booking(1), booking(2, check_in=4, guest_id=101)], []),
        ("same dates other guest", [booking(1), booking(2)], []),
        ("same guest and dates other property", [booking(1), booking(2, property_id=2, guest_id=101)], []),
        ("cancelled copy is legal", [booking(1), booking(2, "cancelled", guest_id=101)], []),
        ("two copies", [booking(1), booking(2, guest_id=101)], [(2, 1)]),
        ("three copies", [booking(1), booking(2, guest_id=101), booking(3, guest_id=101)], [(2, 1), (3, 1)]),
        ("pending and confirmed copy", [booking(1, "pending"), booking(2, guest_id=101)], [(2, 1)]),
    ],
    "no_overlapping_bookings": [
        ("back-to-back is legal", [booking(1, check_in=1, nights=3), booking(2, check_in=4)], []),
        ("cancelled overlapping is legal", [booking(1), booking(2, "cancelled", check_in=2)], []),
        ("other property", [booking(1), booking(2, property_id=2)], []),
        ("partial", [booking(1, check_in=1, nights=3), booking(2, check_in=3)], [(1, 2)]),
        ("contained", [booking(1, check_in=1, nights=10), booking(2, check_in=3, nights=2)], [(1, 2)]),
        ("same dates", [booking(1), booking(2)], [(1, 2)]),
        ("later id earlier stay", [booking(1, check_in=5), booking(2, check_in=3, nights=3)], [(1, 2)]),
        ("three-way, each pair once", [booking(1, check_in=1, nights=5), booking(2, check_in=2), booking(3, check_in=3)],
         [(1, 2), (1, 3), (2, 3)]),
    ],
    "access_code_valid": [
        ("valid exactly check-in to check-out", [booking(1)], []),
        ("in-progress stay ending today", [booking(1, "in-progress", check_in=-2, nights=2)], []),
        ("wider window", [changed(booking(1), code(1, valid_from=at(day(0), 12), valid_to=at(day(4), 12)))], []),
        ("pending needs no code", [booking(1, "pending")], []),
        ("completed with expired code", [booking(1, "completed", check_in=-5)], []),
        ("revoked code beside a valid one",
         [changed(booking(1), add("access_codes", booking_id=1, device_id=11, code="111111",
                                  valid_from=at(day(1)), valid_to=at(day(4)), status="revoked"))], []),
        ("consecutive codes, the next from the end of the first", [changed(booking(1), replaced_at(1, at(day(2), 12)))],
         []),
        ("consecutive codes that overlap", [changed(booking(1), replaced_at(1, at(day(2), 12), -SECOND))], []),
        ("no code", [changed(booking(1), drop("access_codes", 1))], [(1, "no access code")]),
        ("consecutive codes a second apart", [changed(booking(1), replaced_at(1, at(day(2), 12), SECOND))],
         [(1, "active code does not cover the stay")]),
        ("replaced code revoked, its successor from mid-stay",
         [changed(booking(1), replaced_at(1, at(day(2), 12), status="revoked"))],
         [(1, "active code does not cover the stay")]),
        ("in-progress without code", [changed(booking(1, "in-progress", check_in=-1), drop("access_codes", 1))],
         [(1, "no access code")]),
        ("revoked", [changed(booking(1), code(1, status="revoked"))], [(1, "no active access code")]),
        ("expired", [changed(booking(1), code(1, status="expired"))], [(1, "no active access code")]),
        ("device of another property", [changed(booking(1), code(1, device_id=21))],
         [(1, "active code is not on a device of the property")]),
        ("unknown device", [changed(booking(1), code(1, device_id=999))],
         [(1, "active code is not on a device of the property")]),
        ("starts a second after check-in", [changed(booking(1), code(1, valid_from=at(day(1)) + SECOND))],
         [(1, "active code does not cover the stay")]),
        ("ends a second before check-out", [changed(booking(1), code(1, valid_to=at(day(4)) - SECOND))],
         [(1, "active code does not cover the stay")]),
    ],
    "notifications_sent": [
        ("confirmation sent", [booking(1), booking(2, "completed", check_in=-9)], []),
        ("pending needs none", [changed(booking(1, "pending"))], []),
        ("cancelled needs none", [changed(booking(1, "cancelled"), drop("notifications", 1))], []),
        ("failed then sent", [changed(booking(1), add("notifications", booking_id=1, kind="confirmation",
                                                      status="failed", sent_at=None))], []),
        ("none", [changed(booking(1), drop("notifications", 1, kind="confirmation"))],
         [(1, "no confirmation notification")]),
        ("completed without", [changed(booking(1, "completed", check_in=-9), drop("notifications", 1))],
         [(1, "no confirmation notification")]),
        ("failed", [changed(booking(1), confirmation(1, status="failed"))], [(1, "confirmation failed")]),
        ("still pending", [changed(booking(1, "in-progress", check_in=-1), confirmation(1, status="pending"))],
         [(1, "confirmation pending")]),
        ("failed, retry pending", [changed(booking(1), confirmation(1, status="failed"), add(
            "notifications", booking_id=1, kind="confirmation", status="pending", sent_at=None))],
         [(1, "confirmation pending")]),
        ("a status of its own", [changed(booking(1), confirmation(1, status="bounced"))],
         [(1, "confirmation not sent")]),
    ],
    "valid_status_transitions": [
        ("full path to completed", [booking(1, "completed", check_in=-5)], []),
        ("cancelled from confirmed", [booking(1, "cancelled")], []),
        ("cancelled from pending",
         [changed(booking(1, "cancelled"), history(1, (None, "pending"), ("pending", "cancelled")))], []),
        ("pending only", [booking(1, "pending")], []),
        ("created and confirmed in one transaction", [changed(booking(1), history_at_once(
            1, ("pending", "confirmed"), (None, "pending")))], []),
        ("illegal step", [changed(booking(1, "completed", check_in=-5), history(
            1, (None, "pending"), ("pending", "confirmed"), ("confirmed", "completed")))],
         [(1, "illegal transition")]),
        ("backwards step", [changed(booking(1), history(
            1, (None, "pending"), ("pending", "confirmed"), ("confirmed", "pending"), ("pending", "confirmed")))],
         [(1, "illegal transition")]),
        ("created confirmed", [changed(booking(1), history(1, (None, "confirmed")))],
         [(1, "created in a status other than pending")]),
        ("creation not first", [changed(booking(1, "pending"), history(1, ("pending", "confirmed"), (None, "pending")))],
         [(1, "creation step is not the first")]),
        ("step from another status", [changed(booking(1, "cancelled"), history(
            1, (None, "pending"), ("pending", "confirmed"), ("pending", "cancelled")))],
         [(1, "step does not start from the previous status")]),
        ("status is not the last step", [changed(booking(1), status(1, "cancelled"))],
         [(1, "current status is not the last step")]),
        ("no history", [changed(booking(1), drop("booking_status_history", 1))], [(1, "no status history")]),
    ],
    "status_matches_dates": [
        ("in-progress stay ending today", [booking(1, "in-progress", check_in=-2, nights=2)], []),
        ("in-progress from today", [booking(1, "in-progress", check_in=0)], []),
        ("completed on check-out day", [booking(1, "completed", check_in=-3, nights=3)], []),
        ("completed and confirmed", [booking(1, "completed", check_in=-9), booking(2)], []),
        ("in-progress before check-in", [booking(1, "in-progress", check_in=1)], [(1, "in-progress before check-in")]),
        ("in-progress after check-out", [booking(1, "in-progress", check_in=-3, nights=2)],
         [(1, "in-progress after check-out")]),
        ("completed before check-out", [booking(1, "completed", check_in=-2, nights=3)],
         [(1, "completed before check-out")]),
    ],
}
PARAMS = [pytest.param(rule, parts, expected, id=f"{rule}: {name}")
          for rule, cases in CASES.items() for name, parts, expected in cases]


def keys(result, rule):
    columns = KEY.get(rule, ("booking_id", "problem"))
    return sorted(tuple(s[c] for c in columns) for s in result.samples)


@pytest.mark.parametrize("rule, parts, expected", PARAMS)
def test_rule(engine, rule, parts, expected):
    write_scenario(engine, scenario(*parts))
    [result] = run_rules([RULES[rule]], {"new": engine}, today=TODAY)
    assert keys(result, rule) == sorted(expected)
    assert result.violations == len(expected)
    assert result.status == ("pass" if not expected or RULES[rule].severity == "warning" else "fail")


UNCOVERED = [
    ("no code", [drop("access_codes", 1)], (day(1), day(4))),
    ("code from an hour after check-in", [code(1, valid_from=at(day(1), 1))], (day(1), at(day(1), 1))),
    ("consecutive codes a second apart", [replaced_at(1, at(day(2), 12), SECOND)],
     (at(day(2), 12), at(day(2), 12) + SECOND)),
    ("replaced code revoked", [replaced_at(1, at(day(2), 12), status="revoked")], (day(1), at(day(2), 12))),
    ("consecutive codes ending before check-out", [code(1, valid_to=at(day(2), 12)), successor(1, at(day(2), 12), at(day(3)))],
     (at(day(3)), day(4))),
]


@pytest.mark.parametrize("changes, stretch", [pytest.param(c, s, id=n) for n, c, s in UNCOVERED])
def test_access_code_valid_names_the_first_stretch_of_the_stay_no_active_code_covers(engine, changes, stretch):
    write_scenario(engine, scenario(changed(booking(1), *changes)))
    [result] = run_rules([RULES["access_code_valid"]], {"new": engine}, today=TODAY)
    [row] = result.samples
    assert (normalize_value(row["uncovered_from"]), normalize_value(row["uncovered_until"])) == tuple(
        normalize_value(v) for v in stretch)


def test_notifications_sent_counts_each_bookings_confirmations_by_status(engine):
    def attempt(booking_id, status_):
        return add("notifications", booking_id=booking_id, kind="confirmation", status=status_, sent_at=None)

    write_scenario(engine, scenario(
        changed(booking(1), confirmation(1, status="failed"), attempt(1, "failed"), attempt(1, "pending")),
        changed(booking(2, property_id=2), drop("notifications", 2)),
        changed(booking(3, property_id=3), confirmation(3, status="failed"), attempt(3, "bounced")),
        booking(4, property_id=3, check_in=5)))
    [result] = run_rules([RULES["notifications_sent"]], {"new": engine}, today=TODAY)
    assert [tuple(s[c] for c in ("booking_id", "confirmations", "confirmations_failed", "confirmations_pending",
                                 "problem")) for s in result.samples] == [
        (1, 3, 2, 1, "confirmation pending"), (2, 0, 0, 0, "no confirmation notification"),
        (3, 2, 1, 0, "confirmation not sent")]


def test_every_rule_passes_on_consistent_bookings(engine):
    parts = [booking(1, "completed", check_in=-6, nights=3), booking(2, "in-progress", check_in=-3, nights=3),
             booking(3, "confirmed", check_in=0), booking(4, "pending", check_in=3),
             booking(5, "cancelled", check_in=3), booking(6, "confirmed", check_in=1, property_id=2)]
    write_scenario(engine, scenario(*parts))
    results = run_rules(list(RULES.values()), {"new": engine}, today=TODAY)
    assert [(r.check, r.status, r.violations) for r in results] == [(n, "pass", 0) for n in RULES]


@pytest.mark.parametrize("old_dialect, new_dialect", [("mariadb", "postgresql"), ("sqlite", "sqlite")])
def test_demo_reports_exactly_the_planted_violations(databases, old_dialect, new_dialect, tmp_path):
    old = databases.engine(old_dialect)
    new = databases.engine(new_dialect) if new_dialect != old_dialect else create_engine(
        f"sqlite:///{tmp_path / 'new.db'}")
    with old.begin() as old_conn, new.begin() as new_conn:
        planted = load_demo_bookings(old_conn, new_conn, TODAY)
    results = run_rules(list(RULES.values()), {"old": old, "new": new}, sides=("old", "new"),
                        today=TODAY, sample_limit=100)
    for r in results:
        expected = planted["rules"][r.check]
        got = {kind: sorted(s["booking_id"] for s in r.samples if s["classification"] == kind)
               for kind in ("new", "inherited")}
        assert got == expected, r.check
        assert (r.status, r.details["severity"]) == ("fail", "critical")
        assert (r.details["new"], r.details["inherited"]) == (len(expected["new"]), len(expected["inherited"]))


def test_old_vs_new_classifies_new_inherited_and_resolved(databases):
    old, new = databases.engine("mariadb"), databases.engine("postgresql")
    write_scenario(old, scenario(booking(1), booking(2, check_in=2), booking(5, property_id=3),
                                 booking(6, property_id=3, check_in=2), booking(3, property_id=2),
                                 booking(4, property_id=2, check_in=4)))
    write_scenario(new, scenario(booking(1), booking(2, check_in=2), booking(3, property_id=2),
                                 booking(4, property_id=2, check_in=3)))
    [result] = run_rules([RULES["no_overlapping_bookings"]], {"old": old, "new": new},
                         sides=("old", "new"), today=TODAY)
    assert [(s["classification"], s["booking_id"], s["other_booking_id"]) for s in result.samples] == [
        ("new", 3, 4), ("inherited", 1, 2)]
    assert (result.status, result.violations) == ("fail", 2)
    # the threshold bounds the new violations: observed is those, not every row of the new side
    assert (result.observed, result.threshold.describe()) == (1, "≤ 0 new violations")
    from reconciler.report.observed import result_observed_text

    assert result_observed_text(result) == "1\u00a0new violation"
    assert {k: result.details[k] for k in ("severity", "source", "new", "inherited", "resolved")} == {
        "severity": "critical", "source": "both", "new": 1, "inherited": 1, "resolved": 1}
    assert result.samples[0]["check_in"] == day(1).isoformat()


def test_inherited_only_passes_with_a_warning(databases):
    old, new = databases.engine("postgresql"), databases.engine("mariadb")
    for engine in (old, new):
        write_scenario(engine, scenario(booking(1), booking(2, check_in=2)))
    [result] = run_rules([RULES["no_overlapping_bookings"]], {"old": old, "new": new},
                         sides=("old", "new"), today=TODAY)
    assert (result.status, result.violations, result.details["severity"]) == ("pass", 1, "warning")
    assert result.observed == 0
    assert result.message.startswith("1 inherited violation(s) also present in old")


def test_broken_rule_files_do_not_stop_the_others(engine, tmp_path):
    (tmp_path / "a_syntax.sql").write_text("-- severity: critical\nSELEC id FRM bookings\n")
    (tmp_path / "b_missing_table.sql").write_text("SELECT id AS booking_id FROM no_such_table\n")
    (tmp_path / "c_overlaps.sql").write_text((RULES_DIR / "no_overlapping_bookings.sql").read_text())
    write_scenario(engine, scenario(booking(1), booking(2, check_in=2)))
    with engine.connect() as conn:
        results = run_rules(load_rules(tmp_path), {"new": conn}, today=TODAY)
        assert [(r.check, r.status, r.violations) for r in results] == [
            ("a_syntax", "error", 0), ("b_missing_table", "error", 0), ("c_overlaps", "fail", 1)]
        assert results[0].message.startswith(f"new: {tmp_path / 'a_syntax.sql'}: ")
        assert "no_such_table" in results[1].message and str(tmp_path / "b_missing_table.sql") in results[1].message
        assert run_rules([RULES["no_overlapping_bookings"]], {"new": conn}, today=TODAY)[0].violations == 1


def test_connections_may_be_a_callable(databases):
    engine = databases.engine("sqlite")
    write_scenario(engine, scenario(booking(1), booking(2, check_in=2)))
    [result] = run_rules([RULES["no_overlapping_bookings"]], {"new": engine.connect}, today=TODAY)
    assert result.violations == 1


def test_unreachable_source_is_a_source_error():
    engine = create_engine("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    with pytest.raises(SourceError, match="could not connect to source 'new'") as info:
        run_rules(list(RULES.values()), {"new": engine}, today=TODAY)
    assert "secret" not in str(info.value)


def test_rules_to_json_shape(databases):
    engine = databases.engine("sqlite")
    write_scenario(engine, scenario(booking(1), booking(2, check_in=2)))
    doc = rules_to_json(run_rules(list(RULES.values()), {"new": engine}, today=TODAY))
    assert doc["status"] == "fail"
    overlap = next(r for r in doc["rules"] if r["rule"] == "no_overlapping_bookings")
    assert {k: overlap[k] for k in ("status", "violations", "severity", "source")} == {
        "status": "fail", "violations": 1, "severity": "critical", "source": "new"}
    assert overlap["samples"] == [{"booking_id": 1, "other_booking_id": 2, "property_id": 1,
                                   "check_in": "2026-03-16", "check_out": "2026-03-19",
                                   "other_check_in": "2026-03-17", "other_check_out": "2026-03-20",
                                   "status": "confirmed", "other_status": "confirmed"}]


def test_rule_header_is_parsed():
    rule = RULES["status_matches_dates"]
    assert (rule.name, rule.severity) == ("status_matches_dates", "warning")
    assert rule.description.startswith("A booking is in-progress only from its check-in date")
    assert all(r.severity in ("critical", "warning") and r.description for r in RULES.values())


def test_rule_files_are_validated(tmp_path):
    bad = tmp_path / "bad.sql"
    bad.write_text("-- severity: fatal\nSELECT 1\n")
    with pytest.raises(ConfigError, match=r"bad\.sql: severity: 'fatal' is not one of critical, warning"):
        parse_rule(bad)
    with pytest.raises(ConfigError, match="rules path does not exist"):
        load_rules(tmp_path / "nowhere")
    with pytest.raises(UsageError, match="unknown rule 'no_such_rule'"):
        select_rules(list(RULES.values()), ["no_such_rule"])
    assert [r.name for r in select_rules(list(RULES.values()), ["notifications_sent"])] == ["notifications_sent"]
    keyed = tmp_path / "keyed.sql"
    keyed.write_text("-- description: first line\n--   and more, with :colons\n-- identity: Booking_ID, problem\n"
                     "SELECT 1 AS booking_id;\n")
    rule = parse_rule(keyed)
    assert (rule.description, rule.identity, rule.severity) == (
        "first line and more, with :colons", ("booking_id", "problem"), "critical")
    assert rule.sql.strip() == "SELECT 1 AS booking_id" and rule.sql.count("\n") == 3


def test_values_from_different_engines_normalize_equal():
    aware = datetime(2026, 3, 15, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    assert normalize_value(aware) == normalize_value(datetime(2026, 3, 15, 12)) == "2026-03-15T12:00:00"
    assert normalize_value("2026-03-15 12:00:00.000000") == "2026-03-15T12:00:00"
    assert normalize_value(datetime(2026, 3, 15)) == normalize_value(date(2026, 3, 15)) == "2026-03-15"
    assert normalize_value(Decimal("3")) == 3 and normalize_value(Decimal("2.5")) == 2.5


def test_classify_is_a_multiset_comparison():
    old = [{"booking_id": 1, "d": date(2026, 3, 1)}, {"booking_id": 9, "d": date(2026, 3, 1)}]
    new = [{"booking_id": 1, "d": "2026-03-01"}, {"booking_id": 1, "d": "2026-03-01"},
           {"booking_id": 2, "d": "2026-03-01"}]
    split = classify(old, new)
    assert [r["booking_id"] for r in split.new] == [1, 2]
    assert [r["booking_id"] for r in split.inherited] == [1]
    assert split.resolved == 1
    assert len(classify(old, [{"booking_id": 1, "d": "x"}], identity=("booking_id",)).inherited) == 1


# rule: (old, new: the same violation with only columns outside the rule's key changed,
#        another booking of new with a violation of its own)
SAME_VIOLATION_CHANGED = {
    "no_duplicate_bookings": ([booking(1), booking(2, "pending", guest_id=101)],
                              [booking(1), booking(2, guest_id=101)],
                              [booking(3, guest_id=101)]),
    "no_overlapping_bookings": ([booking(1), booking(2, check_in=2)],
                                [booking(1), booking(2, "pending", check_in=2)],
                                [booking(3, check_in=3, property_id=2), booking(4, check_in=4, property_id=2)]),
    "access_code_valid": ([changed(booking(1), code(1, status="revoked"))],
                          [changed(booking(1), drop("access_codes", 1))],
                          [changed(booking(2, property_id=2), drop("access_codes", 2))]),
    "notifications_sent": ([changed(booking(1), confirmation(1, status="failed"))],
                           [changed(booking(1, "in-progress", check_in=-1), confirmation(1, status="pending"))],
                           [changed(booking(2, property_id=2), drop("notifications", 2))]),
    "status_matches_dates": ([booking(1, "in-progress", check_in=2)],
                             [booking(1, "in-progress", check_in=2, nights=5)],
                             [booking(2, "completed", check_in=-1, property_id=2)]),
    "valid_status_transitions": ([changed(booking(1), status(1, "cancelled"))],
                                 [changed(booking(1), status(1, "in-progress"))],
                                 [changed(booking(2, property_id=2), status(2, "cancelled"))]),
}


def test_every_shipped_rule_declares_its_key():
    assert {name: rule.identity for name, rule in RULES.items()} == {
        "access_code_valid": ("booking_id",), "no_duplicate_bookings": ("booking_id",),
        "no_overlapping_bookings": ("booking_id", "other_booking_id"), "notifications_sent": ("booking_id",),
        "status_matches_dates": ("booking_id",), "valid_status_transitions": ("booking_id", "problem")}


@pytest.mark.parametrize("rule", SAME_VIOLATION_CHANGED)
def test_an_inherited_violation_stays_inherited_when_columns_outside_its_key_change(databases, rule):
    old, new = databases.engine("mariadb"), databases.engine("postgresql")
    old_parts, changed_parts, other_booking = SAME_VIOLATION_CHANGED[rule]
    write_scenario(old, scenario(*old_parts))
    write_scenario(new, scenario(*changed_parts))
    [before] = run_rules([RULES[rule]], {"old": old, "new": old}, sides=("old", "new"), today=TODAY)
    [same] = run_rules([RULES[rule]], {"old": old, "new": new}, sides=("old", "new"), today=TODAY)
    assert before.samples[0] != {**same.samples[0], "classification": "inherited"}  # a column did change
    assert (same.status, same.details["new"], same.details["inherited"], same.details["resolved"]) == (
        "pass", 0, 1, 0)
    write_scenario(new, scenario(*changed_parts, *other_booking))
    [other] = run_rules([RULES[rule]], {"old": old, "new": new}, sides=("old", "new"), today=TODAY)
    inherited_id = 2 if rule == "no_duplicate_bookings" else 1
    new_id = 2 if rule in ("access_code_valid", "notifications_sent", "status_matches_dates",
                           "valid_status_transitions") else 3
    assert [(s["classification"], s["booking_id"]) for s in other.samples] == [
        ("new", new_id), ("inherited", inherited_id)]
    assert (other.status, other.details["new"], other.details["inherited"]) == ("fail", 1, 1)


def test_a_changed_inherited_violation_opens_no_alert_and_another_bookings_does(databases, tmp_path):
    store = make_store(tmp_path)
    old, new = databases.engine("mariadb"), databases.engine("postgresql")
    old_parts, changed_parts, other_booking = SAME_VIOLATION_CHANGED["no_overlapping_bookings"]
    write_scenario(old, scenario(*old_parts))
    outbox = []
    for hour, new_parts in enumerate([old_parts, changed_parts, [*changed_parts, *other_booking]]):
        write_scenario(new, scenario(*new_parts))
        [result] = run_rules([RULES["no_overlapping_bookings"]], {"old": old, "new": new}, sides=("old", "new"),
                             today=TODAY)
        at_ = T0 + timedelta(hours=hour)
        result = replace(result, as_of=at_, config_check="bookings")
        store.record_run(RunResult(job="integrity", window=None, as_of=at_, started_at=at_, finished_at=at_,
                                   status=result.status, results=[result]), now=at_, **PROVENANCE)
        outbox.append([(m["kind"], m["facts"]["items"]) for m in store.outbox.pending()])
    assert outbox[:2] == [[], []]
    [[(kind, items)]] = outbox[2:]
    assert kind == "alert"
    assert [item.split(", ")[:2] for item in items] == [
        ["• new — booking_id 3", "other_booking_id 4"],
        ["• inherited from old — booking_id 1", "other_booking_id 2"]]
