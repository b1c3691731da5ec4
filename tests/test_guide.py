"""docs/guide.md, followed command by command from an empty folder: `reconciler init`, the
environment, a first `compare`, a backfill with `run`, `schedule` as a service (a real
process, with its HTTP endpoints and /reports/), Slack through the local stand-in (real
slack-sdk), and the gate answering. The commands are read from the guide's ```sh blocks, so
a command added to the guide fails here until the test knows what it must do.

The databases: PostgreSQL for the old system (the legacy event schema), TimescaleDB for the
new one (a hypertable), or PostgreSQL when no TimescaleDB answers outside CI; the report
store is PostgreSQL, as the guide exports it. Events run from yesterday 00:00 UTC to now,
identical on both sides; the booking tables hold the same clean bookings on both."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import in_ci
from fake_slack import GOOD_TOKEN, FakeSlack
from integrity_fixtures import run_cli
from timescale_fixtures import make_hypertable

from reconciler.demo.bookings import (
    BASE_PROPERTIES,
    base_stays,
    create_booking_schema,
    device_rows,
    merge_rows,
    stay_rows,
    write_rows,
)
from reconciler.store import ReportStore
from reconciler.timeutil import HOUR, floor_hour

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "guide.md"
UTC = timezone.utc
PER_HOUR = 6
SETTLE = timedelta(minutes=10)   # the template's hourly-shadow job


def guide_commands() -> list[str]:
    """Every line of the guide's ```sh blocks, in order."""
    blocks = re.findall(r"```sh\n(.*?)```", GUIDE.read_text(), re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


# -- the two systems ----------------------------------------------------------------------------------------------

def load_events(old_url: str, new_url: str, start: datetime, end: datetime, hypertable: bool) -> None:
    rows, t, event_id = [], start, 1
    while t < end:
        for i in range(PER_HOUR):
            at = t + timedelta(minutes=9 * i + 2)
            if at < end:
                rows.append((event_id, f"dev-{i % 3}", "temp", event_id / 10, at))
                event_id += 1
        t += HOUR
    for url, ddl, insert in (
        (old_url, "CREATE TABLE legacy_events (id bigint PRIMARY KEY, device text, kind text, "
                  "reading double precision, ts timestamptz NOT NULL)",
         "INSERT INTO legacy_events VALUES (%s, %s, %s, %s, %s)"),
        (new_url, "CREATE TABLE device_events (event_id bigint PRIMARY KEY, device_id text, event_type text, "
                  "value double precision, time timestamptz NOT NULL)",
         "INSERT INTO device_events VALUES (%s, %s, %s, %s, %s)"),
    ):
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql(ddl)
        if hypertable and url == new_url:
            make_hypertable(engine, "device_events", "time")
        with engine.begin() as conn:
            conn.connection.cursor().executemany(insert, rows)
        engine.dispose()


def load_clean_bookings(url: str, today) -> None:
    """The demo's base bookings, with no planted violation: the same on both systems."""
    rows = merge_rows({"devices": device_rows(BASE_PROPERTIES)}, *(stay_rows(s, today) for s in base_stays(today)))
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        create_booking_schema(conn)
        write_rows(conn, rows)
    engine.dispose()


def delete_new_event_in(url: str, hour: datetime) -> int:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        gone = conn.execute(sa.text("DELETE FROM device_events WHERE event_id = (SELECT min(event_id) FROM "
                                    "device_events WHERE time >= :s AND time < :e) RETURNING event_id"),
                            {"s": hour, "e": hour + HOUR}).scalar_one()
    engine.dispose()
    return gone


@pytest.fixture
def systems(request, make_pg_database):
    """{"old", "new", "store": url, "kind": "timescaledb" | "postgresql"} loaded as the module says."""
    try:
        new_url, kind = request.getfixturevalue("make_timescale_database")("guide_new"), "timescaledb"
    except pytest.skip.Exception:
        if in_ci():
            raise
        new_url, kind = make_pg_database("guide_new"), "postgresql"
    old_url, store_url = make_pg_database("guide_old"), make_pg_database("guide_store")
    now = datetime.now(UTC)
    if now.hour == 23 and now.minute >= 55:   # `yesterday` must mean the same day for the whole test
        time.sleep((floor_hour(now) + HOUR - now).total_seconds() + 5)
        now = datetime.now(UTC)
    yesterday = floor_hour(now).replace(hour=0) - timedelta(days=1)
    load_events(old_url, new_url, yesterday, now, hypertable=kind == "timescaledb")
    for url in (old_url, new_url):
        load_clean_bookings(url, now.date())
    return {"old": old_url, "new": new_url, "store": store_url, "kind": kind}


# -- the service, a real process ------------------------------------------------------------------------------------

@dataclass
class Session:
    """The shell the guide is followed in: its folder, environment and background service."""

    directory: Path
    port: int
    slack: FakeSlack
    systems: dict
    service: subprocess.Popen | None = None
    outputs: list = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start_service(self) -> None:
        self.stop_service()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.service = subprocess.Popen([sys.executable, "-m", "reconciler", "schedule"], cwd=self.directory,
                                        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def stop_service(self) -> None:
        if self.service is None:
            return
        self.service.send_signal(signal.SIGTERM)
        out, err = self.service.communicate(timeout=120)
        self.outputs.append(err)
        assert self.service.returncode == 0, err[-3000:]
        self.service = None

    def metric(self, name: str) -> float | None:
        status, body = get(self.url("/metrics"))
        match = re.search(rf"^{re.escape(name)} (\S+)$", body, re.M) if status == 200 else None
        return float(match.group(1)) if match else None

    def wait_until(self, what: str, condition, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.service is not None and self.service.poll() is not None:
                pytest.fail(f"the service exited {self.service.returncode} while waiting for {what}: "
                            f"{self.service.stderr.read()[-3000:]}")
            if condition():
                return
            time.sleep(0.5)
        self.service.send_signal(signal.SIGTERM)
        _, err = self.service.communicate(timeout=120)
        self.service = None
        pytest.fail(f"timed out waiting for {what}; Slack got {[m['text'][:80] for m in self.slack.messages]}; "
                    f"the service said:\n{err[-6000:]}")

    def ticks_ended(self) -> bool:
        try:
            return all(self.metric(f'reconciler_last_tick_timestamp_seconds{{job="{job}"}}') is not None
                       for job in ("hourly-shadow", "hourly-bookings"))
        except OSError:
            return False


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- what each command of the guide must do -------------------------------------------------------------------------

def after_init(s: Session, out: str) -> None:
    assert out.startswith("wrote schedule.yaml; copied ")
    assert (s.directory / "checks" / "bookings").is_dir() and (s.directory / "expectations").is_dir()


def after_jobs(s: Session, out: str) -> None:
    assert "hourly-shadow" in out and "hourly-bookings" in out


def after_first_jobs(s: Session, out: str) -> None:
    after_jobs(s, out)
    assert out.count("watermark   - (never judged)") == 2


def after_counts(s: Session, out: str) -> None:
    assert "device_events" in out


def after_run(s: Session, out: str) -> None:
    store = ReportStore(s.systems["store"])
    try:
        runs = store.list_runs(job="hourly-shadow")
    finally:
        store.close()
    assert len(runs) == 24 and {r["status"] for r in runs} == {"pass"}


def after_report_list(s: Session, out: str) -> None:
    assert out.count("hourly-shadow") >= 24


def after_report_open(s: Session, out: str) -> None:
    assert out == "reports/index.html\n" and (s.directory / "reports" / "index.html").is_file()


def after_schedule(s: Session, out: str) -> None:
    s.wait_until("the first tick of both jobs", s.ticks_ended)


def after_readiness(s: Session, body: str) -> None:
    assert json.loads(body)["status"] == "ready"


def after_reports(s: Session, body: str) -> None:
    assert body.startswith("<!DOCTYPE html>") and "runs/" in body


def after_jobs_with_service(s: Session, out: str) -> None:
    shadow, bookings = out.split("hourly-bookings")
    assert "watermark   - (never judged)" not in shadow and "pending     none" in shadow
    assert "hour(s)" not in out
    assert "point-in-time only" in bookings and "last run    -" not in bookings


def after_notify_test(s: Session, out: str) -> None:
    assert out.startswith("Slack accepted the test message: channel #migration-updates")
    assert s.slack.messages[-1]["text"].endswith("(bot token).")


def before_restart(s: Session) -> None:
    """A row the new system lost, in an hour the restarted service rechecks (recheck_hours: 2).
    A tick rechecks hours judged before its own minute: a person restarts minutes later, this
    test within seconds, so it waits for the minute after the last tick."""
    s.stop_service()
    ticks = [datetime.fromisoformat(t.replace("Z", "+00:00")) for t in re.findall(r'"tick": "([^"]+)"', s.outputs[-1])]
    assert ticks, s.outputs[-1][-3000:]
    while datetime.now(UTC) < max(ticks) + timedelta(minutes=1):
        time.sleep(0.2)
    newest_settled = floor_hour(datetime.now(UTC) - SETTLE) - HOUR
    s.faulty_hour = newest_settled - HOUR
    delete_new_event_in(s.systems["new"], s.faulty_hour)
    s.slack.messages.clear()


def after_restart(s: Session, out: str) -> None:
    """The recheck that turned the hour into a failure reaches Slack, with a link to the hour's
    report that the service itself serves."""
    hour = f"{s.faulty_hour:%Y-%m-%dT%H:%M:%SZ}"
    expected = f"🔄 Rechecked hour {hour}: *row_match (device_events)* is now *failing*"

    def told() -> list[dict]:
        return [m for m in s.slack.messages if m["text"].startswith(expected)]

    s.wait_until("the recheck on Slack", told, 120)
    message = json.dumps(told()[0], ensure_ascii=False)
    links = re.findall(rf"http://[^/\s|>\"]+:{s.port}/reports/runs/[^|>\"\s]+\.html", message)
    assert links, message
    status, page = get(s.url("/reports/" + links[0].split("/reports/", 1)[1]))
    assert status == 200 and page.startswith("<!DOCTYPE html>")


def after_gate(s: Session, out: str) -> None:
    """No-go: the hour that lost a row fails drift and match; the rest lacks evidence (fewer
    than 7 days judged, no lag, latency or queue check configured); the bookings are clean."""
    assert out.endswith("verdict: NO-GO — not met: drift, match; incomplete evidence: coverage, lag, latency, "
                        "queues\n"), out
    hour = f"{s.faulty_hour:%Y-%m-%dT%H:00:00Z}"
    assert f"  drift     NOT MET     1 hour(s) beyond ±1 %: device_events {hour} \u221216.67 %\n" in out, out
    assert "  match     NOT MET     1 hour(s) below 99.9 %: device_events " in out, out
    assert "  bookings  MET         " in out, out


# The guide's commands, in its order: (command, exit code, check of its output[, before]).
STEPS = [
    ("reconciler init --old-table legacy_events --old-time ts --old-key id --new-table device_events "
     "--new-time time --new-key event_id", 0, after_init),
    ("export OLD_DATABASE_URL=", None, None),
    ("export NEW_DATABASE_URL=", None, None),
    ("export REPORT_DATABASE_URL=", None, None),
    ("reconciler db upgrade", 0, None),
    ("reconciler jobs", 0, after_first_jobs),
    ("reconciler compare device_events --counts-only --start yesterday --end today", 0, after_counts),
    ("reconciler compare device_events", 0, None),
    ("reconciler check", 0, None),
    ("reconciler run hourly-shadow --start yesterday --end today", 0, after_run),
    ("reconciler report list", 0, after_report_list),
    ("reconciler report open", 0, after_report_open),
    ("reconciler schedule", "service", after_schedule),
    ("curl -s http://127.0.0.1:9108/health/readiness", 200, after_readiness),
    ("curl -s http://127.0.0.1:9108/reports/", 200, after_reports),
    ("reconciler jobs", 0, after_jobs_with_service),
    ("export SLACK_BOT_TOKEN=", None, None),
    ("reconciler notify test", 0, after_notify_test),
    ("reconciler schedule", "service", after_restart, before_restart),
    ("reconciler gate", 1, after_gate),
]


def test_the_guide_commands_are_the_ones_this_test_runs():
    written = [c.split("=")[0] + "=" if c.startswith("export ") else c for c in guide_commands()]
    assert written == [step[0] for step in STEPS]


def test_follow_the_guide_from_an_empty_folder_to_the_gate(systems, tmp_path, monkeypatch, capfd):
    slack = FakeSlack().start()
    session = Session(tmp_path / "shadow", free_port(), slack, systems)
    session.directory.mkdir()
    monkeypatch.chdir(session.directory)
    for name in ("RECONCILER_CONFIG", "REDIS_URL", "SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN", "REPORT_BASE_URL",
                 "RECONCILER_HOST", "OLD_TIMEZONE", "NEW_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    # What the guide's reader has and the test must stand in for: a free port instead of 9108,
    # the local Slack instead of slack.com, no daily digest during the test.
    monkeypatch.setenv("RECONCILER_PORT", str(session.port))
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    monkeypatch.setenv("NOTIFY_DIGEST_AT", "")
    exported = {"OLD_DATABASE_URL": systems["old"], "NEW_DATABASE_URL": systems["new"],
                "REPORT_DATABASE_URL": systems["store"], "SLACK_BOT_TOKEN": GOOD_TOKEN}
    try:
        for line, step in zip(guide_commands(), STEPS, strict=True):
            follow(session, line, step, exported, monkeypatch, capfd)
    finally:
        try:
            session.stop_service()
        finally:
            slack.stop()


def follow(session: Session, line: str, step: tuple, exported: dict, monkeypatch, capfd) -> None:
    expected, check = step[1], step[2]
    if len(step) > 3:
        step[3](session)
    words = shlex.split(line)
    if words[0] == "export":
        name = words[1].split("=")[0]
        monkeypatch.setenv(name, exported[name])
        return
    if words[0] == "curl":
        status, body = get(words[-1].replace("127.0.0.1:9108", f"127.0.0.1:{session.port}"))
        assert status == expected, (line, body)
        check(session, body)
        return
    if words[1] == "schedule":
        session.start_service()
        check(session, "")
        return
    code, out, err = run_cli(capfd, *words[1:])
    assert code == expected, f"{line}: exit {code}\n{out}\n{err}"
    if check is not None:
        check(session, out)
