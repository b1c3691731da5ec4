"""Every message kind in both languages against golden payload files (tests/golden/slack/,
rewritten with UPDATE_GOLDEN=1 and reviewed in the diff), the texts of both locales, the
reasons, and the digest's numbers."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from notify_helpers import HOUR, T0, UTC, make_store, notify_config, record, record_results, rule
from sqlalchemy import delete, insert, select

from reconciler.notify.blocks import MAX_BLOCKS, RENDERERS, Links, render
from reconciler.notify.digest import digest_facts, enqueue_digest_if_due
from reconciler.notify.i18n import TEXTS, Texts
from reconciler.notify.reasons import reason_of
from reconciler.results import CheckResult
from reconciler.store.schema import notify_outbox, window_ledger

GOLDEN = Path(__file__).parent / "golden" / "slack"
LINKS = Links("https://reports.example.com/shadow")
NOW = T0 + 5 * HOUR + timedelta(minutes=7)
GATE = {"status": "not met", "summary": "3 of 7 consecutive clean days; drift and match criteria met today"}


def _ledger(store, rows):
    with store.engine.begin() as conn:
        for dataset, hour, state, drift in rows:
            conn.execute(delete(window_ledger).where(window_ledger.c.dataset == dataset, window_ledger.c.hour == hour))
            conn.execute(insert(window_ledger).values(
                dataset=dataset, hour=hour, state=state, verdict={"verified": "pass", "drifted": "fail"}.get(state),
                drift_pct=drift, updated_at=NOW, judged_count=1))


@pytest.fixture(scope="module")
def messages(tmp_path_factory):
    """name -> (kind, facts): every kind of message, produced by the real lifecycle."""
    store = make_store(tmp_path_factory.mktemp("golden"))
    record(store, "fail", T0, reason="1 240 events missing in new (0.62 % of the hour); worst device dev-0042")
    record(store, "fail", T0 + HOUR, reason="980 events missing in new (0.49 % of the hour)")
    record(store, "run_error", T0 + 2 * HOUR)
    record(store, "pass", T0 + 3 * HOUR)
    record(store, "fail", T0 + 3 * HOUR, reason="a late event arrived: 1 row missing in new")  # recheck
    record_results(store, T0, [rule("no_overlapping_bookings", "error", message="no such table: bookings"),
                               rule("access_code_valid", "error", message="no such column: valid_to")])
    record_results(store, T0 + HOUR, [rule("no_overlapping_bookings", "pass"), rule("access_code_valid", "pass")])
    _ledger(store, [("device_events", T0 + i * HOUR, s, d) for i, (s, d) in
                    enumerate([("drifted", -0.62), ("drifted", -0.49), ("error", None), ("verified", 0.01)])])
    with store.engine.connect() as conn:
        rows = [(r.kind, r.facts) for r in conn.execute(select(notify_outbox).order_by(notify_outbox.c.id))]
    found = {}
    for kind, facts in rows:
        variant = facts.get("alert_kind", "data") + ("_check" if facts.get("alert_kind") == "tool"
                                                       and facts.get("check") else "")
        found.setdefault(f"{kind}.{variant}", (kind, facts))
    followup = found["followup.data"][1]
    found["reminder.data"] = ("reminder", {**followup, "failures": 7, "failed_hours": 7})
    found["followup.tool"] = ("followup", {**found["alert.tool"][1], "failures": 2, "failed_hours": 2,
                                           "first_hour": found["alert.tool"][1]["hour"]})
    found["reminder.tool"] = ("reminder", found["followup.tool"][1])
    found["digest"] = ("digest", digest_facts(store, NOW, gate=GATE))
    found["test.bot"] = ("test", {"mode": "bot"})
    found["test.webhook"] = ("test", {"mode": "webhook"})
    store.close()
    return found


EXPECTED = ["alert.data", "alert.tool", "alert.tool_check", "changed.data", "digest", "followup.data", "followup.tool",
            "recovered.data",
            "recovered.tool", "recovered.tool_check", "reminder.data", "reminder.tool", "resolved.data",
            "resolved.tool", "resolved.tool_check", "test.bot",
            "test.webhook"]


def test_the_lifecycle_produced_every_kind_of_message(messages):
    assert sorted(messages) == EXPECTED
    assert {kind for kind, _ in messages.values()} == set(RENDERERS)


@pytest.mark.parametrize("locale", ["en", "es"])
@pytest.mark.parametrize("name", EXPECTED)
def test_payload_matches_the_golden_file(messages, name, locale):
    kind, facts = messages[name]
    payload = render(kind, facts, Texts(locale), LINKS)
    text = json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    path = GOLDEN / locale / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert text == path.read_text()
    assert len(payload["blocks"]) <= MAX_BLOCKS


def test_both_locales_have_every_text_and_the_same_placeholders():
    import string

    assert set(TEXTS["en"]) == set(TEXTS["es"])
    for key, english in TEXTS["en"].items():
        names = {f[1] for f in string.Formatter().parse(english) if f[1]}
        assert names == {f[1] for f in string.Formatter().parse(TEXTS["es"][key]) if f[1]}, key


def test_spanish_and_english_say_the_checker_is_broken_not_the_data(messages):
    kind, facts = messages["alert.tool"]
    en, es = (render(kind, facts, Texts(loc), LINKS)["text"] for loc in ("en", "es"))
    assert en.startswith("⚠️ The checker is broken: hourly-shadow could not run")
    assert es.startswith("⚠️ El verificador está roto: hourly-shadow no pudo ejecutarse")
    assert "Data check" not in en and "datos" not in es.split(":")[0]


def test_reason_uses_the_results_own_reason_and_otherwise_builds_one():
    with_reason = CheckResult("drift", "fail", observed=2.5, threshold=1.0, violations=1,
                              details={"reason": "drift 2.5 % above 1 %"})
    assert reason_of(with_reason) == "drift 2.5 % above 1 %"
    assert reason_of({"check": "drift", "status": "fail", "reason": "stored reason"}) == "stored reason"
    assert reason_of(CheckResult("drift", "fail", observed=2.5, threshold=1.0, violations=1)) == \
        "drift: observed 2.5, threshold 1, 1 violation"
    assert reason_of({"check": "no_overlaps", "status": "error", "message": "no such table: bookings"}) == \
        "no_overlaps could not be evaluated: no such table: bookings"


def test_digest_counts_the_last_24_hours_hour_by_hour(tmp_path):
    store = make_store(tmp_path)
    now = datetime(2026, 11, 28, 8, 0, 30, tzinfo=UTC)
    start = now.replace(minute=0, second=0) - timedelta(hours=24)
    rows = [("device_events", start + i * HOUR, "verified", 0.01 * i) for i in range(20)]
    rows[5] = ("device_events", start + 5 * HOUR, "drifted", -3.25)
    rows[6] = ("device_events", start + 6 * HOUR, "error", None)
    _ledger(store, rows + [("device_events", start - HOUR, "drifted", -50.0)])  # outside the 24 h
    facts = digest_facts(store, now, gate={"status": "met", "summary": "7 of 7"})
    assert facts["totals"] == {"judged": 19, "failed": 1, "empty": 0, "missing": 5}
    assert facts["datasets"][0]["cells"][4:8] == ["judged", "failed", "missing", "judged"]
    assert facts["worst"] == {"dataset": "device_events", "hour": "2026-11-27T13:00:00Z", "drift_pct": -3.25}
    assert (facts["status"], facts["gate"]) == ("yellow", {"state": "met", "summary": "7 of 7"})


def test_digest_is_enqueued_once_a_day_at_digest_at(tmp_path):
    store = make_store(tmp_path)
    cfg = notify_config(digest_at="08:00")
    day = datetime(2026, 11, 28, tzinfo=UTC)
    assert not enqueue_digest_if_due(store, cfg, day.replace(hour=7, minute=59))
    assert enqueue_digest_if_due(store, cfg, day.replace(hour=8, minute=0))
    assert not enqueue_digest_if_due(store, cfg, day.replace(hour=9))
    assert enqueue_digest_if_due(store, cfg, day.replace(hour=8) + timedelta(days=1))
    with store.engine.connect() as conn:
        keys = [r.message_key for r in conn.execute(select(notify_outbox))]
    assert keys == ["digest:2026-11-28", "digest:2026-11-29"]
    assert not enqueue_digest_if_due(store, notify_config(digest_at=None), day.replace(hour=23))


def test_a_list_longer_than_the_blocks_allow_ends_with_how_many_more_and_the_link():
    items = [f"• violation {i}: " + "x" * 250 for i in range(500)]
    facts = {"alert_kind": "data", "job": "hourly-bookings", "check": "no_overlapping_bookings", "dataset": None,
             "reason": "500 overlapping bookings", "hour": "2026-11-27T10:00:00Z", "items": items, "items_total": 500,
             "report": "runs/000001-hourly-bookings-20261127T1000Z.html", "violations": 500}
    payload = render("alert", facts, Texts("es"), Links(None, "/srv/reports"))
    sections = [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section" and "text" in b]
    assert len(payload["blocks"]) <= MAX_BLOCKS and max(len(s) for s in sections) <= 3000
    shown = sum(s.count("• violation ") for s in sections)
    assert shown == 44  # 12 000 characters of 269-character lines
    assert sections[-1].endswith(f"…y {500 - shown} más, ver el reporte completo: "
                                 "`/srv/reports/runs/000001-hourly-bookings-20261127T1000Z.html`")


def test_digest_shows_the_gate_reports_verdict_and_headline(tmp_path):
    """The scheduler and `run` pass the real GateReport (gate.evaluate): its verdict and headline."""
    from reconciler.config import load_config
    from reconciler.gate.evaluate import gate_summary

    config = tmp_path / "schedule.yaml"
    config.write_text(f'sources: {{}}\nreport_store: {{url: "sqlite:///{tmp_path}/gate.db"}}\n')
    store = make_store(tmp_path)
    gate = gate_summary(store, load_config(config), NOW)
    facts = digest_facts(store, NOW, gate=gate)
    assert facts["gate"] == {"state": "incomplete", "summary": gate.headline}
    assert facts["gate"]["summary"].startswith("gate shadow: INCOMPLETE")
    # run and the scheduler pass it lazily: the store is read for the gate only when a digest is due
    assert digest_facts(store, NOW, gate=lambda: gate)["gate"] == facts["gate"]
