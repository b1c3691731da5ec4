"""The gate's current state heads the report index: verdict, each criterion with its state,
the days of clean evidence, and a link to the worst hour's run."""

from __future__ import annotations

from gate_fixtures import NOW, START, fabricate_week, gate_config, open_store

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
                                                                       f"{iso(START + 9 * HOUR)} +10 %")
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
    assert f'<a href="{drift["href"]}">{iso(START + 9 * HOUR)} +10 % (run {drift["run_id"]})</a>' in head
    for criterion in ("coverage", "drift", "match", "lag", "latency", "queues", "bookings"):
        assert f"<tr><td>{criterion}</td>" in head


def test_without_a_gate_the_index_is_unchanged(tmp_path):
    loaded = gate_config(tmp_path)
    store = open_store(loaded)
    try:
        assert "Gate (" not in render_index(store, NOW)
    finally:
        store.close()
