"""A real process SIGKILLed between storing a run and telling Slack, or between Slack's
answer and marking the message sent: after a restart the message is in Slack exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from fake_slack import FakeSlack
from notify_helpers import notify_config
from sqlalchemy import select

from reconciler.notify import drain_outbox
from reconciler.store import ReportStore
from reconciler.store.schema import notify_outbox

TESTS = Path(__file__).parent
ROOT = TESTS.parent


@pytest.fixture
def slack():
    fake = FakeSlack().start()
    yield fake
    fake.hold = None
    fake.stop()


def child(db: Path, mode: str, api_url: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(TESTS), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, str(TESTS / "notify_crash_child.py"), str(db), mode, api_url],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)  # reaped: its lease on the outbox is seen as dead


def outbox_rows(store):
    with store.engine.connect() as conn:
        return [(r.kind, r.status, r.ts) for r in conn.execute(select(notify_outbox))]


def test_killed_after_storing_before_sending_is_sent_once_after_restart(tmp_path, slack):
    db = tmp_path / "reconciler.db"
    proc = child(db, "store-only", slack.api_url)
    assert proc.stdout.readline().strip() == "stored"
    kill(proc)
    store = ReportStore(f"sqlite:///{db}")
    assert outbox_rows(store) == [("alert", "pending", None)]
    report = drain_outbox(store, notify_config(slack))
    assert (report.sent, report.recovered, len(slack.messages)) == (1, 0, 1)
    assert drain_outbox(store, notify_config(slack)).sent == 0
    assert len(slack.messages) == 1
    assert outbox_rows(store) == [("alert", "sent", slack.messages[0]["ts"])]


def test_killed_between_slack_accepting_and_marking_is_found_not_posted_again(tmp_path, slack):
    posted, release = threading.Event(), threading.Event()
    slack.hold = (posted, release)
    db = tmp_path / "reconciler.db"
    proc = child(db, "drain", slack.api_url)
    assert proc.stdout.readline().strip() == "stored"
    assert posted.wait(60), proc.stderr.read()
    kill(proc)
    slack.hold = None
    release.set()
    store = ReportStore(f"sqlite:///{db}")
    [(kind, status, ts)] = outbox_rows(store)
    assert (kind, status, ts) == ("alert", "pending", None)
    report = drain_outbox(store, notify_config(slack))
    assert (report.sent, report.recovered, report.pending) == (1, 1, 0)
    assert len(slack.messages) == 1
    assert outbox_rows(store) == [("alert", "sent", slack.messages[0]["ts"])]
    assert any(r.startswith("GET /api/conversations.history") or "conversations.history" in r.splitlines()[0]
               for r in slack.raw_requests)
