"""The phase-aware daily digest: the phase under way (`current_phase`), the traffic split and the
new system's error rate against its target, in English and Spanish, with numbers that are the
ledger's and the gate's over the same 24 hours. Traffic measured on a real Prometheus
(prometheus_fixtures.py) and stored hour by hour (traffic_fixtures.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_fixtures import SPIKE_HOUR, START
from traffic_fixtures import DAY, store_hours, traffic_store

from reconciler.gate import evaluate_gate
from reconciler.notify import digest_scope
from reconciler.notify.blocks import Links, render
from reconciler.notify.digest import digest_facts
from reconciler.notify.i18n import Texts
from reconciler.timeutil import HOUR, Window, iso

NBSP = "\u00a0"
FULL_DAY = Window(START + 3 * DAY, START + 4 * DAY)     # at 100 %
HALF_DAY = Window(START + DAY, START + 2 * DAY)         # at 50 %, with the error spike


@pytest.fixture
def env(tmp_path, prometheus_url, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with traffic_store(tmp_path, prometheus_url) as opened:
        yield opened


def facts_of(loaded, store, period: Window) -> dict:
    now = period.end + timedelta(minutes=20)
    return digest_facts(store, period, digest_scope(loaded, store, now))


def plan_text(facts: dict, locale: str) -> str:
    payload = render("digest", facts, Texts(locale), Links())
    return next(b["text"]["text"] for b in payload["blocks"] if b.get("text", {}).get("text", "").startswith(
        ("*Migration plan*", "*Plan de migración*")))


def test_the_digest_numbers_are_the_ledgers_and_the_gates(env):
    loaded, store = env
    bad_hour = FULL_DAY.start + 10 * HOUR
    ids = store_hours(loaded, store, FULL_DAY, rows={bad_hour: {"mismatched": 15}})
    facts = facts_of(loaded, store, FULL_DAY)
    last = FULL_DAY.end - HOUR
    assert facts["plan"] == {"phase": "traffic-split", "traffic": {
        "split_pct": 100.0, "split_hour": iso(last), "split_run_id": ids[last], "error_rate_pct": 0.05,
        "errors": 2880.0, "requests": 5760000.0, "target_pct": 0.1, "on_target": True, "hours_measured": 24,
        "hours": 24, "complete": True}}
    # the gate over the same 24 hours: the same error rate; the ledger: the same hours
    report = evaluate_gate(store, loaded, FULL_DAY.end + HOUR, start=FULL_DAY.start, end=FULL_DAY.end)
    error_rate = next(o for o in report.outcomes if o.criterion == "error_rate")
    assert (error_rate.extra["observed"], error_rate.extra["hours_measured"]) == (0.05, 24)
    ledger = store.ledger("device_events", FULL_DAY.start, FULL_DAY.end)
    verdicts = [r["verdict"] for r in ledger]
    assert (verdicts.count("pass"), verdicts.count("fail")) == (23, 1)
    assert (facts["totals"]["passed"], facts["totals"]["failed"], facts["totals"]["hours"]) == (23, 1, 24)
    assert facts["gate"]["phase"] == "traffic-split"
    assert plan_text(facts, "en") == (
        "*Migration plan*\n• current phase: *traffic split*\n"
        "• traffic split: 100 % of requests to the new system (hour 2026-11-05T23:00:00Z)\n"
        f"• new system's error rate: 0.05 % (2{NBSP}880 of 5{NBSP}760{NBSP}000 requests, 24 of 24 hours measured), "
        "✅ below the 0.1 % target")
    assert plan_text(facts, "es") == (
        "*Plan de migración*\n• fase actual: *reparto de tráfico*\n"
        "• reparto del tráfico: 100 % de las peticiones al sistema nuevo (hora 2026-11-05T23:00:00Z)\n"
        f"• tasa de error del sistema nuevo: 0,05 % (2{NBSP}880 de 5{NBSP}760{NBSP}000 peticiones, 24 de 24 horas "
        "medidas), ✅ por debajo del objetivo de 0,1 %")


def test_an_error_rate_above_target_is_a_next_step(env):
    loaded, store = env
    store_hours(loaded, store, HALF_DAY)
    facts = facts_of(loaded, store, HALF_DAY)
    traffic = facts["plan"]["traffic"]
    # 23 hours x 60 errors + 2 400 in SPIKE_HOUR, of 24 x 120 000 requests; the split of the newest hour
    assert (traffic["split_pct"], traffic["error_rate_pct"], traffic["errors"], traffic["on_target"]) == (
        50.0, 0.13125, 3780.0, False)
    report = evaluate_gate(store, loaded, HALF_DAY.end + HOUR, start=HALF_DAY.start, end=HALF_DAY.end)
    error_rate = next(o for o in report.outcomes if o.criterion == "error_rate")
    assert (error_rate.extra["observed"], error_rate.worst.at) == (traffic["error_rate_pct"], iso(SPIKE_HOUR))
    payload = render("digest", facts, Texts("en"), Links())
    text = "\n".join(b["text"]["text"] for b in payload["blocks"] if b.get("text"))
    assert ("• new system's error rate: 0.13125 % (3\u00a0780 of 2\u00a0880\u00a0000 requests, 24 of 24 hours "
            "measured), ❌ not below the 0.1 % target") in text
    assert "• bring the new system's error rate below 0.1 % (it is 0.13125 %)" in text


def test_in_shadow_mode_the_digest_names_the_phase_only(tmp_path, monkeypatch):
    from gate_fixtures import gate_config, open_store

    monkeypatch.chdir(tmp_path)
    loaded = gate_config(tmp_path)
    store = open_store(loaded)
    try:
        facts = facts_of(loaded, store, FULL_DAY)
    finally:
        store.close()
    assert facts["plan"] == {"phase": "shadow", "traffic": None}
    assert plan_text(facts, "en") == "*Migration plan*\n• current phase: *shadow mode*"


def next_steps_text(facts: dict, locale: str) -> str:
    payload = render("digest", facts, Texts(locale), Links())
    return next(b["text"]["text"] for b in payload["blocks"] if b.get("text", {}).get("text", "").startswith(
        ("*Next steps*", "*Próximos pasos*")))


def test_a_criterion_the_gate_finds_not_met_is_a_next_step(env):
    """The day at 50 % (its spike and slow hour): the gate's NO-GO names its criteria not met, and so
    do the next steps, never "nothing to do"."""
    loaded, store = env
    store_hours(loaded, store, HALF_DAY)
    facts = facts_of(loaded, store, HALF_DAY)
    assert facts["gate"]["not_met"] == ["error_rate", "p99_latency", "stable_split"]
    assert next_steps_text(facts, "en") == (
        "*Next steps*\n• bring the new system's error rate below 0.1 % (it is 0.13125 %)\n"
        "• meet what the traffic split go/no-go gate finds not met: error rate, p99 latency, 7 days stable at 100 % "
        "(`reconciler gate` names each one's worst hour)")
    assert next_steps_text(facts, "es").endswith(
        "• cumplir lo que la decisión de avance de reparto de tráfico da por no cumplido: tasa de error, latencia p99, "
        "7 días estables al 100 % (`reconciler gate` nombra la peor hora de cada uno)")


def test_an_error_rate_below_target_over_some_hours_only_is_not_a_tick(env):
    loaded, store = env
    store_hours(loaded, store, FULL_DAY, skip={FULL_DAY.start + h * HOUR for h in range(18)})
    facts = facts_of(loaded, store, FULL_DAY)
    assert (facts["plan"]["traffic"]["hours_measured"], facts["plan"]["traffic"]["complete"]) == (6, False)
    assert plan_text(facts, "en").endswith(
        f"• new system's error rate: 0.05 % (720 of 1{NBSP}440{NBSP}000 requests, only 6 of 24 hours measured), "
        "⏳ below the 0.1 % target so far")
    assert plan_text(facts, "es").endswith(
        f"• tasa de error del sistema nuevo: 0,05 % (720 de 1{NBSP}440{NBSP}000 peticiones, solo 6 de 24 horas "
        "medidas), ⏳ por debajo del objetivo de 0,1 % por ahora")


def test_a_day_whose_hours_were_not_judged_says_why_not_that_no_traffic_check_exists(tmp_path, prometheus_url,
                                                                                     monkeypatch):
    monkeypatch.chdir(tmp_path)
    misspelt = "{new: {errors: errors_new_sytem_total, selector: 'service=\"booking-api\"'}}"
    with traffic_store(tmp_path, prometheus_url, misspelt) as (loaded, store):
        store_hours(loaded, store, HALF_DAY)
        facts = facts_of(loaded, store, HALF_DAY)
    assert plan_text(facts, "en").splitlines()[-1] == (
        "• traffic split: no hour of the period judged (24 hours not judged: the new system's error count is "
        "unknown: errors_new_sytem_total{service=\"booking-api\"} returned no series, nor in the 7 days before (a "
        "misspelt name? A counter created by its first error: initialise it to 0 at start, or count errors with a "
        "label of the request counter, e.g. traffic_split_new_system_total{code=~\"5..\"}))")
