"""Findings travel with their comparison: the report store keeps them (as documents beside the
samples, not cut by the store's sample bound) and reads them back equal, on SQLite and
PostgreSQL; a run stored before findings existed loads with none."""

from __future__ import annotations

from dataclasses import replace

from store_fixtures import PROVENANCE, T0, evidence_run, pg_database, pg_url, store_url  # noqa: F401  (fixtures)

from reconciler.results import Finding, RunResult
from reconciler.store import ReportStore
from reconciler.timeutil import HOUR


def findings(n: int) -> list[Finding]:
    return [Finding(hour=T0 + (i % 3) * HOUR, about="missing_in_new", kind="time_spread",
                    text=f"spread through the hour: about {i} % of the hour's rows missing, at random", rows=10 + i,
                    share=1.0, signature="missing_in_new|time_spread",
                    evidence={"per_minute": [i] * 60, "rate": i / 100, "start": None},
                    sample_keys=[{"event_id": i}, {"event_id": i + 1}]) for i in range(n)]


def test_findings_are_stored_and_read_back_whole(store_url):  # noqa: F811
    run = evidence_run()
    compare = replace(run.compares[0], findings=findings(30))
    run = replace(run, compares=[compare])
    store = ReportStore(store_url, sample_limit=5)
    store.upgrade()
    try:
        back = store.load_run(store.record_run(run, **PROVENANCE, now=run.finished_at))
    finally:
        store.close()
    assert back.compares[0].findings == compare.findings
    assert len(back.compares[0].findings) == 30  # the sample bound (5) does not cut findings
    assert back.compares[0].samples == {k: v[:5] for k, v in compare.samples.items()}


def test_a_comparison_without_findings_in_its_json_reads_back_with_none():
    doc = evidence_run().to_dict()
    del doc["compares"][0]["findings"]
    assert RunResult.from_dict(doc).compares[0].findings == []
