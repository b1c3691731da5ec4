"""How changed values differ (compare/findings/patterns.py and changes.py), without a database:
every pattern planted on its own and asserted exactly, a mix in one hour, and changes with no
single pattern left as such with their samples."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest

from reconciler.compare.findings.changes import change_findings
from reconciler.compare.findings.patterns import group_pairs
from reconciler.compare.rowdiff.classify import Row
from reconciler.compare.rowdiff.columns import FLOAT, INT, TEXT, TIMESTAMP, ColumnSpec
from reconciler.config.models import ColumnConfig

NBSP = "\u00a0"
HOUR = datetime(2026, 11, 12, 10, tzinfo=timezone.utc)
T = 1_794_477_600_000_000  # 2026-11-12T10:00:00Z in µs


def spec(name: str, ctype: str, **settings) -> ColumnSpec:
    return ColumnSpec(name, name, name, ctype, ctype, ctype, ColumnConfig(**settings))


SPECS = [spec("event_id", INT), spec("value", FLOAT, tolerance=0.000001), spec("event_type", TEXT),
         spec("seen_at", TIMESTAMP), spec("count", INT)]
SPECS[0] = ColumnSpec("event_id", "id", "event_id", INT, INT, INT, ColumnConfig(), is_key=True)
COLUMNS = [s.name for s in SPECS]


def row(i: int, **values) -> Row:
    full = {"event_id": i, "value": 1.0, "event_type": "motion", "seen_at": T, "count": 1, **values}
    return Row((i,), tuple(full[c] for c in COLUMNS), dict(full), HOUR)


def changed(pairs: list[tuple[dict, dict]]) -> list[tuple]:
    out = []
    for i, (old, new) in enumerate(pairs, 1):
        o, n = row(i, **old), row(i, **new)
        out.append((o, n, [c for c in old if old[c] != new.get(c)]))
    return out


def texts(pairs) -> list[str]:
    return [f.text.replace(NBSP, " ") for f in change_findings(HOUR, changed(pairs), SPECS, ["event_id"])]


def one_column(column: str, pairs: list[tuple]) -> list[str]:
    """The texts of one column's pattern findings (the column summary left out)."""
    return texts([({column: a}, {column: b}) for a, b in pairs])[1:]


PLANTED = [
    ("value", [(21.456, round(21.456 + 1.5, 3)), (-3.2, -1.7), (80.0, 81.5)], "3 `value` +1.5 exactly (constant offset)"),
    ("value", [(1.5, 1500.0), (0.002, 2.0), (-21.25, -21250.0)], "3 `value` ×1000 (a unit)"),
    ("value", [(1500.0, 1.5), (2.0, 0.002)], "2 `value` ×0.001 (a unit)"),
    ("value", [(21.456, 21.46), (3.14159, 3.14), (2.555, 2.56)], "3 `value` rounded to 2 decimals"),
    ("value", [(21.456, 21.0), (3.7, 3.0), (-2.9, -2.0)], "3 `value` truncated to an integer"),
    ("value", [(21.7, 22.0), (3.2, 3.0), (-2.5, -3.0)], "3 `value` rounded to an integer"),
    ("value", [(2.0, -2.0), (-3.5, 3.5), (7.25, -7.25)], "3 `value` sign flipped"),
    ("value", [(None, 0.0), (None, 0.0)], "2 `value` NULL → 0"),
    ("value", [(0.0, None)], "1 `value` 0 → NULL"),
    ("value", [(5.5, None), (7.0, None)], "2 `value` → NULL (one new value)"),
    ("event_type", [(None, ""), (None, "")], "2 `event_type` NULL → ''"),
    ("event_type", [("", None)], "1 `event_type` '' → NULL"),
    ("event_type", [("door_open", "DOOR_OPEN"), ("Motion", "motion")], "2 `event_type` case only"),
    ("event_type", [("door open", "door  open"), ("motion", " motion\t")], "2 `event_type` whitespace only"),
    ("event_type", [("Cafe\u0301", "Caf\u00e9"), ("ﬁle", "file")], "2 `event_type` Unicode normalisation only"),
    ("event_type", [("door_open", "unknown"), ("motion", "unknown")], "2 `event_type` → 'unknown' (one new value)"),
    ("seen_at", [(T, T + 3_600_000_000), (T + 5, T + 5 + 3_600_000_000)], "2 `seen_at` shifted by +1 h (a time zone)"),
    ("seen_at", [(T, T - 19_800_000_000)], "1 `seen_at` shifted by −5 h 30 min (a time zone)"),
    ("seen_at", [(T + 123_456, T), (T + 999_999, T)], "2 `seen_at` truncated to the second (precision lost)"),
    ("seen_at", [(T + 123_456, T + 123_000)], "1 `seen_at` truncated to the millisecond (precision lost)"),
    ("seen_at", [(T, T + 457_000), (T + 1_000_000, T + 1_999_000)],
     "2 `seen_at` old holds whole seconds, new a finer time (compare at the old precision: time_precision s)"),
    ("value", [(1.2304, 1.23), (2.3456, 2.346), (7.1049, 7.105), (0.5551, 0.555)], "4 `value` rounded to 3 decimals"),
    ("value", [(20.1, 20.100000381469727), (-3.3, -3.299999952316284), (1e-8, 9.99999993922529e-09)],
     "3 `value` stored in single precision (a 4-byte float: about 7 significant digits)"),
    ("seen_at", [(T, T + 250_000), (T + 7, T + 250_007)], "2 `seen_at` +250 ms exactly (constant offset)"),
    ("count", [(3, 4), (10, 11), (0, 1)], "3 `count` +1 exactly (constant offset)"),
]


@pytest.mark.parametrize("column, pairs, expected", PLANTED, ids=[p[2] for p in PLANTED])
def test_each_planted_pattern_is_named_exactly(column, pairs, expected):
    assert one_column(column, pairs) == [expected]


def test_the_issue_example_a_mix_in_one_hour():
    pairs = ([({"value": 10.0 + i}, {"value": 10.5 + i}) for i in range(150)]
             + [({"event_type": "door_open"}, {"event_type": "DOOR_OPEN"}) for _ in range(30)]
             + [({"value": None}, {"value": 0.0}) for _ in range(20)])
    assert texts(pairs) == ["200 changed: `value` in 170 (85 %), `event_type` in 30 (15 %)",
                            "150 `value` +0.5 exactly (constant offset)", "20 `value` NULL → 0",
                            "30 `event_type` case only"]
    findings = change_findings(HOUR, changed(pairs), SPECS, ["event_id"])
    offset = findings[1]
    assert (offset.kind, offset.rows, offset.share) == ("value_pattern", 150, 0.75)
    assert offset.signature == "mismatched|value_pattern|value|offset|0.5"
    assert (offset.evidence["column_rows"], offset.evidence["column_share"]) == (170, 0.85)
    assert offset.sample_keys == [{"event_id": i} for i in range(1, 6)]
    assert offset.evidence["samples"][0] == {"key": {"event_id": 1}, "old": 10.0, "new": 10.5}


def test_changes_without_a_common_pattern_stay_no_single_pattern_with_their_samples():
    rng = random.Random(9)
    pairs = [(round(rng.uniform(-20, 80), 3), round(rng.uniform(-20, 80), 3)) for _ in range(12)]
    findings = change_findings(HOUR, changed([({"value": a}, {"value": b}) for a, b in pairs]), SPECS, ["event_id"])
    assert [f.text for f in findings[1:]] == ["12 `value` no single pattern"]
    rest = findings[1]
    assert (rest.kind, rest.signature, len(rest.evidence["samples"])) == ("no_pattern", "mismatched|no_pattern|value|none", 5)
    assert rest.evidence["samples"][0]["old"] == pairs[0][0]


def test_two_patterns_in_one_column_and_a_leftover():
    pairs = [(1.0, 2.5), (2.0, 3.5), (3.0, 4.5), (4.0, -4.0), (5.0, -5.0), (7.123, 9.9)]
    assert one_column("value", pairs) == ["3 `value` +1.5 exactly (constant offset)", "2 `value` sign flipped",
                                          "1 `value` no single pattern"]


def test_an_offset_is_read_through_the_noise_of_float_arithmetic_and_the_tolerance():
    groups = group_pairs([(21.456, 21.456 + 1.5), (1e6 + 0.1, 1e6 + 1.6), (0.3, 0.1 + 0.2 + 1.5)], FLOAT, 1e-6)
    assert [(g.pattern, g.param, len(g.members)) for g in groups] == [("offset", 1.5, 3)]


def test_a_single_pair_is_never_a_constant_offset():
    assert [(g.pattern, g.members) for g in group_pairs([(1.0, 2.25)], FLOAT)] == [("none", [0])]


def test_two_random_changes_sharing_an_offset_by_chance_are_no_pattern():
    """144 values changed by random amounts, two of them by the same +2.88: a tenth of the
    pairs must share an offset before it is a 'constant offset'; 16 of 144 sharing one is."""
    rng = random.Random(7)
    noise = [(float(i), float(i) + round(rng.uniform(3, 90), 2)) for i in range(142)]
    chance = noise + [(500.0, 502.88), (600.0, 602.88)]
    assert [g.pattern for g in group_pairs(chance, FLOAT, 1e-6)] == ["none"]
    shared = noise[:128] + [(1000.0 + i, 1002.88 + i) for i in range(16)]
    groups = group_pairs(shared, FLOAT, 1e-6)
    assert [(g.pattern, g.param, len(g.members)) for g in groups][0] == ("offset", 2.88, 16)
