"""The demo's faulty hours (demo/scenario.py) each get the finding that describes the fault
injected there, and nothing else gets one; the repair file of every demo hour, applied to the
new database with sqlite3, brings the whole comparison to 100 %."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from repair_fixtures import apply_file

from reconciler.checks.judgement import compare_dataset
from reconciler.config import load_config
from reconciler.demo.config import write_demo_config
from reconciler.demo.run import DEMO_ZONE, build_demo_databases
from reconciler.repair import write_repair
from reconciler.timeutil import HOUR, Window

NBSP = "\u00a0"
START = datetime(2026, 3, 8, tzinfo=timezone.utc)
HOURS = 16
WINDOW = Window(START, START + HOURS * HOUR)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    scenario = build_demo_databases(out, START, HOURS, rate=0.5)
    return {"dir": out, "faults": scenario.faults, "scenario": scenario,
            "loaded": load_config(write_demo_config(out, DEMO_ZONE), env={})}


def count(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def findings_by_hour(result) -> dict[int, list[tuple[str, str]]]:
    out: dict = {}
    for f in result.findings:
        out.setdefault(int((f.hour - START) / HOUR), []).append((f.kind, f.text.replace(NBSP, " ")))
    return out


def test_each_faulty_hour_gets_the_finding_of_its_fault(demo):
    result = compare_dataset(demo["loaded"], "device_events", WINDOW, rows=True)
    f, scenario = demo["faults"], demo["scenario"]
    got = findings_by_hour(result)
    assert set(got) == {f["changed"], f["new_only"], f["silent"], f["loss"], f["late"]}  # only the faulty hours

    changed_values, changed_types = len(f["changed_value_ids"]), len(f["changed_type_ids"])
    n = changed_values + changed_types
    assert (changed_values, changed_types) == (6, 2)
    assert got[f["changed"]] == [
        ("changed_columns", "8 changed: `value` in 6 (75 %), `event_type` in 2 (25 %)"),
        ("value_pattern", f"{changed_values} `value` +1.5 exactly (constant offset)"),
        ("value_pattern", f"{changed_types} `event_type` → 'unknown' (one new value)"),
    ] and n == 8

    only_new = scenario.counts("new")[START + f["new_only"] * HOUR]
    assert got[f["new_only"]] == [
        ("whole_hour", f"all {count(only_new)} rows of the hour are only in new: old has no row in this hour")]

    silent_old = scenario.counts("old")[START + f["silent"] * HOUR]
    assert silent_old == scenario.counts("new")[START + f["silent"] * HOUR]
    assert got[f["silent"]] == [
        ("counts_hide", f"the hour's counts are equal ({count(silent_old)}), yet 4 rows are missing and 4 extra: "
                        "only the rows tell")]

    for hour, rate in ((f["loss"], 3), (f["late"], 40)):
        [(kind, text)] = got[hour]
        assert kind == "time_spread"
        shown = re.fullmatch(r"spread through the hour: about ([\d.]+) % of the hour's rows missing, at random", text)
        assert shown and abs(float(shown.group(1)) - rate) <= rate * 0.1, text


def test_the_repair_of_every_demo_hour_brings_the_comparison_to_100_percent(demo, tmp_path):
    new_db = Path(demo["dir"]) / "new.db"
    backup = tmp_path / "new.db.orig"
    shutil.copy(new_db, backup)
    try:
        for hour in WINDOW.hour_windows():
            result = write_repair(demo["loaded"], "device_events", hour, out_dir=tmp_path / "repairs",
                                  delete_extra=True, command="test", now=START)
            [path] = result.paths
            apply_file(f"sqlite:///{new_db}", path)
        after = compare_dataset(demo["loaded"], "device_events", WINDOW, rows=True)
        assert (after.status, after.totals["match_pct"], after.findings) == ("pass", 100.0, [])
        assert all(h.status == "pass" for h in after.hours)
        assert len(list((tmp_path / "repairs").glob("*.sql"))) == HOURS
    finally:
        shutil.copy(backup, new_db)
