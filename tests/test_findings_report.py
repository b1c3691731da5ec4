"""Findings are shown first wherever the verdict is: in the terminal under the hours (with the
minute strip of a time finding), in the HTML run page as a "Why" section with an inline SVG
strip, and in the JSON of `compare`, which the published schema accepts."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import jsonschema
from rich.console import Console
from store_fixtures import T0, evidence_run

from reconciler.report.html import render_html
from reconciler.report.terminal import render_compare, sparkline
from reconciler.report.why import why_view
from reconciler.results import Finding

SCHEMA = json.loads((Path(__file__).parent.parent / "docs" / "schemas" / "compare.schema.json").read_text())
PER_MINUTE = [0] * 13 + [9] * 11 + [0] * 36


def findings() -> list[Finding]:
    gap = Finding(hour=T0, about="missing_in_new", kind="time_gap",
                  text="all 99 missing rows fall between 10:13:00 and 10:23:59, where new has no row at all: a gap of "
                       "10 min 59 s", rows=99, share=1.0, signature="missing_in_new|time_gap",
                  evidence={"per_minute": PER_MINUTE, "per_minute_rows": [9] * 60, "shape": "concentrated"},
                  sample_keys=[{"event_id": 17}, {"event_id": 18}])
    offset = Finding(hour=T0, about="mismatched", kind="value_pattern", text="6 `value` +1.5 exactly (constant offset)",
                     rows=6, share=0.75, signature="mismatched|value_pattern|value|offset|1.5",
                     evidence={"column": "value", "pattern": "offset", "param": 1.5}, sample_keys=[{"event_id": 42}])
    return [gap, offset]


def test_the_terminal_shows_the_findings_under_the_hours_with_a_minute_strip():
    compare = replace(evidence_run().compares[0], findings=findings())
    out = io.StringIO()
    render_compare(compare, Console(file=out, width=160, highlight=False))
    lines = [line.rstrip() for line in out.getvalue().splitlines()]
    start = lines.index("why (findings of the failing hours)")
    assert [line.split("│")[-1].strip() for line in lines[start + 3:start + 6]] == [
        "all 99 missing rows fall between 10:13:00 and 10:23:59, where new has no row at all: a gap of 10 min 59 s",
        ":00 " + " " * 13 + "█" * 11 + " " * 36 + " :59", "6 `value` +1.5 exactly (constant offset)"]
    assert lines[start + 3].startswith(" 2026-11-27T10:00:00Z │ missing ")
    assert lines.index("why (findings of the failing hours)") < next(i for i, line in enumerate(lines)
                                                                     if line.startswith("rows: matched"))


def test_a_sparkline_scales_to_the_busiest_minute():
    assert sparkline([0, 1, 2, 4, 8]) == " ▁▂▄█"


def test_the_html_page_has_a_why_section_first_in_its_dataset_with_the_strip():
    run = evidence_run()
    run = replace(run, compares=[replace(run.compares[0], findings=findings())])
    page = render_html(run)
    dataset = page.index('id="dataset-device_events"')
    why = page.index('<section class="why" id="why">')
    assert dataset < why < page.index('<table class="totals">')
    assert "where new has no row at all: a gap of 10 min 59 s" in page
    assert "6 `value` +1.5 exactly (constant offset)" in page and "e.g. event_id=17, event_id=18" in page
    strip = page[page.index('<svg class="strip"'):page.index("</svg>", page.index('<svg class="strip"'))]
    assert strip.count('class="strip-diff"') == 11 and strip.count('class="strip-rows"') == 60
    assert "where the 99 missing rows fall, minute by minute" in strip


def test_a_page_without_findings_has_no_why_section():
    assert 'class="why"' not in render_html(evidence_run())
    assert why_view(evidence_run().compares[0]) == []


def test_the_compare_json_with_findings_matches_the_published_schema():
    doc = replace(evidence_run().compares[0], findings=findings()).to_dict()
    jsonschema.validate(doc, SCHEMA)
    assert doc["findings"][0] == {
        "hour": "2026-11-27T10:00:00Z", "about": "missing_in_new", "kind": "time_gap",
        "text": "all 99 missing rows fall between 10:13:00 and 10:23:59, where new has no row at all: a gap of 10 min 59 s",
        "rows": 99, "share": 1.0, "signature": "missing_in_new|time_gap",
        "evidence": {"per_minute": PER_MINUTE, "per_minute_rows": [9] * 60, "shape": "concentrated"},
        "sample_keys": [{"event_id": 17}, {"event_id": 18}]}
    bad = json.loads(json.dumps(doc))
    bad["findings"][0]["share"] = 1.5
    try:
        jsonschema.validate(bad, SCHEMA)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("the schema accepts a share above 1")
