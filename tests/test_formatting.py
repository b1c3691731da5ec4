"""One way to write numbers and times (reconciler/formatting.py), and no renderer writing
them its own way: a grep of the display code for ad-hoc formatting."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from pathlib import Path

from reconciler import formatting as f

ROOT = Path(__file__).resolve().parents[1] / "reconciler"
UTC = timezone.utc
NB = "\u00a0"


def test_numbers_are_grouped_by_a_no_break_space_and_signed_with_a_minus():
    assert [f.count(n) for n in (7, 7211, 173095, 1_234_567, -40, None)] == [
        "7", f"7{NB}211", f"173{NB}095", f"1{NB}234{NB}567", "\u221240", "—"]
    assert [f.number(v) for v in (2.5, 99.9, 10000, 10000.0, -1.5, 0.000012)] == [
        "2.5", "99.9", f"10{NB}000", f"10{NB}000", "\u22121.5", "1.2e\u221205"]
    assert f.number(12345.678, 2) == f"12{NB}345.68"
    assert [f.signed(v) for v in (0.42, -1.386, 0.0, -0.001, 1234.5)] == [
        "+0.42", "\u22121.39", "0.00", "0.00", f"+1{NB}234.50"]
    assert [f.percent(v, 4, sign=True) for v in (-40.0028, 10)] == ["\u221240.0028 %", "+10.0000 %"]
    assert f.percent(99.8889) == "99.89 %" and f.seconds(1.254) == "1.25\u00a0s"
    assert [f.trimmed(v) for v in (99.8889, 59.997, 100.0, 99.99996)] == ["99.889", "59.997", "100", "99.999"]


def test_times_are_iso_utc_to_the_second_with_z():
    t = datetime(2026, 12, 2, 10, 52, 32, 787483, tzinfo=UTC)
    assert f.instant(t) == "2026-12-02T10:52:32Z"
    assert f.instant("2026-12-02T10:52:32.787483Z") == "2026-12-02T10:52:32Z"
    assert f.instant("2026-12-02T11:52:32.5+01:00") == "2026-12-02T10:52:32Z"
    assert f.instant(datetime(2026, 12, 2, 10, 53, 19, 512390)) == "2026-12-02T10:53:19Z"  # the store's naive UTC
    assert f.instant(None) == "" and f.instant("") == ""
    assert f.span(t, "2026-12-02T11:00:00Z") == "2026-12-02T10:52:32Z → 2026-12-02T11:00:00Z"
    assert (f.day(t), f.day(date(2026, 12, 2)), f.clock(t)) == ("2026-12-02", "2026-12-02", "10:52")


# Where a person reads numbers and times: the terminal, the HTML, Slack, the gate, the reasons.
DISPLAY = ["report/*.py", "report/templates/*.j2", "notify/blocks.py", "notify/digest_render.py", "notify/story.py",
           "notify/reasons.py", "notify/phrasebook.py", "gate/*.py", "reasons.py", "checks/types/*.py",
           "checks/traffic/*.py", "verify/report.py", "cli/*.py", "demo/run.py"]
AD_HOC = {
    "thousands by a comma": r":,[}.]|\{:,\}|\"\{:,",
    "a printf or format-spec decimal": r"\"%[+.0-9]*[fdg]|:[+ ]?\.\d+[fgde%]\}|:[+]?g\}|\|\s*format\(",
    "strftime": r"\bstrftime\(",
    "isoformat": r"(?<!from)isoformat\(",
    "an ISO text cut or re-spaced": r"\biso\([^()]*(\([^()]*\))?[^()]*\)\[|\.replace\(\"T\", \" \"\)",
}


def test_renderers_write_numbers_and_times_only_through_the_formatting_module():
    found = []
    for pattern in DISPLAY:
        for path in sorted(ROOT.glob(pattern)):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                for what, regex in AD_HOC.items():
                    if re.search(regex, line):
                        found.append(f"{path.relative_to(ROOT)}:{number}: {what}: {line.strip()}")
    assert found == []


def test_the_grep_finds_what_it_forbids():
    samples = ['f"{n:,}"', '"{:,}".format(x)', 'f"{v:+.4f}"', "t.strftime('%H')", "t.isoformat()",
               'iso(t)[:16]', 'x.replace("T", " ")', '{{ "%.2f"|format(x) }}', 'f"{limit:g} %"']
    for sample in samples:
        assert any(re.search(regex, sample) for regex in AD_HOC.values()), sample
    assert not any(re.search(regex, "datetime.fromisoformat(text)") for regex in AD_HOC.values())
