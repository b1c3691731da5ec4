"""An alert's list and its fallback reason say things in words: no `key=value`, no Python None."""

from __future__ import annotations

import pytest

from reconciler.notify.items import sample_line
from reconciler.notify.phrasebook import item_in_locale
from reconciler.notify.reasons import reason_of


@pytest.mark.parametrize("sample, line", [
    ({"drift_pct": -40.0028, "hour": "2026-12-03T05:00:00Z"}, "• hour 2026-12-03T05:00:00Z: drift −40.00 %"),
    ({"hour": "2026-12-03T05:00:00Z", "match_pct": 99.888}, "• hour 2026-12-03T05:00:00Z: match 99.888 %"),
    ({"hour": "2026-12-02T12:00:00Z", "drift_pct": None}, "• hour 2026-12-02T12:00:00Z: drift —"),
    ({"classification": "new", "booking_id": 213, "property_id": 7, "problem": "no active access code",
      "code_valid_from": None}, "• new: no active access code — booking_id 213, property_id 7, code_valid_from NULL"),
    ({"classification": "inherited", "booking_id": 202, "duplicate_of": 201},
     "• inherited from old — booking_id 202, duplicate_of 201"),
    ({"key": {"id": 18}, "old": {"id": 18, "guest_id": 5266}, "new": {"id": 18, "guest_id": 5267},
      "columns": ["guest_id"]}, "• id 18: `guest_id` 5266 → 5267"),
    ({"key": {"id": 15}, "old": {"id": 15}}, "• id 15: missing in new"),
    ({"key": {"id": 16}, "new": {"id": 16}}, "• id 16: only in new"),
    ({"key": {"event_id": 0}}, "• event_id 0"),
    ({"booking_id": 123456, "code": "12-34"}, "• booking_id 123456, code 12-34"),
])
def test_a_sample_is_a_line_in_words(sample, line):
    assert sample_line(sample) == line
    assert "=" not in line and "None" not in line


def test_a_sample_line_in_spanish_translates_only_our_words():
    assert item_in_locale("• hour 2026-12-03T05:00:00Z: drift −40.00 %", "es") == \
        "• hora 2026-12-03T05:00:00Z: desviación −40,00 %"
    assert item_in_locale("• id 15: missing in new", "es") == "• id 15: falta en el nuevo"
    assert item_in_locale("• new: no active access code — booking_id 213", "es") == \
        "• nueva: no active access code — booking_id 213"
    assert item_in_locale("• inherited from old — booking_id 202", "es") == "• heredada del viejo — booking_id 202"


def test_the_fallback_reason_has_no_none_and_no_json():
    assert reason_of({"check": "x", "status": "fail", "observed": None, "violations": 1,
                      "threshold": {"min": None, "max": 0, "unit": None}}) == "x: observed —, threshold ≤ 0, 1 violation"
    assert reason_of({"check": "x", "status": "fail", "observed": {"match_pct": 99.5}, "violations": 3,
                      "threshold": {"min_value": 99.9}}) == "x: observed 99.5\u00a0%, threshold ≥ 99.9, 3 violations"


def test_html_terminal_and_slack_write_a_violations_ids_alike():
    from reconciler.report.model import plain, rule_violations
    from reconciler.results import CheckResult, RunResult

    sample = {"booking_id": 123456, "duplicate_of": None}
    rule = CheckResult("no_duplicate_bookings", "fail", violations=1, samples=[sample], check_type="sql",
                       details={"severity": "critical"})
    run = RunResult(job="hourly-bookings", window=None, started_at=None, finished_at=None, status="fail",
                    results=[rule])
    assert rule_violations(run)[0]["rows"] == [["123456", "NULL"]]
    assert [plain(v) for v in sample.values()] == ["123456", "NULL"]  # the terminal's cells
    assert sample_line(sample) == "• booking_id 123456, duplicate_of NULL"
