"""With `locale: es`, every line of every Slack message is Spanish: the templates, and the
reasons and findings the results hold in English (notify/phrasebook.py). Each message kind
is rendered in both languages with the reasons the real reason functions write; no English
word of the list is left in Spanish, and the English messages keep theirs."""

from __future__ import annotations

import json
import re
from itertools import cycle

import pytest
from test_notify_messages import EXPECTED, LINKS, messages  # noqa: F401  (the fixture: every message kind)

from reconciler.checks.types import reason_for
from reconciler.checks.types.dataset import completeness_reason, summary_reason
from reconciler.notify.blocks import render
from reconciler.notify.i18n import Texts
from reconciler.notify.phrasebook import in_locale
from reconciler.notify.reasons import reason_of
from reconciler.reasons import drift_reason, generic_reason, hour_reason, match_reason, status_message
from reconciler.results import CheckResult
from reconciler.thresholds import Threshold

ENGLISH = set("""rows row missing extra changed fewer more within outside events event hour hours failed passed
differ match drift violation violations of and the in only every since not could run checker observed threshold
key all group groups equal between new old allowed inherited queue holds messages lag latency above write writes
at from where has have gap span spread through about random yet tell unchanged selected budget compared more than
newest duplicate overlapping largest counts defined required evaluated unreachable source""".split())
NAMES = re.compile(r"`[^`]*`|<[^>]*>|(?<!\w)'[^']*'(?!\w)|\w+://\S+|\S*(?:_|\d|\w[.:]\w)\S*|\b\w+-\w[\w-]*")
DRIFT, MATCH = Threshold.symmetric(1, "%"), Threshold.at_least(99.9, "%")


def english_words(text: str) -> list[str]:
    """The listed English words in `text`, names, code, quotes and URLs aside."""
    return [w for w in re.findall(r"[A-Za-z]+", NAMES.sub(" ", text)) if w.lower() in ENGLISH]


def real_reasons() -> list[str]:
    """What the reason functions write, one of each shape a Slack message carries."""
    def rule(name, **details):
        return reason_for(CheckResult(name, "fail", violations=details.pop("violations", 2), check_type="sql",
                                      details={"severity": "critical", **details}))

    lag = CheckResult("events_lag.processing_lag", "fail", observed={"p99": 12.5, "count": 1200},
                      threshold=Threshold(max=10, unit="s", text="at p99"), violations=1, check_type="lag",
                      details={"measure": "processing_lag"})
    latency = CheckResult("writes.write_latency", "fail", observed={"p99": 250.0, "count": 40},
                          threshold=Threshold(max=200, unit="ms", text="at p99"), violations=1, check_type="latency",
                          details={"measure": "write_latency"})
    queue = CheckResult("pipeline_dlq.dlq_depth", "fail", observed=2, threshold=Threshold.at_most(0, "messages"),
                        violations=2, check_type="health", details={"measure": "dlq_depth", "key": "dlq:bookings"})
    complete = CheckResult("bookings.complete", "fail", observed={"matched": 90, "missing_in_new": 3, "mismatched": 2,
                                                                  "extra_in_new": 4}, violations=5)
    summary = CheckResult("bookings.summary", "fail", observed=[{"status": "a", "old": 3, "new": 2}] * 4,
                          samples=[{"status": "confirmed", "old": 1200, "new": 1190}], violations=1)
    return [
        drift_reason(7267, 4360, -40.0028, DRIFT), drift_reason(0, 7083, None, DRIFT),
        drift_reason(7141, 7141, 0.0, DRIFT), drift_reason(1000, 1030, 3.0, DRIFT),
        match_reason(4360, 0, 2907, 0, MATCH), match_reason(7137, 0, 4, 4, MATCH),
        match_reason(144_000, 20, 0, 0, MATCH),
        hour_reason({"drift_pct": -0.5, "matched": 99, "mismatched": 1}, []),
        generic_reason(CheckResult("pipeline_dlq.dlq_depth", "fail", observed=4, threshold=Threshold.at_most(0))),
        reason_of({"check": "pipeline_dlq.dlq_depth", "status": "fail", "observed": 4,
                   "threshold": Threshold.at_most(0).describe(), "violations": 4}),
        reason_of({"check": "no_overlaps", "status": "error", "message": "no such table: bookings"}),
        status_message(CheckResult("x", "error", message="connection refused")),
        rule("no_overlapping_bookings", source="both", new=2, inherited=2),
        rule("no_duplicate_bookings", source="both", new=1, inherited=1, violations=1),
        rule("access_code_valid", source="both", new=2, inherited=0),
        rule("no_overlapping_bookings", source="new", violations=3),
        reason_for(lag), reason_for(latency), reason_for(queue),
        completeness_reason(complete), summary_reason(summary),
        "source 'old' (postgresql://reader@db/old) is unreachable",
    ]


@pytest.fixture(scope="module")
def reasons():
    return real_reasons()


def test_every_reason_shape_reads_in_spanish(reasons):
    assert len(reasons) == 22
    for text in reasons:
        spanish = in_locale(text, "es")
        assert english_words(spanish) == [], (text, spanish)
    assert in_locale(reasons[0], "es") == "desviación −40,00 % fuera de ±1 %: 2\u00a0907 eventos menos en el nuevo"
    assert in_locale(reasons[4], "es") == ("coincidencia 59,997 % < 99,9 %: difieren 2\u00a0907 de 7\u00a0267 filas "
                                           "(2\u00a0907 faltantes)")
    assert in_locale(reasons[10], "es") == "no_overlaps no pudo evaluarse: no such table: bookings"  # the DB's words


def test_english_is_kept_as_written(reasons):
    for text in reasons:
        assert in_locale(text, "en") == text


def test_a_check_types_reason_in_the_readers_words():
    from reconciler.notify.phrasebook import words_in

    queue = CheckResult("pipeline_dlq.dlq_depth", "fail", observed=2, threshold=Threshold.at_most(0, "messages"),
                        violations=2, check_type="health", details={"measure": "dlq_depth", "key": "dlq:bookings"})
    assert reason_for(queue) == "dead-letter queue (dlq:bookings) holds 2 messages, more than the 0 allowed"
    assert reason_for(queue, words_in("es")) == ("cola de mensajes fallidos (dlq:bookings) tiene 2 mensajes, "
                                                 "más de los 0 permitidos")


def _with_real_reasons(facts, reasons):
    """The fixture's facts with each reason replaced by a real one (the fixture writes its own)."""
    if isinstance(facts, dict):
        return {k: next(reasons) if k == "reason" and isinstance(v, str) else _with_real_reasons(v, reasons)
                for k, v in facts.items()}
    if isinstance(facts, list):
        return [_with_real_reasons(v, reasons) for v in facts]
    return facts


def _texts(payload) -> list[str]:
    found = []

    def walk(value, key=None):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif key == "text" and isinstance(value, str):
            found.append(value)
    walk(payload)
    return found


@pytest.mark.parametrize("name", EXPECTED)
def test_every_message_kind_is_spanish_on_every_line(messages, reasons, name):  # noqa: F811
    kind, facts = messages[name]
    facts = _with_real_reasons(facts, cycle(reasons))
    es, en = (render(kind, facts, Texts(loc), LINKS) for loc in ("es", "en"))
    left = [(line, english_words(line)) for text in _texts(es) for line in text.split("\n") if english_words(line)]
    assert left == []
    assert any(english_words(line) for text in _texts(en) for line in text.split("\n")), "the list finds English"
    assert json.dumps(es) != json.dumps(en)


@pytest.mark.parametrize("english, spanish", [
    ("1 new duplicate booking (1 inherited from old)", "1 nueva: reserva duplicada (1 heredada del viejo)"),
    ("2 new overlapping bookings (2 inherited from old)", "2 nuevas: reservas solapadas (2 heredadas del viejo)"),
    ("2 new overlapping pairs of bookings (1 inherited from old)",
     "2 nuevas: parejas de reservas solapadas (1 heredada del viejo)"),
    ("1 overlapping pair of bookings on new", "1 pareja de reservas solapadas en el nuevo"),
    ("1 of 108 rows fail: code matches ^[0-9]{6}$", "falla 1 de 108 filas: code cumple ^[0-9]{6}$"),
    ("1 of 5 groups differ between old and new", "difiere 1 de 5 grupos entre el viejo y el nuevo"),
    ("5 rows missing or changed in new (1 missing, 4 changed); 1 only in new (allowed)",
     "5 filas faltantes o cambiadas en el nuevo (1 faltante, 4 cambiadas); 1 solo en el nuevo (permitida)"),
    ("match 99.95 % ≥ 99.9 %", "coincidencia 99,95 % ≥ 99,9 %"),
    ("new ≥ 1 in all 23 hours where old > 0", "nuevo ≥ 1 en las 23 horas donde viejo > 0"),
    ("no rows on either side", "sin filas en ningún lado"),
    ("row_diff_complete: observed 1, threshold complete (not cut short)",
     "row_diff_complete: observado 1, umbral completa (sin cortar)"),
    ("2 of 5 groups differ between old and new (cancelled: 7 old vs 6 new rows, distinct guest_id 7 old vs 6 new; "
     "completed: 0 old vs 1 new rows; …and 1 more)",
     "difieren 2 de 5 grupos entre el viejo y el nuevo (cancelled: 7 filas en el viejo frente a 6 en el nuevo, "
     "guest_id distintos: 7 en el viejo frente a 6 en el nuevo; completed: 0 filas en el viejo frente a 1 en el "
     "nuevo; …y 1 más)"),
    ("drift undefined (no events in old, 7\u00a0083 in new): judged by drift_defined",
     "desviación indefinida (ningún evento en el viejo, 7\u00a0083 en el nuevo): la juzga drift_defined"),
    ("drift undefined (no events in old, 7\u00a0083 in new): not judged by this check",
     "desviación indefinida (ningún evento en el viejo, 7\u00a0083 en el nuevo): este control no la juzga"),
    ("drift within ±1 % in all 2 hours (largest +0.50 % at 16:00); drift undefined in 1 hour with no events in old "
     "(15:00): judged by drift_defined",
     "desviación dentro de ±1 % en las 2 horas (la mayor +0,50 % a las 16:00); desviación indefinida en 1 hora sin "
     "eventos en el viejo (15:00): la juzga drift_defined"),
    ("new ≥ 1 in the only hour where old > 0", "nuevo ≥ 1 en la única hora donde viejo > 0"),
    ("not evaluated: it judges only hours where old > 0, not this one",
     "sin evaluar: solo juzga las horas donde viejo > 0, y esta no lo es"),
    ("not evaluated: it judges only hours where old > 0, none of these 24",
     "sin evaluar: solo juzga las horas donde viejo > 0, y ninguna de estas 24 lo es"),
    ("1 of 23 hours where old > 0 fail: 22:00 no events in new, 7\u00a0267 in old",
     "falla 1 de 23 horas donde viejo > 0: 22:00 ningún evento en el nuevo, 7\u00a0267 en el viejo"),
    ("1 new violation of notifications_sent (1 inherited from old)",
     "1 nueva: violación de notifications_sent (1 heredada del viejo)"),
])
def test_spanish_agrees_in_number_and_writes_a_decimal_comma(english, spanish):
    assert in_locale(english, "es") == spanish


def test_the_decimal_comma_leaves_names_code_and_links_alone():
    from reconciler.notify.phrasebook import decimal_comma

    assert decimal_comma("v1.2, 10.0.0.1, `x 1.5`, <https://r/1.5|r>, −0.62 %, 1\u00a0234.5 s") == \
        "v1.2, 10.0.0.1, `x 1.5`, <https://r/1.5|r>, −0,62 %, 1\u00a0234,5 s"


@pytest.mark.parametrize("locale, key, values, text", [
    ("es", "digest.status.red", {"open": 1}, "🔴 bloqueado: 1 alerta abierta"),
    ("es", "digest.status.red", {"open": 2}, "🔴 bloqueado: 2 alertas abiertas"),
    ("en", "digest.status.red", {"open": 1}, "🔴 blocked: 1 open alert"),
    ("en", "digest.issue.moment", {"check": "c", "job": "j", "since": "S", "failures": 1},
     "c (j): failing since S, failed once"),
    ("es", "digest.issue.moment", {"check": "c", "job": "j", "since": "S", "failures": 3},
     "c (j): falla desde S, falló 3 veces"),
    ("en", "digest.next.empty", {"empty": 1}, "find out why 1 hour had no row on either side (or set "
                                              "`allow_empty_hours`)"),
    ("es", "digest.gate", {"verdict": "V", "phase": "shadow", "why": "", "clean": "2.5", "days": 7},
     "V para la fase shadow; 2,5 de 7 días limpios"),
])
def test_the_messages_agree_in_number(locale, key, values, text):
    from reconciler.notify.i18n import Texts

    assert Texts(locale)(key, **values) == text


@pytest.mark.parametrize("locale, seconds, text", [
    ("en", 5, "less than a minute"), ("es", 5, "menos de un minuto"), ("en", 60, "1 min"),
    ("en", 3 * 3600 + 120, "3 h 2 min"), ("es", 90000, "1 d 1 h")])
def test_a_duration_under_a_minute_is_said_so_not_zero_minutes(locale, seconds, text):
    from reconciler.notify.i18n import Texts

    assert Texts(locale).duration(seconds) == text
