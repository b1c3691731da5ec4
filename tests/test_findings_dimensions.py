"""Which devices or event types the differences come from (compare/findings/dimensions.py),
against their share of the hour's rows, without a database. Planted concentrations are named
exactly; plain random loss over the same devices names none."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timezone

import pytest

from reconciler.compare.findings.dimensions import dimension_finding

NBSP = "\u00a0"
HOUR = datetime(2026, 11, 12, 10, tzinfo=timezone.utc)
DEVICES = [f"dev-{i:04d}" for i in range(500)]


def hour_of(per_device: int = 100) -> list[str]:
    """The hour's rows as their device ids: 500 devices, `per_device` rows each."""
    return [d for d in DEVICES for _ in range(per_device)]


def finding(differences: list, rows: list, column: str = "device_id", about: str = "missing_in_new"):
    return dimension_finding(about, column, HOUR, Counter(differences), Counter(rows))


def text(f) -> str:
    return f.text.replace(NBSP, " ")


def test_all_differences_from_a_few_devices_names_them_and_the_largest():
    rows = hour_of()
    twelve = DEVICES[336:348]
    lost = ["dev-0341"] * 41 + [d for i, d in enumerate(twelve * 20) if d != "dev-0341"][:179]
    f = finding(lost, rows)

    assert text(f) == "all 220 missing rows from 12 of 500 `device_id` values; dev-0341 alone 41 (0.2 % of the hour's rows)"
    assert (f.kind, f.rows, f.share, f.signature) == ("dimension", 220, 1.0, "missing_in_new|dimension|device_id|few")
    top = f.evidence["values"][0]
    assert (top["value"], top["rows"], top["hour_rows"], top["lift"]) == ("dev-0341", 41, 100, 93.18)
    assert (f.evidence["values_in_differences"], f.evidence["values_in_hour"]) == (12, 500)


def test_one_value_holding_every_difference():
    rows = ["door_open"] * 1000 + ["temperature"] * 4000 + ["motion"] * 1000
    f = finding(["door_open"] * 60, rows, "event_type", "extra_in_new")
    assert text(f) == "all 60 extra rows have `event_type` = door_open (17 % of the hour's rows)"
    assert f.signature == "extra_in_new|dimension|event_type|door_open"


def test_an_over_represented_value_among_spread_differences():
    rows = hour_of()
    rng = random.Random(5)
    lost = [d for d in rows if rng.random() < 0.01] + ["dev-0007"] * 40
    f = finding(lost, rows)
    assert text(f) == "`device_id` over-represented: dev-0007 41 (7.6 % of the missing rows, 0.2 % of the hour's rows)"
    assert (f.rows, round(f.share, 4)) == (41, 0.0764)
    assert [v["value"] for v in f.evidence["values"][:1]] == ["dev-0007"]
    assert f.signature == "missing_in_new|dimension|device_id|dev-0007"


@pytest.mark.parametrize("rate", [0.005, 0.03, 0.4])
@pytest.mark.parametrize("seed", range(15))
def test_plain_random_loss_names_no_device_and_no_event_type(seed, rate):
    rng = random.Random(seed)
    rows = [d for d in DEVICES for _ in range(rng.randrange(5, 40))]  # devices of very different traffic
    kinds = [rng.choice(["temperature", "humidity", "door_open", "motion"]) for _ in rows]
    lost = [i for i in range(len(rows)) if rng.random() < rate]
    assert finding([rows[i] for i in lost], rows) is None
    assert finding([kinds[i] for i in lost], kinds, "event_type") is None


def test_a_handful_of_random_differences_names_nothing():
    rows = hour_of(15)
    assert finding(["dev-0001", "dev-0200", "dev-0333", "dev-0499"], rows) is None
    assert finding(["dev-0001", "dev-0001"], rows) is None


def test_a_column_with_one_value_in_the_hour_is_no_dimension():
    assert finding(["x"] * 50, ["x"] * 500, "region") is None


def sampled(rows: list, fraction: float, rng: random.Random) -> tuple[Counter, int]:
    """The hour's counts as dimension_counts.py gives them for a big hour: a sample, scaled."""
    sample = [r for r in rows if rng.random() < fraction]
    scale = len(rows) / len(sample)
    return Counter({v: round(n * scale) for v, n in Counter(sample).items()}), len(sample)


@pytest.mark.parametrize("seed", range(15))
def test_random_loss_against_a_sampled_hour_names_nothing(seed):
    """Sampling noise must not make a rarely sampled device look over-represented."""
    rng = random.Random(seed)
    rows = [d for d in DEVICES for _ in range(rng.randrange(100, 400))]
    hour_counts, size = sampled(rows, 0.08, rng)
    lost = Counter(r for r in rows if rng.random() < 0.01)
    assert dimension_finding("missing_in_new", "device_id", HOUR, lost, hour_counts, sample=size) is None


def test_a_planted_concentration_is_still_found_against_a_sampled_hour():
    rng = random.Random(3)
    rows = hour_of(300)
    hour_counts, size = sampled(rows, 0.08, rng)
    lost = Counter({"dev-0341": 41, "dev-0342": 30, "dev-0343": 29})
    f = dimension_finding("missing_in_new", "device_id", HOUR, lost, hour_counts, sample=size)
    assert text(f).startswith("all 100 missing rows from 3 of at least 500 `device_id` values; dev-0341 alone 41 (")
    assert f.evidence["hour_rows_sampled"] == size
