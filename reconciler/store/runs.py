"""Writing a run into runs / compares / results / samples, and reading it back as the dict
its to_dict() gives (RunResult.from_dict reads either)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection, insert, select

from reconciler.results import NOT_PASSING, CheckResult, CompareResult, RunResult
from reconciler.store.schema import compares, results, runs, samples
from reconciler.timeutil import iso

RESULT_SAMPLES = "rows"
REASON = "reason"
CONFIG_CHECK = "config_check"  # also left in `details`, where the JSON of earlier versions has it
IN_DETAILS = (REASON, "check_type", CONFIG_CHECK)  # typed fields of a result kept in its details document
FINDINGS = "finding"  # a comparison's findings are kept as documents beside its samples (bounded per hour)


def insert_run(conn: Connection, run: RunResult, provenance: dict, sample_limit: int) -> int:
    """A point-in-time run (no window, `as_of`) is stored with window_start = window_end = as_of.
    Each result is stored once, with its samples: a comparison's checks point at their
    comparison (compare_id) and keep their place among the run's results (`position`)."""
    window = (run.window.start, run.window.end) if run.window is not None else (run.as_of, run.as_of)
    run_id = conn.execute(insert(runs).values(
        job=run.job, window_start=window[0], window_end=window[1], started_at=run.started_at,
        finished_at=run.finished_at, status=run.status, message=run.message, **provenance,
    ).returning(runs.c.id)).scalar_one()
    writer = _SampleWriter(conn, run_id, provenance["recorded_at"], sample_limit)
    compare_ids = [_insert_compare(conn, writer, position, compare) for position, compare in enumerate(run.compares)]
    stored = list(run.results)
    owner = [_compare_of(r, run.compares) for r in stored]
    for index, compare in enumerate(run.compares):  # checks of a comparison the run does not list (older callers)
        for check in compare.checks:
            if not any(r is check or r == check for r in stored):
                stored.append(check)
                owner.append(index)
    for position, (result, index) in enumerate(zip(stored, owner)):
        if result.window is None and result.as_of is None:  # a caller that did not stamp it: the run's moment
            result = replace(result, as_of=run.as_of or run.started_at)
        _insert_result(conn, writer, position, result, compare_ids[index] if index is not None else None)
    writer.flush()
    return run_id


def _compare_of(result: CheckResult, compares) -> int | None:
    for index, compare in enumerate(compares):
        if any(result is c or result == c for c in compare.checks):
            return index
    return None


class _SampleWriter:
    """Collects bounded samples and inserts them in one statement."""

    def __init__(self, conn: Connection, run_id: int, recorded_at: datetime, limit: int):
        self.conn, self.run_id, self.recorded_at, self.limit = conn, run_id, recorded_at, limit
        self.pending: list[dict] = []

    def add(self, kind: str, rows: list, *, result_id=None, compare_id=None, bounded: bool = True) -> None:
        for position, row in enumerate(rows[: self.limit] if bounded else rows):
            self.pending.append({"run_id": self.run_id, "result_id": result_id, "compare_id": compare_id,
                                 "kind": kind, "position": position, "row": row, "recorded_at": self.recorded_at})

    def flush(self) -> None:
        if self.pending:
            self.conn.execute(insert(samples), self.pending)
            self.pending = []


def _insert_compare(conn: Connection, writer: _SampleWriter, position: int, compare: CompareResult) -> int:
    """A snapshot (no window) is stored with both window ends at its as_of."""
    doc = compare.to_dict()
    window = (compare.window.start, compare.window.end) if compare.window is not None else (compare.as_of,) * 2
    kinds = doc.get("samples") or {}
    compare_id = conn.execute(insert(compares).values(
        run_id=writer.run_id, position=position, dataset=compare.dataset, window_start=window[0],
        window_end=window[1], status=compare.status, mode=compare.mode, truncated=compare.truncated,
        totals=doc["totals"] or {}, hours=doc["hours"] or [], timings=doc["timings"] or {},
        sample_counts={k: len(v or []) for k, v in kinds.items()},
    ).returning(compares.c.id)).scalar_one()
    for kind, rows in kinds.items():
        writer.add(kind, rows or [], compare_id=compare_id)
    writer.add(FINDINGS, doc.get("findings") or [], compare_id=compare_id, bounded=False)
    return compare_id


def _insert_result(conn: Connection, writer: _SampleWriter, position: int, result: CheckResult, compare_id) -> None:
    doc = result.to_dict()
    rows = doc.get("samples") or []
    window = (result.window.start, result.window.end) if result.window is not None else (None, None)
    result_id = conn.execute(insert(results).values(
        run_id=writer.run_id, compare_id=compare_id, position=position, check_name=result.check,
        status=result.status, observed=doc.get("observed"), threshold=doc.get("threshold"),
        violations=result.violations or 0, window_start=window[0], window_end=window[1],
        message=result.message, details=_details_document(doc), sample_total=len(rows), as_of=result.as_of,
    ).returning(results.c.id)).scalar_one()
    writer.add(RESULT_SAMPLES, rows, result_id=result_id)


def _details_document(doc: dict) -> dict | None:
    """The reason, the type and the configured check live in the details document, so the
    schema needs no column for them; reading takes them out again."""
    details = dict(doc.get("details") or {})
    for key in IN_DETAILS:
        if doc.get(key):
            details[key] = doc[key]
    return details or None


def read_run(conn: Connection, run_id: int) -> dict | None:
    row = conn.execute(select(runs).where(runs.c.id == run_id)).first()
    if row is None:
        return None
    sample_rows = conn.execute(select(samples).where(samples.c.run_id == run_id)
                               .order_by(samples.c.kind, samples.c.position)).all()
    result_rows = conn.execute(select(results).where(results.c.run_id == run_id)
                               .order_by(results.c.position, results.c.id)).all()
    compare_rows = conn.execute(select(compares).where(compares.c.run_id == run_id)
                                .order_by(compares.c.position)).all()
    out = _run_summary(row._mapping)
    out["results"] = [_result_dict(r, sample_rows) for r in run_results(result_rows)]
    out["compares"] = [_compare_dict(c, result_rows, sample_rows) for c in compare_rows]
    return out


def run_results(rows) -> list:
    """The rows that are the run's results. Earlier versions stored a comparison's checks
    twice, once among the run's results (compare_id NULL) and once under the comparison, each
    list with positions from 0; since then each is stored once and positions are unique."""
    stored_twice = len({r.position for r in rows}) < len(rows)
    return [r for r in rows if r.compare_id is None] if stored_twice else list(rows)


def list_run_rows(conn: Connection, *, job=None, since=None, status=None, limit=None) -> list[dict]:
    query = select(runs).order_by(runs.c.started_at.desc(), runs.c.id.desc())
    if job:
        query = query.where(runs.c.job == job)
    if since is not None:
        query = query.where(runs.c.started_at >= since)
    if status:
        query = query.where(runs.c.status == status)
    if limit:
        query = query.limit(limit)
    summaries = [_run_summary(r._mapping) for r in conn.execute(query)]
    _attach_check_counts(conn, summaries)
    return summaries


def runs_overlapping(conn: Connection, start: datetime, end: datetime) -> list[dict]:
    query = (select(runs).where(runs.c.window_start < end, runs.c.window_end > start)
             .order_by(runs.c.id))
    return [_run_summary(r._mapping) for r in conn.execute(query)]


def _attach_check_counts(conn: Connection, summaries: list[dict]) -> None:
    ids = [s["id"] for s in summaries]
    if not ids:
        return
    query = (select(results.c.run_id, results.c.compare_id, results.c.position, results.c.status)
             .where(results.c.run_id.in_(ids)))
    by_run: dict[int, list] = {}
    for row in conn.execute(query):
        by_run.setdefault(row.run_id, []).append(row)
    for s in summaries:
        found = run_results(by_run.get(s["id"], []))
        s["checks"], s["failing_checks"] = len(found), sum(1 for r in found if r.status in NOT_PASSING)


def _run_summary(row) -> dict:
    summary = {
        "id": row["id"], "job": row["job"],
        "window": {"start": _iso(row["window_start"]), "end": _iso(row["window_end"])},
        "started_at": _iso(row["started_at"]), "finished_at": _iso(row["finished_at"]),
        "status": row["status"], "message": row["message"],
        "duration_s": round((row["finished_at"] - row["started_at"]).total_seconds(), 3),
        "tool_version": row["tool_version"], "config_fingerprint": row["config_fingerprint"],
        "source_names": row["source_names"], "recorded_at": _iso(row["recorded_at"]),
    }
    if row["window_start"] == row["window_end"]:  # point-in-time checks
        summary["as_of"] = _iso(row["window_start"])
    return summary


def _result_dict(row, sample_rows) -> dict:
    """The result as CheckResult.to_dict writes it (same keys, same order)."""
    details = dict(row.details or {})
    typed = {key: details.pop(key) if key != CONFIG_CHECK else details[key] for key in IN_DETAILS if key in details}
    out = {
        "check": row.check_name, "status": row.status, "reason": typed.get(REASON), "observed": row.observed,
        "threshold": row.threshold,
        "violations": row.violations,
        "samples": [s.row for s in sample_rows if s.result_id == row.id],
        "window": {"start": _iso(row.window_start), "end": _iso(row.window_end)} if row.window_start else None,
    }
    if row.as_of is not None:
        out["as_of"] = _iso(row.as_of)
    out.update({key: typed[key] for key in IN_DETAILS if key != REASON and key in typed})
    if row.message:
        out["message"] = row.message
    if details:
        out["details"] = details
    if row.sample_total > len(out["samples"]):
        out["samples_total"] = row.sample_total
    return out


def _compare_dict(row, result_rows, sample_rows) -> dict:
    kept = {kind: [s.row for s in sample_rows if s.compare_id == row.id and s.kind == kind]
            for kind in row.sample_counts}
    point_in_time = row.window_start == row.window_end
    out = {
        "dataset": row.dataset,
        "window": None if point_in_time else {"start": _iso(row.window_start), "end": _iso(row.window_end)},
        "status": row.status, "mode": row.mode, "truncated": row.truncated, "totals": row.totals,
        "hours": row.hours, "samples": kept, "timings": row.timings,
        "checks": [_result_dict(r, sample_rows) for r in result_rows if r.compare_id == row.id],
        "findings": [s.row for s in sample_rows if s.compare_id == row.id and s.kind == FINDINGS],
    }
    if point_in_time:
        out["as_of"] = _iso(row.window_start)
    dropped = {k: n for k, n in row.sample_counts.items() if n > len(kept[k])}
    if dropped:
        out["samples_total"] = dict(row.sample_counts)
    return out


def _iso(t: datetime | None) -> str | None:
    return iso(t) if t is not None else None
