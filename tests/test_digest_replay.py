"""The digest of a past period (a replay, `--now`): what changed is read by the hours judged,
not by the wall clock the alerts were stored at; its lists put what matters most first."""

from __future__ import annotations

from datetime import timedelta

from notify_helpers import HOUR, PROVENANCE, T0, make_store, result

from reconciler.notify.blocks import Links, render
from reconciler.notify.digest import ISSUES_SHOWN, DigestScope, digest_facts
from reconciler.notify.i18n import Texts
from reconciler.results import RunResult
from reconciler.timeutil import Window

PERIOD = Window(T0 - 12 * HOUR, T0 + 12 * HOUR)
REPLAYED_AT = T0 + timedelta(days=30)  # the wall clock when the past period was judged


def _judge(store, hour, status, *, check="row_match", now=REPLAYED_AT):
    run = RunResult(job="hourly-shadow", window=Window(hour, hour + HOUR), started_at=now, finished_at=now,
                    status=status, results=[result(status, hour, check=check)])
    return store.record_run(run, now=now, **PROVENANCE)


def _section(payload, title):
    return next(b["text"]["text"] for b in payload["blocks"] if b.get("text", {}).get("text", "").startswith(title))


def test_a_replayed_period_says_what_changed_in_its_judged_hours(tmp_path):
    store = make_store(tmp_path)
    _judge(store, T0, "fail")
    _judge(store, T0 + HOUR, "fail")
    _judge(store, T0 + 2 * HOUR, "pass", now=REPLAYED_AT + timedelta(minutes=1))
    facts = digest_facts(store, PERIOD, DigestScope(("device_events",)))
    assert [(c["check"], c["first"], c["last"], c["state"], c["recovered"]) for c in facts["changed"]] == [
        ("row_match", "2026-11-27T10:00:00Z", "2026-11-27T11:00:00Z", "resolved", "2026-11-27T12:00:00Z")]
    changed = _section(render("digest", facts, Texts("en"), Links()), "*What changed*")
    assert changed.splitlines()[1] == ("• row_match (device_events, hourly-shadow): failed 2026-11-27T10:00:00Z … "
                                       "2026-11-27T11:00:00Z (2 h), passed again at 2026-11-27T12:00:00Z")
    next_day = Window(PERIOD.end, PERIOD.end + timedelta(days=1))
    assert digest_facts(store, next_day, DigestScope(("device_events",)))["changed"] == []
    store.close()


def test_an_alert_opened_after_the_period_is_not_one_of_its_issues(tmp_path):
    store = make_store(tmp_path)
    _judge(store, PERIOD.end + HOUR, "fail", now=PERIOD.end + 2 * HOUR)
    facts = digest_facts(store, PERIOD, DigestScope(("device_events",)))
    assert (facts["open_alerts"], facts["changed"]) == ([], [])
    store.close()


def test_the_issues_cut_short_are_the_oldest(tmp_path):
    store = make_store(tmp_path)
    checks = [f"rule_{i:02d}" for i in range(ISSUES_SHOWN + 2)]
    for i, check in enumerate(checks):  # rule_00 fails first, rule_11 last
        _judge(store, PERIOD.start + i * HOUR, "fail", check=check)
    facts = digest_facts(store, PERIOD, DigestScope(("device_events",)))
    assert [a["check"] for a in facts["open_alerts"]] == list(reversed(checks))
    issues = _section(render("digest", facts, Texts("en"), Links()), "*Issues*").splitlines()
    assert issues[1].startswith("• rule_11 (device_events, hourly-shadow): failing since 2026-11-27T09:00:00Z")
    assert issues[-1] == "…and 2 more"
    assert not any("rule_00" in line or "rule_01" in line for line in issues)
    store.close()
