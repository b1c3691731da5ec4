"""Where in the hour the missing rows fall (compare/findings/timeline.py), without a database:
a gap, a burst, an uneven hour, a whole hour, and plain random loss, which must be called
random (spread) whatever the seed and however the traffic varies through the hour."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest

from reconciler.compare.findings.timeline import MINUTE_US, per_minute, time_finding, time_shape

NBSP = "\u00a0"
HOUR = datetime(2026, 11, 12, 10, tzinfo=timezone.utc)
H0 = int(HOUR.timestamp()) * 1_000_000
S = 1_000_000


def hour_rows(rate_per_minute=lambda m: 120, seed: int = 1) -> list[int]:
    """Row times through the hour (µs), `rate_per_minute(m)` rows in minute m, at random instants."""
    rng = random.Random(seed)
    times = []
    for m in range(60):
        times += sorted(H0 + m * MINUTE_US + rng.randrange(MINUTE_US) for _ in range(rate_per_minute(m)))
    return times


def shape_of(missing: list[int], rows: list[int]):
    return time_shape(missing, per_minute(rows, H0), H0)


def text(shape, other_rows=None) -> str:
    return time_finding(shape, "missing_in_new", HOUR, other_rows, []).text.replace(NBSP, " ")


def test_a_gap_is_concentrated_and_named_with_its_bounds_and_length():
    rows = hour_rows()
    gap = [t for t in rows if H0 + 13 * S <= t <= H0 + (11 * 60 + 2) * S]
    gap[0], gap[-1] = H0 + 13 * S, H0 + (11 * 60 + 2) * S  # the first and last lost rows, to the second
    elsewhere = [t for t in rows if t > H0 + 30 * 60 * S][:2]
    shape = shape_of(gap + elsewhere, rows)

    assert (shape.shape, shape.in_range, shape.differing) == ("concentrated", len(gap), len(gap) + 2)
    assert (shape.first_us, shape.last_us) == (H0 + 13 * S, H0 + 662 * S)
    assert len(gap) == 1299
    assert text(shape, other_rows=0) == ("1 299 of 1 301 missing rows fall between 10:00:13 and 10:11:02, where new "
                                         "has no row at all: a gap of 10 min 49 s")
    finding = time_finding(shape, "missing_in_new", HOUR, 0, [])
    assert (finding.kind, finding.signature, finding.rows) == ("time_gap", "missing_in_new|time_gap", len(gap))
    assert finding.evidence["per_minute"][:12] == per_minute(gap, H0)[:12] and len(finding.evidence["per_minute"]) == 60
    assert finding.evidence["start"] == "2026-11-12T10:00:13Z" and finding.evidence["end"] == "2026-11-12T10:11:02Z"


def test_a_burst_where_new_still_has_rows_is_not_called_a_gap():
    rows = hour_rows()
    burst = [t for i, t in enumerate(rows) if H0 + 20 * MINUTE_US <= t < H0 + 25 * MINUTE_US and i % 2]
    shape = shape_of(burst, rows)

    assert shape.shape == "concentrated" and shape.in_range == len(burst) == 300
    finding = time_finding(shape, "missing_in_new", HOUR, other_rows=300, sample_keys=[])
    assert finding.kind == "time_burst"
    assert finding.text.replace(NBSP, " ").startswith("all 300 missing rows fall between 10:20:")
    assert finding.text.replace(NBSP, " ").endswith("a span holding 8.3 % of the hour's rows; new has 300 rows there")


def test_an_excess_that_is_not_most_of_the_differences_is_uneven():
    rows = hour_rows(seed=3)
    rng = random.Random(4)
    lost = [t for t in rows if rng.random() < 0.02]
    lost += [t for t in rows if H0 + 10 * MINUTE_US <= t < H0 + 20 * MINUTE_US and rng.random() < 0.06]
    shape = shape_of(sorted(set(lost)), rows)

    assert (shape.shape, shape.in_range, shape.differing) == ("uneven", 88, 195)
    assert text(shape) == ("88 of 195 missing rows fall between 10:10:00 and 10:20:00, a span holding 17 % of the "
                           "hour's rows (2.7× the hour's rate); the rest spread")


def test_every_row_of_the_hour_differing_is_the_whole_hour():
    rows = hour_rows()
    shape = shape_of(rows, rows)
    assert shape.shape == "whole_hour"
    assert time_finding(shape, "extra_in_new", HOUR, 0, []).text.replace(NBSP, " ") == (
        "all 7 200 rows of the hour are only in new: old has no row in this hour")


def test_a_whole_hour_missing_while_the_other_side_holds_rows_says_the_keys_do_not_meet():
    """An old side read in the wrong zone: every row of the hour is missing in new, and new
    holds nearly as many, an hour away by their keys. It used to say new had no row."""
    rows = hour_rows()
    shape = shape_of(rows, rows)
    assert time_finding(shape, "missing_in_new", HOUR, 7_164, []).text.replace(NBSP, " ") == (
        "all 7 200 rows of the hour are missing in new, though new holds 7 164 rows in it: no key meets its "
        "twin in this hour (a time zone or clock shift moves rows into another hour: compare a wider window "
        "to see where)")


@pytest.mark.parametrize("seed", range(60))
def test_plain_random_loss_is_called_random_whatever_the_seed(seed):
    """3 % lost at random: no range of minutes may stand out (ALPHA 1e-4 per hour)."""
    rows = hour_rows(seed=seed)
    rng = random.Random(1000 + seed)
    lost = [t for t in rows if rng.random() < 0.03]
    shape = shape_of(lost, rows)
    assert shape.shape == "spread", (seed, shape.surprise, shape.threshold)
    rate = f"{len(lost) / len(rows) * 100:.1f}".removesuffix(".0")
    assert text(shape) == f"spread through the hour: about {rate} % of the hour's rows missing, at random"


@pytest.mark.parametrize("seed", range(20))
def test_random_loss_in_uneven_traffic_follows_the_traffic_and_stays_random(seed):
    """Traffic peaks at minute 30 (10x the quiet minutes): random loss is densest there too,
    as the hour's rows are; that is not a pattern."""
    rows = hour_rows(lambda m: 20 + 180 * (30 - abs(30 - m)) // 30, seed=seed)
    rng = random.Random(2000 + seed)
    lost = [t for t in rows if rng.random() < 0.05]
    assert shape_of(lost, rows).shape == "spread"


def test_few_random_differences_say_nothing_about_time():
    rows = hour_rows()
    assert shape_of(rows[100:7000:1500], rows) is None  # 5 rows


def test_few_differences_packed_in_one_second_are_still_concentrated():
    rows = hour_rows()
    packed = [H0 + 40 * MINUTE_US + i * 50_000 for i in range(9)]
    shape = shape_of(packed, rows + packed)
    assert shape.shape == "concentrated"
    assert text(shape, other_rows=0) == ("all 9 missing rows fall between 10:40:00 and 10:40:00, where new has no "
                                         "row at all: a gap of 400 ms")
