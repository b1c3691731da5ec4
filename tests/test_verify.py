"""`reconciler verify`: a whole history compared day by day, PostgreSQL (old) against a
TimescaleDB hypertable (new), with exact totals equal to compare's over the same range;
resumed after SIGKILL; shared by two processes on a PostgreSQL store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from datetime import timedelta

import jsonschema
import pytest
from store_fixtures import pg_database, pg_url  # noqa: F401
from verify_fixtures import DAYS, ROOT, START, cli_command, only_counts, planted_history, verify_schedule

from reconciler.checks.judgement import compare_dataset
from reconciler.config import load_config
from reconciler.store import ReportStore
from reconciler.timeutil import Window
from reconciler.verify import VerifyRequest, verify_dataset

ENV = {**os.environ, "PYTHONPATH": f"{ROOT / 'tests'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}


@pytest.fixture(scope="module")
def history(make_pg_database, make_timescale_database):
    old_url, new_url = make_pg_database("verify_old"), make_timescale_database("verify_new")
    expected = planted_history(old_url, new_url)
    return old_url, new_url, expected


def _config(tmp_path, history, store_url=None):
    old_url, new_url, _ = history
    return verify_schedule(tmp_path / "cfg", old_url, new_url, store_url or f"sqlite:///{tmp_path}/store.db")


def _verify(path, **request):
    loaded = load_config(path)
    store = ReportStore(f"{loaded.config.report_store.url}")
    store.upgrade()
    try:
        return verify_dataset(loaded, store, VerifyRequest("device_events", **request))
    finally:
        store.close()


def test_whole_history_totals_are_exact_and_equal_to_compare_over_the_same_days(tmp_path, history):
    _, _, expected = history
    path = _config(tmp_path, history)
    report = _verify(path)
    doc = report.to_dict()
    assert doc["range"] == {"start": "2026-11-20T00:00:00Z", "end": "2026-11-25T00:00:00Z"}
    assert doc["whole_history"] is True
    assert only_counts(doc["totals"]) == only_counts(expected)
    assert doc["days"] == {"total": DAYS, "equal": 3, "differing": 2, "resumed": 0}
    assert [d["day"] for d in doc["differing_days"]] == ["2026-11-21", "2026-11-23"]
    day1, day3 = doc["differing_days"]
    assert (day1["totals"]["missing_in_new"], day1["totals"]["mismatched"], day1["totals"]["extra_in_new"]) == (3, 0, 0)
    assert (day3["totals"]["missing_in_new"], day3["totals"]["mismatched"], day3["totals"]["extra_in_new"]) == (0, 2, 1)
    assert sorted(s["key"]["event_id"] for s in doc["samples"]["missing_in_new"]) == expected["missing"]
    assert sorted(s["key"]["event_id"] for s in doc["samples"]["mismatched"]) == expected["changed"]
    assert [s["key"]["event_id"] for s in doc["samples"]["extra_in_new"]] == expected["extra"]
    assert any(f["about"] == "mismatched" and "+1.5" in f["text"] and f["hour"] == "2026-11-23T00:00:00Z"
               for f in doc["findings"])
    assert doc["status"] == "fail" and report.exit_code == 1

    compared = compare_dataset(load_config(path), "device_events",
                               Window(START, START + timedelta(days=DAYS)), rows=True)
    assert {k: compared.totals[k] for k in doc["totals"] if k in compared.totals} == \
        {k: doc["totals"][k] for k in doc["totals"] if k in compared.totals}


def _store_rows(url: str):
    store = ReportStore(url)
    try:
        with store.engine.connect() as conn:
            from reconciler.store.schema import verification_days, verifications

            return ([dict(r._mapping) for r in conn.execute(verifications.select())],
                    [dict(r._mapping) for r in conn.execute(verification_days.select())])
    finally:
        store.close()


def test_the_cli_prints_one_json_document_and_json_lines_of_progress_on_stderr(tmp_path, history):
    _, _, expected = history
    path = _config(tmp_path, history)
    done = subprocess.run(cli_command(path, "--format", "json", "--workers", "2"), capture_output=True, text=True,
                          env=ENV, timeout=300)
    assert done.returncode == 1, done.stderr
    doc = json.loads(done.stdout)
    jsonschema.validate(doc, json.loads((ROOT / "docs" / "schemas" / "verify.schema.json").read_text()))
    assert only_counts(doc["totals"]) == only_counts(expected)
    assert doc["totals"]["drift_pct"] == round((expected["new"] - expected["old"]) / expected["old"] * 100, 4)
    assert doc["totals"]["match_pct"] == round(expected["matched"] / (expected["old"] + 1) * 100, 4)
    events = [json.loads(line) for line in done.stderr.splitlines()]
    assert [e["event"] for e in events] == ["start"] + ["day"] * DAYS + ["done"]
    assert events[0] == {"event": "start", "verification": doc["verification"], "dataset": "device_events",
                         "start": "2026-11-20T00:00:00Z", "end": "2026-11-25T00:00:00Z", "days": DAYS, "done": 0,
                         "resumed": False}
    assert sorted(e["day"] for e in events[1:-1]) == [f"2026-11-{20 + i}" for i in range(DAYS)]
    assert sum(e["old"] for e in events[1:-1]) == expected["old"]
    assert [e["done"] for e in events[1:-1]] == [1, 2, 3, 4, 5]
    assert all(e["rows_per_second"] > 0 and e["eta_seconds"] is not None for e in events[1:-1])
    assert events[-1]["differences"] == 6 and events[-1]["status"] == "fail"

    again = subprocess.run(cli_command(path), capture_output=True, text=True, env=ENV, timeout=300)
    assert again.returncode == 1, again.stderr
    assert again.stdout.splitlines()[:2] == [
        "verification 2 of device_events: 2026-11-20T00:00:00Z → 2026-11-25T00:00:00Z (5 days, 3 equal, 2 differing)",
        "status: FAIL  (6 differences)"]
    verifications, _ = _store_rows(f"sqlite:///{tmp_path}/store.db")
    assert [(v["id"], v["status"], v["open_key"]) for v in verifications] == [(1, "complete", None),
                                                                               (2, "complete", None)]


def test_a_run_killed_mid_way_resumes_where_it_stopped_with_exact_totals(tmp_path, history):
    _, _, expected = history
    path = _config(tmp_path, history)
    child = subprocess.run([os.fspath(ROOT / ".venv/bin/python"), str(ROOT / "tests/verify_child.py"), str(path),
                            "kill", "3"], capture_output=True, text=True, env=ENV, timeout=300)
    assert child.returncode == -signal.SIGKILL, child.stderr
    verifications, days = _store_rows(f"sqlite:///{tmp_path}/store.db")
    assert [(v["id"], v["status"]) for v in verifications] == [(1, "running")]
    assert sorted(d["day"].day for d in days) == [20, 21, 22]

    rerun = subprocess.run(cli_command(path, "--format", "json"), capture_output=True, text=True, env=ENV,
                           timeout=300)
    assert rerun.returncode == 1, rerun.stderr
    doc = json.loads(rerun.stdout)
    assert doc["verification"] == 1
    assert doc["days"] == {"total": DAYS, "equal": 3, "differing": 2, "resumed": 3}
    assert only_counts(doc["totals"]) == only_counts(expected)
    assert json.loads(rerun.stderr.splitlines()[0])["done"] == 3
    one_shot = _verify(_config(tmp_path / "one-shot", history))
    assert doc["totals"] == one_shot.to_dict()["totals"]
    assert doc["differing_days"] == one_shot.to_dict()["differing_days"]


def test_two_processes_on_a_postgresql_store_share_the_days(tmp_path, history, pg_url):  # noqa: F811
    _, _, expected = history
    path = _config(tmp_path, history, pg_url)
    children = [subprocess.Popen([os.fspath(ROOT / ".venv/bin/python"), str(ROOT / "tests/verify_child.py"),
                                  str(path), "together", str(tmp_path)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, env=ENV) for _ in range(2)]
    outputs = [c.communicate(timeout=300) for c in children]
    assert [c.returncode for c in children] == [0, 0], [err for _, err in outputs]
    docs = [json.loads(out) for out, _ in outputs]
    assert docs[0]["verification"] == docs[1]["verification"] == 1
    assert only_counts(docs[0]["totals"]) == only_counts(docs[1]["totals"]) == only_counts(expected)
    workers = docs[0]["workers"]
    assert sum(workers.values()) == DAYS
    pids = {w.split(":")[1] for w in workers}
    assert pids == {str(c.pid) for c in children}
    verifications, days = _store_rows(pg_url)
    assert len(verifications) == 1 and len(days) == DAYS


def test_workers_share_the_days_of_one_process(tmp_path, history):
    _, _, expected = history
    report = _verify(_config(tmp_path, history), workers=3)
    assert only_counts(report.totals) == only_counts(expected)
    assert len(report.workers) >= 2 and sum(report.workers.values()) == DAYS


def test_a_range_is_rounded_out_to_whole_days(tmp_path, history):
    report = _verify(_config(tmp_path, history), since=START + timedelta(days=1, hours=5),
                     until=START + timedelta(days=2, minutes=1))
    doc = report.to_dict()
    assert doc["range"] == {"start": "2026-11-21T00:00:00Z", "end": "2026-11-23T00:00:00Z"}
    assert doc["whole_history"] is False
    assert [d["day"] for d in doc["differing_days"]] == ["2026-11-21"]
    assert (doc["totals"]["missing_in_new"], doc["totals"]["mismatched"]) == (3, 0)


def test_bad_input_and_an_unreachable_source(tmp_path, history):
    _, new_url, _ = history
    path = _config(tmp_path, history)
    bad = subprocess.run(cli_command(path, "--since", "2026-11-25", "--until", "2026-11-21"), capture_output=True,
                         text=True, env=ENV, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr.strip() == "reconciler: bad range: --until 2026-11-21T00:00:00Z is not after --since " \
                                 "2026-11-25T00:00:00Z"
    down = verify_schedule(tmp_path / "down", "postgresql+psycopg://postgres@127.0.0.1:1/nothing", new_url,
                           f"sqlite:///{tmp_path}/down.db")
    unreachable = subprocess.run(cli_command(down), capture_output=True, text=True, env=ENV, timeout=120)
    assert unreachable.returncode == 3, unreachable.stderr
    assert "source 'old'" in unreachable.stderr


def test_a_failed_attempt_is_recorded_as_failed_and_resumed(tmp_path, history):
    from reconciler.errors import SourceError

    _, _, expected = history
    path = _config(tmp_path, history)
    loaded = load_config(path)
    store = ReportStore(loaded.config.report_store.url)
    store.upgrade()
    seen = []

    def lose_the_source(day):
        seen.append(day)
        if len(seen) == 3:
            raise SourceError("source 'old': server closed the connection unexpectedly")

    try:
        with pytest.raises(SourceError):
            verify_dataset(loaded, store, VerifyRequest("device_events"), before_day=lose_the_source)
        failed = store.verifications.get(1)
        assert (failed["status"], failed["message"], failed["finished_at"]) == (
            "failed", "SourceError: source 'old': server closed the connection unexpectedly", None)
        assert len(store.verifications.days(1)) == 2
        report = verify_dataset(loaded, store, VerifyRequest("device_events"))
    finally:
        store.close()
    assert (report.verification["id"], report.verification["status"], report.resumed_days) == (1, "complete", 2)
    assert only_counts(report.totals) == only_counts(expected)


def test_a_snapshot_dataset_is_exit_2_not_a_claimed_whole_history(tmp_path, history):
    """A snapshot's filter selects what is current (today's bookings): verifying it day by day
    would call a moving selection the whole history. And the hint names verify, not compare."""
    path = _config(tmp_path, history)
    text = path.read_text()
    path.write_text(text.replace("datasets:\n", "datasets:\n  current:\n"
                                 "    old: {source: old, table: legacy_events, time: ts, key: [id]}\n"
                                 "    new: {source: new, table: device_events, time: time, key: [event_id]}\n"
                                 "    snapshot: true\n", 1))
    command = cli_command(path)[:-1]  # without the dataset
    snapshot = subprocess.run([*command, "current"], capture_output=True, text=True, env=ENV, timeout=120)
    assert snapshot.returncode == 2, snapshot.stderr
    assert "datasets.current.snapshot: current is a snapshot" in snapshot.stderr
    unnamed = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=120)
    assert unnamed.returncode == 2, unnamed.stderr
    assert "name the dataset to verify" in unnamed.stderr and "e.g. reconciler verify " in unnamed.stderr
