"""Every status badge of the HTML reports is readable: its text against its background has
at least WCAG AA's 4.5:1 contrast (the "empty" badge was white on light grey, 1.9:1)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

BASE = (Path(__file__).parent.parent / "reconciler" / "report" / "templates" / "report_base.html.j2").read_text()
BADGE_TEXT = re.search(r"\.badge \{[^}]*?color: (#[0-9a-f]{3}(?:[0-9a-f]{3})?\b)", BASE)[1]


def _luminance(colour: str) -> float:
    if len(colour) == 4:
        colour = "#" + "".join(c * 2 for c in colour[1:])
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_is_computed_as_wcag_defines_it():
    assert round(contrast("#ffffff", "#000000"), 1) == 21.0
    assert round(contrast("#ffffff", "#b0bec5"), 2) == 1.91


@pytest.mark.parametrize("status", ["pass", "fail", "error", "skipped", "empty", "missing"])
def test_a_status_badge_is_readable(status):
    rule = re.search(rf"\.status-{status} \{{([^}}]*)\}}", BASE)[1]
    background = re.search(r"background: (#[0-9a-f]{3}(?:[0-9a-f]{3})?\b)", rule)[1]
    text = (re.search(r"(?<!-)color: (#[0-9a-f]{3}(?:[0-9a-f]{3})?\b)", rule) or [None, BADGE_TEXT])[1]
    assert contrast(text, background) >= 4.5, (status, text, background)
