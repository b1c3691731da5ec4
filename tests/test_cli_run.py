"""`reconciler run JOB`: on the SQLite demo data it stores one run per hour, writes the HTML and
JSON reports under the configured directory and exits 1 on the demo's faults; an unreachable
source is an `error` run (exit 3) that leaves the watermark alone; re-running a window
supersedes its verdict and keeps the history; a job's counts + rows of one dataset compare it
once. `job_windows` as pure functions of (config, now, watermark). And `reconciler demo`
ends with the HTML report, whose runs `reconciler report list` shows."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from integrity_fixtures import CLOSED_PORT_PG, DEMO_HOURS, ROOT, copy_project, run_cli, sqlite_demo, use_sources  # noqa: F401  (fixtures)

from reconciler.config import load_config
from reconciler.errors import UsageError
from reconciler.service.jobs import MAX_CATCH_UP, checks_to_run, job_windows, plan_day
from reconciler.store import open_report_store
from reconciler.store.windows import HourState
from reconciler.timeutil import HOUR, Window, iso

UTC = timezone.utc


@pytest.fixture
def project(tmp_path, monkeypatch, sqlite_demo):
    """Temp cwd with the shipped schedule.yaml pointed at the SQLite demo pair; its report
    store and report directory are tmp_path/reports/ (relative to the config)."""
    copy_project(tmp_path)
    use_sources(monkeypatch, sqlite_demo["old"], sqlite_demo["new"], sqlite_demo["timezone"])
    monkeypatch.chdir(tmp_path)
    return tmp_path


def hour_args(demo, first: int, hours: int = 1) -> list[str]:
    start = demo["start"] + first * HOUR
    return ["--start", iso(start), "--end", iso(start + hours * HOUR)]


def demo_hour(demo, index: int) -> datetime:
    return demo["start"] + index * HOUR


def store_of(project: Path):
    return open_report_store(load_config(project / "schedule.yaml"))


def test_run_stores_every_hour_writes_reports_and_exits_1_on_the_faults(project, sqlite_demo, capfd):
    code, out, _ = run_cli(capfd, "run", "hourly-shadow", *hour_args(sqlite_demo, 0, DEMO_HOURS), "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert (doc["job"], doc["status"]) == ("hourly-shadow", "fail")
    # every injected fault of the demo scenario lies in its last hour
    faults = sqlite_demo["scenario"].faults
    assert {faults[k] for k in ("loss", "new_only", "late", "silent", "changed")} == {DEMO_HOURS - 1}
    expected = [(iso(demo_hour(sqlite_demo, i)), iso(demo_hour(sqlite_demo, i + 1)),
                 "fail" if i == DEMO_HOURS - 1 else "pass") for i in range(DEMO_HOURS)]
    assert [(r["window"]["start"], r["window"]["end"], r["status"]) for r in doc["runs"]] == expected
    assert [r["id"] for r in doc["runs"]] == [1, 2, 3, 4]
    assert all(r["message"] is None for r in doc["runs"])
    assert [r["failing"] for r in doc["runs"][:-1]] == [[]] * (DEMO_HOURS - 1)
    assert [(f["check"], f["status"]) for f in doc["runs"][-1]["failing"]] == [
        ("drift_defined", "fail"), ("row_match", "fail")]
    assert all(f["reason"] for f in doc["runs"][-1]["failing"])
    for r in doc["runs"]:
        html, report = Path(r["html"]), Path(r["json"])  # relative to the config's folder, the cwd here
        name = f"reports/runs/{r['id']:06d}-hourly-shadow-{r['window']['start'][:13].replace('-', '')}00Z"
        assert (str(html), str(report)) == (f"{name}.html", f"{name}.json")
        assert html.is_file() and report.is_file()
        assert html.read_text().lstrip().lower().startswith("<!doctype html")
        stored = json.loads(report.read_text())
        assert (stored["id"], stored["job"], stored["status"], stored["window"]) == (
            r["id"], "hourly-shadow", r["status"], r["window"])
    assert (project / "reports" / "index.html").is_file()
    assert (project / "reports" / "reconciler.db").is_file()

    code, out, _ = run_cli(capfd, "report", "list", "--format", "json")
    assert code == 0
    listed = json.loads(out)["runs"]
    assert [(r["id"], r["job"], r["window"]["start"], r["window"]["end"], r["status"]) for r in listed] == \
           [(4 - i, "hourly-shadow", *expected[3 - i]) for i in range(DEMO_HOURS)]
    assert listed[0]["source_names"] == {"old": sqlite_demo["old"], "new": sqlite_demo["new"]}
    code, out, _ = run_cli(capfd, "report", "list", "--status", "fail", "--format", "json")
    assert [r["id"] for r in json.loads(out)["runs"]] == [4]
    store = store_of(project)
    try:
        failing = {run_id: [(r["check"], r["violations"]) for r in store.get_run(run_id)["results"]
                            if r["status"] != "pass"] for run_id in (1, 2, 3, 4)}
        # the last hour: no old rows at all (drift undefined) and every kind of row difference
        assert failing == {1: [], 2: [], 3: [], 4: [("drift_defined", 1), ("row_match", 1)]}
        assert store.watermark("hourly-shadow") == demo_hour(sqlite_demo, DEMO_HOURS - 1)
        ledger = store.ledger("device_events")
        assert [(row["hour"].replace(tzinfo=UTC) if row["hour"].tzinfo is None else row["hour"], row["state"],
                 row["judged_count"]) for row in ledger] == \
               [(demo_hour(sqlite_demo, i), "drifted" if i == DEMO_HOURS - 1 else "verified", 1)
                for i in range(DEMO_HOURS)]
    finally:
        store.close()


def test_report_list_counts_each_check_of_a_run_once(project, sqlite_demo, capfd):
    code, _, _ = run_cli(capfd, "run", "hourly-shadow", *hour_args(sqlite_demo, DEMO_HOURS - 1))
    assert code == 1
    _, out, _ = run_cli(capfd, "report", "list", "--format", "json")
    [run] = json.loads(out)["runs"]
    suite_checks = len(json.loads((ROOT / "expectations" / "device_events.json").read_text())["expectations"])
    assert (run["checks"], run["failing_checks"]) == (suite_checks, 2)


def test_counts_and_rows_of_one_dataset_are_compared_once(project, sqlite_demo, capfd):
    loaded = load_config(project / "schedule.yaml")
    assert loaded.config.jobs["hourly-shadow"].checks == ["event_counts", "event_rows"]
    assert checks_to_run(loaded, "hourly-shadow") == ["event_rows"]
    assert checks_to_run(loaded, "hourly-bookings") == ["bookings", "bookings_suite", "bookings_migrated"]
    code, out, _ = run_cli(capfd, "run", "hourly-shadow", *hour_args(sqlite_demo, 0), "--format", "json")
    assert code == 0
    [run] = json.loads(out)["runs"]
    store = store_of(project)
    try:
        stored = store.get_run(run["id"])
    finally:
        store.close()
    assert [(c["dataset"], c["mode"]) for c in stored["compares"]] == [("device_events", "rows")]
    checks = [r for c in stored["compares"] for r in c.get("checks", [])] + stored["results"]
    assert {r.get("details", {}).get("config_check") for r in checks} == {"event_rows"}


def test_an_unreachable_source_is_an_error_run_exit_3_and_the_watermark_stays(project, sqlite_demo, monkeypatch,
                                                                            capfd):
    code, _, _ = run_cli(capfd, "run", "hourly-shadow", *hour_args(sqlite_demo, 0), "--format", "json")
    assert code == 0
    monkeypatch.setenv("OLD_DATABASE_URL", CLOSED_PORT_PG)
    code, out, err = run_cli(capfd, "run", "hourly-shadow", *hour_args(sqlite_demo, 1), "--format", "json")
    assert code == 3
    assert "hunter2secret" not in out + err
    doc = json.loads(out)
    assert doc["status"] == "error"
    [run] = doc["runs"]
    assert (run["id"], run["status"]) == (2, "error")
    assert run["message"].startswith("source 'old' (postgresql+psycopg://reconciler:***@127.0.0.1:1/nowhere) "
                                     "is unreachable: ")
    assert Path(run["html"]).is_file()
    store = store_of(project)
    try:
        assert store.watermark("hourly-shadow") == demo_hour(sqlite_demo, 0)
        stored = store.get_run(2)
        assert (stored["status"], stored["message"], stored["results"]) == ("error", run["message"], [])
        ledger = {row["hour"].replace(tzinfo=UTC): row["state"] for row in store.ledger("device_events")}
        assert ledger == {demo_hour(sqlite_demo, 0): "verified", demo_hour(sqlite_demo, 1): "error"}
    finally:
        store.close()
    code, out, _ = run_cli(capfd, "report", "list", "--format", "json")
    assert [(r["id"], r["status"], r["message"]) for r in json.loads(out)["runs"]] == [
        (2, "error", run["message"]), (1, "pass", None)]


def test_rerunning_a_window_supersedes_its_verdict_and_keeps_the_history(project, sqlite_demo, capfd):
    last = DEMO_HOURS - 1
    first_code, _, _ = run_cli(capfd, "run", "hourly-shadow", *hour_args(sqlite_demo, last), "--format", "json")
    code, out, _ = run_cli(capfd, "run", "hourly-shadow", *hour_args(sqlite_demo, last))
    assert (first_code, code) == (1, 1)
    hour = demo_hour(sqlite_demo, last)
    assert out == (f"run     2  {iso(hour)} → {iso(hour + HOUR)}  fail   "
                   f"reports/runs/000002-hourly-shadow-{hour:%Y%m%dT%H%MZ}.html\n"
                   "    fail drift_defined: no events in old, 106 in new\n"
                   "    fail row_match: match 0 % < 99.9 %: 106 of 106 rows differ (106 extra)\n")
    store = store_of(project)
    try:
        [row] = store.ledger("device_events")
        assert (row["state"], row["verdict"], row["run_id"], row["judged_count"]) == ("drifted", "fail", 2, 2)
        history = store.ledger_history("device_events", hour)
        assert [(h["run_id"], h["state"], h["superseded"], h["superseded_by"]) for h in history] == [
            (1, "drifted", True, 2), (2, "drifted", False, None)]
        assert [r["id"] for r in store.list_runs(job="hourly-shadow")] == [2, 1]
        assert store.watermark("hourly-shadow") == hour
    finally:
        store.close()


def test_run_unknown_job_exits_2_naming_the_known_ones(project, capfd):
    code, out, err = run_cli(capfd, "run", "hourly-shadw")
    assert (code, out) == (2, "")
    assert err == ("reconciler: unknown job 'hourly-shadw' in schedule.yaml (known: hourly-shadow, hourly-bookings); "
                   "did you mean 'hourly-shadow'?\n")


def test_run_with_a_postgresql_report_store(project, sqlite_demo, monkeypatch, make_pg_database, capfd):
    monkeypatch.setenv("REPORT_DATABASE_URL", make_pg_database("run_store"))
    code, out, _ = run_cli(capfd, "run", "hourly-shadow", *hour_args(sqlite_demo, 2, 2), "--format", "json")
    assert code == 1
    assert [r["status"] for r in json.loads(out)["runs"]] == ["pass", "fail"]
    assert not (project / "reports" / "reconciler.db").exists()
    code, out, _ = run_cli(capfd, "report", "list", "--job", "hourly-shadow", "--format", "json")
    assert code == 0
    runs = json.loads(out)["runs"]
    assert [r["status"] for r in runs] == ["fail", "pass"]
    store = store_of(project)
    try:
        assert store.display_url.startswith("postgresql+psycopg://")
        assert store.watermark("hourly-shadow") == demo_hour(sqlite_demo, 3)
    finally:
        store.close()


def test_jobs_tells_errored_hours_from_failing_ones(project, sqlite_demo, capfd):
    """'errored' is an hour whose run could not finish; a failing hour was judged and failed: the
    demo's last hour fails, and no run ended in an error."""
    code, _, _ = run_cli(capfd, "run", "hourly-shadow", *hour_args(sqlite_demo, 0, DEMO_HOURS))
    assert code == 1
    code, out, _ = run_cli(capfd, "jobs", "--now", iso(sqlite_demo["end"] + 20 * timedelta(minutes=1)))
    assert code == 0
    lines = out.splitlines()
    start = lines.index("hourly-shadow")
    assert lines[start + 5:start + 7] == [
        "  errored     none", f"  failing     1 hour of the last 24: {iso(demo_hour(sqlite_demo, DEMO_HOURS - 1))}"]
    code, out, _ = run_cli(capfd, "jobs", "--now", iso(sqlite_demo["end"] + 20 * timedelta(minutes=1)),
                           "--format", "json")
    [job] = [j for j in json.loads(out)["jobs"] if j["job"] == "hourly-shadow"]
    assert (job["failed_hours"], job["failing_hours_24h"]) == ([], [iso(demo_hour(sqlite_demo, DEMO_HOURS - 1))])


# ------------------------------------------------------------------ job_windows, pure

@pytest.fixture(scope="module")
def jobs_config(tmp_path_factory):
    path = tmp_path_factory.mktemp("jobs") / "schedule.yaml"
    path.write_text(
        "sources:\n  queue: {url: \"redis://127.0.0.1:6379/0\"}\n"
        "checks:\n  dlq: {type: health, source: queue, dlq_key: dlq}\n"
        "jobs:\n"
        "  hourly: {cron: \"5 * * * *\", checks: [dlq]}\n"                        # settle 10m, recheck 2
        "  eager: {cron: \"0 * * * *\", checks: [dlq], settle: 0m, recheck_hours: 0}\n"
        "  daily: {cron: \"30 2 * * *\", checks: [dlq], window: previous_day, settle: 2h}\n"
    )
    return load_config(path)


T = datetime(2026, 3, 15, 10, 25, tzinfo=UTC)


def at(hour: int, minute: int = 0, day: int = 15) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def starts(windows) -> list[datetime]:
    assert all(w.end - w.start == HOUR for w in windows)
    return [w.start for w in windows]


def test_job_windows_settle_and_recheck_without_a_watermark(jobs_config):
    # 10:25 less 10m settles 10:00; the last settled hour 09:00 plus 2 re-checked before it
    assert starts(job_windows(jobs_config, "hourly", T, None)) == [at(7), at(8), at(9)]
    # at 10:05 the hour 09:00 has not settled yet
    assert starts(job_windows(jobs_config, "hourly", at(10, 5), None)) == [at(6), at(7), at(8)]
    assert starts(job_windows(jobs_config, "eager", at(10, 0), None)) == [at(9)]


def test_job_windows_catch_up_from_the_watermark(jobs_config):
    # watermark 05:00 (judged): catch up from 06:00, further back than the recheck
    assert starts(job_windows(jobs_config, "hourly", T, at(5))) == [at(6), at(7), at(8), at(9)]
    # a recent watermark never shortens the recheck: the 2 hours before the newest settled one
    # (09:00, judged already) are judged again; with recheck_hours 0 nothing is
    assert starts(job_windows(jobs_config, "hourly", T, at(9))) == [at(7), at(8)]
    assert starts(job_windows(jobs_config, "hourly", T, at(8))) == [at(7), at(8), at(9)]
    assert starts(job_windows(jobs_config, "eager", T, at(9))) == []
    assert starts(job_windows(jobs_config, "eager", T, at(7))) == [at(8), at(9)]


def test_job_windows_catch_up_is_capped_at_seven_days(jobs_config):
    windows = job_windows(jobs_config, "eager", T, at(9) - timedelta(days=30))
    assert MAX_CATCH_UP == timedelta(days=7)
    assert len(windows) == 7 * 24
    assert (windows[0].start, windows[-1].end) == (at(10) - timedelta(days=7), at(10))
    exactly = job_windows(jobs_config, "eager", T, at(9) - timedelta(days=7))
    assert (len(exactly), exactly[0].start) == (7 * 24, at(10) - timedelta(days=7))


def test_job_windows_previous_day(jobs_config):
    assert job_windows(jobs_config, "daily", at(2, 30), None) == [Window(at(0, day=14), at(0, day=15))]
    # before the settle delay has passed after midnight, the day before is still the latest
    assert job_windows(jobs_config, "daily", at(1, 30), None) == [Window(at(0, day=13), at(0, day=14))]
    assert job_windows(jobs_config, "daily", at(2, 30), at(5, day=1)) == [Window(at(0, day=14), at(0, day=15))]


def test_a_previous_day_plan_skips_a_day_already_judged(jobs_config):
    cfg = jobs_config.config.jobs["daily"]
    day = Window(at(0, day=14), at(0, day=15))
    assert plan_day(cfg, at(2, 30), {}).windows == [day]
    judged = {h: HourState(h, judged_at=at(2, 31)) for h in day.hours()}
    assert (plan_day(cfg, at(2, 30), judged).windows, plan_day(cfg, at(2, 30), judged).pending) == ([], [])
    one_hour_missing = {h: s for h, s in judged.items() if h != at(13, day=14)}
    assert plan_day(cfg, at(2, 30), one_hour_missing).windows == [day]


def test_run_and_the_scheduler_skip_a_day_already_judged_alike(project, sqlite_demo, capfd):
    """`run JOB` of a previous_day job plans its window where the tick does (service.jobs.job_plan)."""
    path = project / "schedule.yaml"
    path.write_text(path.read_text().replace(
        "\njobs:\n", "\njobs:\n  daily: {cron: \"30 2 * * *\", checks: [event_counts], window: previous_day, "
                      "settle: 0m}\n", 1))
    now = sqlite_demo["end"] + timedelta(days=1, minutes=30)
    day_start = (now - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    code, out, _ = run_cli(capfd, "run", "daily", "--now", iso(now), "--format", "json")
    assert code in (0, 1)
    assert [r["window"] for r in json.loads(out)["runs"]] == [{"start": iso(day_start),
                                                                "end": iso(day_start + 24 * HOUR)}]
    code, out, _ = run_cli(capfd, "run", "daily", "--now", iso(now), "--format", "json")
    assert (code, json.loads(out)["runs"]) == (0, [])
    from reconciler.service.scheduler import Service

    service = Service(load_config(path))
    try:
        assert service.tick("daily", now).report.runs == []
    finally:
        service.close()


def test_job_windows_explicit_range_is_cut_into_hours(jobs_config):
    assert starts(job_windows(jobs_config, "hourly", T, at(5), at(1), at(4))) == [at(1), at(2), at(3)]
    # only --end: the hour before it; only --start: until the last settled hour
    assert starts(job_windows(jobs_config, "hourly", T, None, None, at(4))) == [at(3)]
    assert starts(job_windows(jobs_config, "hourly", T, None, at(7), None)) == [at(7), at(8), at(9)]
    with pytest.raises(UsageError) as e:
        job_windows(jobs_config, "hourly", T, None, at(4), at(4))
    assert str(e.value) == "bad window: end 2026-03-15T04:00:00Z is not after start 2026-03-15T04:00:00Z"


def test_run_with_end_before_start_prints_iso_times(project, capfd):
    assert run_cli(capfd, "run", "hourly-shadow", "--start", "2026-12-03T06:00Z", "--end", "2026-12-03T05:00Z",
                   "--now", "2026-12-03T09:30Z") == (
        2, "", "reconciler: bad window: end 2026-12-03T05:00:00Z is not after start 2026-12-03T06:00:00Z\n")


# ------------------------------------------------------------------ reconciler demo

def test_demo_ends_with_the_html_report_and_report_list_shows_its_runs(tmp_path, monkeypatch, capfd):
    """The README's first command: no schedule.yaml in the working directory and no variable set;
    the demo writes and uses its own config under --out (default reports/demo)."""
    for name in ("OLD_DATABASE_URL", "NEW_DATABASE_URL", "OLD_TIMEZONE", "REDIS_URL", "REPORT_DATABASE_URL",
                 "RECONCILER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capfd, "demo", "--hours", "6", "--rate", "0.05")
    assert code == 0
    demo = tmp_path / "reports" / "demo"
    assert f"HTML report: {(demo / 'index.html').resolve()}\n" in out
    assert "again: reconciler compare device_events --config reports/demo/schedule.yaml --start " in out
    assert "       reconciler report list --config reports/demo/schedule.yaml\n" in out
    assert ("       reconciler report serve --config reports/demo/schedule.yaml   (the reports where the links above "
            "point)\n") in out
    assert "<http://127.0.0.1:9108/reports/runs/" in out   # the links of the Slack messages it shows
    assert (demo / "index.html").is_file()
    assert not (tmp_path / "schedule.yaml").exists()
    assert "job hourly-shadow: 6 hours judged and stored" in out
    assert re.search(r"^job hourly-bookings: point-in-time checks as of \S+Z judged and stored, 1 not passing$", out,
                     re.M)
    code, out, _ = run_cli(capfd, "report", "list", "--config", "reports/demo/schedule.yaml", "--format", "json")
    assert code == 0
    runs = json.loads(out)["runs"]
    assert sorted((r["id"], r["job"]) for r in runs) == [(i, "hourly-shadow") for i in range(1, 7)] + [
        (7, "hourly-bookings")]
    assert {r["id"]: r["status"] for r in runs}[7] == "fail"
    assert len(list((demo / "runs").glob("*.html"))) == 7


# The child: `reconciler ARGS`, killed (SIGKILL, nothing runs after it) at the moment the first
# stored run's report files would be written, i.e. after the store's transaction committed.
KILLED_AFTER_COMMIT = """
import os, signal, sys
import reconciler.report

def killed(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

reconciler.report.write_reports = killed
from reconciler.cli import main
main(sys.argv[1:])
"""


def run_killed_after_commit(project: Path, *args) -> None:
    import os
    import signal
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.run([sys.executable, "-c", KILLED_AFTER_COMMIT, *args], cwd=project, env=env,
                           capture_output=True, text=True, timeout=300)
    assert child.returncode == -signal.SIGKILL, child.stderr


@pytest.mark.parametrize("healer", ["run", "report open"])
def test_a_run_killed_after_its_commit_gets_its_reports_from_the_next_command(project, sqlite_demo, capfd,
                                                                              healer):
    from reconciler.report.model import run_basename

    run_killed_after_commit(project, "run", "hourly-shadow", *hour_args(sqlite_demo, 0))
    stored = store_of(project).list_runs()
    assert [(r["id"], r["window"]["start"]) for r in stored] == [(1, iso(demo_hour(sqlite_demo, 0)))]
    runs_dir = project / "reports" / "runs"
    killed = run_basename(stored[0])
    assert not runs_dir.exists() or sorted(p.name for p in runs_dir.iterdir()) == []

    if healer == "run":  # the job's next hour
        code, _, _ = run_cli(capfd, "run", "hourly-shadow", *hour_args(sqlite_demo, 1))
        expected = {killed, run_basename(store_of(project).list_runs()[0])}
    else:
        code, _, _ = run_cli(capfd, "report", "open")
        expected = {killed}
    assert code == 0
    assert sorted(p.name for p in runs_dir.iterdir()) == sorted(f"{b}{s}" for b in expected for s in (".html", ".json"))
    assert json.loads((runs_dir / f"{killed}.json").read_text())["id"] == 1
    assert f"{killed}.html" in (project / "reports" / "index.html").read_text()


def test_a_job_run_with_nothing_to_judge_still_writes_the_reports_a_killed_run_left_out(project, sqlite_demo):
    from reconciler.report.model import run_basename
    from reconciler.service.jobs import JobSession, judge_windows

    run_killed_after_commit(project, "run", "hourly-shadow", *hour_args(sqlite_demo, 0))
    store = store_of(project)
    session = JobSession(load_config(project / "schedule.yaml"), store, sources={})
    report = judge_windows(session, "hourly-shadow", [], sqlite_demo["end"], mark=store.last_run_id(),
                           point_in_time=False)
    assert report.runs == []
    killed = run_basename(store_of(project).list_runs()[0])
    assert sorted(p.name for p in (project / "reports" / "runs").iterdir()) == [f"{killed}.html", f"{killed}.json"]
