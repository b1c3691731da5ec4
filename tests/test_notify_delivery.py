"""The notifier against a local Slack over real HTTP (tests/fake_slack.py), real slack-sdk."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta

import pytest
from fake_slack import GOOD_TOKEN, WEBHOOK_PATH, FakeSlack
from notify_helpers import HOUR, PROVENANCE, T0, make_store, notify_config, record, result, with_lifecycle
from sqlalchemy import select
from store_fixtures import pg_database, pg_url, store_url  # noqa: F401  (fixtures)

from reconciler.notify import drain_outbox, outbox_depth
from reconciler.results import RunResult
from reconciler.store.schema import notify_alerts, notify_outbox
from reconciler.timeutil import Window


@pytest.fixture
def slack():
    fake = FakeSlack().start()
    yield fake
    fake.stop()


def statuses(store):
    with store.engine.connect() as conn:
        return [(r.kind, r.status) for r in conn.execute(select(notify_outbox).order_by(notify_outbox.c.id))]


def test_fail_fail_pass_gives_one_alert_one_threaded_followup_one_recovery(tmp_path, slack):
    store = make_store(tmp_path)
    cfg = notify_config(slack)
    for i, status in enumerate(["fail", "fail", "pass"]):
        record(store, status, T0 + i * HOUR)
        report = drain_outbox(store, cfg, reports_dir=tmp_path)
        assert report.error is None
    top = slack.top_level()
    assert len(top) == 1
    assert "Data check failing: row_match (device_events)" in slack.raw_requests[0]
    replies = slack.replies(top[0]["ts"])
    assert [r["text"].split(":")[0] for r in replies] == ["🔁 Still failing", "✅ Recovered"]
    assert "failed hours: 2" in replies[1]["text"] and "failed for 2 h" in replies[1]["text"]
    assert len(slack.updates) == 1 and slack.updates[0]["ts"] == top[0]["ts"]
    assert top[0]["text"].startswith("✅ Resolved: row_match (device_events). Lasted 2 h")
    assert statuses(store) == [("alert", "sent"), ("followup", "sent"), ("recovered", "sent"), ("resolved", "sent")]
    assert outbox_depth(store) == 0
    with store.engine.connect() as conn:
        assert [(a.state, a.failures) for a in conn.execute(select(notify_alerts))] == [("resolved", 2)]


def test_fail_error_fail_stays_one_data_alert_and_the_error_reads_as_the_checker(tmp_path, slack):
    store = make_store(tmp_path)
    cfg = notify_config(slack)
    for i, status in enumerate(["fail", "run_error", "fail"]):
        record(store, status, T0 + i * HOUR)
        drain_outbox(store, cfg, reports_dir=tmp_path)
    top = slack.top_level()
    data = [m for m in top if m["text"].startswith("🔴 Data check failing")]
    tool = [m for m in top if m["text"].startswith("✅ Resolved: the checker runs hourly-shadow again")]
    assert len(data) == 1 and len(tool) == 1 and len(top) == 2
    posted = [r for r in slack.raw_requests if "The checker is broken: hourly-shadow could not run" in r]
    assert len(posted) == 1 and "unreachable" in posted[0] and "row_match" not in posted[0]
    assert [r["text"].split(":")[0] for r in slack.replies(data[0]["ts"])] == ["🔁 Still failing"]
    assert [r["text"].split(":")[0] for r in slack.replies(tool[0]["ts"])] == ["✅ The checker works again"]
    with store.engine.connect() as conn:
        alerts = [(a.kind, a.state, a.failures)
                  for a in conn.execute(select(notify_alerts).order_by(notify_alerts.c.id))]
    assert alerts == [("data", "open", 2), ("tool", "resolved", 1)]


def test_an_empty_hour_neither_recovers_nor_fails_an_alert(tmp_path, slack):
    """An hour with no row on either side passes every check but proves nothing: the alert
    stays open through it, and the next real pass recovers it."""
    store = make_store(tmp_path)
    cfg = notify_config(slack)
    record(store, "fail", T0)
    drain_outbox(store, cfg, reports_dir=tmp_path)
    empty = T0 + HOUR
    now = empty + HOUR + timedelta(minutes=5)
    run = RunResult(job="hourly-shadow", window=Window(empty, empty + HOUR), started_at=now, finished_at=now,
                    status="empty", results=[result("pass", empty)])
    store.record_run(run, now=now, **PROVENANCE)
    drain_outbox(store, cfg, reports_dir=tmp_path)
    [top] = slack.top_level()
    assert slack.replies(top["ts"]) == []
    with store.engine.connect() as conn:
        assert [(a.state, a.failures) for a in conn.execute(select(notify_alerts))] == [("open", 1)]
    record(store, "pass", T0 + 2 * HOUR)
    drain_outbox(store, cfg, reports_dir=tmp_path)
    assert [r["text"].split(":")[0] for r in slack.replies(top["ts"])] == ["✅ Recovered"]


def test_a_rechecked_hour_whose_verdict_changes_says_so(tmp_path, slack):
    store = make_store(tmp_path)
    cfg = notify_config(slack)
    record(store, "pass", T0)
    record(store, "pass", T0)  # recheck, same verdict: nothing to say
    record(store, "fail", T0, reason="4 events missing in new")  # recheck, changed
    drain_outbox(store, cfg, reports_dir=tmp_path)
    assert [m["text"] for m in slack.messages] == [
        "🔄 Rechecked hour 2026-11-27T10:00:00Z: *row_match (device_events)* is now *failing* (was passing)."]
    assert "4 events missing in new" in str(slack.messages[0]["blocks"])


def test_429_with_retry_after_then_success(tmp_path, slack):
    store = make_store(tmp_path)
    record(store, "fail", T0)
    slack.rate_limits, slack.retry_after = 1, "1"
    report = drain_outbox(store, notify_config(slack), reports_dir=tmp_path)
    assert (report.sent, report.error, len(slack.messages)) == (1, None, 1)
    assert sum(r.startswith("POST /api/chat.postMessage") for r in slack.raw_requests) == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_slack_down_then_up_drains_the_outbox_one_message_each(tmp_path):
    store = make_store(tmp_path)
    port = _free_port()
    down = FakeSlack.__new__(FakeSlack)
    down.port = port
    cfg = notify_config(down)
    record(store, "fail", T0)
    record(store, "fail", T0 + HOUR)
    report = drain_outbox(store, cfg, reports_dir=tmp_path)
    assert report.sent == 0 and "unreachable" in report.error and report.pending == 2
    record(store, "pass", T0 + 2 * HOUR)
    up = FakeSlack(port).start()
    try:
        report = drain_outbox(store, cfg, reports_dir=tmp_path)
        assert (report.sent, report.pending, report.error) == (4, 0, None)
        assert len(up.top_level()) == 1 and len(up.replies(up.top_level()[0]["ts"])) == 2
        assert len(up.updates) == 1
        assert drain_outbox(store, cfg, reports_dir=tmp_path).sent == 0
        assert len(up.messages) == 3
    finally:
        up.stop()


def test_webhook_mode_folds_followups_into_a_reminder_at_most_every_remind_every(tmp_path, slack):
    store = make_store(tmp_path)
    cfg = notify_config(slack, webhook=True, remind_every=timedelta(hours=6))
    for i in range(8):  # failing hours 10:00 .. 17:00; the 7th follow-up is 6 h after the alert
        record(store, "fail", T0 + i * HOUR)
    record(store, "pass", T0 + 8 * HOUR)
    report = drain_outbox(store, cfg, reports_dir=tmp_path)
    texts = [p["text"] for p in slack.webhook_posts]
    assert len(texts) == 3
    assert texts[0].startswith("🔴 Data check failing")
    assert texts[1] == ("⏰ Reminder: *row_match (device_events)* has been failing since 2026-11-27T10:00:00Z: "
                        "failed hours: 7, the latest 2026-11-27T16:00:00Z.")
    assert texts[2].startswith("✅ Recovered")
    assert (report.sent, report.folded, report.skipped) == (3, 6, 1)  # the update cannot be done by webhook


def test_a_webhook_answering_200_without_ok_is_no_delivery_and_the_message_stays_queued(tmp_path, slack):
    """A proxy or captive portal answering HTTP 200 with its own page: Slack never saw the
    message. Incoming webhooks answer the text `ok`; anything else is a failed delivery."""
    store = make_store(tmp_path)
    cfg = notify_config(slack, webhook=True)
    record(store, "fail", T0)
    slack.webhook_answer = "<html><head><title>Sign in to Guest Wi-Fi</title></head><body>…</body></html>"
    report = drain_outbox(store, cfg, reports_dir=tmp_path)
    assert (report.sent, report.pending, report.failed) == (0, 1, [])
    assert report.error == (f"Slack webhook http://127.0.0.1:{slack.port}/*** answered HTTP 200 without Slack's "
                            "'ok' (a proxy or captive portal in the way?): '<html><head><title>Sign in to Guest "
                            "Wi-Fi</title></head><body>…</body></html>'")
    assert statuses(store) == [("alert", "pending")]
    slack.webhook_answer = "ok"  # the way to Slack is clear again: the same message goes out
    report = drain_outbox(store, cfg, reports_dir=tmp_path)
    assert (report.sent, report.pending, report.error) == (1, 0, None)
    assert statuses(store) == [("alert", "sent")]
    assert len(slack.webhook_posts) == 2


def test_an_unexpected_webhook_answer_is_shown_short_and_without_the_webhook_secret(tmp_path, slack):
    store = make_store(tmp_path)
    record(store, "fail", T0)
    slack.webhook_answer = f"<p>blocked: POST {slack.webhook_url}</p>" + "x" * 300
    report = drain_outbox(store, notify_config(slack, webhook=True), reports_dir=tmp_path)
    shown = "<p>blocked: POST ***</p>" + "x" * 176 + "…"
    assert report.error == (f"Slack webhook http://127.0.0.1:{slack.port}/*** answered HTTP 200 without Slack's "
                            f"'ok' (a proxy or captive portal in the way?): {shown!r}")
    assert WEBHOOK_PATH not in report.error


def test_truncation_with_500_violations_stays_within_block_limits(tmp_path, slack):
    store = make_store(tmp_path)
    samples = [{"event_id": i, "device_id": f"device-{i:05d}", "old": {"value": i * 1.5, "kind": "temperature"},
                "new": {"value": i * 1.5 + 1, "kind": "temperature"}, "columns": ["value"]} for i in range(500)]
    record(store, "fail", T0, violations=500, samples=samples)
    drain_outbox(store, notify_config(slack, report_base_url="https://reports.example.com"), reports_dir=tmp_path)
    blocks = slack.messages[0]["blocks"]
    assert len(blocks) <= 50
    for b in blocks:
        if b["type"] == "section":
            assert len(b.get("text", {}).get("text", "")) <= 3000
            assert all(len(f["text"]) <= 2000 for f in b.get("fields", []))
    text = "\n".join(b.get("text", {}).get("text", "") for b in blocks if b["type"] == "section")
    shown = text.count("• event_id ")
    assert shown == 100  # the 100 the outbox keeps: one short line each, they fit 12 000 characters
    assert sum(len(b.get("text", {}).get("text", "")) for b in blocks) < 14_000
    assert (f"…and {500 - shown} more, see <https://reports.example.com/runs/000001-hourly-shadow-20261127T1000Z.html"
            "|the full report>") in text


def test_no_token_or_webhook_secret_in_logs_payloads_or_store(tmp_path, slack, caplog):
    caplog.set_level(logging.DEBUG)  # slack-sdk logs requests at DEBUG, webhook URL included
    store = make_store(tmp_path)
    record(store, "fail", T0)
    record(store, "run_error", T0 + HOUR)
    drain_outbox(store, notify_config(slack), reports_dir=tmp_path)
    record(store, "fail", T0 + 2 * HOUR)
    drain_outbox(store, notify_config(slack, webhook=True), reports_dir=tmp_path)
    slack.stop()  # errors name where Slack is, never the secret
    record(store, "pass", T0 + 3 * HOUR)
    report = drain_outbox(store, notify_config(slack, webhook=True), reports_dir=tmp_path)
    assert report.error == (f"Slack webhook http://127.0.0.1:{slack.port}/*** is unreachable: "
                            "[Errno 111] Connection refused")
    payloads = str(slack.messages) + str(slack.webhook_posts) + str(slack.updates)
    with store.engine.connect() as conn:
        stored = str([dict(r._mapping) for r in conn.execute(select(notify_outbox))])
    assert slack.messages and slack.webhook_posts and caplog.text
    for secret in (GOOD_TOKEN, WEBHOOK_PATH.rsplit("/", 1)[-1]):
        assert secret not in caplog.text and secret not in payloads and secret not in stored


def test_unknown_bot_error_stops_the_drain_in_order_and_keeps_the_message(tmp_path, slack):
    store = make_store(tmp_path)
    record(store, "fail", T0)
    record(store, "fail", T0 + HOUR)
    slack.errors = ["channel_not_found"]
    report = drain_outbox(store, notify_config(slack), reports_dir=tmp_path)
    assert report.sent == 0 and report.pending == 2
    assert "channel_not_found" in report.error and "#migration-updates" in report.error
    report = drain_outbox(store, notify_config(slack), reports_dir=tmp_path)
    assert report.sent == 2 and len(slack.top_level()) == 1


def test_the_lifecycle_on_both_report_store_dialects(store_url, tmp_path, slack):
    from reconciler.store import ReportStore

    store = with_lifecycle(ReportStore(store_url))
    store.upgrade()
    cfg = notify_config(slack)
    for i, status in enumerate(["fail", "run_error", "fail", "pass"]):
        record(store, status, T0 + i * HOUR)
    report = drain_outbox(store, cfg, reports_dir=tmp_path)
    assert (report.sent, report.pending, report.error) == (7, 0, None)
    assert statuses(store) == [("alert", "sent"), ("alert", "sent"), ("recovered", "sent"), ("resolved", "sent"),
                               ("followup", "sent"), ("recovered", "sent"), ("resolved", "sent")]
    assert len(slack.top_level()) == 2 and len(slack.updates) == 2
    store.close()


def test_rules_in_error_are_one_checker_alert_and_do_not_touch_the_data_alert(tmp_path, slack):
    from notify_helpers import record_results, rule

    store = make_store(tmp_path)
    cfg = notify_config(slack)
    record_results(store, T0, [rule("no_overlaps", "fail", violations=2), rule("codes_valid", "pass")])
    broken = "no such table: access_codes (checks/bookings/codes_valid.sql)"
    record_results(store, T0 + HOUR, [rule("no_overlaps", "error", message="no such table: bookings"),
                                      rule("codes_valid", "error", message=broken)])
    record_results(store, T0 + 2 * HOUR, [rule("no_overlaps", "fail", violations=1), rule("codes_valid", "pass")])
    assert drain_outbox(store, cfg, reports_dir=tmp_path).sent == 5
    top = slack.top_level()
    assert [m["text"].split(":")[0] for m in top] == ["🔴 Data check failing", "✅ Resolved"]
    assert top[1]["text"].startswith("✅ Resolved: bookings is evaluated again (hourly-bookings)")
    tool_post = [r for r in slack.raw_requests if r.startswith("POST /api/chat.postMessage")
                 and "The checker is broken: bookings could not be evaluated (hourly-bookings)" in r]
    assert len(tool_post) == 1 and "no_overlaps: no such table: bookings" in tool_post[0]
    assert "codes_valid: no such table: access_codes" in tool_post[0]
    assert [m["text"].split(":")[0] for m in slack.replies(top[0]["ts"])] == ["🔁 Still failing"]
    assert [m["text"].split(":")[0] for m in slack.replies(top[1]["ts"])] == ["✅ The checker works again"]


def test_a_message_slack_refuses_is_set_aside_and_the_next_ones_go(tmp_path, slack):
    store = make_store(tmp_path)
    record(store, "fail", T0, job="job-a")
    record(store, "fail", T0, job="job-b")
    slack.errors = ["invalid_blocks"]
    report = drain_outbox(store, notify_config(slack), reports_dir=tmp_path)
    assert (report.sent, report.pending, report.error) == (1, 0, None)
    assert report.failed == [("alert:1", "Slack answered 'invalid_blocks'")]
    assert statuses(store) == [("alert", "failed"), ("alert", "sent")]
    assert "job-b" in slack.messages[0]["text"] or "job-b" in str(slack.messages[0]["blocks"])
