"""`reconciler check`: the booking rules on old and new (PostgreSQL new + MariaDB old, and the
SQLite demo pair) report exactly the planted violations, classified new vs inherited, next to
the bookings suite and migration completeness; rule selection, --source, broken rule files
and unreachable sources, through `reconciler.cli.main` in this process."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import sqlalchemy as sa
from integrity_fixtures import CLOSED_PORT_PG, copy_project, pg_mariadb_bookings, run_cli, sqlite_demo, use_sources  # noqa: F401  (fixtures)

CHECK_SCHEMA = json.loads((Path(__file__).resolve().parent.parent / "docs" / "schemas" / "check.schema.json").read_text())

RULES = ["access_code_valid", "no_duplicate_bookings", "no_overlapping_bookings", "notifications_sent",
         "status_matches_dates", "valid_status_transitions"]
SUITE = ["bookings_unique_id", "bookings_status_known", "bookings_check_out_after_check_in",
         "bookings_property_not_null", "bookings_guest_not_null", "bookings_check_in_not_null",
         "bookings_check_out_not_null", "access_code_format"]
PAIRS = ["pg_mariadb_bookings", "sqlite_demo"]


@pytest.fixture(params=PAIRS)
def pair(request):
    return request.getfixturevalue(request.param)


@pytest.fixture
def project(tmp_path, monkeypatch, pair):
    """A temp working directory with a copy of the shipped schedule.yaml, pointed at `pair`."""
    copy_project(tmp_path)
    use_sources(monkeypatch, pair["old"], pair["new"], pair.get("timezone", "UTC"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def ids(samples, classification=None) -> list[int]:
    return sorted(s["booking_id"] for s in samples
                  if classification is None or s.get("classification") == classification)


def malformed_code_booking(pair) -> list[int]:
    """The SQLite demo rewrites one active access code of new to '12-34' (see demo.py)."""
    if "scenario" not in pair:
        return []
    engine = sa.create_engine(pair["old"])
    with engine.connect() as conn:
        booking = conn.execute(sa.text("SELECT min(booking_id) FROM access_codes WHERE status = 'active'")).scalar()
    engine.dispose()
    return [booking]


def test_check_both_reports_exactly_the_planted_violations_classified(project, pair, capfd):
    code, out, _ = run_cli(capfd, "check", "--source", "both", "--format", "json")
    assert code == 1
    doc = json.loads(out)
    jsonschema.validate(doc, CHECK_SCHEMA)
    assert doc["status"] == "fail"
    assert [r["rule"] for r in doc["rules"]] == RULES + SUITE + ["bookings.complete", "bookings.summary"]
    by_rule = {r["rule"]: r for r in doc["rules"]}
    planted = pair["planted"]["rules"]
    for rule in RULES:
        entry, want = by_rule[rule], planted[rule]
        assert (rule, entry["status"], entry["severity"], entry["source"]) == (rule, "fail", "critical", "both")
        assert (entry["new"], entry["inherited"]) == (len(want["new"]), len(want["inherited"])), rule
        assert entry["violations"] == len(want["new"]) + len(want["inherited"]), rule
        assert ids(entry["samples"], "new") == want["new"], rule
        assert ids(entry["samples"], "inherited") == want["inherited"], rule
        assert entry["message"] == (f"{len(want['inherited'])} inherited violation(s) also present in old "
                                    f"(warning); {len(want['new'])} new")
        assert entry["file"] == f"checks/bookings/{rule}.sql"
    bad_codes = malformed_code_booking(pair)
    for check in SUITE:
        failing = check == "access_code_format" and bad_codes
        assert (check, by_rule[check]["status"], by_rule[check]["violations"], by_rule[check]["source"]) == \
               (check, "fail" if failing else "pass", len(bad_codes) if failing else 0, "new")
    assert [s["booking_id"] for s in by_rule["access_code_format"]["samples"]] == bad_codes
    complete = by_rule["bookings.complete"]
    completeness = pair["planted"]["completeness"]
    assert complete["status"] == "fail"
    assert complete["violations"] == len(completeness["missing_in_new"]) + len(completeness["changed_in_new"])
    assert sorted(s["key"]["id"] for s in complete["samples"]) == sorted(
        completeness["missing_in_new"] + completeness["changed_in_new"])


def test_check_duplicates_one_inherited_one_new_naming_the_original(project, pair, capfd):
    doubled = [b for b in pair["planted"]["rules"]["no_overlapping_bookings"]["new"] if b != 210]
    code, out, _ = run_cli(capfd, "check", "no_duplicate_bookings", "--source", "both", "--format", "json")
    assert code == 1
    samples = json.loads(out)["rules"][0]["samples"]
    assert [(s["classification"], s["booking_id"], s["duplicate_of"], s["copies"]) for s in samples] == \
           [("new", 901, doubled[0], 2), ("inherited", 202, 201, 2)]


def test_check_one_rule_runs_only_that_rule(project, pair, capfd):
    code, out, _ = run_cli(capfd, "check", "no_overlapping_bookings", "--source", "both", "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["status"] == "fail"
    assert [r["rule"] for r in doc["rules"]] == ["no_overlapping_bookings"]
    rule = doc["rules"][0]
    want = pair["planted"]["rules"]["no_overlapping_bookings"]
    assert (rule["new"], rule["inherited"], rule["violations"]) == (2, 2, 4)
    assert ids(rule["samples"], "new") == want["new"]
    assert ids(rule["samples"], "inherited") == want["inherited"] == [201, 203]


def test_check_unknown_rule_exits_2_listing_the_known_rules(project, capfd):
    code, out, err = run_cli(capfd, "check", "no_overlapping_bookings", "no_such_rule", "--format", "json")
    assert code == 2
    assert out == ""
    assert err == ("reconciler: unknown rule 'no_such_rule'; known rules: access_code_valid, no_duplicate_bookings, "
                   "no_overlapping_bookings, notifications_sent, status_matches_dates, valid_status_transitions\n")


def test_check_source_new_reports_every_violation_of_new_without_classification(project, pair, capfd):
    code, out, _ = run_cli(capfd, *(["check", *RULES, "--source", "new", "--format", "json"]))
    assert code == 1
    doc = json.loads(out)
    assert [r["rule"] for r in doc["rules"]] == RULES
    for entry in doc["rules"]:
        want = pair["planted"]["rules"][entry["rule"]]
        count = len(want["new"]) + len(want["inherited"])
        if entry["rule"] == "status_matches_dates":  # severity: warning -> counted, not failed
            expected = ("pass", "warning", f"{count} violation(s) of a warning rule on new")
        else:
            expected = ("fail", "critical", None)
        assert (entry["status"], entry["severity"], entry["message"]) == expected, entry["rule"]
        assert (entry["source"], entry["new"], entry["inherited"], entry["violations"]) == ("new", None, None, count)
        assert ids(entry["samples"]) == sorted(want["new"] + want["inherited"]), entry["rule"]
        assert all("classification" not in s for s in entry["samples"])


def test_check_source_old_sees_only_the_old_systems_violations(project, pair, capfd):
    code, out, _ = run_cli(capfd, "check", "no_overlapping_bookings", "status_matches_dates", "--source", "old",
                           "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert [(r["rule"], r["status"], r["source"], ids(r["samples"])) for r in doc["rules"]] == [
        ("no_overlapping_bookings", "fail", "old", [201, 203]), ("status_matches_dates", "pass", "old", [209])]


@pytest.mark.parametrize("broken, sql", [
    ("broken_syntax", "SELECT FROM WHERE"),
    ("broken_table", "SELECT id AS booking_id FROM no_such_table"),
])
def test_check_broken_rule_file_is_an_error_and_the_others_still_run(project, pair, capfd, broken, sql):
    (project / "checks" / "bookings" / f"{broken}.sql").write_text(f"-- description: broken on purpose\n{sql}\n")
    code, out, _ = run_cli(capfd, "check", "no_duplicate_bookings", broken, "status_matches_dates",
                           "--source", "both", "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["status"] == "error"
    # rules run in file-name order, whatever order they are named in
    assert [(r["rule"], r["status"]) for r in doc["rules"]] == [
        (broken, "error"), ("no_duplicate_bookings", "fail"), ("status_matches_dates", "fail")]
    error = doc["rules"][0]
    path = f"checks/bookings/{broken}.sql"
    old_part, new_part = error["message"].split("; new: ")
    assert old_part.startswith(f"old: {path}: ")
    assert new_part.startswith(f"{path}: ")
    database_words = {"broken_syntax": ("syntax", "syntax"), "broken_table": ("no_such_table", "no_such_table")}
    assert database_words[broken][0] in old_part.lower() and database_words[broken][1] in new_part.lower()
    assert (error["violations"], error["samples"], error["file"]) == (0, [], path)
    assert ids(doc["rules"][1]["samples"], "new") == [901]
    assert ids(doc["rules"][2]["samples"], "new") == [216]
    assert ids(doc["rules"][2]["samples"], "inherited") == [209]


def test_check_unreachable_source_exits_3_without_the_password(tmp_path, monkeypatch, sqlite_demo, capfd):
    copy_project(tmp_path)
    use_sources(monkeypatch, CLOSED_PORT_PG, sqlite_demo["new"])
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capfd, "check", "--source", "both", "--format", "json")
    assert code == 3
    assert out == ""
    assert err.startswith("reconciler: source 'old' (postgresql+psycopg://reconciler:***@127.0.0.1:1/nowhere) "
                          "is unreachable: ")
    assert "Connection refused" in err or "connection refused" in err
    assert "hunter2secret" not in out + err
