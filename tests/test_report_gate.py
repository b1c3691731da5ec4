"""The gate's current state heads the report index: verdict, each criterion with its state,
the days of clean evidence, and a link to the worst hour's run."""

from __future__ import annotations

from gate_fixtures import END, NOW, START, fabricate_week, gate_config, open_store

from reconciler.gate import gate_summary
from reconciler.gate.summary import index_gate, index_view
from reconciler.report import render_index, write_index
from reconciler.timeutil import HOUR, iso


def test_the_index_opens_with_the_gate(tmp_path):
    loaded = gate_config(tmp_path)
    store = open_store(loaded)
    try:
        ids = fabricate_week(store, special={START + 9 * HOUR: {"new": 1100}})
        view = index_gate(store, loaded, NOW)
        assert view == index_view(gate_summary(store, loaded, NOW))
        assert (view["verdict"], view["clean_hours"], view["clean_days"], view["days_required"]) == (
            "no-go", 158, 6.6, 7)
        drift = next(c for c in view["criteria"] if c["criterion"] == "drift")
        assert (drift["state"], drift["run_id"], drift["worst"]) == ("not met", ids[START + 9 * HOUR],
                                                                       f"{iso(START + 9 * HOUR)} +10.00 %")
        assert drift["href"] == f"runs/{ids[START + 9 * HOUR]:06d}-hourly-shadow-20261123T0900Z.html"
        html = render_index(store, NOW, gate=view)
        path = write_index(store, tmp_path / "out", now=NOW, generated_at=NOW, gate=view)
    finally:
        store.close()
    assert path.read_text() == html
    head = html[html.index("<h1>"):html.index('<table class="timeline">')]
    assert '<section class="gate glance" data-verdict="no-go">' in head
    assert "<h2>Gate (shadow): NO-GO</h2>" in head
    assert "clean evidence so far: 6.6 of 7 days (158 hours)" in head
    assert f'<a href="{drift["href"]}">{iso(START + 9 * HOUR)} +10.00 % (run {drift["run_id"]})</a>' in head
    for criterion in ("coverage", "drift", "match", "lag", "latency", "queues", "bookings"):
        assert f'<tr><td data-label="Criterion">{criterion}</td>' in head


def test_without_a_gate_the_index_is_unchanged(tmp_path):
    loaded = gate_config(tmp_path)
    store = open_store(loaded)
    try:
        assert "Gate (" not in render_index(store, NOW)
    finally:
        store.close()


def test_the_index_grid_covers_the_gate_period_and_counts_as_the_ledger(tmp_path):
    """The grid draws exactly the gate's 168 hours; an hour judged after the period (END, not
    settled for the gate) is not drawn; the footer's counts are the ledger's and the gate's."""
    import re

    from test_report_html import Elements

    loaded = gate_config(tmp_path)
    store = open_store(loaded)
    skipped = (START + 30 * HOUR, START + 31 * HOUR, START + 100 * HOUR)
    try:
        fabricate_week(store, skip=skipped, special={START + 9 * HOUR: {"new": 1100}})
        fabricate_week(store, start=END, end=END + HOUR)  # judged early: outside the gate's period
        report = gate_summary(store, loaded, NOW)
        html = render_index(store, NOW, gate=index_view(report))
        ledger = store.ledger_period(report.period.start, report.period.end)
    finally:
        store.close()
    cells = {a["data-hour"]: a["class"] for t, a, _ in Elements(html).found if t == "td" and "data-hour" in a}
    drawn = {h: c for h, c in cells.items() if c != "status-outside"}
    assert sorted(drawn) == [iso(h) for h in report.period.hours()] and len(drawn) == 168
    assert iso(END) not in cells
    assert {h: c for h, c in drawn.items() if c != "status-pass"} == {
        iso(START + 9 * HOUR): "status-fail", **{iso(h): "status-missing" for h in skipped}}
    verdicts = [r["verdict"] for r in ledger]
    assert (len(verdicts), verdicts.count("pass"), verdicts.count("fail")) == (165, 164, 1)
    assert ("2026-11-23T00:00:00Z → 2026-11-30T00:00:00Z: 165 of 168 dataset hours judged (164 passed, 1 failed), "
            "0 empty, 3 missing.") in html
    coverage = next(o for o in report.outcomes if o.criterion == "coverage")
    assert re.match(r"165 of 168 dataset-hours judged", coverage.summary)


def test_below_600_px_the_gate_table_becomes_cards_labelled_by_their_headers(tmp_path):
    loaded = gate_config(tmp_path)
    store = open_store(loaded)
    try:
        fabricate_week(store)
        html = render_index(store, NOW, gate=index_gate(store, loaded, NOW))
    finally:
        store.close()
    gate = html[html.index("<section class=\"gate"):html.index("</section>")]
    assert "@media (max-width: 600px)" in html and "td::before { content: attr(data-label)" in html
    for label in ("Criterion", "State", "Why", "Worst"):
        assert gate.count(f'data-label="{label}"') == 7
