"""The bookings expectation suite (expectations/bookings.json) through `validate_table` -- Great
Expectations' SQL data source, so the database does the work -- on PostgreSQL, MariaDB and
SQLite: clean data passes, each planted fault fails its expectation with the exact unexpected
count and rows, and a threshold edited in a copy of the JSON changes the verdict."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from integrity_fixtures import ROOT

from reconciler.checks.suites import validate_table
from reconciler.thresholds import Threshold

SUITE = ROOT / "expectations" / "bookings.json"
CHECKS = ["bookings_unique_id", "bookings_status_known", "bookings_check_out_after_check_in",
          "bookings_property_not_null", "bookings_guest_not_null", "bookings_check_in_not_null",
          "bookings_check_out_not_null", "access_code_format"]

# The real schema has a primary key, so a duplicate id cannot be stored: the test table has none.
metadata = sa.MetaData()
bookings = sa.Table(
    "bookings", metadata,
    sa.Column("id", sa.Integer, nullable=False),
    sa.Column("property_id", sa.Integer),
    sa.Column("guest_id", sa.Integer),
    sa.Column("status", sa.String(20)),
    sa.Column("check_in", sa.Date),
    sa.Column("check_out", sa.Date),
    sa.Column("created_at", sa.DateTime),
    sa.Column("updated_at", sa.DateTime),
)
access_codes = sa.Table(
    "access_codes", metadata,
    sa.Column("booking_id", sa.Integer, nullable=False),
    sa.Column("device_id", sa.Integer, nullable=False),
    sa.Column("code", sa.String(16), nullable=False),
    sa.Column("valid_from", sa.DateTime, nullable=False),
    sa.Column("valid_to", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
)


def booking(booking_id, status="confirmed", check_in=date(2026, 3, 10), check_out=date(2026, 3, 13),
            guest_id=500, property_id=1):
    return {"id": booking_id, "property_id": property_id, "guest_id": guest_id, "status": status,
            "check_in": check_in, "check_out": check_out, "created_at": datetime(2026, 2, 1, 10),
            "updated_at": datetime(2026, 2, 1, 11)}


def code(booking_id, value):
    return {"booking_id": booking_id, "device_id": 11, "code": value, "valid_from": datetime(2026, 3, 10),
            "valid_to": datetime(2026, 3, 13), "status": "active"}


CLEAN = {
    "bookings": [booking(1), booking(2, "pending"), booking(3, "in-progress"), booking(4, "completed"),
                 booking(5, "cancelled"), booking(6, "confirmed", check_in=date(2026, 3, 13),
                                                  check_out=date(2026, 3, 14))],
    "access_codes": [code(1, "000123"), code(3, "987654"), code(4, "555555"), code(6, "100000")],
}

BAD = {
    "bookings": [booking(1), booking(2, "pending"), booking(3), booking(3, "completed"),   # id 3 twice
                 booking(4, "archived"),                                                  # unknown status
                 booking(5, check_out=date(2026, 3, 10)),                                 # check_out == check_in
                 booking(6, check_in=date(2026, 3, 12), check_out=date(2026, 3, 11)),     # check_out before
                 booking(7, guest_id=None)],                                              # no guest
    "access_codes": [code(1, "000123"), code(2, "12-34"), code(3, "1234567"), code(6, "abcdef"),
                     code(7, "654321")],
}


@pytest.fixture(params=["postgresql", "mariadb", "sqlite"])
def database(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'suite.db'}"
    make = {"postgresql": "make_pg_database", "mariadb": "make_mariadb_database"}[request.param]
    return request.getfixturevalue(make)("bookings_suite")


def load(url: str, rows: dict) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        metadata.drop_all(conn)
        metadata.create_all(conn)
        for name, table_rows in rows.items():
            conn.execute(metadata.tables[name].insert(), table_rows)
    engine.dispose()


def verdicts(results) -> dict:
    return {r.check: (r.status, r.violations) for r in results}


def test_suite_passes_on_clean_bookings(database):
    load(database, CLEAN)
    results = validate_table(SUITE, database, "bookings")
    assert [r.check for r in results] == CHECKS
    assert verdicts(results) == {c: ("pass", 0) for c in CHECKS}
    assert {r.details["table"] for r in results} == {"bookings", "access_codes"}
    assert results[-1].details["table"] == "access_codes"
    assert results[0].observed == {"unexpected": 0, "of": 6}
    assert results[-1].observed == {"unexpected": 0, "of": 4}


def test_each_planted_fault_fails_its_expectation_with_the_exact_rows(database):
    load(database, BAD)
    results = {r.check: r for r in validate_table(SUITE, database, "bookings")}
    assert verdicts(results.values()) == {
        "bookings_unique_id": ("fail", 2),
        "bookings_status_known": ("fail", 1),
        "bookings_check_out_after_check_in": ("fail", 2),
        "bookings_property_not_null": ("pass", 0),
        "bookings_guest_not_null": ("fail", 1),
        "bookings_check_in_not_null": ("pass", 0),
        "bookings_check_out_not_null": ("pass", 0),
        "access_code_format": ("fail", 3),
    }
    assert sorted(s["id"] for s in results["bookings_unique_id"].samples) == [3, 3]
    assert [s["id"] for s in results["bookings_status_known"].samples] == [4]
    assert sorted(s["id"] for s in results["bookings_check_out_after_check_in"].samples) == [5, 6]
    assert [s["id"] for s in results["bookings_guest_not_null"].samples] == [7]
    assert sorted(s["booking_id"] for s in results["access_code_format"].samples) == [2, 3, 6]
    assert results["bookings_status_known"].observed == {"unexpected": 1, "of": 8}
    assert results["access_code_format"].threshold == Threshold(regex="^[0-9]{6}$")


def test_a_threshold_edited_in_the_suite_json_changes_the_verdict(database, tmp_path):
    load(database, BAD)
    suite = json.loads(SUITE.read_text())
    by_check = {e["meta"]["check"]: e for e in suite["expectations"]}
    by_check["bookings_status_known"]["kwargs"]["mostly"] = 0.8            # 7 of 8 known: 87.5 %
    by_check["bookings_check_out_after_check_in"]["kwargs"]["mostly"] = 0.8  # 6 of 8: 75 %, still failing
    by_check["access_code_format"]["kwargs"]["regex"] = "^[0-9a-z-]{5,7}$"
    edited = tmp_path / "suites" / "bookings.json"
    edited.parent.mkdir()
    edited.write_text(json.dumps(suite))
    results = {r.check: r for r in validate_table(edited, database, "bookings")}
    assert verdicts([results[c] for c in ("bookings_status_known", "bookings_check_out_after_check_in",
                                          "access_code_format")]) == {
        "bookings_status_known": ("pass", 1),
        "bookings_check_out_after_check_in": ("fail", 2),
        "access_code_format": ("pass", 0),
    }
    assert results["bookings_status_known"].threshold == Threshold(
        value_set=("pending", "confirmed", "in-progress", "completed", "cancelled"), mostly=0.8)
    # the shipped suite, unchanged, still fails the same data
    assert verdicts(validate_table(SUITE, database, "bookings"))["bookings_status_known"] == ("fail", 1)


def test_suite_on_a_missing_table_is_an_error_per_expectation_not_a_crash(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        access_codes.create(conn)
    engine.dispose()
    shutil.copy(SUITE, tmp_path / "bookings.json")
    results = validate_table(tmp_path / "bookings.json", url, "bookings")
    assert [(r.check, r.status) for r in results] == [(c, "error") for c in CHECKS[:-1]] + \
           [("access_code_format", "pass")]
    assert all(r.message.startswith("bookings: ") for r in results[:-1])
