"""Every message kind in both languages against golden payload files (tests/golden/slack/,
rewritten with UPDATE_GOLDEN=1 and reviewed in the diff), the texts of both locales, the
reasons, and the digest's numbers."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from notify_helpers import HOUR, PROVENANCE, T0, UTC, make_store, notify_config, record, record_results, rule
from sqlalchemy import delete, insert, select

from reconciler.notify.blocks import MAX_BLOCKS, RENDERERS, Links, render
from reconciler.notify.digest import DigestScope, digest_facts, enqueue_digest_if_due
from reconciler.notify.i18n import TEXTS, Texts
from reconciler.notify.phrasebook import in_locale
from reconciler.notify.reasons import reason_of
from reconciler.results import CheckResult, RunResult
from reconciler.store.schema import notify_outbox, window_ledger
from reconciler.timeutil import Window

GOLDEN = Path(__file__).parent / "golden" / "slack"
LINKS = Links("https://reports.example.com/shadow")
NOW = T0 + 5 * HOUR + timedelta(minutes=7)
PERIOD = Window(T0 + 5 * HOUR - timedelta(days=1), T0 + 5 * HOUR)
GATE = {"phase": "shadow", "verdict": "no-go", "not_met": ["queues", "drift"], "incomplete": ["coverage"],
        "clean_hours": 60, "days_required": 7}
SCOPE = DigestScope(("device_events",), gate=GATE)


def _ledger(store, rows):
    with store.engine.begin() as conn:
        for dataset, hour, state, drift in rows:
            conn.execute(delete(window_ledger).where(window_ledger.c.dataset == dataset, window_ledger.c.hour == hour))
            conn.execute(insert(window_ledger).values(
                dataset=dataset, hour=hour, state=state, drift_pct=drift, updated_at=NOW, judged_count=1,
                verdict={"verified": "pass", "drifted": "fail", "empty": "empty", "error": "error"}.get(state)))


def record_moment(store, at, depth: int, job="pipeline-health") -> int:
    """A point-in-time run of a queue check, as of `at`."""
    result = CheckResult("pipeline_dlq.dlq_depth", "fail" if depth else "pass", observed=depth, threshold=0,
                         violations=depth, details={"config_check": "pipeline_dlq", "measure": "dlq_depth",
                                                    "point_in_time": True})
    run = RunResult(job=job, window=None, as_of=at, started_at=at, finished_at=at, status=result.status,
                    results=[result])
    return store.record_run(run, now=at, **PROVENANCE)


def _variant(facts: dict) -> str:
    kind = facts.get("alert_kind", "data")
    if kind == "tool":
        return "tool_check" if facts.get("check") else "tool"
    if facts.get("scope") == "moments":
        return "data_moment"
    if facts.get("change") == "fault":
        return "data_fault"
    if "why" in facts:
        return "data_why"
    return "data_value" if facts.get("change") == "value" else "data"


def story_messages(directory) -> dict:
    """The messages of a story (tests/story_fixtures.py): a device lost every hour, then a gap
    told as a different fault, reminded as still the same; the digest of its day."""
    from story_fixtures import T6, device, gap, record_hour

    store = make_store(directory)
    for i in range(11):
        hour = T6 + i * HOUR
        record_hour(store, hour, [device(hour, 40 + i)] if i < 4 else [gap(hour, 650 - i)],
                    now=hour + timedelta(minutes=70))
    record_hour(store, T6 + 11 * HOUR, [], now=T6 + 11 * HOUR + timedelta(minutes=70))
    found = {}
    for row in store.outbox.pending():
        found.setdefault(f"{row['kind']}.{_variant(row['facts'])}", (row["kind"], row["facts"]))
    found["digest.stories"] = ("digest", digest_facts(store, Window(T6 + 11 * HOUR - timedelta(days=1),
                                                                   T6 + 11 * HOUR), SCOPE))
    store.close()
    return {k: v for k, v in found.items() if k in ("alert.data_why", "followup.data_fault", "reminder.data_why",
                                                    "resolved.data_why", "digest.stories")}


@pytest.fixture(scope="module")
def messages(tmp_path_factory):
    """name -> (kind, facts): every kind of message, produced by the real lifecycle."""
    store = make_store(tmp_path_factory.mktemp("golden"))
    record(store, "fail", T0, reason="1 240 events missing in new (0.62 % of the hour); worst device dev-0042")
    record(store, "fail", T0 + HOUR, reason="980 events missing in new (0.49 % of the hour)")
    record(store, "fail", T0 + HOUR, violations=5, reason="983 events missing in new (0.49 % of the hour)")
    record(store, "run_error", T0 + 2 * HOUR)
    record(store, "pass", T0 + 3 * HOUR)
    record(store, "fail", T0 + 3 * HOUR, reason="a late event arrived: 1 row missing in new")  # recheck
    record_results(store, T0, [rule("no_overlapping_bookings", "error", message="no such table: bookings"),
                               rule("access_code_valid", "error", message="no such column: valid_to")])
    record_results(store, T0 + HOUR, [rule("no_overlapping_bookings", "pass"), rule("access_code_valid", "pass")])
    for minutes, depth in ((52, 2), (112, 3), (172, 0)):
        record_moment(store, T0 + timedelta(minutes=minutes), depth)
    record_moment(store, T0 + timedelta(minutes=232), 4)  # open now
    _ledger(store, [("device_events", T0 + i * HOUR, s, d) for i, (s, d) in
                    enumerate([("drifted", -0.62), ("drifted", -0.49), ("error", None), ("verified", 0.01)])]
            + [("device_events", T0 - 10 * HOUR + i * HOUR, "verified", 0.0) for i in range(10)]
            + [("device_events", T0 - 11 * HOUR, "empty", None)])
    found = {}
    for row in store.outbox.pending():
        found.setdefault(f"{row['kind']}.{_variant(row['facts'])}", (row["kind"], row["facts"]))
    followup = found["followup.data"][1]
    found["reminder.data"] = ("reminder", {**followup, "failures": 7, "failed_hours": 7})
    found["reminder.data_moment"] = ("reminder", {**found["followup.data_moment"][1], "failures": 7})
    found["followup.tool"] = ("followup", {**found["alert.tool"][1], "failures": 2, "failed_hours": 2,
                                           "first_hour": found["alert.tool"][1]["hour"]})
    found["reminder.tool"] = ("reminder", found["followup.tool"][1])
    found["digest"] = ("digest", digest_facts(store, PERIOD, SCOPE))
    found["test.bot"] = ("test", {"mode": "bot"})
    found["test.webhook"] = ("test", {"mode": "webhook"})
    store.close()
    found.update(story_messages(tmp_path_factory.mktemp("story")))
    quiet = make_store(tmp_path_factory.mktemp("quiet"))
    found["digest.nothing"] = ("digest", digest_facts(quiet, PERIOD, DigestScope(("device_events",))))
    _ledger(quiet, [("device_events", PERIOD.start + i * HOUR, "verified", 0.0) for i in range(24)])
    found["digest.green"] = ("digest", digest_facts(quiet, PERIOD, SCOPE))
    quiet.close()
    return found


EXPECTED = ["alert.data", "alert.data_moment", "alert.data_why", "alert.tool", "alert.tool_check", "changed.data",
            "digest", "digest.green", "digest.nothing", "digest.stories", "followup.data", "followup.data_fault",
            "followup.data_moment", "followup.data_value", "followup.tool", "recovered.data", "recovered.data_moment",
            "recovered.tool", "recovered.tool_check", "reminder.data", "reminder.data_moment", "reminder.data_why",
            "reminder.tool", "resolved.data", "resolved.data_moment", "resolved.data_why", "resolved.tool",
            "resolved.tool_check",
            "test.bot", "test.webhook"]


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


def test_digest_counts_the_24_hours_before_digest_at_from_the_ledger(tmp_path):
    store = make_store(tmp_path)
    period = Window(datetime(2026, 11, 27, 8, tzinfo=UTC), datetime(2026, 11, 28, 8, tzinfo=UTC))
    rows = [("device_events", period.start + i * HOUR, "verified", 0.01 * i) for i in range(20)]
    rows[5] = ("device_events", period.start + 5 * HOUR, "drifted", -3.25)
    rows[6] = ("device_events", period.start + 6 * HOUR, "error", None)
    rows[7] = ("device_events", period.start + 7 * HOUR, "empty", None)
    _ledger(store, rows + [("device_events", period.start - HOUR, "drifted", -50.0),  # outside the period
                           ("bookings", period.start, "drifted", -9.0)])              # not an hourly dataset
    facts = digest_facts(store, period, DigestScope(("device_events", "sensor_events")))
    assert facts["totals"] == {"hours": 48, "judged": 18, "passed": 17, "failed": 1, "empty": 1, "missing": 29}
    events, sensors = facts["datasets"]
    assert events["counts"] == {"hours": 24, "judged": 18, "passed": 17, "failed": 1, "empty": 1, "missing": 5}
    assert events["cells"][4:9] == ["passed", "failed", "missing", "empty", "passed"]
    assert sensors == {"dataset": "sensor_events", "cells": ["missing"] * 24,
                       "counts": {"hours": 24, "judged": 0, "passed": 0, "failed": 0, "empty": 0, "missing": 24}}
    assert facts["worst"] == {"dataset": "device_events", "hour": "2026-11-27T13:00:00Z", "drift_pct": -3.25}
    assert (facts["status"], facts["period"]) == ("yellow", {"start": "2026-11-27T08:00:00Z",
                                                             "end": "2026-11-28T08:00:00Z"})


@pytest.mark.parametrize("cells, status", [
    ({}, "nothing"),                                       # nothing judged is not "every judged hour passed"
    ({i: "verified" for i in range(24)}, "green"),
    ({i: "verified" for i in range(23)}, "incomplete"),    # one hour without a verdict
    ({**{i: "verified" for i in range(24)}, 3: "empty"}, "incomplete"),
    ({**{i: "verified" for i in range(24)}, 3: "error"}, "incomplete"),
    ({**{i: "verified" for i in range(24)}, 3: "drifted"}, "yellow"),
])
def test_on_track_only_when_every_hour_of_the_period_passed(tmp_path, cells, status):
    store = make_store(tmp_path)
    _ledger(store, [("device_events", PERIOD.start + i * HOUR, state, 0.0) for i, state in cells.items()])
    facts = digest_facts(store, PERIOD, DigestScope(("device_events",)))
    assert facts["status"] == status
    text = render("digest", facts, Texts("en"), LINKS)["text"]
    if status != "green":
        assert "on track" not in text


def test_the_digests_numbers_equal_the_ledgers_and_the_gates_for_the_same_period(tmp_path):
    """The same 24 hours read three ways: the digest, the ledger rows, the gate's coverage and
    drift criteria over that period."""
    from gate_fixtures import fabricate_week, gate_config, hour_run
    from gate_fixtures import open_store as open_gate_store
    from gate_fixtures import record as record_hour

    from reconciler.gate.evaluate import evaluate_gate
    from reconciler.notify import digest_scope

    loaded = gate_config(tmp_path)
    store = open_gate_store(loaded)
    period = Window(datetime(2026, 11, 28, 8, tzinfo=UTC), datetime(2026, 11, 29, 8, tzinfo=UTC))
    missing = {period.start + 3 * HOUR, period.start + 4 * HOUR, period.start + 23 * HOUR}
    drifting = {period.start + h * HOUR: {"new": 1020} for h in (7, 8)}
    fabricate_week(store, skip=missing, special=drifting, start=period.start - 2 * HOUR, end=period.end + HOUR)
    record_hour(store, hour_run(period.start + 10 * HOUR, new=1000, mismatched=5))  # a recheck: rows fail now
    scope = digest_scope(loaded, store, period.end)
    assert scope.datasets == ("device_events",)
    facts = digest_facts(store, period, scope)
    rows = store.ledger("device_events", period.start, period.end)
    verdicts = [r["verdict"] for r in rows]
    assert facts["totals"] == {"hours": 24, "judged": verdicts.count("pass") + verdicts.count("fail"),
                               "passed": verdicts.count("pass"), "failed": verdicts.count("fail"),
                               "empty": verdicts.count("empty"), "missing": 24 - len(rows)}
    assert facts["totals"] == {"hours": 24, "judged": 21, "passed": 18, "failed": 3, "empty": 0, "missing": 3}
    gate = evaluate_gate(store, loaded, period.end + HOUR, start=period.start, end=period.end)
    outcomes = {o.criterion: o for o in gate.outcomes}
    coverage = outcomes["coverage"]
    assert coverage.bound["hours"] - len(coverage.gaps) == facts["totals"]["judged"]
    assert len(coverage.gaps) == facts["totals"]["empty"] + facts["totals"]["missing"]
    assert sorted(g["hour"] for g in coverage.gaps) == sorted(
        h for h, c in zip(facts["hours"], facts["datasets"][0]["cells"]) if c in ("missing", "empty"))
    failed_hours = {h for h, c in zip(facts["hours"], facts["datasets"][0]["cells"]) if c == "failed"}
    assert failed_hours == {g["hour"] for o in (outcomes["drift"], outcomes["match"]) for g in o.gaps} == {
        "2026-11-28T15:00:00Z", "2026-11-28T16:00:00Z", "2026-11-28T18:00:00Z"}
    store.close()


def test_the_digest_counts_a_failed_point_in_time_run_once_however_many_of_its_checks_failed(tmp_path):
    """Found by the week (tests/test_week.py): a booking moved in new failed two checks of the
    bookings job (its rules and its completeness) in each of 4 runs; the digest said "8 failed
    point-in-time runs"."""
    from reconciler.store import ReportStore

    store = ReportStore(f"sqlite:///{tmp_path / 'reconciler.db'}")  # no alert lifecycle: none is open
    store.upgrade()
    for i in range(4):
        at = PERIOD.start + (2 + i) * HOUR + timedelta(minutes=20)
        results = [rule("no_overlapping_bookings", "fail", violations=1),
                   CheckResult("bookings.complete", "fail", observed=1, threshold=0, violations=1,
                               details={"config_check": "bookings_migrated"})]
        store.record_run(RunResult(job="hourly-bookings", window=None, as_of=at, started_at=at, finished_at=at,
                                   status="fail", results=results), now=at, **PROVENANCE)
    facts = digest_facts(store, PERIOD, DigestScope(("device_events",)))
    assert [(m["check"], m["runs"], m["failed"]) for m in facts["moments"]] == [("bookings", 4, 4),
                                                                                ("bookings_migrated", 4, 4)]
    assert facts["failed_moment_runs"] == 4
    text = render("digest", facts, Texts("en"), LINKS)["text"]
    assert text.endswith("🟡 attention: 0 failed hours and 4 failed point-in-time runs in the period, no alert open now")


def test_digest_is_enqueued_once_per_period_when_its_last_hour_is_judged(tmp_path):
    """Due at digest_at + settle; it waits for its period's last hour to have a verdict (another
    replica may be judging it), at most an hour more."""
    from gate_fixtures import hour_run
    from gate_fixtures import record as record_hour

    store = make_store(tmp_path)
    cfg = notify_config(digest_at="08:00")
    scope = DigestScope(("device_events",), ready_after=timedelta(minutes=10))
    day = datetime(2026, 11, 28, tzinfo=UTC)
    # yesterday's is due, but nothing was judged before its end: a first start owes no digest of it
    assert not enqueue_digest_if_due(store, cfg, day.replace(hour=8, minute=9), scope)
    record_hour(store, hour_run(day.replace(hour=6)))
    assert not enqueue_digest_if_due(store, cfg, day.replace(hour=8, minute=9, second=59), scope)
    assert not enqueue_digest_if_due(store, cfg, day.replace(hour=8, minute=10), scope)  # 07:00 has no verdict
    record_hour(store, hour_run(day.replace(hour=7)))
    assert enqueue_digest_if_due(store, cfg, day.replace(hour=8, minute=11), scope)   # 07:00-08:00 judged now
    assert not enqueue_digest_if_due(store, cfg, day.replace(hour=9), scope)
    next_day = day + timedelta(days=1)
    assert not enqueue_digest_if_due(store, cfg, next_day.replace(hour=9, minute=9, second=59), scope)
    assert enqueue_digest_if_due(store, cfg, next_day.replace(hour=9, minute=10), scope)  # waited an hour: sent
    with store.engine.connect() as conn:
        rows = [(r.message_key, r.facts["period"], r.facts["totals"]["judged"]) for r in conn.execute(select(notify_outbox))]
    assert rows == [("digest:2026-11-28", {"start": "2026-11-27T08:00:00Z", "end": "2026-11-28T08:00:00Z"}, 2),
                    ("digest:2026-11-29", {"start": "2026-11-28T08:00:00Z", "end": "2026-11-29T08:00:00Z"}, 0)]
    assert not enqueue_digest_if_due(store, notify_config(digest_at=None), day.replace(hour=23))


def test_a_digest_at_a_quarter_past_covers_24_whole_hours():
    from reconciler.notify.digest import digest_period

    period = digest_period(notify_config(digest_at="07:45"), datetime(2026, 11, 28, 7, 50, tzinfo=UTC),
                           timedelta(minutes=10))
    assert (period.start, period.end, len(period.hours())) == (
        datetime(2026, 11, 27, 7, tzinfo=UTC), datetime(2026, 11, 28, 7, tzinfo=UTC), 24)
    # not before 07:45, though its last hour (06:00-07:00) settled at 07:10
    assert digest_period(notify_config(digest_at="07:45"), datetime(2026, 11, 28, 7, 44, tzinfo=UTC),
                         timedelta(minutes=10)).end == datetime(2026, 11, 27, 7, tzinfo=UTC)


def test_what_changed_names_each_alert_once_with_its_stretch(messages):
    facts = messages["digest"][1]
    lines = [c for c in facts["changed"]]
    assert [(c["check"], c["scope"], c["first"], c["last"], c["hours"], c["state"]) for c in lines] == [
        ("pipeline_dlq.dlq_depth", "moments", "2026-11-27T13:52:00Z", "2026-11-27T13:52:00Z", 1, "open"),
        ("hourly-shadow", "hours", "2026-11-27T12:00:00Z", "2026-11-27T12:00:00Z", 1, "resolved"),
        ("pipeline_dlq.dlq_depth", "moments", "2026-11-27T10:52:00Z", "2026-11-27T11:52:00Z", 2, "resolved"),
        ("row_match", "hours", "2026-11-27T10:00:00Z", "2026-11-27T11:00:00Z", 2, "resolved"),
        ("bookings", "hours", "2026-11-27T10:00:00Z", "2026-11-27T10:00:00Z", 1, "resolved")]
    text = render("digest", facts, Texts("en"), LINKS)["blocks"]
    changed = next(b["text"]["text"] for b in text if b.get("text", {}).get("text", "").startswith("*What changed*"))
    assert changed.splitlines()[2:] == [
        "• the checker could not judge hourly-shadow: hour 2026-11-27T12:00:00Z, passed again at 2026-11-27T13:00:00Z",
        "• pipeline_dlq.dlq_depth (pipeline-health): failed 2 times from 2026-11-27T10:52:00Z to "
        "2026-11-27T11:52:00Z, passed again at 2026-11-27T12:52:00Z",
        "• row_match (device_events, hourly-shadow): failed 2026-11-27T10:00:00Z … 2026-11-27T11:00:00Z (2 h), "
        "passed again at 2026-11-27T13:00:00Z",
        "• the checker could not judge bookings (hourly-bookings): hour 2026-11-27T10:00:00Z, passed again at "
        "2026-11-27T11:00:00Z"]
    issues = next(b["text"]["text"] for b in text if b.get("text", {}).get("text", "").startswith("*Issues*"))
    assert "pipeline_dlq.dlq_depth (pipeline-health): failing since 2026-11-27T13:52:00Z, failed once" in issues
    assert "failed hours" not in issues.split("pipeline_dlq")[1]


def test_two_alerts_that_read_alike_are_one_line_of_what_changed(messages):
    """The checker broken twice in one hour (opened, resolved, opened again): two alerts, one
    sentence; listing it twice tells the reader nothing more."""
    facts = messages["digest"][1]
    tool = next(c for c in facts["changed"] if c["check"] == "hourly-shadow")
    doubled = {**facts, "changed": [tool, dict(tool), *facts["changed"][1:]]}
    blocks = render("digest", doubled, Texts("en"), LINKS)["blocks"]
    changed = next(b["text"]["text"] for b in blocks if b.get("text", {}).get("text", "").startswith("*What changed*"))
    assert changed.count("the checker could not judge hourly-shadow: hour 2026-11-27T12:00:00Z") == 1


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


def test_digest_shows_the_gate_from_its_structured_result_in_the_readers_language(tmp_path):
    """The scheduler and `run` pass the real GateReport (gate.evaluate): its verdict and the
    criteria not met or incomplete, rendered in the locale, never its English headline."""
    from reconciler.config import load_config
    from reconciler.gate.evaluate import gate_summary

    config = tmp_path / "schedule.yaml"
    config.write_text(f'sources: {{}}\nreport_store: {{url: "sqlite:///{tmp_path}/gate.db"}}\n')
    store = make_store(tmp_path)
    gate = gate_summary(store, load_config(config), NOW)
    facts = digest_facts(store, PERIOD, DigestScope(gate=gate))
    assert facts["gate"] == {"phase": "shadow", "verdict": "incomplete", "not_met": [],
                             "incomplete": ["coverage", "drift", "match", "lag", "latency", "queues", "bookings"],
                             "clean_hours": 0, "days_required": 7, "hourly": True}
    # run and the scheduler pass it lazily: the store is read for the gate only when a digest is due
    assert digest_facts(store, PERIOD, DigestScope(gate=lambda: gate))["gate"] == facts["gate"]
    lines = {loc: next(b["text"]["text"] for b in render("digest", facts, Texts(loc), LINKS)["blocks"]
                       if "gate" in b.get("text", {}).get("text", "").lower()
                       or "avance" in b.get("text", {}).get("text", ""))
             for loc in ("en", "es")}
    assert lines["en"] == ("*Go/no-go gate*\n⚪ INCOMPLETE for phase shadow (incomplete: coverage, drift, match, "
                           "lag, latency, queues, bookings); 0.0 of 7 days clean")
    assert lines["es"] == ("*Decisión de avance*\n⚪ EVIDENCIA INCOMPLETA para la fase shadow (incompletos: cobertura, "
                           "desviación, coincidencia, retraso, latencia, colas, reservas); 0,0 de 7 días limpios")


# Words of the English texts that must not appear in a Spanish message once the names it
# quotes (checks, jobs, datasets, phases) and the result reasons (next wave) are taken out.
ENGLISH = ("failed", "failing", "passed", "passing", "hour", "hours", "judged", "missing", "empty", "gate", "met",
           "incomplete", "track", "blocked", "attention", "open", "opened", "resolved", "since", "reason", "report",
           "violations", "worst", "job", "changed", "next", "none", "alert", "checker", "still", "recovered",
           "reminder", "times", "clean", "days", "totals", "runs", "latest", "what", "issues", "lasted", "period",
           "largest", "steps", "keep", "nothing", "phase", "coverage", "queues", "bookings", "latency", "checked",
           "broken", "again", "rechecked", "was", "now", "and", "of", "the", "for", "at", "in", "on", "with")


def _quoted(facts: dict) -> list[str]:
    """What a message quotes rather than says: names, reasons, items, links, the gate's phase."""
    values = [facts.get(k) for k in ("check", "config_check", "job", "dataset", "reason", "fingerprint", "report",
                                     "first_report")]
    values += list(facts.get("items") or [])
    for alert in (facts.get("open_alerts") or []) + (facts.get("changed") or []):
        values += [alert["check"], alert["job"], alert.get("dataset"), alert.get("reason")]
    values += [m[k] for m in facts.get("moments") or [] for k in ("check", "job")]
    values += [d["dataset"] for d in facts.get("datasets") or []]
    values += [(facts.get("gate") or {}).get("phase")]
    values += _finding_texts(facts)
    values += [in_locale(str(v), "es") for v in values if v]  # a reason as the Spanish reader reads it
    return sorted((str(v) for v in values if v), key=len, reverse=True)


def _finding_texts(facts: dict) -> list[str]:
    """Finding sentences are quoted as the findings say them (their translation is the
    presentation work's); the dataset names of the digest's stories too."""
    findings = list((facts.get("why") or {}).get("findings") or [])
    before = facts.get("before") if isinstance(facts.get("before"), list) else []  # a recheck's is a status
    for story in (facts.get("stories") or []) + before:
        findings += [story.get("finding") or {}] + list(story.get("findings") or [])
        for line in story.get("stories") or []:  # the digest: per dataset, its story lines
            findings += list(line.get("findings") or [])
    for story in facts.get("stories") or []:  # a resolved alert's story lines
        findings += list(story.get("findings") or [])
    return [f.get("text") for f in findings] + [d.get("dataset") for d in facts.get("stories") or []]


def _all_text(payload: dict) -> str:
    texts = [payload["text"]]
    for block in payload["blocks"]:
        texts += [block.get("text", {}).get("text", "")] if isinstance(block.get("text"), dict) else \
            [block.get("text") or ""]
        texts += [f["text"] for f in block.get("fields") or []]
        texts += [e.get("text", "") for e in block.get("elements") or []]
    return "\n".join(texts)


@pytest.mark.parametrize("name", EXPECTED)
def test_every_spanish_message_has_no_untranslated_word(messages, name):
    import re

    kind, facts = messages[name]
    text = _all_text(render(kind, facts, Texts("es"), LINKS))
    for quoted in _quoted(facts):
        text = text.replace(quoted, " ")
    text = re.sub(r"`[^`]*`|<[^>]*>|https?://\S+", " ", text)  # commands, keys and links
    words = set(re.findall(r"[a-záéíóúñü]+", text.lower()))
    assert sorted(words & set(ENGLISH)) == []
    english = _all_text(render(kind, facts, Texts("en"), LINKS))
    assert text.strip() and english != _all_text(render(kind, facts, Texts("es"), LINKS))
