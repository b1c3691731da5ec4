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
from integrity_fixtures import DEMO_HOURS, copy_project, sqlite_demo, use_sources  # noqa: F401  (fixtures)
from store_fixtures import PROVENANCE, T0, evidence_run, make_run, unavailable

from reconciler.cli import main
from reconciler.report import render_html, render_index, write_reports
from reconciler.report.charts import drift_chart
from reconciler.results import CheckResult
from reconciler.store import ReportStore
from reconciler.thresholds import Threshold
from reconciler.timeutil import HOUR, Window, iso

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

    def inside(self, css_class: str, tag: str) -> list[str]:
        """Tags found after the first element of `css_class` and before the next element of its kind."""
        start = next(i for i, (_, attrs, _) in enumerate(self.found)
                     if css_class in (attrs.get("class") or "").split())
        kind = self.found[start][0]
        out = []
        for t, _, _ in self.found[start + 1:]:
            if t == kind:
                break
            if t == tag:
                out.append(t)
        return out

    def found_cells(self, table_class: str, column: int) -> list[tuple[dict, str]]:
        """The cells of one column of the table of `table_class`, header excluded."""
        start = next(i for i, (t, attrs, _) in enumerate(self.found)
                     if t == "table" and table_class in (attrs.get("class") or "").split())
        rows: list[list] = []
        for t, attrs, text in self.found[start + 1:]:
            if t == "table":
                break
            if t == "tr":
                rows.append([])
            elif t == "td" and rows:
                rows[-1].append((attrs, text.strip()))
        return [row[column] for row in rows if len(row) > column]

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


def _cells(page) -> dict:
    return {a["data-hour"]: a["class"] for t, a, _ in page.found if t == "td" and "data-hour" in a}


def test_index_grid_is_the_period_of_the_gate_coloured_by_the_ledger(store, tmp_path):
    """Without a gate: the 168 whole hours before now's hour (the gate's computation, no
    settle), on 8 day rows; the other 24 cells of those rows are outside the period."""
    now = T0 + 5 * HOUR + timedelta(minutes=7)                                             # 15:07
    store.record_run(make_run("hourly-shadow", T0, [(100, 120)]), **PROVENANCE)             # fail, then re-run
    store.record_run(make_run("hourly-shadow", T0, [(100, 100)]), **PROVENANCE)             # supersedes: pass
    store.record_run(make_run("hourly-shadow", T0 + HOUR, [(100, 100)]), **PROVENANCE)
    store.record_run(make_run("daily-bookings", T0 + HOUR, [(5, 7)]), **PROVENANCE)         # fail: the latest
    store.record_failure("hourly-shadow", Window(T0 + 2 * HOUR, T0 + 3 * HOUR), "old unreachable",
                         datasets=["device_events"], **PROVENANCE)                          # no verdict: missing
    store.record_run(make_run("hourly-shadow", T0 - timedelta(days=9), [(1, 1)]), **PROVENANCE)  # too old to show
    html = render_index(store, now, days=7)
    page = Elements(html)
    cells = _cells(page)
    assert len(cells) == 8 * 24
    assert list(cells.values()).count("status-outside") == 24
    assert min(h for h, c in cells.items() if c != "status-outside") == "2026-11-20T15:00:00Z"
    assert max(h for h, c in cells.items() if c != "status-outside") == "2026-11-27T14:00:00Z"
    judged = {hour: cls for hour, cls in cells.items() if cls not in ("status-missing", "status-outside")}
    assert judged == {"2026-11-27T10:00:00Z": "status-pass", "2026-11-27T11:00:00Z": "status-fail"}
    assert cells["2026-11-27T12:00:00Z"] == "status-missing"
    links = [a["href"] for t, a, _ in page.found if t == "a" and a.get("aria-label")]
    assert links == ["runs/000002-hourly-shadow-20261127T1000Z.html", "runs/000004-daily-bookings-20261127T1100Z.html",
                     "runs/000005-hourly-shadow-20261127T1200Z.html"]  # a missing hour links to its failed run
    assert [t for _, t in page.found_cells("ledger-counts", 0)] == ["device_events"]
    assert [t for _, t in page.having("td", "num")][:6] == ["168", "2", "1", "1", "0", "166"]
    assert ("Ledger, 2026-11-20T15:00:00Z → 2026-11-27T15:00:00Z: 2 of 168 dataset hours judged (1 passed, "
            "1 failed), 0 empty, 166 missing.") in html


def test_a_point_in_time_run_paints_no_hour_and_is_listed_apart(store):
    """Rules run as of 13:17 judged that moment, not the 13:00 hour (which is not even settled)."""
    from reconciler.results import RunResult

    moment = T0 + 3 * HOUR + timedelta(minutes=17)
    rule = CheckResult("no_overlapping_bookings", "fail", violations=2, as_of=moment, check_type="sql",
                       details={"severity": "critical", "source": "new"})
    store.record_run(RunResult("hourly-bookings", None, moment, moment, "fail", [rule], as_of=moment), now=moment,
                     **PROVENANCE)
    page = Elements(render_index(store, T0 + 5 * HOUR, days=7))
    assert {h: c for h, c in _cells(page).items() if c not in ("status-missing", "status-outside")} == {}
    moments = [t for tag, a, t in page.found if tag == "a" and a["href"].startswith("runs/000001")]
    assert moments == ["2026-11-27T13:17:00Z", "#1"]  # the list of moments, then the runs table


def test_drift_chart_draws_both_thresholds_and_marks_undefined_drift():
    hours = [{"hour": "2026-11-27T10:00:00Z", "old": 100, "new": 105, "drift_pct": 5.0, "status": "fail"},
             {"hour": "2026-11-27T11:00:00Z", "old": 0, "new": 3, "drift_pct": None, "status": "fail"}]
    chart = drift_chart(hours, threshold=Threshold.symmetric(1.0, "%"))
    lines = [(line["cls"], line["y1"], line.get("threshold")) for line in chart["lines"]]
    assert lines == [("zero", 102.0, None), ("threshold", 86.7, 1.0), ("threshold", 117.3, -1.0)]
    assert [(b["y"], b["h"]) for b in chart["bars"]] == [(25.5, 76.5)]
    assert [t["text"] for t in chart["texts"] if t.get("cls") == "drift-null"] == ["∞"]


# -- thresholds: the chart draws the judging check's own bounds ------------------------------

def suite_run(threshold) -> dict:
    """Four hours: 0 %, −0.83 % (the hour fails on row match, not on drift), +2.0 %, −3.0 %;
    the drift check's threshold as given (typed, or a shape stored by an older version)."""
    run = make_run("hourly-shadow", T0, [(1000, 1000), (1200, 1190), (1000, 1020), (1000, 970)])
    compare = run.compares[0]
    hours = [replace(h, status=s) for h, s in zip(compare.hours, ["pass", "fail", "pass", "fail"])]
    check = CheckResult("hourly_count_drift", "fail", observed={"unexpected": 1, "of": 4},
                        threshold=Threshold.symmetric(2.5, "%"), violations=1, window=compare.window,
                        details={"column": "drift_pct", "expectation": "expect_column_values_to_be_between"})
    doc = replace(run, compares=[replace(compare, hours=hours, checks=[check])]).to_dict()
    doc["compares"][0]["checks"][0]["threshold"] = threshold
    return doc


@pytest.mark.parametrize("threshold", [Threshold.symmetric(2.5, "%").to_dict(), {"min_value": -2.5, "max_value": 2.5}],
                         ids=["typed", "stored-by-0.1"])
def test_a_suite_of_plus_minus_2_5_percent_is_what_the_chart_draws(threshold):
    page = Elements(render_html(suite_run(threshold)))
    lines = [a["data-threshold"] for a, _ in page.having("line", "threshold")]
    assert lines == ["2.5", "-2.5"]
    bars = [a["class"] for a, _ in page.having("rect", "bar-drift")]
    assert bars == ["bar-drift status-pass", "bar-drift status-pass", "bar-drift status-pass", "bar-drift status-fail"]
    titles = [text for tag, _, text in page.found if tag == "title"]
    assert "2026-11-27T11:00:00Z drift \u22120.8333 % (pass at ±2.5 %)" in titles
    assert [a["aria-label"] for a, _ in page.having("svg", "chart-drift")] == [
        "Count drift % per hour (threshold ±2.5 %)"]


def test_one_hour_without_context_has_no_chart_and_a_snapshot_no_window():
    one = make_run("hourly-shadow", T0, [(1000, 990)])
    page = render_html(one)
    assert "<svg" not in page and "Hour by hour" in page
    snapshot = replace(make_run("hourly-bookings", T0, [(1, 1)]), compares=[])
    doc = snapshot.to_dict()
    doc["compares"] = [{**make_run("x", T0, [(5, 4)]).compares[0].to_dict(), "dataset": "bookings",
                        "mode": "snapshot", "hours": [],
                        "window": {"start": "1900-01-01T00:00:00Z", "end": "2200-01-01T00:00:00Z"}}]
    page = render_html(doc)
    assert "1900-01-01" not in page and "2200" not in page and "<svg" not in page
    assert "as of 2026-11-27T11:10:00Z, mode snapshot" in page
    assert "Rule violations" not in page
    # a point-in-time result of the scheduler: `as_of` and no window
    doc["compares"][0] = {**doc["compares"][0], "mode": "rows", "window": None, "as_of": "2026-11-27T12:00:00.5Z"}
    assert "as of 2026-11-27T12:00:00Z, mode rows" in render_html(doc)
    import io

    from rich.console import Console

    from reconciler.report.terminal import run_renderable

    out = Console(file=io.StringIO(), width=160, color_system=None)
    out.print(run_renderable(doc))
    assert "bookings  as of 2026-11-27T12:00:00Z  FAIL" in out.file.getvalue()


# -- the pages of real runs, as Chromium shows them ------------------------------------------

@pytest.fixture
def demo_reports(tmp_path, monkeypatch, sqlite_demo):  # noqa: F811  (the fixture)
    """`reconciler run` of both jobs of the shipped schedule.yaml on the SQLite demo pair."""
    copy_project(tmp_path)
    use_sources(monkeypatch, sqlite_demo["old"], sqlite_demo["new"], sqlite_demo["timezone"])
    monkeypatch.chdir(tmp_path)
    start, end = sqlite_demo["start"], sqlite_demo["end"]
    for job, first in (("hourly-shadow", start), ("hourly-bookings", end - HOUR)):
        with pytest.raises(SystemExit):
            main(["run", job, "--start", iso(first), "--end", iso(end)])
    return tmp_path / "reports"


def visible_text(dom: str) -> str:
    return " ".join(text for tag, _, text in Elements(dom).found if tag not in ("style", "title", "script"))


def test_index_hourly_and_snapshot_pages_in_chromium(demo_reports, tmp_path, sqlite_demo):  # noqa: F811
    runs = sorted((demo_reports / "runs").glob("*.html"))
    hourly, bookings = runs[DEMO_HOURS - 1], runs[DEMO_HOURS]
    assert "hourly-shadow" in hourly.name and "hourly-bookings" in bookings.name
    for path in [demo_reports / "index.html", *runs]:
        assert path.stat().st_mode & 0o777 == 0o644, path
    sentinel = re.compile(r"1900-01-01|2200-01-01")
    micro = re.compile(r"\d\d:\d\d:\d\d\.\d+ UTC|\d\d:\d\d:\d\d\.\d{6}")

    dom, requested = open_in_chromium(demo_reports / "index.html", tmp_path)
    assert requested == [] and not sentinel.search(dom) and not micro.search(visible_text(dom))
    generated = re.search(r"Generated by shadow-reconciler at (\S+Z)\.", dom).group(1)
    started = [t for a, t in Elements(dom).found_cells("runs", 4)]
    assert started and all(s[:19] <= generated for s in started)
    why = [t for a, t in Elements(dom).found_cells("runs", 6)]
    assert why[0] == ("access_code_valid: 2 new violations of access_code_valid (2 inherited from old); "
                      "no_duplicate_bookings: 1 new duplicate booking (1 inherited from old); 7 more")
    assert re.fullmatch(r"drift_defined: no events in old, (\d+) in new; row_match: match 0 % < 99\.9 %: "
                        r"\1 of \1 rows differ \(\1 extra\)", why[1].replace("\u00a0", " "))

    dom, _ = open_in_chromium(hourly, tmp_path)
    page = Elements(dom)
    assert not sentinel.search(dom) and not micro.search(visible_text(dom))
    charts = page.having("svg", "chart")
    assert len(charts) == 2
    assert all(page.inside(svg, "rect") for svg in ("chart-counts", "chart-drift")), "an empty chart"
    assert "Rule violations" not in dom and "Hour by hour" in dom
    assert [t for _, t in page.having("td", "reason")][-1].startswith("no events in old")

    dom, _ = open_in_chromium(bookings, tmp_path)
    page = Elements(dom)
    assert not sentinel.search(dom) and "<svg" not in dom and "Hour by hour" not in dom
    assert re.search(r"as of \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, mode snapshot", dom)
    assert "Rule violations" in dom
    assert "2 new overlapping pairs of bookings (2 inherited from old)" in visible_text(dom)


def test_a_run_stored_by_0_1_still_renders_with_reasons_and_thresholds():
    """The golden report of 0.1: no reasons, thresholds as bare numbers and dicts."""
    import io

    from rich.console import Console

    from reconciler.report.terminal import run_renderable

    stored = json.loads((GOLDEN.parent / "run_report_0.1.json").read_text())
    page = Elements(render_html(stored))
    reasons = [t for _, t in page.having("td", "reason")]
    assert reasons[:4] == ["observed 1.5, threshold 1", "observed 99.1551, threshold 99.9",
                       "2 overlapping bookings on new", "passed"]
    out = Console(file=io.StringIO(), width=160, color_system=None)
    out.print(run_renderable(stored))
    assert "fail no_overlapping_bookings: 2 overlapping bookings on new" in out.file.getvalue()


def test_a_point_in_time_run_reads_as_of_its_moment_not_as_a_window(store, tmp_path):
    """Rules and table suites judge a moment: their stored run has both window ends at `as_of`;
    its page, the index and the title say "as of", never a zero-length window."""
    from reconciler.results import RunResult

    moment = T0 + 3 * HOUR + timedelta(minutes=17, seconds=5)
    rule = CheckResult("no_overlapping_bookings", "fail", observed=2, threshold=0, violations=2, window=None,
                       details={"severity": "critical", "source": "new"})
    run = RunResult(job="hourly-bookings", window=None, started_at=moment, finished_at=moment, status="fail",
                    results=[rule], as_of=moment)
    run_id = store.record_run(run, now=moment, **PROVENANCE)
    html_path, _ = write_reports(store, run_id, tmp_path / "out", now=moment)
    page = html_path.read_text()
    assert "<td>As of (UTC)</td>" in page and "Window (UTC" not in page
    assert f"hourly-bookings as of {iso(moment)} — FAIL" in page
    index = (tmp_path / "out" / "index.html").read_text()
    assert f">as of {iso(moment)}</td>" in index  # the runs table's window cell
    assert f"{iso(moment)[11:19]} → {iso(moment)[11:19]}" not in page + index


def test_the_hour_page_titles_its_charts_and_says_its_values_in_words(evidence_reports):
    html_path, _ = evidence_reports
    page = Elements(html_path.read_text())
    assert [t for tag, _, t in page.found if tag == "figcaption"] == [
        "Rows per hour: old vs new", "Count drift % per hour (threshold ±1 %)"]
    assert [t for _, t in page.having("text", "axis-title")] == ["rows", "UTC", "drift %", "UTC"]
    headers = [t for tag, _, t in page.found if tag == "th"]
    assert [h for h in headers if "_" in h] == []
    assert headers[:10] == ["Check", "Status", "Reason", "Threshold", "Observed", "Old rows", "New rows", "Matched",
                            "Changed", "Missing in new"]
    observed = [t for _, t in page.having("td", "raw")]
    assert observed and not [o for o in observed if "{" in o or "[" in o]
    legend = " ".join(t for tag, a, t in page.found if tag in ("span", "b") and page.found)
    assert "∞" in legend and "no rows in old: drift undefined" in legend and "▼ −40.0 %" in legend


def test_a_failing_bar_says_its_value_and_a_clipped_one_too():
    hours = [{"hour": f"2026-11-27T{10 + i:02d}:00:00Z", "old": 100, "new": 100 + d, "drift_pct": float(d),
              "status": "fail" if abs(d) > 1 else "pass"} for i, d in enumerate([0, -3, 40, 0.5])]
    chart = drift_chart(hours, threshold=Threshold.symmetric(1.0, "%"))
    assert [(t["cls"], t["text"]) for t in chart["texts"] if t.get("cls") in ("bar-value", "clipped")] == [
        ("bar-value", "\u22123.0 %"), ("clipped", "▲ +40.0 %")]


def test_observed_values_in_words_with_their_units():
    from reconciler.report.observed import observed_text

    assert observed_text({"of": 1, "unexpected": 1}) == "1 unexpected of 1"
    assert observed_text({"p50": 12.5, "p99": 40.0, "count": 1200}, Threshold(max=50, unit="ms")) == (
        "p50 12.5\u00a0ms, p99 40\u00a0ms, count 1\u00a0200")
    assert observed_text(7211, Threshold.at_most(0, "messages")) == "7\u00a0211\u00a0messages"
    assert observed_text({"seconds": 3.5}) == "3.5\u00a0s"
    assert observed_text({"matched": 90, "missing_in_new": 3}) == "90 matched, 3 missing in new"
    assert observed_text([{"a": 1}, {"a": 2}]) == "2 rows"


def test_an_hour_a_window_cuts_is_labelled_by_the_part_it_covers():
    """compare --start 10:15 --end 10:45 counted half an hour: its row is not '10:00:00Z', the whole hour."""
    from datetime import datetime, timezone

    from reconciler.report.model import failing_hours, hour_rows
    from reconciler.report.terminal import hours_table
    from reconciler.results import CompareResult, HourCount

    ten = datetime(2026, 12, 2, 10, tzinfo=timezone.utc)
    part = CompareResult("device_events", Window(ten + timedelta(minutes=15), ten + timedelta(minutes=45)), "pass",
                         {"old": 3602, "new": 3602, "drift_pct": 0.0}, [HourCount(ten, 3602, 3602, 0.0, "pass")], {}, {})
    assert [h["label"] for h in hour_rows(part)] == ["2026-12-02T10:15–10:45Z"]
    three = replace(part, window=Window(ten + timedelta(minutes=15), ten + timedelta(hours=2, minutes=45)),
                    hours=[HourCount(ten + i * HOUR, 10, 10, 0.0, "fail" if i == 2 else "pass") for i in range(3)])
    assert [h["label"] for h in hour_rows(three)] == ["2026-12-02T10:15–11:00Z", "2026-12-02T11:00:00Z",
                                                      "2026-12-02T12:00–12:45Z"]
    assert [h["label"] for h in failing_hours(three)] == ["2026-12-02T12:00–12:45Z"]
    whole = replace(part, window=Window(ten, ten + HOUR))
    assert [h["label"] for h in hour_rows(whole)] == ["2026-12-02T10:00:00Z"]
    from rich.console import Console

    console = Console(width=120, record=True)
    console.print(hours_table(part))
    assert "2026-12-02T10:15–10:45Z │ 3 602 │ 3 602" in console.export_text().replace("\u00a0", " ")
