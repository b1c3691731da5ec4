"""What a stored verdict means: an error never replaces a conclusive verdict; a recheck that
changes the verdict is recorded as a change; point-in-time checks are stored once with
`as_of`; `run` judges whole hours only; retention keeps what a gate period needs; a timeout
names the source (and the timeout) that failed; `reconciler jobs` shows each job's state."""

from __future__ import annotations

import json
from contextlib import ExitStack
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from integrity_fixtures import run_cli
from service_fixtures import JOB, T0, pg_events, write_project  # noqa: F401  (fixtures)
from store_fixtures import PROVENANCE, make_run, pg_database, pg_url, store_url  # noqa: F401

from reconciler.config.models import SourceConfig
from reconciler.errors import SourceError
from reconciler.results import CheckResult
from reconciler.sources.connection import Source
from reconciler.store import ReportStore
from reconciler.store.schema import results
from reconciler.timeutil import HOUR, Window, iso

M = timedelta(minutes=1)


@pytest.fixture
def store(store_url):
    s = ReportStore(store_url)
    s.upgrade()
    yield s
    s.close()


def ledger_row(store, hour):
    [row] = store.ledger("device_events", hour, hour + HOUR)
    return row


def test_an_error_never_replaces_a_conclusive_verdict(store):
    window = Window(T0, T0 + HOUR)
    failed = store.record_run(make_run(JOB, T0, [(1000, 1030)]), **PROVENANCE, now=T0 + 2 * HOUR)
    error = store.record_failure(JOB, window, "source 'old' (mysql://old-db/events) is unreachable: refused",
                                 datasets=["device_events"], **PROVENANCE, now=T0 + 3 * HOUR)
    row = ledger_row(store, T0)
    assert (row["verdict"], row["state"], row["run_id"], row["judged_count"], row["drift_pct"]) == (
        "fail", "drifted", failed, 2, 3.0)
    assert (row["last_error"], row["last_error_at"], row["last_error_run_id"]) == (
        "source 'old' (mysql://old-db/events) is unreachable: refused", T0 + 3 * HOUR, error)
    history = [(v["run_id"], v["verdict"], v["superseded"], v["changed_from"])
               for v in store.ledger_history("device_events", T0)]
    assert history == [(failed, "fail", False, None), (error, "error", True, None)]
    # an hour that never had a conclusive verdict is `error`
    never = store.record_failure(JOB, Window(T0 + HOUR, T0 + 2 * HOUR), "timeout", datasets=["device_events"],
                                 **PROVENANCE, now=T0 + 3 * HOUR)
    row = ledger_row(store, T0 + HOUR)
    assert (row["verdict"], row["state"], row["run_id"], row["last_error_run_id"]) == ("error", "error", never, never)
    # a conclusive verdict replaces both, records the change and clears the error
    passed = store.record_run(make_run(JOB, T0, [(1000, 1000)]), **PROVENANCE, now=T0 + 4 * HOUR)
    row = ledger_row(store, T0)
    assert (row["verdict"], row["run_id"], row["last_error"], row["last_error_run_id"]) == ("pass", passed, None, None)
    history = [(v["run_id"], v["verdict"], v["superseded"], v["superseded_by"], v["changed_from"])
               for v in store.ledger_history("device_events", T0)]
    assert history == [(failed, "fail", True, passed, None), (error, "error", True, None, None),
                       (passed, "pass", False, None, "fail")]
    assert store.watermark(JOB) == T0


def test_the_watermark_never_passes_an_unjudged_hour(store):
    store.start_watermark(JOB, T0 - HOUR, now=T0)
    store.record_run(make_run(JOB, T0, [(5, 5)]), **PROVENANCE, now=T0 + 2 * HOUR)
    store.record_failure(JOB, Window(T0 + HOUR, T0 + 2 * HOUR), "timeout", datasets=["device_events"],
                         **PROVENANCE, now=T0 + 3 * HOUR)
    store.record_run(make_run(JOB, T0 + 2 * HOUR, [(5, 5)]), **PROVENANCE, now=T0 + 4 * HOUR)
    store.record_run(make_run(JOB, T0 + 3 * HOUR, [(5, 5)]), **PROVENANCE, now=T0 + 5 * HOUR)
    assert store.watermark(JOB) == T0
    store.record_run(make_run(JOB, T0 + HOUR, [(5, 5)]), **PROVENANCE, now=T0 + 6 * HOUR)
    assert store.watermark(JOB) == T0 + 3 * HOUR


def test_prune_keeps_the_verdicts_a_gate_period_needs(store):
    now = T0 + timedelta(days=30)
    superseded = store.record_run(make_run(JOB, now - timedelta(days=3), [(10, 20)]), **PROVENANCE,
                                  now=now - timedelta(days=3) + HOUR)
    in_force = store.record_run(make_run(JOB, now - timedelta(days=3), [(10, 10)]), **PROVENANCE,
                                now=now - timedelta(days=3) + 2 * HOUR)
    ancient = store.record_run(make_run(JOB, now - timedelta(days=12), [(10, 10)]), **PROVENANCE,
                               now=now - timedelta(days=12) + HOUR)
    rule = CheckResult("no_overlapping_bookings", "pass", violations=0)
    as_of = now - timedelta(days=2)
    point = store.record_run(replace(make_run(JOB, as_of, [(1, 1)]), window=None, compares=[], results=[rule],
                                     as_of=as_of), **PROVENANCE, now=as_of)
    deleted = store.prune(keep_days=1, now=now)
    assert deleted == {"samples": 0, "results": 2, "compares": 2, "runs": 2, "ledger": 1, "verdicts": 1}
    assert sorted(r["id"] for r in store.list_runs()) == [in_force, point]
    assert {superseded, ancient}.isdisjoint(r["id"] for r in store.list_runs())
    row = ledger_row(store, now - timedelta(days=3))
    assert (row["verdict"], row["run_id"]) == ("pass", in_force)
    assert store.get_run(in_force)["compares"][0]["totals"]["old"] == 10
    assert len(store.ledger_history("device_events", now - timedelta(days=3))) == 2
    assert store.get_run(point)["results"][0]["as_of"] == iso(as_of)


def test_a_statement_timeout_names_the_source_whose_statement_failed(make_pg_database):
    old = Source("old", SourceConfig(url=make_pg_database("timeout_old"), statement_timeout="1s"))
    new = Source("new", SourceConfig(url=make_pg_database("timeout_new"), statement_timeout="300s"))
    try:
        with pytest.raises(SourceError) as e:
            # both sides open at once, as a comparison holds them: new's context is the innermost
            with ExitStack() as stack:
                conns = {s.name: stack.enter_context(s.connect()) for s in (old, new)}
                conns["new"].exec_driver_sql("SELECT 1").scalar()
                conns["old"].exec_driver_sql("SELECT pg_sleep(5)").scalar()
    finally:
        old.dispose()
        new.dispose()
    assert str(e.value) == ("source 'old': query exceeded its statement_timeout (1s): "
                            "canceling statement due to statement timeout")


def test_run_refuses_a_window_that_is_not_whole_hours(tmp_path, monkeypatch, capfd):
    path = write_project(tmp_path, "postgresql://u:pw@127.0.0.1:1/old", "postgresql://u:pw@127.0.0.1:1/new")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capfd, "--config", path, "run", JOB, "--start", "2026-11-20T20:00Z",
                             "--end", "2026-11-20T20:15Z")
    assert (code, out) == (2, "")
    assert err == ("reconciler: bad window: --end 2026-11-20T20:15:00Z is not a whole UTC hour; the ledger holds "
                   "whole hours only. For an ad-hoc window use `reconciler compare --start T --end T`\n")
    assert ReportStore(f"sqlite:///{tmp_path / 'store.db'}").list_runs() == []


def test_run_refuses_an_hour_that_has_not_ended(tmp_path, monkeypatch, capfd):
    """A future or unfinished window would be stored empty and move the watermark past it: the
    service would then never judge those hours."""
    path = write_project(tmp_path, "postgresql://u:pw@127.0.0.1:1/old", "postgresql://u:pw@127.0.0.1:1/new")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capfd, "--config", path, "run", JOB, "--start", "2026-11-20T19:00Z",
                             "--end", "2026-11-20T22:00Z", "--now", "2026-11-20T21:05Z")
    assert (code, out) == (2, "")
    assert err == ("reconciler: bad window: --end 2026-11-20T22:00:00Z is in the future (now 2026-11-20T21:05:00Z): "
                   "judge hours that have ended, up to --end 2026-11-20T21:00:00Z\n")
    assert ReportStore(f"sqlite:///{tmp_path / 'store.db'}").list_runs() == []


def test_a_backfill_stores_a_sql_rule_once_with_as_of_not_per_hour(pg_events, tmp_path, capfd):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "no_negative_values.sql").write_text(
        "-- description: values are never negative\n-- severity: critical\n"
        "SELECT event_id, value FROM device_events WHERE value < 0\n")
    path = write_project(tmp_path, pg_events["old"], pg_events["new"], job={"checks": "[event_rows, values]"},
                         checks=f"  values: {{type: sql, source: new, rules: {rules}}}\n")
    now = T0 + timedelta(days=5, minutes=3)
    code, out, _ = run_cli(capfd, "--config", path, "run", JOB, "--start", iso(T0), "--end", iso(T0 + 3 * HOUR),
                           "--now", iso(now), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert [(r["window"], r["status"]) for r in doc["runs"]] == [
        ({"start": iso(T0 + i * HOUR), "end": iso(T0 + (i + 1) * HOUR)}, "pass") for i in range(3)] + [
        ({"as_of": iso(now)}, "pass")]
    store = ReportStore(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        with store.engine.connect() as conn:
            stored = conn.execute(sa.select(results.c.run_id, results.c.as_of, results.c.window_start)
                                  .where(results.c.check_name == "no_negative_values")).all()
        assert stored == [(doc["runs"][3]["id"], now, None)]
        assert store.get_run(doc["runs"][3]["id"])["as_of"] == iso(now)
    finally:
        store.close()


def test_jobs_shows_next_run_watermark_pending_and_failed_hours(pg_events, tmp_path, capfd, pg_admin):
    from service_fixtures import set_database_down

    path = write_project(tmp_path, pg_events["old"], pg_events["new"])
    store = ReportStore(f"sqlite:///{tmp_path / 'store.db'}")
    store.upgrade()
    store.start_watermark(JOB, T0 - HOUR, now=T0)
    code, _, _ = run_cli(capfd, "--config", path, "run", JOB, "--now", iso(T0 + HOUR + 15 * M))
    assert code == 0
    set_database_down(pg_admin, pg_events["old"], True)
    code, _, _ = run_cli(capfd, "--config", path, "run", JOB, "--now", iso(T0 + 2 * HOUR + 15 * M))
    assert code == 3
    code, out, _ = run_cli(capfd, "--config", path, "jobs", "--now", iso(T0 + 2 * HOUR + 16 * M))
    assert out.splitlines()[5] == (f"  errored     1 hour: {iso(T0 + HOUR)} (run ended in an error, retried; "
                                   "1 waiting for their retry)")  # retry_backoff 5 minutes
    set_database_down(pg_admin, pg_events["old"], False)
    now = T0 + 4 * HOUR + 20 * M
    code, out, _ = run_cli(capfd, "--config", path, "jobs", "--now", iso(now), "--format", "json")
    assert code == 0
    [job] = json.loads(out)["jobs"]
    assert {k: job[k] for k in ("job", "cron", "timezone", "next_run", "settled_wake", "next_window_judged_at",
                                "watermark", "pending_hours", "failed_hours", "retry_waiting")} == {
        "job": JOB, "cron": "5 * * * *", "timezone": "UTC", "next_run": iso(T0 + 5 * HOUR + 5 * M),
        "settled_wake": "10 * * * *", "next_window_judged_at": iso(T0 + 5 * HOUR + 10 * M),
        "watermark": iso(T0), "pending_hours": [iso(T0 + i * HOUR) for i in (1, 2, 3)],
        "failed_hours": [iso(T0 + HOUR)], "retry_waiting": []}
    assert job["last_run"]["status"] == "error"
    code, out, _ = run_cli(capfd, "--config", path, "jobs", "--now", iso(now))
    assert out.splitlines()[:6] == [
        JOB, f"  cron        5 * * * * (UTC), next run {iso(T0 + 5 * HOUR + 5 * M)}",
        f"  judging     the next window to settle is judged at {iso(T0 + 5 * HOUR + 10 * M)}, also waking at "
        "10 * * * * (UTC) as windows settle",
        f"  watermark   {iso(T0)}", f"  pending     3 hours: {iso(T0 + HOUR)} .. {iso(T0 + 3 * HOUR)}",
        f"  errored     1 hour: {iso(T0 + HOUR)} (run ended in an error, retried)"]
    store.close()


def test_a_connection_that_never_answers_names_the_source_and_its_connect_timeout():
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)   # the handshake completes in the backlog; no byte ever comes back
    port = silent.getsockname()[1]
    source = Source("new", SourceConfig(url=f"postgresql://app:hunter2@127.0.0.1:{port}/events",
                                        connect_timeout="1s", statement_timeout="300s"))
    try:
        with pytest.raises(SourceError) as e:
            with source.connect():
                pass
    finally:
        source.dispose()
        silent.close()
    assert str(e.value).startswith(f"source 'new' (postgresql://app:***@127.0.0.1:{port}/events) is unreachable: "
                                   "no connection within its connect_timeout (1s): ")
    assert "hunter2" not in str(e.value)


def test_each_job_keeps_its_verdict_on_an_hour_and_the_worst_is_in_force(store):
    """A lag or traffic check in a job of its own judges the hour without counting rows. Each job
    keeps its latest verdict on the hour; the hour's is the worst of them, so a lag pass never
    hides the comparison's fail, nor a comparison's recheck the lag's. The counts are the
    comparison's, and a tie names the comparison's run (the gate reads its totals)."""
    from reconciler.results import RunResult
    from reconciler.store import ledger
    from reconciler.store.engine import writer

    def lag(verdict: str, at: datetime) -> int:
        run_id = store.record_run(RunResult("lagging", Window(T0, T0 + HOUR), at, at, verdict, []), **PROVENANCE,
                                  now=at)
        with writer(store.engine).begin() as conn:
            ledger.write_judgements(conn, run_id, [ledger.HourJudgement("device_events", T0, verdict)], at)
        return run_id

    def compare(new: int, at: datetime) -> int:
        return store.record_run(make_run(JOB, T0, [(1000, new)], started=at), **PROVENANCE, now=at)

    def in_force():
        row = ledger_row(store, T0)
        return row["verdict"], row["run_id"], row["old"], row["new"]

    drifted = compare(1030, T0 + 2 * HOUR)                      # +3 %: fail
    lag("pass", T0 + 2 * HOUR + M)
    assert in_force() == ("fail", drifted, 1000, 1030)
    lag_failed = lag("fail", T0 + 3 * HOUR)
    assert in_force() == ("fail", drifted, 1000, 1030)           # a tie: the comparison's run
    rechecked = compare(1000, T0 + 4 * HOUR)                     # the comparison passes now
    assert in_force() == ("fail", lag_failed, 1000, 1000)        # the lag still fails
    lag("pass", T0 + 5 * HOUR)
    assert in_force() == ("pass", rechecked, 1000, 1000)
    standing = [(v["run_id"], v["verdict"], v["changed_from"]) for v in store.ledger_history("device_events", T0)
                if not v["superseded"]]
    assert standing == [(rechecked, "pass", None), (rechecked + 1, "pass", "fail")]
    assert ledger_row(store, T0)["judged_count"] == 5


def test_a_job_no_longer_configured_does_not_hold_its_hours(store):
    """A renamed or retired job's verdicts stand beside the configured jobs' only while it is
    configured (`open_report_store` tells the store its jobs)."""
    def compare(job: str, new: int, at):
        return store.record_run(make_run(job, T0, [(1000, new)], started=at), **PROVENANCE, now=at)

    compare("hourly-before-rename", 1030, T0 + 2 * HOUR)       # +3 %: fail
    store.live_jobs = frozenset({"hourly-after-rename"})
    renamed = compare("hourly-after-rename", 1000, T0 + 3 * HOUR)
    assert (ledger_row(store, T0)["verdict"], ledger_row(store, T0)["run_id"]) == ("pass", renamed)
    store.live_jobs = None                                       # every job's verdict counts
    again = compare("hourly-after-rename", 1000, T0 + 4 * HOUR)
    assert (ledger_row(store, T0)["verdict"], ledger_row(store, T0)["run_id"]) != ("pass", again)
    assert ledger_row(store, T0)["verdict"] == "fail"
