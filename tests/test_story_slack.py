"""Slack tells the story (notify/story.py through the lifecycle, in the run's transaction): the
alert of a failing hour says why, further hours of the same story add nothing to the thread, a
changed finding is a follow-up with what it was before, a reminder says "still the same"; an
hour without findings on either side keeps the usual rule. Delivered to a local Slack through
the real slack-sdk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fake_slack import FakeSlack
from notify_helpers import make_store, notify_config, with_lifecycle
from story_fixtures import NBSP, PROVENANCE, T6, device, gap, record_hour, spread

from reconciler.notify import drain_outbox
from reconciler.notify.blocks import Links, render
from reconciler.notify.digest import digest_facts
from reconciler.notify.i18n import Texts
from reconciler.store import ReportStore
from reconciler.timeutil import HOUR, Window

LINKS = Links("https://reports.example.com/shadow")


def h(i: int):
    return T6 + i * HOUR


@pytest.fixture
def slack():
    fake = FakeSlack().start()
    yield fake
    fake.stop()


def messages(store) -> list[tuple[str, dict]]:
    return [(m["kind"], m["facts"]) for m in store.outbox.pending()]


def text_of(kind: str, facts: dict, locale: str = "en") -> str:
    payload = render(kind, facts, Texts(locale), LINKS)
    return "\n".join(b["text"]["text"] for b in payload["blocks"] if b.get("text"))


def test_one_alert_for_a_device_lost_every_hour_then_one_follow_up_when_it_becomes_a_gap(tmp_path, slack):
    store = make_store(tmp_path)
    for i in range(4):
        record_hour(store, h(i), [device(h(i), 40 + i)])   # 06-09: dev-0341's rows missing
    record_hour(store, h(4), [gap(h(4), 650)])              # 10: a gap
    record_hour(store, h(5), [gap(h(5), 640)])              # 11: the gap again
    record_hour(store, h(6), [])                            # 12: passes
    sent = messages(store)
    assert [k for k, _ in sent] == ["alert", "followup", "recovered", "resolved"]
    alert, followup = sent[0][1], sent[1][1]
    assert alert["fault"] == ["missing_in_new|dimension|device_id|dev-0341@2026-11-12T06:00:00Z"]
    assert [f["text"] for f in alert["why"]["findings"]] == [
        f"all 40 missing rows have `device_id` = dev-0341 (0.6{NBSP}% of the hour's rows)"]
    assert "per_minute" not in str(alert["why"])  # the strips stay in the report
    assert followup["change"] == "fault" and followup["hour"] == "2026-11-12T10:00:00Z"
    assert [(s["signature"], s["first_hour"], s["last_hour"], s["hours"], s["rows"], s["ended_by"])
            for s in followup["before"]] == [("missing_in_new|dimension|device_id|dev-0341", "2026-11-12T06:00:00Z",
                                              "2026-11-12T09:00:00Z", 4, [40, 43], "fail")]
    assert text_of("alert", alert).splitlines()[4:6] == [
        "*Why*", f"• all 40 missing rows have `device_id` = dev-0341 (0.6{NBSP}% of the hour's rows)"]
    assert text_of("followup", followup) == (
        "🔀 *row_match (device_events)*: now a different fault, in hour 2026-11-12T10:00:00Z:\n"
        "• all 650 missing rows fall between 10:00:13 and 10:11:02, where new has no row at all: a gap of "
        f"10{NBSP}min 49{NBSP}s\n"
        "*Before*\n"
        f"• all 43 missing rows have `device_id` = dev-0341 (0.6{NBSP}% of the hour's rows) — every hour from "
        "2026-11-12T06:00:00Z to 2026-11-12T09:00:00Z (4 h, 40–43 rows an hour)")
    resolved = sent[3][1]  # the alert's top message, rewritten: what it was, story by story
    assert [(s["first_hour"][11:16], s["hours"], s["ended_by"]) for s in resolved["stories"]] == [
        ("06:00", 4, "fail"), ("10:00", 2, "pass")]
    assert text_of("resolved", resolved).splitlines()[2:5] == [
        "*What it was*",
        f"• all 43 missing rows have `device_id` = dev-0341 (0.6{NBSP}% of the hour's rows) — every hour from "
        "2026-11-12T06:00:00Z to 2026-11-12T09:00:00Z (4 h, 40–43 rows an hour)",
        "• all 640 missing rows fall between 11:00:13 and 11:11:02, where new has no row at all: a gap of "
        f"10{NBSP}min 49{NBSP}s — every hour from 2026-11-12T10:00:00Z to 2026-11-12T11:00:00Z (2 h, 640–650 rows an "
        "hour)"]
    drain_outbox(store, notify_config(slack), reports_dir=tmp_path)
    [top] = slack.top_level()
    assert [m["text"].split(":")[0] for m in slack.replies(top["ts"])] == [
        "🔀 *row_match (device_events)*", "✅ Recovered"]


def test_the_same_story_is_reminded_every_remind_every_as_still_the_same(tmp_path):
    store = make_store(tmp_path)
    for i in range(8):   # each hour stored 70 minutes after it started: the alert at 07:10, 6 h later 13:10
        record_hour(store, h(i), [gap(h(i), 600 + i)], now=h(i) + timedelta(minutes=70))
    sent = messages(store)
    assert [k for k, _ in sent] == ["alert", "reminder"]
    reminder = sent[1][1]
    assert (reminder["hour"], reminder["change"], reminder["failed_hours"]) == ("2026-11-12T12:00:00Z", None, 7)
    [story] = reminder["stories"]
    assert (story["first_hour"], story["hours"], story["ended_by"]) == ("2026-11-12T06:00:00Z", 7, None)
    text = text_of("reminder", reminder)
    assert text.endswith(
        "*Still the same*\n• all 606 missing rows fall between 12:00:13 and 12:11:02, where new has no row at all: "
        f"a gap of 10{NBSP}min 49{NBSP}s — every hour since 2026-11-12T06:00:00Z (7 h, 600–606 rows an hour)")
    assert text_of("reminder", reminder, "es").endswith("cada hora desde 2026-11-12T06:00:00Z (7 h, 600–606 filas "
                                                        "por hora)")


def test_about_3_percent_every_hour_is_quiet_thirty_percent_is_another_fault(tmp_path):
    store = make_store(tmp_path)
    for i, share in enumerate([0.028, 0.031, 0.030]):
        record_hour(store, h(i), [spread(h(i), round(share * 7200))])
    assert [k for k, _ in messages(store)] == ["alert"]
    record_hour(store, h(3), [spread(h(3), 2160)])
    kinds = messages(store)
    assert [k for k, _ in kinds] == ["alert", "followup"]
    followup = kinds[1][1]
    assert followup["change"] == "fault"
    assert [(s["first_hour"], s["hours"]) for s in followup["before"]] == [("2026-11-12T06:00:00Z", 3)]
    assert [s["first_hour"] for s in followup["stories"]] == ["2026-11-12T09:00:00Z"]


def test_a_new_finding_beside_the_told_one_is_news_the_told_one_fading_is_not(tmp_path):
    store = make_store(tmp_path)
    record_hour(store, h(0), [device(h(0), 40)])
    record_hour(store, h(1), [device(h(1), 40), device(h(1), 30, "dev-0007")])  # a second device: news
    record_hour(store, h(2), [device(h(2), 40), device(h(2), 30, "dev-0007")])  # the same two: nothing
    record_hour(store, h(3), [device(h(3), 30, "dev-0007")])                    # one of them goes on: nothing
    sent = messages(store)
    assert [(k, f.get("change")) for k, f in sent] == [("alert", None), ("followup", "fault")]
    assert [s["signature"][-8:] for s in sent[1][1]["stories"]] == ["dev-0341", "dev-0007"]


def test_an_hour_that_says_why_after_hours_that_did_not_is_a_changed_fault_and_back(tmp_path):
    store = make_store(tmp_path)
    record_hour(store, h(0), [], missing=5)                 # 5 rows missing, no pattern
    record_hour(store, h(1), [], missing=4)                 # neither hour says why: the usual rule, a new hour
    record_hour(store, h(2), [device(h(2), 40)])            # now it says why
    record_hour(store, h(3), [], missing=6)                 # and no longer
    sent = messages(store)
    assert [(k, f.get("change")) for k, f in sent] == [("alert", None), ("followup", "hour"), ("followup", "fault"),
                                                       ("followup", "fault")]
    assert sent[0][1]["why"] == {"hour": "2026-11-12T06:00:00Z", "findings": [], "more": 0}
    assert text_of("alert", sent[0][1]).splitlines()[4:6] == [
        "*Why*", "no pattern found in hour 2026-11-12T06:00:00Z: match 99.931 % < 99.9 %: 5 of 7200 rows differ "
                 "(5 missing)"]
    assert text_of("followup", sent[3][1]).splitlines()[:2] == [
        "🔀 *row_match (device_events)*: now a different fault, in hour 2026-11-12T09:00:00Z:",
        "no pattern found in hour 2026-11-12T09:00:00Z: match 99.917 % < 99.9 %: 6 of 7200 rows differ (6 missing)"]


def test_the_digest_lists_each_datasets_stories_of_the_period(tmp_path):
    store = make_store(tmp_path)
    for i in range(3):
        record_hour(store, h(i), [spread(h(i), 216), device(h(i), 216)])
    record_hour(store, h(3), [gap(h(3), 650)])
    record_hour(store, h(4), [])
    record_hour(store, h(5), [device(h(5), 12, "dev-0007")], dataset="sensor_events")
    facts = digest_facts(store, Window(h(0) - 20 * HOUR, h(4)))
    lines = [line for line in text_of("digest", facts).split("\n") if line.startswith("• device") or
             line.startswith("• sensor")]
    assert [d["dataset"] for d in facts["stories"]] == ["device_events"]  # sensor_events' hour is after the period
    assert lines == [
        f"• device_events: spread through the hour: about 3{NBSP}% of the hour's rows missing, at random; all 216 missing "
        f"rows have `device_id` = dev-0341 (0.6{NBSP}% of the hour's rows) — every hour from 2026-11-12T06:00:00Z to "
        "2026-11-12T08:00:00Z (3 h, 216 rows an hour)",
        "• device_events: all 650 missing rows fall between 09:00:13 and 09:11:02, where new has no row at all: a gap "
        f"of 10{NBSP}min 49{NBSP}s — in hour 2026-11-12T09:00:00Z only (650 rows)"]


def test_a_store_without_the_lifecycle_keeps_findings_and_stories_but_sends_nothing(tmp_path):
    store = ReportStore(f"sqlite:///{tmp_path / 'plain.db'}")
    store.upgrade()
    record_hour(store, h(0), [gap(h(0), 650)])
    assert store.outbox.pending() == []
    with_lifecycle(store)
    record_hour(store, h(1), [gap(h(1), 640)])
    [(kind, facts)] = messages(store)
    assert kind == "alert" and facts["stories"][0]["hours"] == 2  # the alert of a story already 2 h long
    assert text_of("alert", facts).splitlines()[5].endswith(
        "— every hour since 2026-11-12T06:00:00Z (2 h, 640–650 rows an hour)")


def test_a_key_held_twice_in_new_is_not_explained_by_the_hours_missing_rows(tmp_path):
    """The hour's findings are about its missing, extra and changed rows: they do not say why
    a key is held twice, so the duplicate-key alert tells no 'Why' from them."""
    from dataclasses import replace

    from story_fixtures import story_run

    store = make_store(tmp_path)
    run = story_run(h(0), [device(h(0), 40)])
    doubled = replace(run.results[0], check="new_keys_unique", observed={"duplicates_new": 5}, violations=1,
                      details={"dataset": "device_events", "column": "duplicates_new"},
                      reason="5 keys held twice in new")
    store.record_run(replace(run, results=[doubled]), now=run.finished_at, **PROVENANCE)
    [(kind, facts)] = messages(store)
    assert kind == "alert" and "why" not in facts
    assert "*Why*" not in text_of("alert", facts)
