"""The report store reads back the types it writes: a stored run comes back as the RunResult
it was recorded from (CheckResult with a typed Threshold, Window, HourCount), including a
point-in-time run, and a run stored by an earlier version still loads."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from store_fixtures import PROVENANCE, T0, evidence_run

from reconciler.results import CheckResult, CompareResult, HourCount, RunResult
from reconciler.store import ReportStore
from reconciler.thresholds import Threshold
from reconciler.timeutil import HOUR, Window

GOLDEN = Path(__file__).parent / "golden"


def fresh_store(tmp_path) -> ReportStore:
    store = ReportStore(f"sqlite:///{tmp_path}/reconciler.db")
    store.upgrade()
    return store


def test_a_stored_run_loads_back_as_the_run_it_was_written_from(tmp_path):
    store = fresh_store(tmp_path)
    run = evidence_run()
    run_id = store.record_run(run, **PROVENANCE, now=run.finished_at)
    back = store.load_run(run_id)
    store.close()
    assert isinstance(back, RunResult) and back.to_dict() == run.to_dict()
    assert back.window == Window(T0, T0 + 3 * HOUR) and back.started_at == run.started_at
    [compare] = back.compares
    assert isinstance(compare, CompareResult) and all(isinstance(h, HourCount) for h in compare.hours)
    assert [(h.hour, h.old, h.new, h.drift_pct) for h in compare.hours] == [
        (T0, 1000, 1000, 0.0), (T0 + HOUR, 2000, 2030, 1.5), (T0 + 2 * HOUR, 1000, 990, -1.0)]
    assert all(isinstance(r, CheckResult) and (r.threshold is None or isinstance(r.threshold, Threshold))
               for r in back.results)


def test_a_point_in_time_run_loads_back_with_its_moment_and_no_window(tmp_path):
    store = fresh_store(tmp_path)
    moment = T0 + timedelta(minutes=20, seconds=7)
    rule = CheckResult("no_overlapping_bookings", "fail", observed=2, threshold=Threshold.at_most(0, "new violations"),
                       violations=2, details={"severity": "critical", "source": "new"}, reason="2 new overlapping bookings")
    run = RunResult(job="hourly-bookings", window=None, started_at=moment, finished_at=moment, status="fail",
                    results=[rule], as_of=moment)
    back = store.load_run(store.record_run(run, now=moment, **PROVENANCE))
    store.close()
    assert (back.window, back.as_of) == (None, moment)
    assert back.results == [rule]


def test_a_run_stored_by_version_0_1_still_loads_with_typed_thresholds():
    stored = json.loads((GOLDEN / "run_report_0.1.json").read_text())
    run = RunResult.from_dict(stored)
    assert (run.job, run.status, len(run.results)) == (stored["job"], stored["status"], len(stored["results"]))
    counts = next(r for r in run.results if r.check == "event_counts")
    assert counts.threshold == Threshold(text="1")  # a bare number says nothing of its direction
    assert run.window == Window(T0, T0 + 3 * HOUR)
