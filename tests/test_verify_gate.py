"""`gate --phase decommission`: its history_verified criterion reads the latest complete
verification: GO with the whole history identical and the old side read-only at its start
and end, NO-GO with a difference or a writable old side, INCOMPLETE without a verification
or with one that does not reach the oldest row."""

from __future__ import annotations

import json
import subprocess
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from rowdiff_fixtures import events, load_events, new_table, old_table
from test_verify import ENV
from verify_fixtures import START, cli_command, planted_history, verify_schedule

from reconciler.config import load_config
from reconciler.formatting import count
from reconciler.gate import evaluate_gate
from reconciler.gate.render import gate_lines
from reconciler.gate.summary import index_view
from reconciler.report import render_index
from reconciler.store import ReportStore
from reconciler.timeutil import iso
from reconciler.verify import VerifyRequest, verify_dataset

UTC = timezone.utc


@pytest.fixture(scope="module")
def identical(make_pg_database, make_timescale_database):
    old_url, new_url = make_pg_database("verify_same_old"), make_timescale_database("verify_same_new")
    history = events(START, 48, 0.02, seed=5)
    load_events(old_url, old_table("legacy_events"), history)
    load_events(new_url, new_table("device_events"), history, kind="timescaledb")
    return old_url, new_url, len(history), min(e["time"] for e in history)


@contextmanager
def read_only(url: str):
    """The database read-only for every new session (ALTER DATABASE ... SET), reset after."""
    u = sa.engine.make_url(url)
    admin = sa.create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{u.database}" SET default_transaction_read_only = on')
        yield f"default_transaction_read_only = on for database {u.database}, every role"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{u.database}" RESET default_transaction_read_only')
        admin.dispose()


def _gate(path):
    loaded = load_config(path)
    store = ReportStore(loaded.config.report_store.url)
    store.upgrade()
    try:
        report = evaluate_gate(store, loaded, datetime.now(UTC) + timedelta(minutes=1), phase="decommission")
    finally:
        store.close()
    (outcome,) = report.outcomes
    return report, outcome


def _verify(path, **request):
    loaded = load_config(path)
    store = ReportStore(loaded.config.report_store.url)
    store.upgrade()
    try:
        return verify_dataset(loaded, store, VerifyRequest("device_events", **request))
    finally:
        store.close()


def test_incomplete_without_a_verification(tmp_path, identical):
    old_url, new_url, _, _ = identical
    path = verify_schedule(tmp_path, old_url, new_url, f"sqlite:///{tmp_path}/store.db")
    report, outcome = _gate(path)
    assert (report.verdict, report.exit_code) == ("incomplete", 4)
    assert (outcome.criterion, outcome.state) == ("history_verified", "incomplete")
    assert outcome.summary == ("device_events: no complete verification (run `reconciler verify device_events` "
                               "with the old side read-only)")
    lines = gate_lines(report)
    assert lines[0] == (f"gate decommission: the latest complete verification of each dataset finished by "
                        f"{iso(report.observed_until.replace(microsecond=0))}, datasets: device_events")
    assert lines[2:] == ["verified device_events: no complete verification",
                         "verdict: INCOMPLETE — incomplete evidence: history_verified"]
    assert report.headline == ("gate decommission: INCOMPLETE (incomplete: history_verified), whole history "
                               "verified for 0 of 1 dataset(s)")
    store = ReportStore(f"sqlite:///{tmp_path}/store.db")
    try:
        html = render_index(store, report.observed_until, gate=index_view(report))
    finally:
        store.close()
    head = html[html.index("<h2>Gate"):html.index('<table class="gate-criteria">')]
    assert head == ("<h2>Gate (decommission): INCOMPLETE</h2>\n"
                    '<p class="muted">verified device_events: no complete verification</p>\n')


def test_go_when_the_whole_history_is_identical_and_the_old_side_read_only(tmp_path, identical):
    old_url, new_url, rows, oldest = identical
    path = verify_schedule(tmp_path, old_url, new_url, f"sqlite:///{tmp_path}/store.db")
    with read_only(old_url) as detail:
        verified = _verify(path)
    doc = verified.to_dict()
    assert doc["old_read_only"] == {"at_start": True, "at_start_detail": detail, "at_end": True,
                                    "at_end_detail": detail}
    assert (doc["status"], doc["totals"]["matched"], verified.exit_code) == ("pass", rows, 0)
    report, outcome = _gate(path)
    assert (report.verdict, report.exit_code, outcome.state) == ("go", 0, "met")
    assert outcome.summary == (f"device_events: verification 1 (2026-11-20T00:00:00Z → 2026-11-22T00:00:00Z) found "
                               f"{rows} old and {rows} new rows identical, old side read-only at its start and end")
    assert outcome.extra == {"verifications": {"device_events": 1}}
    [view] = report.verifications
    finished = view["finished_at"]
    assert view == {"dataset": "device_events", "state": "met", "verification": 1,
                    "range": {"start": "2026-11-20T00:00:00Z", "end": "2026-11-22T00:00:00Z"}, "whole_history": True,
                    "rows": {"oldest": iso(oldest), "newest": view["rows"]["newest"]}, "finished_at": finished,
                    "found": {"old": rows, "new": rows, "differences": 0, "unverified": 0}}
    assert view["rows"]["newest"] < "2026-11-22T00:00:00Z" and finished == doc["finished_at"]
    assert gate_lines(report)[1:] == [
        f"  history_verified  MET         {outcome.summary}",
        f"verified device_events: verification 1, 2026-11-20T00:00:00Z → 2026-11-22T00:00:00Z (the whole history), "
        f"finished {finished}: {count(rows)} old and {count(rows)} new rows, 0 difference(s), 0 unverified",
        "verdict: GO — every criterion is met"]
    assert report.headline == "gate decommission: GO, whole history verified for 1 of 1 dataset(s)"
    gate = subprocess.run([*cli_command(path)[:-2], "gate", "--phase", "decommission", "--format", "json"],
                          capture_output=True, text=True, env=ENV, timeout=120)
    assert gate.returncode == 0, gate.stderr
    doc = json.loads(gate.stdout)
    assert (doc["criteria"][0]["state"], doc["period_judged"], doc["verifications"]) == ("met", False, [view])
    assert {"period", "hours", "clean_evidence"} <= set(doc)  # the contract's keys stay


def test_no_go_when_the_old_side_was_writable(tmp_path, identical):
    old_url, new_url, _, _ = identical
    path = verify_schedule(tmp_path, old_url, new_url, f"sqlite:///{tmp_path}/store.db")
    assert _verify(path).exit_code == 0
    report, outcome = _gate(path)
    database = sa.engine.make_url(old_url).database
    assert (report.verdict, report.exit_code, outcome.state) == ("no-go", 1, "not met")
    writable = (f"database {database} accepts writes: neither a standby nor default_transaction_read_only = on "
                "(ALTER DATABASE ... SET)")
    # every condition not met is named, not only the first
    assert outcome.summary == (
        f"device_events: verification 1 (2026-11-20T00:00:00Z → 2026-11-22T00:00:00Z): the old side was not "
        f"read-only at its start ({writable}): make it read-only and verify again; the old side was not read-only "
        f"at its end ({writable}): make it read-only and verify again")


def test_no_go_when_the_history_differs(tmp_path, make_pg_database, make_timescale_database):
    old_url, new_url = make_pg_database("verify_gate_old"), make_timescale_database("verify_gate_new")
    planted_history(old_url, new_url)
    path = verify_schedule(tmp_path, old_url, new_url, f"sqlite:///{tmp_path}/store.db")
    with read_only(old_url):
        assert _verify(path).exit_code == 1
    report, outcome = _gate(path)
    assert (report.verdict, outcome.state) == ("no-go", "not met")
    assert outcome.summary == ("device_events: verification 1 (2026-11-20T00:00:00Z → 2026-11-25T00:00:00Z): found "
                               "6 difference(s) (mismatched 2, missing_in_new 3, extra_in_new 1)")
    assert outcome.worst.value == 6 and outcome.worst.dataset == "device_events"
    assert gate_lines(report)[2].startswith(
        "verified device_events: verification 1, 2026-11-20T00:00:00Z → 2026-11-25T00:00:00Z (the whole history), "
        "finished ")
    assert gate_lines(report)[2].endswith(f"Z: {count(8516)} old and {count(8514)} new rows, 6 difference(s), 0 unverified")


def test_incomplete_when_the_verification_starts_after_the_oldest_row(tmp_path, identical):
    old_url, new_url, _, oldest = identical
    path = verify_schedule(tmp_path, old_url, new_url, f"sqlite:///{tmp_path}/store.db")
    with read_only(old_url):
        assert _verify(path, since=START + timedelta(days=1)).exit_code == 0
    report, outcome = _gate(path)
    assert (report.verdict, outcome.state) == ("incomplete", "incomplete")
    assert outcome.summary == ("device_events: verification 1 (2026-11-21T00:00:00Z → 2026-11-22T00:00:00Z): it "
                               f"starts after the oldest row ({iso(oldest)}): verify without --since")
    [view] = report.verifications
    assert (view["state"], view["whole_history"]) == ("incomplete", False)
    assert gate_lines(report)[2].startswith(
        "verified device_events: verification 1, 2026-11-21T00:00:00Z → 2026-11-22T00:00:00Z (not the whole history: "
        f"rows from {iso(oldest)} to {view['rows']['newest']}), finished ")


def test_incomplete_when_the_verification_ends_before_the_newest_row(tmp_path, identical):
    old_url, new_url, _, _ = identical
    path = verify_schedule(tmp_path, old_url, new_url, f"sqlite:///{tmp_path}/store.db")
    with read_only(old_url):
        verified = _verify(path, until=START + timedelta(days=1))
    assert verified.exit_code == 0 and verified.whole_history is False
    report, outcome = _gate(path)
    assert (report.verdict, outcome.state) == ("incomplete", "incomplete")
    assert outcome.summary.startswith("device_events: verification 1 (2026-11-20T00:00:00Z → 2026-11-21T00:00:00Z): "
                                      "it ends before the newest row (2026-11-21T")
    assert outcome.summary.endswith("): verify without --until")


def test_a_phases_key_keeps_the_plans_decommission_phase(tmp_path):
    from reconciler.config.phases import default_phases

    path = tmp_path / "schedule.yaml"
    path.write_text("sources:\n  old: {url: 'sqlite:///a.db'}\n  new: {url: 'sqlite:///b.db'}\n"
                    "phases:\n  shadow: {days: 3}\ncurrent_phase: decommission\n")
    phases = load_config(path).config.phases
    assert list(phases) == ["shadow", "traffic-split", "booking-cutover", "decommission"]
    assert phases["shadow"].days == 3
    assert phases["decommission"] == default_phases()["decommission"]


def test_a_history_changed_between_attempts_is_verified_again_not_resumed(tmp_path, make_pg_database,
                                                                          make_timescale_database):
    """Attempt 1 (old read-only) stops after a day; the old side is made writable, loses a row
    of that day and is made read-only again; attempt 2 finds the old side read-only at its
    start and at its end. Resuming would have kept day 1's stale "equal" and said GO on a
    history that differs. The old side's row count in the range, remembered from attempt 1,
    has changed: the days are verified again and the gate says no-go."""
    old_url, new_url = make_pg_database("verify_changed_old"), make_timescale_database("verify_changed_new")
    history = events(START, 48, 0.02, seed=9)
    load_events(old_url, old_table("legacy_events"), history)
    load_events(new_url, new_table("device_events"), history, kind="timescaledb")
    path = verify_schedule(tmp_path, old_url, new_url, f"sqlite:///{tmp_path}/store.db")
    loaded = load_config(path)
    store = ReportStore(loaded.config.report_store.url)
    store.upgrade()
    first_day = next(e for e in history if e["time"] < START + timedelta(days=1))

    def stop_on_the_second_day(day):
        if day > START:
            raise KeyboardInterrupt

    try:
        with read_only(old_url):
            with pytest.raises(KeyboardInterrupt):
                verify_dataset(loaded, store, VerifyRequest("device_events"), before_day=stop_on_the_second_day)
        assert [d["equal"] for d in store.verifications.days(1)] == [True]
        engine = sa.create_engine(old_url)
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM legacy_events WHERE id = :id"), {"id": first_day["id"]})
        engine.dispose()
        with read_only(old_url):
            report = verify_dataset(loaded, store, VerifyRequest("device_events"))
    finally:
        store.close()
    assert (report.verification["id"], report.resumed_days) == (1, 0)
    assert (report.totals["old"], report.totals["new"], report.totals["extra_in_new"]) == \
        (len(history) - 1, len(history), 1)
    gate, outcome = _gate(path)
    assert (gate.verdict, outcome.state) == ("no-go", "not met")
