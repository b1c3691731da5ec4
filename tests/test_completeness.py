"""Migration completeness (`bookings_migrated`: the snapshot dataset `bookings` through the
row-diff engine) on MariaDB old + PostgreSQL new and on SQLite: exactly the missing and
changed active/future bookings; past completed (or cancelled) bookings are not required."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from integrity_fixtures import UTC, copy_project, pg_mariadb_bookings, sqlite_demo, today_utc, use_sources  # noqa: F401  (fixtures)

from reconciler.checks.registry import CheckContext, run_check
from reconciler.config import load_config
from reconciler.demo.bookings import (
    Stay,
    clear_bookings,
    create_booking_schema,
    device_rows,
    find_rows,
    merge_rows,
    stay_rows,
    write_rows,
)
from reconciler.sources.connection import open_sources
from reconciler.thresholds import Threshold

DAY = timedelta(days=1)


def migrated(tmp_path, monkeypatch, old_url: str, new_url: str, now: datetime | None = None):
    """Run the shipped `bookings_migrated` check; (CheckResult, CompareResult)."""
    config = copy_project(tmp_path / "project")
    use_sources(monkeypatch, old_url, new_url)
    loaded = load_config(config)
    sources = open_sources(loaded)
    try:
        outcome = run_check(CheckContext(loaded, sources, now=now or datetime.now(UTC)),
                            "bookings_migrated")
    finally:
        for s in sources.values():
            s.dispose()
    assert [r.check for r in outcome.results] == ["bookings.complete", "bookings.summary"]
    return outcome.results[0], outcome.compare


def keys(samples) -> list[int]:
    return sorted(s["key"]["id"] for s in samples)


@pytest.mark.parametrize("pair_name", ["pg_mariadb_bookings", "sqlite_demo"])
def test_demo_completeness_reports_exactly_the_planted_missing_and_changed(request, tmp_path, monkeypatch,
                                                                          pair_name):
    pair = request.getfixturevalue(pair_name)
    planted = pair["planted"]["completeness"]
    result, compare = migrated(tmp_path, monkeypatch, pair["old"], pair["new"])
    missing, changed, extra = planted["missing_in_new"], planted["changed_in_new"], planted["extra_in_new"]
    assert (result.check, result.status) == ("bookings.complete", "fail")
    assert result.observed == {"missing_in_new": len(missing), "mismatched": len(changed),
                               "extra_in_new": len(extra)}
    assert result.violations == len(missing) + len(changed)
    assert result.threshold == Threshold.at_most(0, "rows missing or changed")
    assert (result.config_check, result.check_type, result.window) == ("bookings_migrated", "rows", None)
    assert (compare.mode, compare.window, compare.as_of == result.as_of, compare.hours) == ("snapshot", None, True, [])
    assert keys(compare.samples["missing_in_new"]) == missing
    assert keys(compare.samples["extra_in_new"]) == extra
    mismatched = {s["key"]["id"]: s["columns"] for s in compare.samples["mismatched"]}
    guest_changed = [b for b in changed if b not in (210, 216)]
    assert mismatched == {guest_changed[0]: ["guest_id"], 210: ["status"], 216: ["status"]}
    by_id = {s["key"]["id"]: s for s in compare.samples["mismatched"]}
    assert (by_id[210]["old"]["status"], by_id[210]["new"]["status"]) == ("cancelled", "confirmed")
    assert (by_id[216]["old"]["status"], by_id[216]["new"]["status"]) == ("in-progress", "completed")
    reported = {s["key"]["id"] for kind in ("missing_in_new", "extra_in_new", "mismatched")
                for s in compare.samples[kind]}
    assert not reported & set(planted["past_not_migrated"])
    assert len(planted["past_not_migrated"]) > 0
    totals = compare.totals
    assert (totals["missing_in_new"], totals["mismatched"], totals["extra_in_new"]) == (2, 3, 1)
    assert totals["matched"] == totals["old"] - 5
    assert totals["new"] == totals["old"] - 2 + 1


# ------------------------------------------------------------ a small exact scenario

def small_scenario(today):
    """Old bookings (id: what happens in new) around `today`:
    1 completed, out 10 days ago   -- not migrated: not required
    2 completed, out today         -- not migrated: REQUIRED (check_out >= today)
    3 cancelled, out 3 days ago    -- not migrated: not required
    4 cancelled, out in 5 days     -- migrated with another guest: REQUIRED, changed
    5 pending, in the future       -- migrated equal
    6 in-progress                  -- migrated as completed: changed status
    7 confirmed, out 2 days ago    -- not migrated: REQUIRED (status confirmed)
    8 completed, out 20 days ago   -- migrated with another guest: not compared
    9 (new only) confirmed         -- extra in new: reported, not failing."""
    t = lambda n: today + n * DAY
    old_stays = [Stay(1, 1, 101, "completed", t(-14), t(-10)), Stay(2, 1, 102, "completed", t(-3), t(0)),
                 Stay(3, 2, 103, "cancelled", t(-6), t(-3)), Stay(4, 2, 104, "cancelled", t(2), t(5)),
                 Stay(5, 3, 105, "pending", t(8), t(11)), Stay(6, 3, 106, "in-progress", t(-1), t(2)),
                 Stay(7, 1, 107, "confirmed", t(-5), t(-2)), Stay(8, 2, 108, "completed", t(-24), t(-20))]
    devices = {"devices": device_rows([1, 2, 3])}
    old = merge_rows(devices, *(stay_rows(s, today) for s in old_stays))
    kept = [s for s in old_stays if s.id in (4, 5, 6, 8)] + [Stay(9, 1, 109, "confirmed", t(20), t(23))]
    new = merge_rows(devices, *(stay_rows(s, today) for s in kept))
    find_rows(new, "bookings", 4)[0]["guest_id"] = 999
    find_rows(new, "bookings", 6)[0]["status"] = "completed"
    find_rows(new, "bookings", 8)[0]["guest_id"] = 998
    return old, new


@pytest.fixture(params=["mariadb_to_postgresql", "sqlite"])
def small_pair(request, tmp_path):
    if request.param == "sqlite":
        urls = {"old": f"sqlite:///{tmp_path / 'old.db'}", "new": f"sqlite:///{tmp_path / 'new.db'}"}
    else:
        urls = {"old": request.getfixturevalue("make_mariadb_database")("complete_old"),
                "new": request.getfixturevalue("make_pg_database")("complete_new")}
    return urls


def write_pair(urls, old_rows, new_rows):
    for url, rows in ((urls["old"], old_rows), (urls["new"], new_rows)):
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            create_booking_schema(conn)
            clear_bookings(conn)
            write_rows(conn, rows)
        engine.dispose()


def test_completeness_missing_changed_and_irrelevant(small_pair, tmp_path, monkeypatch):
    old, new = small_scenario(today_utc())
    write_pair(small_pair, old, new)
    result, compare = migrated(tmp_path, monkeypatch, small_pair["old"], small_pair["new"])
    assert result.status == "fail"
    assert result.observed == {"missing_in_new": 2, "mismatched": 2, "extra_in_new": 1}
    assert result.violations == 4
    assert keys(compare.samples["missing_in_new"]) == [2, 7]
    assert [(s["key"]["id"], s["columns"]) for s in sorted(compare.samples["mismatched"],
                                                           key=lambda s: s["key"]["id"])] == \
           [(4, ["guest_id"]), (6, ["status"])]
    assert keys(compare.samples["extra_in_new"]) == [9]
    # old selects 2, 4, 5, 6, 7; new selects 4, 5, 6, 9
    assert {k: compare.totals[k] for k in ("old", "new", "matched")} == {"old": 5, "new": 4, "matched": 1}
    assert keys(result.samples) == [2, 4, 6, 7]


def test_completeness_passes_when_only_past_bookings_are_missing_and_new_has_extra(small_pair, tmp_path,
                                                                                   monkeypatch):
    old, new = small_scenario(today_utc())
    # migrate 2, 7 and fix 4, 6 -- what is left: 1, 3 (past, missing), 8 (past, changed), 9 (extra)
    for booking_id in (2, 7):
        new["bookings"] += [dict(r) for r in find_rows(old, "bookings", booking_id)]
    find_rows(new, "bookings", 4)[0]["guest_id"] = 104
    find_rows(new, "bookings", 6)[0]["status"] = "in-progress"
    write_pair(small_pair, old, new)
    result, compare = migrated(tmp_path, monkeypatch, small_pair["old"], small_pair["new"])
    assert result.status == "pass"
    assert result.observed == {"missing_in_new": 0, "mismatched": 0, "extra_in_new": 1}
    assert (result.violations, result.samples) == (0, [])
    assert keys(compare.samples["extra_in_new"]) == [9]
    assert {k: compare.totals[k] for k in ("old", "new", "matched")} == {"old": 5, "new": 6, "matched": 5}


def test_a_booking_the_new_filter_leaves_out_is_changed_not_missing_and_today_is_the_runs(
        small_pair, tmp_path, monkeypatch):
    """Booking 7 (confirmed, out two days ago) was migrated but is `completed` in new, so the
    new side's filter does not select it: it is looked up by key and reported as changed.
    The run's clock, not the machine's, decides what `:today` is."""
    today = datetime(2026, 3, 15).date()
    old, new = small_scenario(today)
    new["bookings"] += [dict(r, status="completed") for r in find_rows(old, "bookings", 7)]
    write_pair(small_pair, old, new)
    result, compare = migrated(tmp_path, monkeypatch, small_pair["old"], small_pair["new"],
                               now=datetime(2026, 3, 15, 12, tzinfo=UTC))
    assert result.observed == {"missing_in_new": 1, "mismatched": 3, "extra_in_new": 1}
    assert keys(compare.samples["missing_in_new"]) == [2]
    assert [(s["key"]["id"], s["columns"]) for s in sorted(compare.samples["mismatched"],
                                                           key=lambda s: s["key"]["id"])] == \
           [(4, ["guest_id"]), (6, ["status"]), (7, ["status"])]


def test_the_per_status_summary_compares_counts_and_distinct_guests(small_pair, tmp_path, monkeypatch):
    """The migration plan's own query (bookings and distinct guests per status) is weaker than
    the row diff: 7 (confirmed) missing and 9 (confirmed) extra cancel out, 2 and 6 swap
    `completed`; only in-progress differs."""
    old, new = small_scenario(today_utc())
    write_pair(small_pair, old, new)
    config = copy_project(tmp_path / "project")
    use_sources(monkeypatch, small_pair["old"], small_pair["new"])
    loaded = load_config(config)
    sources = open_sources(loaded)
    try:
        compare = run_check(CheckContext(loaded, sources, now=datetime.now(UTC)),
                            "bookings_migrated").compare
    finally:
        for s in sources.values():
            s.dispose()
    summary = next(c for c in compare.checks if c.check == "bookings.summary")
    assert summary.status == "fail" and summary.violations == 1
    assert summary.observed == [
        {"status": status, "old": o, "new": n, "old_guest_id": o, "new_guest_id": n}
        for status, o, n in [("cancelled", 1, 1), ("completed", 1, 1), ("confirmed", 1, 1),
                             ("in-progress", 1, 0), ("pending", 1, 1)]]
    assert compare.status == "fail"


def test_compare_of_a_snapshot_dataset_says_as_of_and_no_window(tmp_path, monkeypatch, capfd, sqlite_demo):
    """`reconciler compare bookings`: the JSON contract of a snapshot (window null, as_of the moment
    it was read), not a sentinel window of two centuries."""
    import json
    from pathlib import Path

    import jsonschema
    from integrity_fixtures import run_cli

    config = copy_project(tmp_path / "project")
    use_sources(monkeypatch, sqlite_demo["old"], sqlite_demo["new"])
    before = datetime.now(UTC).replace(microsecond=0)
    code, out, err = run_cli(capfd, "--config", config, "compare", "bookings", "--format", "json")
    assert code == 1, err  # the demo's planted missing and changed bookings
    doc = json.loads(out)
    schema = json.loads((Path(__file__).resolve().parent.parent / "docs" / "schemas" / "compare.schema.json").read_text())
    jsonschema.validate(doc, schema)
    assert (doc["mode"], doc["window"], doc["hours"]) == ("snapshot", None, [])
    assert datetime.fromisoformat(doc["as_of"].replace("Z", "+00:00")) >= before
    assert [(c["check"], c["window"], c["as_of"]) for c in doc["checks"]] == [
        ("bookings.complete", None, doc["as_of"]), ("bookings.summary", None, doc["as_of"])]
