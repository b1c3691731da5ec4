"""The report store reads back the types it writes: a stored run comes back as the RunResult
it was recorded from (CheckResult with a typed Threshold, Window, HourCount), including a
point-in-time run, and a run stored by an earlier version still loads."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from store_fixtures import PROVENANCE, T0, evidence_run

from reconciler.results import CheckResult, CompareResult, HourCount, RunResult, StoredRun
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
                       violations=2, details={"severity": "critical", "source": "new"}, reason="2 new overlapping bookings",
                       as_of=moment, check_type="sql", config_check="bookings")
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


def test_a_stored_run_carries_its_provenance_and_the_samples_the_store_dropped(tmp_path):
    store = ReportStore(f"sqlite:///{tmp_path}/reconciler.db", sample_limit=2)
    store.upgrade()
    rule = CheckResult("valid_transitions", "fail", violations=5, samples=[{"booking_id": i} for i in range(5)])
    base = evidence_run()
    missing = base.compares[0].samples["missing_in_new"][0]
    compare = replace(base.compares[0], samples={**base.compares[0].samples, "missing_in_new": [missing] * 3})
    run = replace(base, results=[rule], compares=[compare])
    run_id = store.record_run(run, **PROVENANCE, now=T0 + 4 * HOUR)
    stored = store.stored_run(run_id)
    store.close()
    assert isinstance(stored, StoredRun) and isinstance(stored.run, RunResult)
    assert (stored.id, stored.recorded_at, stored.tool_version, stored.config_fingerprint) == (
        run_id, T0 + 4 * HOUR, PROVENANCE["tool_version"], PROVENANCE["config_fingerprint"])
    assert stored.source_names == {"old": "mysql://legacy:***@old-db/events", "new": "postgresql://new-db/events"}
    [back] = stored.run.results
    assert (back.samples, back.samples_total) == ([{"booking_id": 0}, {"booking_id": 1}], 5)
    [compare] = stored.run.compares
    assert compare.samples_total == {"missing_in_new": 3, "extra_in_new": 1, "mismatched": 1}
    assert compare.samples["missing_in_new"] == [missing] * 2


def test_any_run_a_renderer_is_given_becomes_a_stored_run():
    run = evidence_run()
    assert StoredRun.of(run) == StoredRun(run=run)
    assert StoredRun.of(StoredRun(run=run, id=7)).id == 7
    old = StoredRun.of(json.loads((GOLDEN / "run_report_0.1.json").read_text()))
    assert old.run.job == json.loads((GOLDEN / "run_report_0.1.json").read_text())["job"]


def test_a_result_is_about_a_window_or_a_moment_never_both():
    import pytest

    window = Window(T0, T0 + HOUR)
    with pytest.raises(ValueError, match="both a window and an as_of"):
        CheckResult("x", "pass", window=window, as_of=T0)
    hourly = CheckResult.from_dict({"check": "x", "status": "pass", "window": window.to_dict(),
                                    "as_of": "2026-11-27T10:20:00Z"})
    assert (hourly.window, hourly.as_of) == (window, None)
    moment = CheckResult.from_dict({"check": "x", "status": "pass", "window": None}, as_of="2026-11-27T10:20:00Z")
    assert (moment.window, moment.as_of) == (None, T0 + timedelta(minutes=20))
    legacy = CheckResult.from_dict({"check": "q.dlq_depth", "status": "pass", "window": None,
                                    "details": {"measure": "dlq_depth", "point_in_time": True, "config_check": "q"}})
    assert (legacy.check_type, legacy.config_check, legacy.details) == ("health", "q", {"measure": "dlq_depth"})
