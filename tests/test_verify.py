"""`reconciler verify`: a whole history compared day by day, PostgreSQL (old) against a
TimescaleDB hypertable (new), with exact totals equal to compare's over the same range;
resumed after SIGKILL; shared by two processes on a PostgreSQL store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from datetime import timedelta

import pytest
from click.testing import CliRunner
from store_fixtures import pg_database, pg_url  # noqa: F401
from verify_fixtures import DAYS, START, ROOT, cli_command, only_counts, planted_history, verify_schedule

from reconciler.checks.judgement import compare_dataset
from reconciler.cli import cli
from reconciler.config import load_config
from reconciler.store import ReportStore
from reconciler.timeutil import Window
from reconciler.verify import VerifyRequest, verify_dataset

ENV = {**os.environ, "PYTHONPATH": f"{ROOT / 'tests'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}


@pytest.fixture(scope="module")
def history(make_pg_database, make_timescale_database):
    old_url, new_url = make_pg_database("verify_old"), make_timescale_database("verify_new")
    expected = planted_history(old_url, new_url)
    return old_url, new_url, expected


def _config(tmp_path, history, store_url=None):
    old_url, new_url, _ = history
    return verify_schedule(tmp_path / "cfg", old_url, new_url, store_url or f"sqlite:///{tmp_path}/store.db")


def _verify(path, **request):
    loaded = load_config(path)
    store = ReportStore(f"{loaded.config.report_store.url}")
    store.upgrade()
    try:
        return verify_dataset(loaded, store, VerifyRequest("device_events", **request))
    finally:
        store.close()


def test_whole_history_totals_are_exact_and_equal_to_compare_over_the_same_days(tmp_path, history):
    _, _, expected = history
    path = _config(tmp_path, history)
    report = _verify(path)
    doc = report.to_dict()
    assert doc["range"] == {"start": "2026-11-20T00:00:00Z", "end": "2026-11-25T00:00:00Z"}
    assert doc["whole_history"] is True
    assert only_counts(doc["totals"]) == only_counts(expected)
    assert doc["days"] == {"total": DAYS, "equal": 3, "differing": 2, "resumed": 0}
    assert [d["day"] for d in doc["differing_days"]] == ["2026-11-21", "2026-11-23"]
    day1, day3 = doc["differing_days"]
    assert (day1["totals"]["missing_in_new"], day1["totals"]["mismatched"], day1["totals"]["extra_in_new"]) == (3, 0, 0)
    assert (day3["totals"]["missing_in_new"], day3["totals"]["mismatched"], day3["totals"]["extra_in_new"]) == (0, 2, 1)
    assert sorted(s["key"]["event_id"] for s in doc["samples"]["missing_in_new"]) == expected["missing"]
    assert sorted(s["key"]["event_id"] for s in doc["samples"]["mismatched"]) == expected["changed"]
    assert [s["key"]["event_id"] for s in doc["samples"]["extra_in_new"]] == expected["extra"]
    assert any(f["about"] == "mismatched" and "+1.5" in f["text"] and f["hour"] == "2026-11-23T00:00:00Z"
               for f in doc["findings"])
    assert doc["status"] == "fail" and report.exit_code == 1

    compared = compare_dataset(load_config(path), "device_events",
                               Window(START, START + timedelta(days=DAYS)), rows=True)
    assert {k: compared.totals[k] for k in doc["totals"] if k in compared.totals} == \
        {k: doc["totals"][k] for k in doc["totals"] if k in compared.totals}
