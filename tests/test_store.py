"""Report store on SQLite and PostgreSQL: migrations, runs, the window ledger, watermarks,
retention, concurrent writers, window claims and crash safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from store_fixtures import PROVENANCE, T0, evidence_run, make_run, pg_database, pg_url, store_url  # noqa: F401

from reconciler.errors import SourceError, UsageError
from reconciler.report import render_json
from reconciler.results import CheckResult
from reconciler.store import ReportStore, judgements_of
from reconciler.store.schema import UTCDateTime, metadata
from reconciler.timeutil import HOUR, Window

TESTS = Path(__file__).parent
JOB = "hourly-shadow"


@pytest.fixture
def store(store_url):
    s = ReportStore(store_url)
    s.upgrade()
    yield s
    s.close()


def states(store, dataset="device_events"):
    return [(row["hour"], row["state"], row["judged_count"]) for row in store.ledger(dataset)]


# -- migrations ----------------------------------------------------------------------------

def test_migrations_from_empty_build_exactly_the_declared_schema(store_url):
    s = ReportStore(store_url)
    assert s.revision() is None
    assert s.upgrade() == "0007" == s.head()
    with s.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diffs == []
    s.close()


def test_upgrade_from_previous_revision_backfills_judgements(store_url):
    s = ReportStore(store_url)
    assert s.upgrade("0001") == "0001"
    at_t0 = sa.bindparam("h", T0, type_=UTCDateTime)
    with s.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO window_ledger (dataset, hour, state, verdict, run_id, updated_at)"
                             " VALUES ('device_events', :h, 'verified', 'pass', 3, :h)").bindparams(at_t0))
        for run_id, state in ((1, "drifted"), (2, "error"), (3, "verified")):
            conn.execute(sa.text("INSERT INTO ledger_verdicts (dataset, hour, run_id, state, judged_at)"
                                 " VALUES ('device_events', :h, :r, :s, :h)").bindparams(at_t0),
                         {"r": run_id, "s": state})
    assert s.upgrade() == s.head()
    assert s.ledger("device_events") == [{
        "dataset": "device_events", "hour": T0, "state": "verified", "verdict": "pass", "run_id": 3,
        "judged_count": 3, "last_judged_at": T0, "old": None, "new": None, "drift_pct": None,
        "last_error": None, "last_error_at": None, "last_error_run_id": None}]
    history = [(v["run_id"], v["state"], v["verdict"], v["superseded"], v["superseded_by"])
               for v in s.ledger_history("device_events", T0)]
    assert history == [(1, "drifted", "fail", True, 3), (2, "error", "error", True, 3),
                       (3, "verified", "pass", False, None)]
    assert s.downgrade("0001") == "0001"
    assert s.upgrade() == s.head()
    s.close()


def test_a_store_without_schema_says_how_to_create_it(tmp_path):
    s = ReportStore(f"sqlite:///{tmp_path}/empty.db")
    with pytest.raises(SourceError) as e:
        s.require_current_schema()
    assert str(e.value) == (f"report store sqlite:///{tmp_path}/empty.db has no schema yet, this version needs "
                            f"{s.head()}: run `reconciler db upgrade`")


def test_sqlite_store_creates_its_directory_and_uses_wal(tmp_path):
    s = ReportStore(f"sqlite:///{tmp_path}/deep/er/reconciler.db")
    s.upgrade()
    with s.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    assert (tmp_path / "deep" / "er" / "reconciler.db").exists()


def test_unreachable_store_is_a_source_error_without_password():
    s = ReportStore("postgresql://reconciler:hunter2@127.0.0.1:1/reports")
    with pytest.raises(SourceError) as e:
        s.list_runs()
    assert str(e.value) == ('report store postgresql://reconciler:***@127.0.0.1:1/reports: connection failed: '
                            'connection to server at "127.0.0.1", port 1 failed: Connection refused')


# -- runs ----------------------------------------------------------------------------------

def test_a_run_reads_back_as_it_was_recorded(store):
    run = evidence_run()
    run_id = store.record_run(run, **PROVENANCE, now=T0 + 4 * HOUR)
    stored = store.get_run(run_id)
    original = run.to_dict()
    assert json.dumps(stored["results"]) == json.dumps(original["results"])
    assert json.dumps(stored["compares"]) == json.dumps(original["compares"])
    assert stored["source_names"] == {"old": "mysql://legacy:***@old-db/events", "new": "postgresql://new-db/events"}
    assert (stored["id"], stored["status"], stored["recorded_at"], stored["duration_s"]) == (
        run_id, "fail", "2026-11-27T14:00:00Z", 4.0)
    assert states(store) == [(T0, "verified", 1), (T0 + HOUR, "drifted", 1), (T0 + 2 * HOUR, "verified", 1)]
    assert store.watermark(JOB) == T0 + 2 * HOUR


def comparison_run():
    """A run as a job builds it: the comparison's checks are the run's results too (the same
    objects), with samples, beside a result of its own."""
    run = make_run(JOB, T0, [(100, 100), (100, 90)])
    compare = run.compares[0]
    checks = [CheckResult("hourly_count_drift", "fail", violations=1, window=compare.window, check_type="counts",
                          config_check="event_counts", samples=[{"hour": "2026-11-27T11:00:00Z", "drift_pct": -10.0}],
                          details={"dataset": "device_events", "column": "drift_pct"}),
              CheckResult("row_match", "pass", window=compare.window, check_type="rows", config_check="event_rows",
                          details={"dataset": "device_events", "column": "match_pct"})]
    lag = CheckResult("lag.processing_lag", "pass", window=Window(T0, T0 + HOUR), check_type="lag",
                      config_check="lag", details={"dataset": "device_events"})
    return replace(run, compares=[replace(compare, checks=checks)], results=[checks[0], lag, checks[1]])


def test_a_comparisons_results_and_samples_are_stored_once(store):
    run = comparison_run()
    run_id = store.record_run(run, **PROVENANCE, now=T0 + 3 * HOUR)
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT check_name, compare_id IS NOT NULL, position FROM results "
                                    "WHERE run_id = :r ORDER BY position"), {"r": run_id}).all()
        sample_rows = conn.execute(sa.text("SELECT count(*) FROM samples WHERE run_id = :r AND result_id IS NOT NULL"),
                                   {"r": run_id}).scalar()
    assert [tuple(r) for r in rows] == [("hourly_count_drift", True, 0), ("lag.processing_lag", False, 1),
                                        ("row_match", True, 2)]
    assert sample_rows == 1
    back = store.load_run(run_id)
    assert back.to_dict() == run.to_dict()
    assert [c.check for c in back.compares[0].checks] == ["hourly_count_drift", "row_match"]
    assert (store.list_runs()[0]["checks"], store.list_runs()[0]["failing_checks"]) == (3, 1)


def test_a_run_stored_with_its_comparisons_checks_twice_still_reads(store):
    """Versions before this one stored a comparison's checks among the run's results and again
    under the comparison, each list numbered from 0."""
    run = comparison_run()
    run_id = store.record_run(run, **PROVENANCE, now=T0 + 3 * HOUR)
    with store.engine.begin() as conn:
        twins = conn.execute(sa.text("SELECT id, compare_id, position FROM results WHERE run_id = :r AND "
                                     "compare_id IS NOT NULL ORDER BY position"), {"r": run_id}).all()
        for index, (result_id, compare_id, position) in enumerate(twins):
            conn.execute(sa.text(
                "INSERT INTO results (run_id, compare_id, position, check_name, status, observed, threshold, "
                "violations, window_start, window_end, message, details, sample_total, as_of) "
                "SELECT run_id, NULL, position, check_name, status, observed, threshold, violations, window_start, "
                "window_end, message, details, sample_total, as_of FROM results WHERE id = :id"), {"id": result_id})
            twin = conn.execute(sa.text("SELECT max(id) FROM results")).scalar()
            conn.execute(sa.text("INSERT INTO samples (run_id, result_id, compare_id, kind, position, row, recorded_at) "
                                 "SELECT run_id, :twin, compare_id, kind, position, row, recorded_at FROM samples "
                                 "WHERE result_id = :id"), {"twin": twin, "id": result_id})
            conn.execute(sa.text("UPDATE results SET position = :p WHERE id = :id"), {"p": index, "id": result_id})
    back = store.load_run(run_id)
    assert back.to_dict() == run.to_dict()
    assert (store.list_runs()[0]["checks"], store.list_runs()[0]["failing_checks"]) == (3, 1)


def test_every_dialect_renders_the_golden_json_report(store):
    run_id = store.record_run(evidence_run(), **PROVENANCE, now=T0 + 4 * HOUR)
    assert run_id == 1
    assert render_json(store.get_run(run_id)) == (TESTS / "golden" / "run_report.json").read_text()


def test_samples_are_bounded_and_the_total_kept(store_url):
    s = ReportStore(store_url, sample_limit=2)
    s.upgrade()
    rule = CheckResult("valid_transitions", "fail", violations=5, samples=[{"booking_id": i} for i in range(5)])
    run = replace(make_run(JOB, T0, [(10, 10)]), results=[rule])
    stored = s.get_run(s.record_run(run, **PROVENANCE))
    assert stored["results"][0]["samples"] == [{"booking_id": 0}, {"booking_id": 1}]
    assert stored["results"][0]["samples_total"] == 5
    s.close()


def test_rerun_supersedes_the_verdict_and_keeps_the_history(store):
    first = store.record_run(make_run(JOB, T0, [(1000, 1020)]), **PROVENANCE, now=T0 + 2 * HOUR)
    second = store.record_run(make_run(JOB, T0, [(1000, 1000)]), **PROVENANCE, now=T0 + 3 * HOUR)
    [row] = store.ledger("device_events")
    assert (row["state"], row["verdict"], row["run_id"], row["judged_count"], row["last_judged_at"]) == (
        "verified", "pass", second, 2, T0 + 3 * HOUR)
    history = [(v["run_id"], v["state"], v["drift_pct"], v["superseded"], v["superseded_by"])
               for v in store.ledger_history("device_events", T0)]
    assert history == [(first, "drifted", 2.0, True, second), (second, "verified", 0.0, False, None)]
    assert [r["id"] for r in store.list_runs()] == [second, first]


def test_a_failed_run_is_recorded_as_error_and_the_watermark_stays(store):
    store.record_run(make_run(JOB, T0, [(5, 5)]), **PROVENANCE)
    window = Window(T0 + HOUR, T0 + 2 * HOUR)
    run_id = store.record_failure(JOB, window, "old: could not connect to old-db:3306", datasets=["device_events"],
                                  **PROVENANCE, now=T0 + 3 * HOUR)
    stored = store.get_run(run_id)
    assert (stored["status"], stored["message"], stored["results"]) == (
        "error", "old: could not connect to old-db:3306", [])
    assert states(store) == [(T0, "verified", 1), (T0 + HOUR, "error", 1)]
    assert store.watermark(JOB) == T0
    assert [r["id"] for r in store.list_runs(status="error")] == [run_id]


def test_hours_go_pending_then_settled_then_judged(store):
    store.note_hours("device_events", [T0], now=T0 + HOUR + timedelta(minutes=5), settle=timedelta(minutes=10))
    assert states(store) == [(T0, "pending", 0)]
    store.note_hours("device_events", [T0, T0 + HOUR], now=T0 + HOUR + timedelta(minutes=10),
                     settle=timedelta(minutes=10))
    assert states(store) == [(T0, "settled", 0), (T0 + HOUR, "pending", 0)]
    store.record_run(make_run(JOB, T0, [(7, 7)]), **PROVENANCE)
    store.note_hours("device_events", [T0], now=T0 + 5 * HOUR, settle=timedelta(0))
    assert states(store) == [(T0, "verified", 1), (T0 + HOUR, "pending", 0)]


def test_watermark_only_moves_forward(store):
    assert store.watermark(JOB) is None
    store.advance_watermark(JOB, T0 + 5 * HOUR)
    store.advance_watermark(JOB, T0 + 2 * HOUR)
    assert store.watermark(JOB) == T0 + 5 * HOUR
    store.record_run(make_run(JOB, T0, [(1, 1)]), **PROVENANCE)
    assert store.watermark(JOB) == T0 + 5 * HOUR


def test_list_runs_filters_by_job_time_and_status(store):
    a = store.record_run(make_run(JOB, T0, [(100, 100)]), **PROVENANCE)
    b = store.record_run(make_run(JOB, T0 + HOUR, [(100, 150)]), **PROVENANCE)
    c = store.record_run(make_run("daily-bookings", T0 + 2 * HOUR, [(9, 9)]), **PROVENANCE)
    assert [r["id"] for r in store.list_runs()] == [c, b, a]
    assert [r["id"] for r in store.list_runs(job=JOB)] == [b, a]
    assert [r["id"] for r in store.list_runs(status="fail")] == [b]
    assert [r["id"] for r in store.list_runs(since=T0 + 2 * HOUR + timedelta(minutes=10))] == [c, b]
    summary = store.list_runs(job=JOB, limit=1)[0]
    assert (summary["checks"], summary["failing_checks"], summary["window"]) == (
        1, 1, {"start": "2026-11-27T11:00:00Z", "end": "2026-11-27T12:00:00Z"})
    with pytest.raises(UsageError):
        store.get_run(c + 100)


def test_retention_deletes_only_what_is_older_than_the_limit(store):
    now = T0 + timedelta(days=20)
    old_run = make_run(JOB, T0, [(1, 1)], started=now - timedelta(days=10))
    old_run = replace(old_run, results=[CheckResult("rule", "fail", violations=2, samples=[{"id": 1}, {"id": 2}])])
    kept_run = replace(make_run(JOB, T0 + timedelta(days=17), [(1, 1)], started=now - timedelta(days=3)),
                       results=[CheckResult("rule", "fail", violations=1, samples=[{"id": 3}])])
    old_id = store.record_run(old_run, **PROVENANCE, now=now - timedelta(days=10))
    kept_id = store.record_run(kept_run, **PROVENANCE, now=now - timedelta(days=3))
    deleted = store.prune(keep_days=5, now=now)
    assert deleted == {"samples": 2, "results": 1, "compares": 1, "runs": 1, "ledger": 1, "verdicts": 1}
    assert [r["id"] for r in store.list_runs()] == [kept_id]
    assert store.get_run(kept_id)["results"][0]["samples"] == [{"id": 3}]
    assert states(store) == [(T0 + timedelta(days=17), "verified", 1)]
    with pytest.raises(UsageError):
        store.get_run(old_id)
    assert store.prune(keep_days=5, now=now) == {"samples": 0, "results": 0, "compares": 0, "runs": 0,
                                                 "ledger": 0, "verdicts": 0}


# -- judgements (pure) ---------------------------------------------------------------------

def test_judgements_follow_hour_row_and_error_statuses():
    single = make_run(JOB, T0, [(100, 100)], rows_status="fail")
    assert [(j.hour, j.state) for j in judgements_of(single)] == [(T0, "drifted")]
    multi = make_run(JOB, T0, [(100, 100), (100, 102)], rows_status="fail")
    assert [(j.hour, j.state) for j in judgements_of(multi)] == [(T0, "verified"), (T0 + HOUR, "drifted")]
    broken = replace(multi, compares=[replace(multi.compares[0], status="error")])
    assert [j.state for j in judgements_of(broken)] == ["error", "error"]
    skipped = replace(single, compares=[replace(single.compares[0], status="skipped",
                                                hours=[replace(single.compares[0].hours[0], status="skipped")])])
    assert judgements_of(skipped) == []


# -- concurrency, claims, crashes ----------------------------------------------------------

def test_concurrent_writers_do_not_corrupt_the_ledger(store_url, store):
    writers, runs_each, errors = 6, 4, []

    def write(n):
        own = ReportStore(store_url)
        try:
            for _ in range(runs_each):
                own.record_run(make_run(f"job-{n}", T0, [(100, 100), (100, 101), (100, 103)]), **PROVENANCE)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            own.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    total = writers * runs_each
    assert states(store) == [(T0, "verified", total), (T0 + HOUR, "verified", total), (T0 + 2 * HOUR, "drifted", total)]
    for hour in (T0, T0 + HOUR, T0 + 2 * HOUR):
        history = store.ledger_history("device_events", hour)
        assert len(history) == total
        assert [v["superseded"] for v in history].count(False) == writers  # each job's latest verdict stands
    assert len(store.list_runs()) == total


def test_a_window_is_claimed_by_one_holder_at_a_time(store):
    window, other = Window(T0, T0 + HOUR), Window(T0 + HOUR, T0 + 2 * HOUR)
    with store.claim(JOB, window, owner="replica-a") as first:
        assert first is True
        with store.claim(JOB, window, owner="replica-b") as second:
            assert second is False
        with store.claim(JOB, other, owner="replica-b") as elsewhere:
            assert elsewhere is True
    with store.claim(JOB, window, owner="replica-b") as after_release:
        assert after_release is True


CHILD = """
import sys, time
from store_fixtures import PROVENANCE, T0, make_run
from reconciler.store import ReportStore, ledger
from reconciler.timeutil import HOUR, Window
url, phase = sys.argv[1], sys.argv[2]
store = ReportStore(url)
if phase == "claim":
    with store.claim("hourly-shadow", Window(T0, T0 + HOUR)) as claimed:
        print("claimed" if claimed else "refused", flush=True)
        time.sleep(120)
run = make_run("hourly-shadow", T0 + HOUR, [(1000, 1100)])
if phase == "computed":
    print("computed", flush=True)
    time.sleep(120)
real_write = ledger.write_judgements
def write_then_stall(*args, **kwargs):
    real_write(*args, **kwargs)
    print("inside-transaction", flush=True)
    time.sleep(120)
ledger.write_judgements = write_then_stall
store.record_run(run, **PROVENANCE)
print("stored", flush=True)
"""


def run_child_until(url: str, phase: str, marker: str) -> None:
    """Start a real process, wait for it to reach `marker`, then SIGKILL it."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS.parent)])}
    child = subprocess.Popen([sys.executable, "-c", CHILD, url, phase], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = child.stdout.readline().strip()
        assert line == marker, f"child said {line!r}; stderr: {child.stderr.read()}"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL


def test_a_claim_dies_with_its_holder(store, store_url):
    window = Window(T0, T0 + HOUR)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS.parent)])}
    child = subprocess.Popen([sys.executable, "-c", CHILD, store_url, "claim"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout.readline().strip() == "claimed"
        with store.claim(JOB, window) as claimed:
            assert claimed is False
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    with store.claim(JOB, window) as claimed:
        assert claimed is True


@pytest.mark.parametrize("phase, marker", [("computed", "computed"), ("store", "inside-transaction")])
def test_a_run_killed_before_its_commit_leaves_nothing_behind(store, store_url, phase, marker):
    earlier = store.record_run(make_run(JOB, T0, [(1000, 1000)]), **PROVENANCE)
    before = (store.list_runs(), store.ledger("device_events"), store.watermark(JOB))
    run_child_until(store_url, phase, marker)
    assert (store.list_runs(), store.ledger("device_events"), store.watermark(JOB)) == before
    with store.engine.connect() as conn:
        for table in ("results", "compares", "samples", "ledger_verdicts"):
            orphans = conn.execute(sa.text(f"SELECT COUNT(*) FROM {table} WHERE run_id <> :r"), {"r": earlier})
            assert orphans.scalar() == 0, table
    rerun = store.record_run(make_run(JOB, T0 + HOUR, [(1000, 1100)]), **PROVENANCE)
    assert states(store) == [(T0, "verified", 1), (T0 + HOUR, "drifted", 1)]
    assert store.watermark(JOB) == T0 + HOUR
    assert store.get_run(rerun)["compares"][0]["hours"][0]["drift_pct"] == 10.0


def test_run_hooks_write_inside_the_runs_transaction(tmp_path):
    """A hook's writes commit with the run; a hook that fails leaves nothing of the run stored."""
    from reconciler.store.schema import job_watermarks, runs

    seen = []

    def remember(conn, run_id, run, now):
        seen.append((run_id, run.job, now, conn.execute(sa.select(sa.func.count()).select_from(runs)).scalar()))

    def broken(conn, run_id, run, now):
        raise RuntimeError("hook failed")

    store = ReportStore(f"sqlite:///{tmp_path / 's.db'}", run_hooks=(remember, remember))
    store.upgrade()
    assert store.run_hooks == [remember]
    first = store.record_run(make_run(JOB, T0, [(5, 5)]), **PROVENANCE, now=T0 + 2 * HOUR)
    assert seen == [(first, JOB, T0 + 2 * HOUR, 1)]  # the hook sees its own run, not yet committed
    store.add_run_hook(broken)
    with pytest.raises(RuntimeError, match="hook failed"):
        store.record_run(make_run(JOB, T0 + HOUR, [(5, 5)]), **PROVENANCE, now=T0 + 3 * HOUR)
    assert [r["id"] for r in store.list_runs()] == [first]
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(job_watermarks.c.hour)).scalar() == T0
    assert len(seen) == 2
