"""Booking rules against a legacy schema: the old side (MariaDB or SQLite) keeps its bookings in
`reservas` with other column names and upper-case states, the new side (PostgreSQL or SQLite) has
the reference schema. `no_overlapping_bookings.old.sql` is the rule's variant for the old source;
`--source both` compares the violations by the rule's `-- key:` columns. A rule with no variant
whose table the old side lacks is an `error` naming the table, and the others still run.
Severity overrides in schedule.yaml and rule-folder mistakes are checked at load time."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from integrity_fixtures import ROOT, run_cli

from reconciler.config import load_config
from reconciler.demo.bookings import create_booking_schema
from reconciler.errors import ConfigError

RULES = ROOT / "checks" / "bookings"

LEGACY_OVERLAPS = """\
-- description: no_overlapping_bookings on the legacy schema: reservas(reserva_id,
--   propiedad, estado, entrada, salida), states in upper case.
SELECT a.reserva_id AS booking_id, b.reserva_id AS other_booking_id, a.propiedad AS property_id,
       a.entrada AS check_in, a.salida AS check_out,
       b.entrada AS other_check_in, b.salida AS other_check_out,
       LOWER(a.estado) AS status, LOWER(b.estado) AS other_status
FROM reservas a
JOIN reservas b
  ON b.propiedad = a.propiedad
 AND a.reserva_id < b.reserva_id
 AND a.entrada < b.salida
 AND b.entrada < a.salida
WHERE a.estado <> 'CANCELLED'
  AND b.estado <> 'CANCELLED'
"""

legacy = sa.MetaData()
reservas = sa.Table(
    "reservas", legacy,
    sa.Column("reserva_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("propiedad", sa.Integer, nullable=False),
    sa.Column("estado", sa.String(20), nullable=False),
    sa.Column("entrada", sa.Date, nullable=False),
    sa.Column("salida", sa.Date, nullable=False),
)


def stay(i, prop, status, check_in, check_out):
    return {"id": i, "property_id": prop, "guest_id": 100 + i, "status": status,
            "check_in": date(2026, 3, check_in), "check_out": date(2026, 3, check_out),
            "created_at": datetime(2026, 3, 1), "updated_at": datetime(2026, 3, 1)}


# old: 1/2 overlap (inherited), 5/6 overlap (fixed in new: resolved), 3/4 back to back
OLD = [(1, 1, "CONFIRMED", 10, 14), (2, 1, "PENDING", 12, 15), (3, 2, "CONFIRMED", 10, 12),
       (4, 2, "CONFIRMED", 12, 14), (5, 3, "CONFIRMED", 10, 13), (6, 3, "CONFIRMED", 11, 12),
       (7, 4, "CANCELLED", 10, 13), (8, 4, "CONFIRMED", 11, 12)]
# new: 1/2 still overlap (its other columns differ in form only), 4 moved onto 3 (new), 6 cancelled
NEW = [stay(1, 1, "confirmed", 10, 14), stay(2, 1, "pending", 12, 15), stay(3, 2, "confirmed", 10, 12),
       stay(4, 2, "confirmed", 11, 14), stay(5, 3, "confirmed", 10, 13), stay(6, 3, "cancelled", 11, 12),
       stay(7, 4, "cancelled", 10, 13), stay(8, 4, "confirmed", 11, 12)]


def load_pair(old_url: str, new_url: str) -> None:
    old, new = sa.create_engine(old_url), sa.create_engine(new_url)
    try:
        with old.begin() as conn:
            legacy.drop_all(conn)
            legacy.create_all(conn)
            conn.execute(reservas.insert(), [
                {"reserva_id": i, "propiedad": p, "estado": s, "entrada": date(2026, 3, a),
                 "salida": date(2026, 3, b)} for i, p, s, a, b in OLD])
        with new.begin() as conn:
            create_booking_schema(conn)
            conn.execute(sa.text("DELETE FROM bookings"))
            conn.execute(sa.text("DELETE FROM notifications"))
            conn.execute(sa.table("bookings", *[sa.column(c) for c in NEW[0]]).insert(), NEW)
    finally:
        old.dispose()
        new.dispose()


@pytest.fixture(params=["mariadb-old+postgresql-new", "sqlite-old+sqlite-new"])
def pair(request, tmp_path):
    if request.param.startswith("sqlite"):
        urls = f"sqlite:///{tmp_path / 'old.db'}", f"sqlite:///{tmp_path / 'new.db'}"
    else:
        urls = (request.getfixturevalue("make_mariadb_database")("legacy_old"),
                request.getfixturevalue("make_pg_database")("legacy_new"))
    load_pair(*urls)
    return urls


def project(directory: Path, old_url: str, new_url: str, overrides: str = "", variant: str = LEGACY_OVERLAPS,
            key: str = "-- key: booking_id, other_booking_id\n") -> Path:
    rules = directory / "rules"
    rules.mkdir(exist_ok=True)
    shipped_key = "-- key: booking_id, other_booking_id\n"
    portable = (RULES / "no_overlapping_bookings.sql").read_text().replace(shipped_key, "")
    (rules / "no_overlapping_bookings.sql").write_text(
        portable.replace("-- severity: critical\n", f"-- severity: critical\n{key}"))
    (rules / "no_overlapping_bookings.old.sql").write_text(variant)
    shutil.copy(RULES / "notifications_sent.sql", rules / "notifications_sent.sql")
    path = directory / "schedule.yaml"
    path.write_text(f'sources:\n  old: {{url: "{old_url}"}}\n  new: {{url: "{new_url}"}}\n'
                    f"checks:\n  bookings: {{type: sql, source: both, rules: rules{overrides}}}\n")
    return path


def test_a_legacy_old_side_with_a_per_source_rule_file_compared_both(pair, tmp_path, capfd, monkeypatch):
    monkeypatch.chdir(tmp_path)
    project(tmp_path, *pair)
    code, out, _ = run_cli(capfd, "check", "--source", "both", "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["status"] == "error"
    overlaps, notifications = doc["rules"]
    assert (overlaps["rule"], overlaps["status"], overlaps["new"], overlaps["inherited"], overlaps["violations"]) == \
        ("no_overlapping_bookings", "fail", 1, 1, 2)
    assert [(s["classification"], s["booking_id"], s["other_booking_id"], s["check_in"], s["status"])
            for s in overlaps["samples"]] == [("new", 3, 4, "2026-03-10", "confirmed"),
                                              ("inherited", 1, 2, "2026-03-10", "confirmed")]
    assert overlaps["message"] == "1 inherited violation(s) also present in old (warning); 1 new"
    # no variant for the old side, whose schema has no `bookings`: an error naming the table
    assert (notifications["rule"], notifications["status"], notifications["violations"]) == (
        "notifications_sent", "error", 0)
    missing = "notifications" if "mysql" in pair[0] else "bookings"  # MariaDB names the first it resolves
    assert notifications["message"].startswith(
        f"old: rules/notifications_sent.sql: table {missing} does not exist on source 'old' (the rule expects the "
        "reference booking schema of docs/rules.md; for another schema add notifications_sent.old.sql beside it): ")

    code, out, _ = run_cli(capfd, "check", "no_overlapping_bookings", "--source", "old", "--format", "json")
    [old_only] = json.loads(out)["rules"]
    assert (code, old_only["status"], [(s["booking_id"], s["other_booking_id"]) for s in old_only["samples"]]) == \
        (1, "fail", [(1, 2), (5, 6)])
    assert old_only["file"] == "rules/no_overlapping_bookings.sql"


def test_a_variant_missing_the_key_column_is_an_error_of_that_rule(pair, tmp_path, capfd, monkeypatch):
    monkeypatch.chdir(tmp_path)
    project(tmp_path, *pair, variant=LEGACY_OVERLAPS.replace("b.reserva_id AS other_booking_id", "b.reserva_id"))
    code, out, _ = run_cli(capfd, "check", "no_overlapping_bookings", "--source", "both", "--format", "json")
    [rule] = json.loads(out)["rules"]
    assert (code, rule["status"], rule["message"]) == (
        1, "error", "old: rules/no_overlapping_bookings.old.sql returns no column 'other_booking_id' (its key)")


def test_severity_override_in_schedule_yaml(tmp_path, capfd, monkeypatch):
    monkeypatch.chdir(tmp_path)
    old_url, new_url = f"sqlite:///{tmp_path / 'old.db'}", f"sqlite:///{tmp_path / 'new.db'}"
    load_pair(old_url, new_url)
    project(tmp_path, old_url, new_url, overrides=", severity_overrides: {notifications_sent: warning}")
    code, out, _ = run_cli(capfd, "check", "notifications_sent", "--source", "new", "--format", "json")
    [rule] = json.loads(out)["rules"]
    # confirmed bookings 1, 3, 4, 5, 8 have no confirmation: reported, but a warning does not fail
    assert (code, rule["status"], rule["severity"], rule["violations"], rule["message"]) == (
        0, "pass", "warning", 5, "5 violation(s) of a warning rule on new")
    project(tmp_path, old_url, new_url)
    code, out, _ = run_cli(capfd, "check", "notifications_sent", "--source", "new", "--format", "json")
    assert (code, json.loads(out)["rules"][0]["status"]) == (1, "fail")


def test_rule_folder_mistakes_are_found_when_the_config_loads(tmp_path):
    path = project(tmp_path, "sqlite:///old.db", "sqlite:///new.db",
                   overrides=", severity_overrides: {notification_sent: warning}")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert str(e.value) == (f"{path}:5: checks.bookings.severity_overrides.notification_sent: unknown rule "
                            "'notification_sent' (rules in rules: no_overlapping_bookings, notifications_sent); "
                            "did you mean 'notifications_sent'?")
    project(tmp_path, "sqlite:///old.db", "sqlite:///new.db", overrides=", severity_overrides: {notifications_sent: "
                                                                         "minor}")
    with pytest.raises(ConfigError, match="severity_overrides.notifications_sent: must be one of 'critical' or "
                                          "'warning', got 'minor'"):
        load_config(path)

    project(tmp_path, "sqlite:///old.db", "sqlite:///new.db", key="")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    rules = tmp_path / "rules"
    assert str(e.value) == (
        f"{path}:5: checks.bookings.rules: {rules / 'no_overlapping_bookings.sql'}: this rule has per-source "
        "variants (no_overlapping_bookings.old.sql): declare the columns that identify a violation on every side "
        "with a header line such as `-- key: booking_id`")

    project(tmp_path, "sqlite:///old.db", "sqlite:///new.db")
    (rules / "no_overlapping_bookings.old.sql").rename(rules / "no_overlapping_bookings.olld.sql")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert str(e.value) == (f"{path}:5: checks.bookings.rules: {rules / 'no_overlapping_bookings.olld.sql'}: no "
                            "source named 'olld' (known: old, new); did you mean 'old'?")
    (rules / "no_overlapping_bookings.olld.sql").rename(rules / "no_overlaping_bookings.old.sql")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert str(e.value) == (f"{path}:5: checks.bookings.rules: {rules / 'no_overlaping_bookings.old.sql'}: a "
                            "per-source variant is named RULE.SOURCE.sql beside RULE.sql, and there is no "
                            "no_overlaping_bookings.sql; did you mean 'no_overlapping_bookings'?")
    (rules / "no_overlaping_bookings.old.sql").write_text("-- severity: warning\nSELECT 1\n")
    (rules / "no_overlaping_bookings.old.sql").rename(rules / "no_overlapping_bookings.old.sql")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert str(e.value) == (f"{path}:5: checks.bookings.rules: {rules / 'no_overlapping_bookings.old.sql'}:1: "
                            "unknown header key 'severity' (known: description)")


@pytest.mark.parametrize("engine", ["postgresql", "mariadb", "sqlite"])
def test_a_missing_table_is_named_on_every_engine(engine, tmp_path, request):
    from reconciler.checks.rules import load_rules, run_rules

    url = {"postgresql": lambda: request.getfixturevalue("make_pg_database")("legacy_missing"),
           "mariadb": lambda: request.getfixturevalue("make_mariadb_database")("legacy_missing"),
           "sqlite": lambda: f"sqlite:///{tmp_path / 'empty.db'}"}[engine]()
    rule = tmp_path / "needs_guests.sql"
    rule.write_text("-- description: needs a table that is not there\nSELECT g.id FROM guests g\n")
    db = sa.create_engine(url)
    try:
        [result] = run_rules(load_rules(rule), {"new": db})
    finally:
        db.dispose()
    assert (result.status, result.message.split(": ")[:3]) == (
        "error", ["new", str(rule), "table guests does not exist on source 'new' (the rule expects the reference "
                                    "booking schema of docs/rules.md; for another schema add needs_guests.new.sql "
                                    "beside it)"])
