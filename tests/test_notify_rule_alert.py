"""An alert of a rule over the data (a SQL rule, an expectation on a table) says the rule was
broken; only a comparison of old and new speaks of a difference between them."""

from __future__ import annotations

import pytest
from notify_helpers import T0, make_store, record_results

from reconciler.notify.blocks import Links, render
from reconciler.notify.i18n import Texts
from reconciler.results import CheckResult


def _alert_texts(tmp_path, result, locale="en"):
    store = make_store(tmp_path)
    record_results(store, T0, [result])
    facts = next(r["facts"] for r in store.outbox.pending() if r["kind"] == "alert")
    store.close()
    payload = render("alert", facts, Texts(locale), Links())
    return [b["text"]["text"] for b in payload["blocks"] if isinstance(b.get("text"), dict) and b["text"]["text"]]


def _sql_rule(source):
    return CheckResult("no_duplicate_bookings", "fail", observed=1, threshold=0, violations=1, check_type="sql",
                       samples=[{"booking_id": 901}], details={"config_check": "bookings", "severity": "critical",
                                                              "source": source})


@pytest.mark.parametrize("locale, title, intro", [
    ("en", "🔴 Rule violated: no_duplicate_bookings",
     "*hourly-bookings* checked the rule *no_duplicate_bookings* on each system (the violations the old one has too "
     "are counted as inherited) and found rows that break it."),
    ("es", "🔴 Regla incumplida: no_duplicate_bookings",
     "*hourly-bookings* comprobó la regla *no_duplicate_bookings* en cada sistema (las violaciones que el viejo "
     "también tiene se cuentan como heredadas) y encontró filas que la incumplen."),
])
def test_a_sql_rule_alert_says_the_rule_was_broken(tmp_path, locale, title, intro):
    texts = _alert_texts(tmp_path, _sql_rule("both"), locale)
    assert texts[:2] == [title, intro]
    assert texts[-1] == {"en": "*Rows that break it*\n• booking_id 901",
                         "es": "*Filas que la incumplen*\n• booking_id 901"}[locale]


def test_an_expectation_on_a_table_is_a_rule_on_its_side(tmp_path):
    result = CheckResult("access_code_format", "fail", observed={"unexpected": 1, "of": 108}, violations=1,
                         check_type="suite", samples=[{"booking_id": 14, "code": "12-34"}],
                         details={"config_check": "bookings_suite", "suite": "bookings", "source": "new"})
    assert _alert_texts(tmp_path, result)[:2] == [
        "🔴 Rule violated: access_code_format",
        "*hourly-bookings* checked the rule *access_code_format* on the new system and found rows that break it."]


def test_a_comparison_still_speaks_of_a_difference(tmp_path):
    result = CheckResult("bookings.complete", "fail", observed={"missing_in_new": 2}, violations=2, check_type="rows",
                         details={"config_check": "bookings_migrated", "dataset": "bookings", "source": "both"})
    assert _alert_texts(tmp_path, result)[1] == \
        "*hourly-bookings* found a difference between the old and the new system in *bookings*."
