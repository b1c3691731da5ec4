"""Each hour is judged as soon as it settles, whatever the cron minute: the scheduler's wakes
(the job's cron plus its settle wake), walked with a simulated clock through the real code
path (`Service.wake`, which the APScheduler triggers call), with the verdict stored and its
Slack alert delivered to a local Slack through slack-sdk. Detection latency = the moment the
alert is delivered - the end of the faulty hour."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from fake_slack import CHANNEL_ID, GOOD_TOKEN, FakeSlack
from integrity_fixtures import copy_project
from service_fixtures import JOB, T0, SimulatedClock, pg_events, write_project  # noqa: F401  (fixtures)
from service_fixtures import walk as walk_all

from reconciler.config import load_config
from reconciler.service.scheduler import Service, first_judgement, settled_cron, wakeups
from reconciler.timeutil import HOUR

UTC = timezone.utc
M = timedelta(minutes=1)
FAULTY = T0 + 2 * HOUR  # the hour with a row missing in new


@pytest.fixture
def slack():
    fake = FakeSlack().start()
    yield fake
    fake.stop()


def drop_a_row(new_url: str, hour: datetime) -> None:
    engine = sa.create_engine(new_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM device_events WHERE event_id = (SELECT min(event_id) FROM device_events "
                             "WHERE time >= %s AND time < %s)", (hour, hour + HOUR))
    engine.dispose()


def walk(service: Service, job: str, clock: SimulatedClock, until: datetime) -> list[tuple[datetime, bool]]:
    """One job's wakes fired in time order up to `until`: (time, settled_only)."""
    return [(at, settled_only) for at, _, settled_only in walk_all(service, clock, until, jobs=[job]).fired]


def alert_delivered_at(service: Service, slack: FakeSlack, hour: datetime) -> datetime:
    """When the alerts about `hour` went out (one per failing check): their outbox rows'
    creation (the tick's clock), each one sent and in Slack."""
    posted = [m for m in slack.top_level() if m["text"].startswith("🔴")]
    rows = [service.store.outbox.by_key(m["metadata"]["event_payload"]["key"]) for m in posted]
    assert rows and {(r["status"], r["facts"]["window"]["start"]) for r in rows} == {
        ("sent", hour.strftime("%Y-%m-%dT%H:%M:%SZ"))}
    return max(r["created_at"] for r in rows)


def test_a_cron_after_the_settle_delay_no_longer_costs_an_hour(pg_events, tmp_path, slack):
    """The issue's setup: cron `5 * * * *`, settle 10m. The hour 02:00-03:00 used to wait
    for the 04:05 tick (65 minutes); the settle wake judges it at 03:10 and Slack has it then."""
    path = write_project(tmp_path, pg_events["old"], pg_events["new"])
    path.write_text(path.read_text() + f'notify: {{slack: {{token: "{GOOD_TOKEN}", channel: "{CHANNEL_ID}", '
                                       f'api_url: "{slack.api_url}"}}, digest_at: ""}}\n')
    drop_a_row(pg_events["new"], FAULTY)
    loaded = load_config(path)
    cfg = loaded.config.jobs[JOB]
    assert [(w.cron, w.settled_only) for w in wakeups(loaded, JOB, T0)] == [("5 * * * *", False),
                                                                          ("10 * * * *", True)]
    assert first_judgement(loaded, JOB, FAULTY + HOUR) == FAULTY + HOUR + 10 * M
    clock = SimulatedClock(T0 + HOUR)
    service = Service(loaded, clock=clock)
    try:
        service.store.start_watermark(JOB, T0 - HOUR, now=T0)
        fired = walk(service, JOB, clock, FAULTY + HOUR + 30 * M)
        assert fired == [(T0 + HOUR + 5 * M, False), (T0 + HOUR + 10 * M, True),
                         (T0 + 2 * HOUR + 5 * M, False), (T0 + 2 * HOUR + 10 * M, True),
                         (T0 + 3 * HOUR + 5 * M, False), (T0 + 3 * HOUR + 10 * M, True)]
        [row] = service.store.ledger("device_events", FAULTY, FAULTY + HOUR)
        assert (row["verdict"], row["last_judged_at"]) == ("fail", FAULTY + HOUR + 10 * M)
        delivered = alert_delivered_at(service, slack, FAULTY)
        assert delivered - (FAULTY + HOUR) == timedelta(minutes=10) <= cfg.settle + 5 * M
        # every hour judged once, by the settle wake; the crons found nothing new to judge
        runs = sorted((r["window"]["start"], r["started_at"][:16]) for r in service.store.list_runs(job=JOB))
        assert [start for start, _ in runs] == ["2026-11-20T00:00:00Z", "2026-11-20T01:00:00Z",
                                                "2026-11-20T02:00:00Z"]
    finally:
        service.close()
        service.store.close()


@pytest.mark.parametrize("cron, zone, settle, window, settled, wakes", [
    ('"10 * * * *"', "UTC", "10m", "previous_hour", "10 * * * *", ["10 * * * *"]),  # the cron covers it
    ('"*/5 * * * *"', "UTC", "10m", "previous_hour", "10 * * * *", ["*/5 * * * *"]),
    ('"0 */2 * * *"', "UTC", "0m", "previous_hour", "0 * * * *", ["0 */2 * * *", "0 * * * *"]),  # every 2 h
    ('"10 * * * *"', "Asia/Kolkata", "10m", "previous_hour", "10 * * * *", ["10 * * * *", "10 * * * *"]),  # :40 UTC
    ('"5 * * * *"', "UTC", "90s", "previous_hour", "2 * * * *", ["5 * * * *", "2 * * * *"]),  # rounded up
    ('"30 6 * * *"', "UTC", "75m", "previous_day", "15 1 * * *", ["30 6 * * *", "15 1 * * *"]),
])
def test_the_settle_wake_is_added_only_where_the_cron_does_not_already_fire_then(tmp_path, cron, zone, settle,
                                                                                window, settled, wakes):
    path = write_project(tmp_path, "postgresql://x@127.0.0.1/old", "postgresql://x@127.0.0.1/new",
                         job={"cron": cron, "timezone": zone, "settle": settle, "window": window})
    loaded = load_config(path)
    assert settled_cron(loaded.config.jobs[JOB]) == settled
    assert [w.cron for w in wakeups(loaded, JOB, T0)] == wakes


def test_the_shipped_template_detects_a_faulty_hour_within_settle_plus_5_minutes(pg_events, tmp_path, slack,
                                                                                  monkeypatch):
    """The shipped schedule.yaml, as deployed: its hourly-shadow job (rows with the
    device_events suite), its report store, Slack by bot token. The hour's end -> its stored
    verdict -> its alert delivered takes settle (10 min) and the judging, nothing more."""
    copy_project(tmp_path)
    for name, value in {"OLD_DATABASE_URL": pg_events["old"], "NEW_DATABASE_URL": pg_events["new"],
                        "REPORT_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}", "SLACK_BOT_TOKEN": GOOD_TOKEN,
                        "SLACK_API_URL": slack.api_url, "NOTIFY_DIGEST_AT": ""}.items():
        monkeypatch.setenv(name, value)
    for name in ("REDIS_URL", "SLACK_WEBHOOK_URL", "OLD_TIMEZONE", "NEW_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    drop_a_row(pg_events["new"], FAULTY)
    loaded = load_config(tmp_path / "schedule.yaml")
    job = "hourly-shadow"
    settle = loaded.config.jobs[job].settle
    clock = SimulatedClock(FAULTY + HOUR)
    service = Service(loaded, clock=clock)
    try:
        service.store.start_watermark(job, FAULTY - HOUR, now=FAULTY)
        walk(service, job, clock, FAULTY + HOUR + settle + 5 * M)
        [row] = service.store.ledger("device_events", FAULTY, FAULTY + HOUR)
        assert row["verdict"] == "fail"
        latency = alert_delivered_at(service, slack, FAULTY) - (FAULTY + HOUR)
        assert row["last_judged_at"] - (FAULTY + HOUR) == latency == timedelta(minutes=10) <= settle + 5 * M
    finally:
        service.close()
        service.store.close()


def test_the_digest_waits_for_its_periods_last_hour_and_counts_it(pg_events, tmp_path, slack):
    """digest_at 03:00 with settle 10m: the digest goes out in the 03:10 tick, after the hour
    02:00-03:00 was judged, and counts it; the 03:05 cron tick sends nothing yet."""
    path = write_project(tmp_path, pg_events["old"], pg_events["new"])
    path.write_text(path.read_text() + f'notify: {{slack: {{token: "{GOOD_TOKEN}", channel: "{CHANNEL_ID}", '
                                       f'api_url: "{slack.api_url}"}}, digest_at: "03:00"}}\n')
    drop_a_row(pg_events["new"], FAULTY)
    clock = SimulatedClock(T0 + HOUR)
    service = Service(load_config(path), clock=clock)
    try:
        service.store.start_watermark(JOB, T0 - HOUR, now=T0)
        walk(service, JOB, clock, T0 + 3 * HOUR + 5 * M)
        assert service.store.outbox.by_key("digest:2026-11-20") is None
        walk(service, JOB, clock, T0 + 3 * HOUR + 10 * M)
        digest = service.store.outbox.by_key("digest:2026-11-20")
        assert (digest["status"], digest["created_at"]) == ("sent", T0 + 3 * HOUR + 10 * M)
        facts = digest["facts"]
        assert facts["period"] == {"start": "2026-11-19T03:00:00Z", "end": "2026-11-20T03:00:00Z"}
        assert facts["datasets"][0]["cells"][-3:] == ["passed", "passed", "failed"]
        assert facts["totals"] == {"hours": 24, "judged": 3, "passed": 2, "failed": 1, "empty": 0, "missing": 21}
        assert facts["status"] == "red"  # the faulty hour's alerts are open
        # the service started after the day before's digest time, but had judged nothing before
        # that period's end: it owes no digest of it
        assert [m["text"] for m in slack.messages if m["text"].startswith("📋")] == [
            "📋 Daily update, 2026-11-20: 🔴 blocked: 2 open alerts"]
    finally:
        service.close()
        service.store.close()
