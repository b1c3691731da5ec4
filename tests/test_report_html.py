"""Rendered reports: the JSON golden file, the HTML page as headless Chromium sees it
(charts, threshold line, samples side by side, no network), the 7-day index, chart geometry."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reconciler.report import render_html, render_index, write_reports
from reconciler.report.charts import drift_chart
from reconciler.store import ReportStore
from reconciler.thresholds import Threshold
from reconciler.timeutil import HOUR, Window
from store_fixtures import PROVENANCE, T0, evidence_run, make_run, unavailable

GOLDEN = Path(__file__).parent / "golden" / "run_report.json"
RECORDED_AT = T0 + 4 * HOUR
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--host-resolver-rules=MAP * ~NOTFOUND"]


@pytest.fixture
def store(tmp_path):
    s = ReportStore(f"sqlite:///{tmp_path}/reconciler.db")
    s.upgrade()
    yield s
    s.close()


@pytest.fixture
def evidence_reports(store, tmp_path):
    run_id = store.record_run(evidence_run(), **PROVENANCE, now=RECORDED_AT)
    return write_reports(store, run_id, tmp_path / "reports", now=RECORDED_AT + HOUR)


class Elements(HTMLParser):
    """Every element as (tag, attributes, text directly inside it)."""

    def __init__(self, markup: str):
        super().__init__()
        self.found: list[list] = []
        self.open: list[list] = []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        element = [tag, dict(attrs), ""]
        self.found.append(element)
        if tag not in ("line", "rect", "meta", "br", "img", "link"):
            self.open.append(element)

    def handle_endtag(self, tag):
        while self.open and self.open.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if self.open:
            self.open[-1][2] += data

    def having(self, tag: str, css_class: str) -> list[tuple[dict, str]]:
        return [(attrs, text.strip()) for t, attrs, text in self.found
                if t == tag and css_class in (attrs.get("class") or "").split()]


def chromium() -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        unavailable("chromium is not installed (apt-get install -y chromium)")
    return binary


def open_in_chromium(page: Path, tmp_path: Path) -> tuple[str, list[str]]:
    """The DOM after loading `page`, and the URLs the page itself asked the network for."""
    netlog = tmp_path / "netlog.json"
    command = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", f"--log-net-log={netlog}",
               "--dump-dom", page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, page_requests(json.loads(netlog.read_text()))


def page_requests(netlog: dict) -> list[str]:
    """Chromium's own background calls carry the initiator 'not an origin'; a page's carry its origin."""
    start_job = netlog["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    starts = [e["params"] for e in netlog["events"] if e["type"] == start_job and "url" in e.get("params", {})]
    return [p["url"] for p in starts if p.get("initiator") != "not an origin"]


def test_json_report_matches_the_golden_file(evidence_reports):
    _, json_path = evidence_reports
    produced = json_path.read_text()
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(produced)
    assert json_path.name == "000001-hourly-shadow-20261127T1000Z.json"
    assert json.loads(produced) == json.loads(GOLDEN.read_text())
    assert produced == GOLDEN.read_text()


def test_html_report_shows_charts_threshold_and_samples_in_chromium(evidence_reports, tmp_path):
    html_path, _ = evidence_reports
    source = html_path.read_text()
    assert not re.search(r"https?://|(?:src|href)\s*=\s*[\"']?//|url\(|@import", source)
    dom, requested = open_in_chromium(html_path, tmp_path)
    assert requested == []
    page = Elements(dom)
    thresholds = [(a["y1"], a["data-threshold"]) for a, _ in page.having("line", "threshold")]
    assert thresholds == [("58.0", "1.0"), ("146.0", "-1.0")]
    drift_bars = [a["class"] for a, _ in page.having("rect", "bar-drift")]
    # the run's three hours, drawn among the day before them from the store, and coloured by the threshold
    assert drift_bars == ["bar-drift status-pass current", "bar-drift status-fail current",
                          "bar-drift status-pass current"]
    assert len(page.having("rect", "bar-old")) == len(page.having("rect", "bar-new")) == 3
    assert [t for _, t in page.having("td", "match-pct")] == ["99.1551 %"]
    differing = [(a["class"], t) for a, t in page.having("td", "differs")][:2]
    assert differing == [("old differs", "21.5"), ("new differs", "23.75")]
    same = [t for a, t in page.having("td", "old") if "differs" not in a["class"]]
    assert same == ["42", "sensor-3", "temp"]
    rule_cells = [t for t, attrs, text in page.found if t == "td" and text in ("101", "102")]
    assert rule_cells == ["td", "td"]
    assert "no_overlapping_bookings" in dom and "critical, new, on new: 2 violations" in dom


def test_the_network_check_catches_a_page_that_fetches(tmp_path):
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<html><body><img src="http://example.com/pixel.png"></body></html>')
    _, requested = open_in_chromium(leaky, tmp_path)
    assert requested == ["http://example.com/pixel.png"]


def test_values_are_escaped(tmp_path):
    run = evidence_run()
    evil = replace(run.results[2], samples=[{"booking_a": "<script>alert(1)</script>"}])
    html = render_html(replace(run, results=[evil]))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_index_timeline_colours_each_hour_by_its_latest_runs(store, tmp_path):
    now = T0 + 5 * HOUR
    store.record_run(make_run("hourly-shadow", T0, [(100, 120)]), **PROVENANCE)             # fail, then re-run
    store.record_run(make_run("hourly-shadow", T0, [(100, 100)]), **PROVENANCE)             # supersedes: pass
    store.record_run(make_run("hourly-shadow", T0 + HOUR, [(100, 100)]), **PROVENANCE)
    store.record_run(make_run("daily-bookings", T0 + HOUR, [(5, 7)]), **PROVENANCE)         # fail: worst wins
    store.record_failure("hourly-shadow", Window(T0 + 2 * HOUR, T0 + 3 * HOUR), "old unreachable", **PROVENANCE)
    store.record_run(make_run("hourly-shadow", T0 - timedelta(days=9), [(1, 1)]), **PROVENANCE)  # too old to show
    html = render_index(store, now, days=7)
    page = Elements(html)
    cells = {a["data-hour"]: a["class"] for t, a, _ in page.found if t == "td" and "data-hour" in a}
    assert len(cells) == 7 * 24
    judged = {hour: cls for hour, cls in cells.items() if cls not in ("status-none", "status-future")}
    assert judged == {"2026-11-27T10:00:00Z": "status-pass", "2026-11-27T11:00:00Z": "status-fail",
                      "2026-11-27T12:00:00Z": "status-error"}
    assert list(cells.values()).count("status-future") == 8
    links = [a["href"] for t, a, _ in page.found if t == "a"]
    assert links[:2] == ["runs/000002-hourly-shadow-20261127T1000Z.html",
                         "runs/000004-daily-bookings-20261127T1100Z.html"]
    assert "Hours judged: 1 pass, 1 fail, 1 error, 157 without a run." in html


def test_drift_chart_draws_both_thresholds_and_marks_undefined_drift():
    hours = [{"hour": "2026-11-27T10:00:00Z", "old": 100, "new": 105, "drift_pct": 5.0, "status": "fail"},
             {"hour": "2026-11-27T11:00:00Z", "old": 0, "new": 3, "drift_pct": None, "status": "fail"}]
    chart = drift_chart(hours, threshold=Threshold.symmetric(1.0, "%"))
    lines = [(line["cls"], line["y1"], line.get("threshold")) for line in chart["lines"]]
    assert lines == [("zero", 102.0, None), ("threshold", 86.7, 1.0), ("threshold", 117.3, -1.0)]
    assert [(b["y"], b["h"]) for b in chart["bars"]] == [(25.5, 76.5)]
    assert [t["text"] for t in chart["texts"] if t.get("cls") == "drift-null"] == ["∞"]
