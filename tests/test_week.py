"""A week in the life, as a test of the project (issue 17 item 8).

Seven days of device events (old: PostgreSQL, legacy schema, naive Europe/Madrid times; new: a
TimescaleDB hypertable with `ingested_at`), bookings on both sides with the shipped rules, the
dead-letter queues in Redis and a write-latency histogram served over HTTP, judged hour by hour
with a simulated clock through the code path of `schedule` (the wakes its APScheduler triggers
fire: Service.wake), with `reconciler init`'s template: its crons, settle, Slack lifecycle,
digest and gate (week_fixtures.week_schedule says what is switched on, and why rechecks and
Great Expectations suites are off here).

- The clean week is lived by two replicas (subprocesses) on one PostgreSQL store; one is
  killed (SIGKILL) mid-way: every hour is judged exactly once, and the week ends GO.
- The faulty week (week_fixtures.FAULTS) is lived by one service in this process, changing the
  world at planted moments: every hour's verdict, the gate through the week, Slack's alerts,
  threads, recoveries and digests, and the detection latency of each fault.

Where main's behaviour is asserted but expected to change, the line says `EXPECTED TO CHANGE`."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import redis
from fake_slack import GOOD_TOKEN, FakeSlack
from integrity_fixtures import run_cli
from week_fixtures import (
    END,
    FAULTS,
    HOURS,
    OVERLAPPING,
    START,
    LatencyEndpoint,
    SimulatedClock,
    dlq_keys,
    hour_index,
    load_bookings,
    load_events,
    move_booking,
    walk,
    week_env,
    week_schedule,
)

from reconciler.config import load_config
from reconciler.store import open_report_store
from reconciler.timeutil import HOUR, iso

pytestmark = pytest.mark.skipif(not os.environ.get("RECONCILER_TEST_TIMESCALE_URL"),
                                reason="TimescaleDB: RECONCILER_TEST_TIMESCALE_URL is unset (the week's new side "
                                       "is a hypertable; docs/testing.md)")

M = timedelta(minutes=1)
EVENTS_JOB, BOOKINGS_JOB = "hourly-shadow", "hourly-bookings"
DATASET = "device_events"
HERE = Path(__file__).resolve().parent
GATE_END = END + 15 * M          # the gate's period is the week once its last hour is 15 min old
WALK_END = GATE_END              # the last hour judged at END + 10 min (the bookings ran at END)
MID_WEEK = START + 3 * 24 * HOUR + 30 * M


class World:
    """One week's databases, Redis keys, latency endpoint, Slack and configuration."""

    def __init__(self, tmp_path, urls, redis_url, tag, monkeypatch, slack, store_url=None):
        self.tmp_path, self.urls, self.slack = tmp_path, urls, slack
        self.latency = LatencyEndpoint().start()
        self.dlq = dlq_keys(tag)
        self.redis = redis.Redis.from_url(redis_url)
        self.redis.delete(*self.dlq)
        self.path = week_schedule(tmp_path, dlq=self.dlq, metrics_url=self.latency.url, recheck_hours=0,
                                  suites=False)
        self.env = week_env(urls, tmp_path, redis_url=redis_url, store_url=store_url, slack_api_url=slack.api_url,
                            token=GOOD_TOKEN)
        for name, value in self.env.items():
            monkeypatch.setenv(name, value)
        for name in ("NOTIFY_DIGEST_AT", "NOTIFY_LOCALE", "REPORT_BASE_URL", "RECONCILER_CONFIG"):
            monkeypatch.delenv(name, raising=False)
        self.loaded = load_config(self.path)
        self.store = open_report_store(self.loaded, upgrade=True)
        for job in (EVENTS_JOB, BOOKINGS_JOB):  # the service is deployed as the week's data starts
            self.store.start_watermark(job, START - HOUR, now=START)

    def close(self):
        self.store.close()
        self.latency.stop()
        self.redis.delete(*self.dlq)
        self.redis.close()


@pytest.fixture
def slack():
    fake = FakeSlack().start()
    yield fake
    fake.stop()


def make_world(request, tmp_path, make_pg_database, make_timescale_database, redis_url, monkeypatch, slack,
               faulty: bool, store_url=None) -> World:
    tag = "faulty" if faulty else "clean"
    urls = {"old": make_pg_database(f"week_{tag}_old"), "new": make_timescale_database(f"week_{tag}_new")}
    load_events(urls["old"], urls["new"], FAULTS if faulty else None)
    load_bookings([urls["old"], urls["new"]])
    world = World(tmp_path, urls, redis_url, f"{tag}{os.getpid()}", monkeypatch, slack, store_url)
    request.addfinalizer(world.close)
    return world


# -- reading what the week left -------------------------------------------------------------------

def gate_at(capfd, world, now: datetime) -> tuple[int, dict]:
    """`reconciler gate --now T --format json`, as an operator runs it (the store only)."""
    code, out, err = run_cli(capfd, "gate", "--config", world.path, "--now", iso(now), "--format", "json")
    assert code in (0, 1, 4), err
    return code, json.loads(out)


def states(report: dict) -> dict:
    return {c["criterion"]: c["state"] for c in report["criteria"]}


def gap_hours(report: dict, criterion: str) -> list[int]:
    [c] = [c for c in report["criteria"] if c["criterion"] == criterion]
    return sorted({hour_index(g["hour"]) for g in c["gaps"]})


def verdicts(store) -> dict:
    return {hour_index(iso(r["hour"])): r["verdict"] for r in store.ledger(DATASET, START, END)}


def runs_per_hour(store, job: str = EVENTS_JOB) -> Counter:
    return Counter(hour_index(r["window"]["start"]) for r in store.list_runs(job=job)
                   if r["window"] and r["window"].get("start") and not r.get("as_of"))


def digest_messages(slack) -> list[str]:
    return [m["text"] for m in slack.top_level() if m["text"].startswith("📋")]


def assert_digests_equal_the_ledger(store, slack, first: str, last: str) -> list[dict]:
    """One digest a day (by its key, and once in Slack), each one's totals equal to the ledger's
    verdicts over its period."""
    days = [f"2026-11-{d:02d}" for d in range(int(first[-2:]), int(last[-2:]) + 1)]
    texts = digest_messages(slack)
    assert [t.split(",")[1].split(":")[0].strip() for t in texts] == days, texts
    out = []
    for day in days:
        digest = store.outbox.by_key(f"digest:{day}")
        assert digest["status"] == "sent"
        facts = digest["facts"]
        period = facts["period"]
        start = datetime.fromisoformat(period["start"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(period["end"].replace("Z", "+00:00"))
        rows = {r["hour"]: r["verdict"] for r in store.ledger(DATASET, start, end)}
        counted = Counter(rows.values())
        assert facts["totals"] == {"hours": 24, "judged": counted["pass"] + counted["fail"], "passed": counted["pass"],
                                   "failed": counted["fail"], "empty": counted["empty"],
                                   "missing": 24 - counted["pass"] - counted["fail"] - counted["empty"]}, day
        out.append(facts)
    return out


def gate_hours(capfd, world, now: datetime) -> list[int]:
    _, report = gate_at(capfd, world, now)
    start, end = (hour_index(report["period"][k]) for k in ("start", "end"))
    return list(range(start, end))


def refresh_index(world, now: datetime) -> None:
    """What `reconciler report open` does, at `now`."""
    from reconciler.gate.summary import index_gate
    from reconciler.report import write_index

    write_index(world.store, world.tmp_path / "reports", now=now, gate=index_gate(world.store, world.loaded, now))


def index_hours(world) -> list[int]:
    """The report index's grid: the hours it draws (data-hour), as indexes from START."""
    text = (world.tmp_path / "reports" / "index.html").read_text()
    return [hour_index(h) for status, h in re.findall(r'class="status-(\w+)"[^>]*data-hour="([^"]+)"', text)
            if status != "outside"]


# -- the clean week: two replicas, one killed ---------------------------------------------------

class Replica:
    def __init__(self, name: str, world, until: datetime):
        env = {**os.environ, **world.env, "PYTHONPATH": str(HERE)}
        self.name = name
        self.stderr = world.tmp_path / f"replica-{name}.stderr"
        with open(self.stderr, "w") as err:  # a file: a pipe nobody reads could fill and block it
            self.process = subprocess.Popen([sys.executable, str(HERE / "week_replica.py"), str(world.path),
                                             iso(START), iso(until)], env=env, stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=err, text=True, cwd=world.tmp_path)
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.strip())
            if line.startswith("ready"):
                self.ready.set()

    def errors(self) -> str:
        return self.stderr.read_text()[-3000:]

    def go(self):
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def judged(self, job: str = EVENTS_JOB) -> list[int]:
        return [hour_index(line.split()[2]) for line in list(self.lines)
                if line.startswith(f"judged {job} ") and not line.endswith("moment")]

    def woke_at(self) -> datetime | None:
        wakes = [line.split()[1] for line in list(self.lines) if line.startswith("wake ")]
        return datetime.fromisoformat(wakes[-1].replace("Z", "+00:00")) if wakes else None


def test_a_clean_week_shared_by_two_replicas_one_killed_mid_way(request, tmp_path, make_pg_database,
                                                               make_timescale_database, redis_url, monkeypatch,
                                                               slack, capfd):
    store_url = make_pg_database("week_store")
    world = make_world(request, tmp_path, make_pg_database, make_timescale_database, redis_url, monkeypatch, slack,
                       faulty=False, store_url=store_url)
    started = time.perf_counter()
    a, b = Replica("a", world, WALK_END), Replica("b", world, WALK_END)
    request.addfinalizer(lambda: [r.process.kill() for r in (a, b) if r.process.poll() is None])
    for r in (a, b):
        assert r.ready.wait(300), r.errors()
    for r in (a, b):
        r.go()
    kill_at = START + HOURS // 2 * HOUR
    while a.process.poll() is None and (a.woke_at() or START) < kill_at:
        time.sleep(0.05)
    a.process.send_signal(signal.SIGKILL)  # mid-way through the week, most likely mid-window
    assert a.process.wait(30) == -signal.SIGKILL
    killed_at = a.woke_at()
    b_before = len(b.judged())
    assert b.process.wait(3600) == 0, b.errors()  # a week takes minutes, more on a loaded machine
    print(f"\nclean week, two replicas: {time.perf_counter() - started:.1f} s")

    store = world.store
    judged_by = {"a": a.judged(), "b": b.judged()}
    # every hour judged exactly once, by one replica or the other; both did their share
    assert runs_per_hour(store) == Counter(range(HOURS))
    assert sorted(judged_by["a"] + judged_by["b"]) == list(range(HOURS))
    assert judged_by["a"] and judged_by["b"][:b_before] and len(judged_by["b"]) > b_before
    assert max(judged_by["a"]) < hour_index(iso(killed_at))
    assert verdicts(store) == {h: "pass" for h in range(HOURS)}

    code, report = gate_at(capfd, world, MID_WEEK)
    assert (code, report["verdict"], states(report)["coverage"]) == (4, "incomplete", "incomplete")
    assert gap_hours(report, "coverage")[-1] == -1  # the hours before the week started
    code, report = gate_at(capfd, world, GATE_END)
    assert report["period"] == {"start": iso(START), "end": iso(END)}
    assert (code, report["verdict"]) == (0, "go"), report["reasons"]
    assert set(states(report).values()) == {"met"}

    assert [m["text"] for m in slack.top_level() if not m["text"].startswith("📋")] == []  # no alert all week
    # the digest of the day before the service started, then one a day at 08:00 + settle
    # none for the day before the service's first start (nothing judged then: no digest owed)
    digests = assert_digests_equal_the_ledger(store, slack, "2026-11-09", "2026-11-15")
    assert [d["totals"]["passed"] for d in digests] == [8, 24, 24, 24, 24, 24, 24]


# -- the faulty week ------------------------------------------------------------------------------

def test_a_faulty_week(request, tmp_path, make_pg_database, make_timescale_database, redis_url, monkeypatch, slack,
                       capfd):
    from reconciler.service.scheduler import Service

    world = make_world(request, tmp_path, make_pg_database, make_timescale_database, redis_url, monkeypatch, slack,
                       faulty=True)
    clock = SimulatedClock(START)
    service = Service(world.loaded, clock=clock)
    request.addfinalizer(lambda: (service.close(), service.store.close()))
    planted = {FAULTS.hour(FAULTS.dlq_in): lambda: world.redis.rpush(world.dlq[0], b'{"event_id": 4242}'),
               FAULTS.hour(FAULTS.dlq_out): lambda: world.redis.delete(world.dlq[0]),
               FAULTS.hour(FAULTS.overlap_in) + FAULTS.mid_hour: lambda: move_booking(world.urls["new"], OVERLAPPING, 1),
               FAULTS.hour(FAULTS.overlap_out) + FAULTS.mid_hour: lambda: move_booking(world.urls["new"], OVERLAPPING,
                                                                                      -1)}
    gates = {}
    started = time.perf_counter()
    for moment in (START + 24 * HOUR + 30 * M, START + 40 * HOUR + 30 * M, WALK_END):
        walk(service, clock, moment, planted)
        gates[moment] = gate_at(capfd, world, min(moment, GATE_END))
    print(f"\nfaulty week, one service: {time.perf_counter() - started:.1f} s")
    assert service.metrics.tick_errors.labels(job=EVENTS_JOB)._value.get() == 0
    store = service.store

    bad = set(FAULTS.missing_hours) | set(FAULTS.lag_hours)
    assert verdicts(store) == {h: "fail" if h in bad else "pass" for h in range(HOURS)}
    assert runs_per_hour(store) == Counter(range(HOURS))

    (code1, day1), (code2, day2), (code3, end) = gates.values()
    assert (code1, day1["verdict"], states(day1)["coverage"]) == (4, "incomplete", "incomplete")
    assert (code2, day2["verdict"]) == (1, "no-go")
    assert {c for c, s in states(day2).items() if s == "not met"} == {"drift", "match"}
    assert end["period"] == {"start": iso(START), "end": iso(END)}
    assert (code3, end["verdict"]) == (1, "no-go")
    assert states(end) == {"coverage": "met", "drift": "not met", "match": "not met", "lag": "not met",
                           "latency": "met", "queues": "not met", "bookings": "not met"}
    assert gap_hours(end, "drift") == gap_hours(end, "match") == list(FAULTS.missing_hours)
    assert gap_hours(end, "lag") == list(FAULTS.lag_hours)
    keep_for_reading(world, slack, gates)
    assert_faulty_slack(slack.messages, slack.updates, store)
    assert_detection_latency(slack.messages, store)
    assert_faulty_digests(store, slack)
    # the grid covers exactly the gate's period, its footer the ledger's counts: as the last tick
    # left it (10 minutes after END, before the gate's 15-minute settle, but with the last hour
    # judged: the period ends at END already), and as `report open` refreshes it later
    assert index_hours(world) == list(range(HOURS)) == gate_hours(capfd, world, END + 10 * M)
    refresh_index(world, GATE_END)
    assert index_hours(world) == list(range(HOURS))
    footer = re.search(r"(\d+) of (\d+) dataset hours judged \((\d+) passed, (\d+) failed\), (\d+) empty, (\d+) missing",
                       (tmp_path / "reports" / "index.html").read_text())
    assert footer.groups() == ("168", "168", "163", "5", "0", "0")


def keep_for_reading(world, slack, gates) -> None:
    """With WEEK_DEBUG_DIR set: what Slack got, the gates, the index and the store, kept there."""
    import shutil

    if not os.environ.get("WEEK_DEBUG_DIR"):
        return
    debug = Path(os.environ["WEEK_DEBUG_DIR"])
    debug.mkdir(parents=True, exist_ok=True)
    (debug / "slack.json").write_text(json.dumps({"messages": slack.messages, "updates": slack.updates},
                                                 default=str, indent=1, ensure_ascii=False))
    (debug / "gates.json").write_text(json.dumps([g for _, g in gates.values()], indent=1, ensure_ascii=False))
    shutil.copy(world.tmp_path / "reports" / "index.html", debug / "index.html")
    shutil.copy(world.tmp_path / "store.db", debug / "store.db")


ALERTS = ["hourly_count_drift (device_events)", "row_match (device_events)",
          "event_lag.processing_lag (device_events)", "pipeline_dlq.dlq_depth.{dlq}", "access_code_valid",
          "no_overlapping_bookings", "bookings.complete (bookings)"]


def threads(messages) -> list[tuple[str, list[str]]]:
    """Each alert's top message (as it reads now) and the first words of its replies."""
    tops = [m for m in messages if not m.get("thread_ts") and not m["text"].startswith("📋")]
    return [(m["text"], [r["text"].split(":")[0] for r in messages if r.get("thread_ts") == m["ts"]])
            for m in tops]


def assert_faulty_slack(messages, updates, store):
    """One alert per failing stretch, each rewritten once resolved; in its thread a follow-up per
    further failing hour, then the recovery; nothing for a pass (the 99.9 % hour, the absorbed spike)."""
    told = threads(messages)
    names = [re.match(r"✅ Resolved: (.+?)\. Lasted", top).group(1) for top, _ in told]
    dlq = next(n for n in names if n.startswith("pipeline_dlq"))
    assert names == [a.format(dlq=dlq.split(".", 2)[2]) for a in ALERTS]
    assert dlq.endswith(":events:dlq")
    follow = "🔁 Still failing"
    assert [replies for _, replies in told] == [
        [follow, "✅ Recovered"], [follow, "✅ Recovered"], [follow, follow, "✅ Recovered"],
        ["✅ Recovered"], ["✅ Recovered"], ["✅ Recovered"], ["✅ Recovered"]]
    assert "Lasted 2 h (2026-11-10T06:00:00Z → 2026-11-10T08:00:00Z); failed hours: 2." in told[0][0]
    assert "Lasted 3 h (2026-11-12T08:00:00Z → 2026-11-12T11:00:00Z); failed hours: 3." in told[2][0]
    assert "Lasted 2 h (2026-11-13T14:10:00Z → 2026-11-13T16:10:00Z); failed 2 times." in told[3][0]
    assert "Lasted 4 h (2026-11-14T11:00:00Z → 2026-11-14T15:00:00Z); failed 4 times." in told[4][0]
    assert len(updates) == len(ALERTS)
    assert store.outbox.pending() == []


def alert_created(messages, store, name: str) -> datetime:
    [top] = [m for m in messages if not m.get("thread_ts") and m["text"].startswith(f"✅ Resolved: {name}")]
    row = store.outbox.by_key(top["metadata"]["event_payload"]["key"])
    assert row["status"] == "sent"
    return row["created_at"]


def assert_detection_latency(messages, store):
    """From the end of the hour a planted fault was first in to its stored verdict and its alert,
    handed to Slack in the same tick: at most its job's settle + 5 min."""
    def after(name, reference):
        return alert_created(messages, store, name) - reference

    first_missing = FAULTS.hour(FAULTS.missing_hours[0]) + HOUR
    first_lag = FAULTS.hour(FAULTS.lag_hours[0]) + HOUR
    latency = {"missing rows (drift)": after("hourly_count_drift", first_missing),
               "missing rows (match)": after("row_match", first_missing),
               "lag stretch": after("event_lag.processing_lag", first_lag),
               "dead letter": after("pipeline_dlq", FAULTS.hour(FAULTS.dlq_in)),  # appeared as hour 109 ended
               "booking overlap": after("no_overlapping_bookings", FAULTS.hour(FAULTS.overlap_in) + HOUR)}
    [missing] = store.ledger(DATASET, first_missing - HOUR, first_missing)
    assert missing["last_judged_at"] - first_missing == latency["missing rows (match)"]
    settle = {"hourly-shadow": timedelta(minutes=10), "hourly-bookings": timedelta(0)}
    assert latency == {"missing rows (drift)": 10 * M, "missing rows (match)": 10 * M, "lag stretch": 10 * M,
                       "dead letter": 10 * M, "booking overlap": 0 * M}
    job_of = {"booking overlap": "hourly-bookings"}
    assert all(v <= settle[job_of.get(k, "hourly-shadow")] + 5 * M for k, v in latency.items())
    # a point-in-time fault is seen at its job's next tick: the overlap, 35 min after it appeared
    assert alert_created(messages, store, "no_overlapping_bookings") - (
        FAULTS.hour(FAULTS.overlap_in) + FAULTS.mid_hour) == 35 * M


def assert_faulty_digests(store, slack):
    digests = assert_digests_equal_the_ledger(store, slack, "2026-11-09", "2026-11-15")
    assert [d["totals"]["failed"] for d in digests] == [0, 2, 0, 0, 3, 0, 0]
    assert [t.split(": ", 1)[1].split(" ")[0] for t in digest_messages(slack)] == [
        "⚪", "🔴", "🟢", "🟢", "🟡", "🟡", "🟡"]
    assert digest_messages(slack)[-2:] == [
        "📋 Daily update, 2026-11-14: 🟡 attention: 0 failed hours and 2 failed point-in-time runs in the period, "
        "no alert open now",
        "📋 Daily update, 2026-11-15: 🟡 attention: 0 failed hours and 4 failed point-in-time runs in the period, "
        "no alert open now"]
