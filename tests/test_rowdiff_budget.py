"""The budget: a window with 30 % of its rows changed and a small max_rows_fetched stops at
the cap, says what it knows plus "truncated", and fails (exit 1): never a silent partial
pass, even though the hourly counts are equal."""

from __future__ import annotations

import json
import random

import pytest
from rowdiff_fixtures import H, compare, events, load_events, new_table, old_table, schedule, server_url, utc

from reconciler.cli import main
from reconciler.timeutil import Window

START = utc(2026, 4, 2, 9)
WINDOW = Window(START, START + H)
CAP = 100


@pytest.fixture(scope="module")
def changed_30_pct():
    rng = random.Random(30)
    base = events(START, 1, rate=0.5, seed=30)
    new = [dict(e) for e in base]
    changed = rng.sample(range(len(new)), k=round(len(new) * 0.3))
    for i in changed:
        new[i]["event_type"] = "changed"
    return base, new, len(changed)


@pytest.fixture
def budget_schedule(request, changed_30_pct, tmp_path):
    old_rows, new_rows, _ = changed_30_pct
    old_url, new_url = server_url(request, "postgresql", "budget_old"), server_url(request, "postgresql", "budget_new")
    load_events(old_url, old_table("legacy_budget"), old_rows)
    load_events(new_url, new_table("events_budget"), new_rows)
    return schedule(tmp_path, old_url, new_url, old_table="legacy_budget", new_table="events_budget",
                    diff={"max_rows_fetched": CAP, "chunk_rows": 40})


def test_the_budget_stops_at_the_cap_and_fails(budget_schedule, changed_30_pct):
    base, _, changed = changed_30_pct
    assert (len(base), changed) == (1765, 530)

    result = compare(budget_schedule, WINDOW)

    t = result.totals
    assert result.truncated is True and t["unverified"] > 0
    assert 0 < t["rows_fetched"]["old"] <= CAP and 0 < t["rows_fetched"]["new"] <= CAP
    assert 0 < t["mismatched"] < changed
    # every row is accounted for: matched (equal slices and fetched rows), mismatched, or unverified
    assert t["matched"] + t["mismatched"] + t["unverified"] == len(base)
    assert (t["missing_in_new"], t["extra_in_new"]) == (0, 0)
    assert result.status == "fail"
    by_check = {c.check: c.status for c in result.checks}
    assert by_check["row_diff_complete"] == "fail"
    assert by_check["hourly_count_drift"] == "pass"  # the counts alone would have passed


def test_the_cli_exits_1_and_says_truncated(budget_schedule, capfd):
    capfd.readouterr()
    with pytest.raises(SystemExit) as e:
        main(["--config", str(budget_schedule), "compare", "--start", "2026-04-02T09:00Z", "--end", "2026-04-02T10:00Z",
              "--format", "json"])
    out, _ = capfd.readouterr()
    doc = json.loads(out)
    assert e.value.code == 1
    assert (doc["status"], doc["mode"], doc["truncated"]) == ("fail", "rows", True)
    assert doc["totals"]["unverified"] > 0
    assert max(doc["totals"]["rows_fetched"].values()) <= CAP
