"""A failure that persists adds to its alert's thread only when its evidence changes (a new
failing hour, or a different number of violations); otherwise it is repeated at most every
`remind_every`, by bot token as by webhook. Point-in-time results are moments: their alerts
count the times they failed, never "failed hours"."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fake_slack import FakeSlack
from notify_helpers import HOUR, PROVENANCE, T0, make_store, notify_config, record
from notify_helpers import result as hour_result

from reconciler.notify import drain_outbox
from reconciler.results import CheckResult, RunResult

M = timedelta(minutes=1)
JOB = "pipeline-health"


@pytest.fixture
def slack():
    fake = FakeSlack().start()
    yield fake
    fake.stop()


def queue_result(depth: int) -> CheckResult:
    return CheckResult("pipeline_dlq.dlq_depth", "fail" if depth else "pass", observed=depth, threshold=0,
                       violations=depth, details={"config_check": "pipeline_dlq", "measure": "dlq_depth",
                                                  "point_in_time": True, "key": "events:dlq"})


def record_moment(store, at: datetime, depth: int) -> int:
    """A point-in-time run of the queue check, as of `at`."""
    result = queue_result(depth)
    run = RunResult(job=JOB, window=None, as_of=at, started_at=at, finished_at=at, status=result.status,
                    results=[result])
    return store.record_run(run, now=at, **PROVENANCE)


def kinds(store) -> list[str]:
    return [m["kind"] for m in store.outbox.pending()]


def test_a_queue_at_depth_2_for_58_hours_is_reminded_every_6_hours_not_replied_57_times(tmp_path, slack):
    store = make_store(tmp_path)
    start = T0 + 52 * M  # the service ticks at :52 past each hour
    for tick in range(58):
        record_moment(store, start + tick * HOUR, 2)
    record_moment(store, start + 58 * HOUR, 3)  # the evidence changes: one more message
    record_moment(store, start + 59 * HOUR, 3)
    record_moment(store, start + 60 * HOUR, 0)
    report = drain_outbox(store, notify_config(slack), reports_dir=tmp_path)
    assert report.error is None
    [top] = slack.top_level()
    replies = [m["text"] for m in slack.replies(top["ts"])]
    reminders = [r for r in replies if r.startswith("⏰")]
    assert len(reminders) == 9  # at 6, 12, ... 54 hours after the alert
    assert reminders[0] == ("⏰ Reminder: *pipeline_dlq.dlq_depth* has been failing since 2026-11-27T10:52:00Z: "
                            "failed 7 times, the latest at 2026-11-27T16:52:00Z.")
    assert replies[9] == ("🔁 Still failing: *pipeline_dlq.dlq_depth* at 2026-11-29T20:52:00Z: 3 violations, was 2 "
                          "(failed 59 times since 2026-11-27T10:52:00Z).")
    assert replies[10] == "✅ Recovered: *pipeline_dlq.dlq_depth* passes again (2026-11-29T22:52:00Z). " \
                          "It failed 60 times over 2 d 12 h."
    assert len(replies) == 11
    assert top["text"].startswith("✅ Resolved: pipeline_dlq.dlq_depth. Lasted 2 d 12 h "
                                  "(2026-11-27T10:52:00Z → 2026-11-29T22:52:00Z); failed 60 times.")
    assert "failed hours" not in " ".join(replies) + str(slack.updates) + str(slack.messages[0]["blocks"])
    assert "*Checked at*" in str(slack.messages[0]["blocks"])


def test_the_same_by_webhook_at_most_one_message_every_remind_every(tmp_path, slack):
    store = make_store(tmp_path)
    for tick in range(13):
        record_moment(store, T0 + tick * HOUR, 2)
    drain_outbox(store, notify_config(slack, webhook=True), reports_dir=tmp_path)
    texts = [p["text"][:12] for p in slack.webhook_posts]
    assert texts == ["🔴 Data check", "⏰ Reminder: ", "⏰ Reminder: "]


def test_each_new_failing_hour_is_told_a_recheck_only_when_its_value_changed(tmp_path, slack):
    store = make_store(tmp_path)
    record(store, "fail", T0)
    record(store, "fail", T0 + HOUR)                 # a new failing hour: told
    record(store, "fail", T0 + HOUR)                 # rechecked, same 3 violations: nothing
    record(store, "fail", T0 + HOUR, violations=5)   # rechecked, 5 now: told
    assert kinds(store) == ["alert", "followup", "followup"]
    drain_outbox(store, notify_config(slack), reports_dir=tmp_path)
    [top] = slack.top_level()
    assert [m["text"] for m in slack.replies(top["ts"])] == [
        "🔁 Still failing: *row_match (device_events)* failed hour 2026-11-27T11:00:00Z too (2 failed hours since "
        "2026-11-27T10:00:00Z).",
        "🔁 Still failing: *row_match (device_events)* changed in hour 2026-11-27T11:00:00Z: 5 violations, was 3."]


def test_a_recheck_unchanged_after_remind_every_is_a_reminder(tmp_path):
    store = make_store(tmp_path)
    record(store, "fail", T0)
    window = (T0, T0 + HOUR)
    run = RunResult(job="hourly-shadow", window=hour_result("fail", T0).window, started_at=T0, finished_at=T0,
                    status="fail", results=[hour_result("fail", T0)])
    store.record_run(run, now=window[1] + 7 * HOUR, **PROVENANCE)  # the same hour, the same value, 7 h later
    assert kinds(store) == ["alert", "reminder"]


def test_a_repaired_hour_rechecked_to_pass_resolves_its_alert_and_the_next_fault_opens_a_new_one(tmp_path):
    """The hour 10:00 failed (alert open); the rows are repaired and 10:00 is judged again:
    it passes. The alert's only failing hour passes now: resolved, not left open to take the
    next, unrelated failure as a 'different fault' in its thread."""
    store = make_store(tmp_path)
    record(store, "fail", T0)
    record(store, "pass", T0)                        # repaired, rechecked
    record(store, "fail", T0 + 3 * HOUR)             # hours later, another fault
    assert kinds(store) == ["alert", "recovered", "resolved", "alert"]
    resolved = next(m for m in store.outbox.pending() if m["kind"] == "resolved")
    assert (resolved["facts"]["duration_s"], resolved["facts"]["failed_hours"]) == (3600, 1)


def test_a_recheck_passing_while_another_hour_still_fails_keeps_the_alert(tmp_path):
    store = make_store(tmp_path)
    record(store, "fail", T0)
    record(store, "fail", T0 + HOUR)
    record(store, "pass", T0)                        # 10:00 repaired, 11:00 still fails
    assert kinds(store) == ["alert", "followup", "changed"]


def test_a_queue_alert_is_a_measurement_not_a_difference_between_old_and_new(tmp_path, slack):
    store = make_store(tmp_path)
    for minute, depth in ((0, 2), (1, 3)):
        result = CheckResult("pipeline_dlq.dlq_depth", "fail", observed=depth, threshold=0, violations=depth,
                             reason=f"{depth} messages in events:dlq (allowed: 0)", check_type="health",
                             details={"config_check": "pipeline_dlq", "measure": "dlq_depth", "point_in_time": True})
        at = T0 + minute * M
        store.record_run(RunResult(job=JOB, window=None, as_of=at, started_at=at, finished_at=at, status="fail",
                                   results=[result]), now=at, **PROVENANCE)
    drain_outbox(store, notify_config(slack), reports_dir=tmp_path)
    [top] = slack.top_level()
    assert top["text"].startswith("🔴 Out of bounds: pipeline_dlq.dlq_depth")
    assert "difference between the old and the new" not in str(top)
    [followup] = slack.replies(top["ts"])
    assert followup["text"] == ("🔁 Still failing: *pipeline_dlq.dlq_depth* at 2026-11-27T10:01:00Z: 3 messages in "
                                "events:dlq (allowed: 0) (failed 2 times since 2026-11-27T10:00:00Z).")
