"""The service as real processes: two `reconciler schedule --once` on one PostgreSQL store
judge each hour exactly once between them; a second scheduler on a SQLite store refuses to
start; SIGTERM in the middle of a window exits 0 and stores nothing of it; readiness answers
503 while the store is down; log lines are JSON without secrets."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from service_fixtures import JOB, T0, make_service, pg_events, runs_by_hour, set_database_down, write_project  # noqa: F401  (fixtures)

from reconciler.config import load_config
from reconciler.service.http import HealthServer
from reconciler.service.jsonlog import redact
from reconciler.service.scheduler import Service, SingleInstance
from reconciler.store import ReportStore
from reconciler.timeutil import HOUR, iso

ROOT = Path(__file__).resolve().parent.parent


def reconciler(config: Path, *args) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("RECONCILER_CONFIG", None)
    return subprocess.Popen([sys.executable, "-m", "reconciler", "--config", str(config), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_two_schedulers_on_one_postgresql_store_judge_each_hour_exactly_once(pg_events, tmp_path,
                                                                              make_pg_database):
    store_url = make_pg_database("svc_two_replicas")
    path = write_project(tmp_path, pg_events["old"], pg_events["new"], store_url=store_url,
                         job={"max_catchup_hours": "24"})
    store = ReportStore(store_url)
    store.upgrade()
    store.start_watermark(JOB, T0 - HOUR, now=T0)
    now = iso(T0 + 24 * HOUR + timedelta(minutes=15))
    replicas = [reconciler(path, "schedule", "--once", "--now", now) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in replicas]
    assert [p.returncode for p in replicas] == [0, 0], outputs
    try:
        assert runs_by_hour(store) == {T0 + i * HOUR: ["pass"] for i in range(24)}
        assert store.watermark(JOB) == T0 + 23 * HOUR
        stored = [int(out.split(" run(s) stored")[0].rsplit(" ", 1)[-1]) for out, _ in outputs]
        assert sum(stored) == 24
    finally:
        store.close()


def test_a_second_scheduler_on_a_sqlite_store_refuses_to_start(tmp_path):
    database = tmp_path / "reconciler.db"
    first = SingleInstance(database)
    try:
        path = write_project(tmp_path, "postgresql://u:pw@127.0.0.1:1/old", "postgresql://u:pw@127.0.0.1:1/new",
                             store_url=f"sqlite:///{database}")
        child = reconciler(path, "schedule", "--once")
        out, err = child.communicate(timeout=120)
        assert (child.returncode, out) == (2, "")
        assert err.endswith(
            f"reconciler: another `reconciler schedule` (pid {os.getpid()}) already runs on the SQLite report store "
            f"{database}: SQLite is for one machine and one scheduler. Stop it first, or give both replicas a "
            "PostgreSQL report_store.url\n")
    finally:
        first.release()


def test_sigterm_in_the_middle_of_a_window_exits_0_and_stores_nothing_of_it(pg_events, tmp_path):
    slow_old = ("{source: old, query: \"SELECT l.* FROM legacy_events l, pg_sleep(60) s\", time: ts, key: [id]}")
    path = write_project(tmp_path, pg_events["old"], pg_events["new"], old_side=slow_old,
                         service="{shutdown_grace: 1s}")
    store = ReportStore(f"sqlite:///{tmp_path / 'store.db'}")
    store.upgrade()
    child = reconciler(path, "schedule", "--port", "0")
    try:
        events = []
        for line in child.stderr:
            events.append(json.loads(line))
            if events[-1]["message"].startswith(f"{JOB}: judging window"):
                break
        child.send_signal(signal.SIGTERM)
        _, rest = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0
    events += [json.loads(line) for line in rest.splitlines()]
    assert [e.get("event") for e in events if e.get("event") not in (None, "listening")][-4:] == [
        "signal", "stopping", "abandoned", "stopped"], events
    assert events[-1]["current_window"] == "abandoned"
    try:
        assert store.list_runs() == []
        with store.engine.connect() as conn:
            for table in ("results", "compares", "samples", "window_ledger", "ledger_verdicts"):
                assert conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar() == 0, table
    finally:
        store.close()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_readiness_answers_503_while_the_store_is_down(tmp_path, make_pg_database, pg_admin):
    store_url = make_pg_database("svc_readiness")
    path = write_project(tmp_path, "postgresql://u:pw@127.0.0.1:1/old", "postgresql://u:pw@127.0.0.1:1/new",
                         store_url=store_url)
    service = Service(load_config(path))
    server = HealthServer(service, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        assert get(f"{base}/health/readiness")[0] == 503   # the scheduler is not running yet
        service.start(catch_up_now=False)
        assert get(f"{base}/health/liveness") == (200, '{"status": "alive"}')
        assert get(f"{base}/health/readiness") == (200, json.dumps(
            {"status": "ready", "checks": {"config": "loaded", "store": "ok", "scheduler": "running"}}))
        set_database_down(pg_admin, store_url, True)
        code, body = get(f"{base}/health/readiness")
        assert code == 503
        doc = json.loads(body)
        assert doc["status"] == "not ready"
        assert doc["checks"]["store"].startswith("unavailable: report store postgresql+psycopg://postgres@")
        assert get(f"{base}/health/liveness")[0] == 200
        set_database_down(pg_admin, store_url, False)
        assert get(f"{base}/health/readiness")[0] == 200
        code, metrics = get(f"{base}/metrics")
        assert code == 200
        assert "reconciler_scheduler_running 1.0" in metrics
        assert "# TYPE reconciler_windows_judged_total counter" in metrics
        assert "# TYPE reconciler_watermark_lag_seconds gauge" in metrics
        service.request_stop()
        code, body = get(f"{base}/health/readiness")
        assert (code, json.loads(body)["checks"]["scheduler"]) == (503, "stopping")
    finally:
        set_database_down(pg_admin, store_url, False)
        service.shutdown(grace=5)
        server.close()
        service.store.close()


def test_log_lines_are_json_without_secrets():
    import logging

    from reconciler.service.jsonlog import JsonFormatter

    record = logging.LogRecord("reconciler.service.jobs", logging.WARNING, __file__, 1,
                               "source 'old' (postgresql://app:hunter2@db/events) failed; token xoxb-123-abc", None,
                               None)
    record.job = "hourly"
    line = JsonFormatter().format(record)
    doc = json.loads(line)
    assert (doc["level"], doc["logger"], doc["job"]) == ("warning", "reconciler.service.jobs", "hourly")
    assert doc["message"] == "source 'old' (postgresql://app:***@db/events) failed; token xox*-***"
    assert "hunter2" not in line and "\n" not in line
    assert redact("https://hooks.slack.com/services/T000/B000/XXXX") == "https://hooks.slack.com/services/***"
    assert redact("Authorization: Bearer glc_eyJrIjoi; next") == "Authorization: Bearer ***; next"
