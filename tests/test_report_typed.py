"""The renderers read the typed run the store gives back (StoredRun): what the store dropped
still shows as "N shown of M", and a stored run renders the same from its dict or its type;
`reconciler check` renders the same from its results or its JSON."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from rich.console import Console
from store_fixtures import PROVENANCE, T0, evidence_run

from reconciler.checks.rules import rules_to_json
from reconciler.report import render_html
from reconciler.report.terminal import render_rules, run_renderable
from reconciler.results import CheckResult, StoredRun
from reconciler.store import ReportStore
from reconciler.timeutil import HOUR


def stored_with_dropped_samples(tmp_path) -> tuple[StoredRun, dict]:
    store = ReportStore(f"sqlite:///{tmp_path}/reconciler.db", sample_limit=2)
    store.upgrade()
    base = evidence_run()
    missing = base.compares[0].samples["missing_in_new"][0]
    compare = replace(base.compares[0], samples={**base.compares[0].samples, "missing_in_new": [missing] * 3})
    run_id = store.record_run(replace(base, compares=[compare]), **PROVENANCE, now=T0 + 4 * HOUR)
    try:
        return store.stored_run(run_id), store.get_run(run_id)
    finally:
        store.close()


def terminal(run) -> str:
    out = Console(width=160, record=True, highlight=False)
    out.print(run_renderable(run))
    return out.export_text()


def test_the_page_of_a_stored_run_says_how_many_samples_the_store_dropped(tmp_path):
    stored, document = stored_with_dropped_samples(tmp_path)
    page = render_html(stored)
    assert "missing in new: 2 shown of 3 sampled, 4 in total" in page
    assert "Tool version</td><td>0.1.0" in page and "#1, started" in page
    assert page == render_html(document)


def test_the_terminal_shows_a_stored_run_by_its_number(tmp_path):
    stored, document = stored_with_dropped_samples(tmp_path)
    text = terminal(stored)
    assert text.startswith("run 1  hourly-shadow  2026-11-27T10:00:00Z → 2026-11-27T13:00:00Z  fail")
    assert text == terminal(document)


def rules_text(results_or_doc) -> str:
    out = Console(width=160, record=True, highlight=False)
    render_rules(results_or_doc, out)
    return out.export_text()


def test_check_renders_the_same_from_the_rules_results_as_from_its_json():
    overlap = CheckResult("no_overlapping_bookings", "fail", violations=3, reason="3 overlapping bookings on new",
                          samples=[{"booking_a": 101, "check_in": datetime(2026, 11, 20, 14, 0)}],
                          details={"severity": "critical", "source": "new", "new": 1, "inherited": 2})
    broken = CheckResult("valid_transitions", "error", message="no such table: bookings", reason="could not run",
                         details={"severity": "warning", "source": "old"})
    text = rules_text([overlap, broken])
    assert text == rules_text(rules_to_json([overlap, broken]))
    assert "1 / 2" in text and "could not run — no such table: bookings" in text
    assert "2026-11-20T14:00:00" in text and text.rstrip().endswith("overall: ERROR")
