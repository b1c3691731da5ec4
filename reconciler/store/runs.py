"""Writing a run (from its to_dict() form) into runs / compares / results / samples, and
reading it back into the same shape."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, case, func, insert, select

from reconciler.results import ERROR, FAIL
from reconciler.store.schema import compares, results, runs, samples
from reconciler.timeutil import iso

RESULT_SAMPLES = "rows"
REASON = "reason"
FINDINGS = "finding"  # a comparison's findings are kept as documents beside its samples (bounded per hour)


def insert_run(conn: Connection, run: dict, provenance: dict, sample_limit: int) -> int:
    """A point-in-time run (no window, `as_of`) is stored with window_start = window_end = as_of,
    and its results with `as_of` and no window."""
    as_of = _time(run["as_of"]) if run.get("as_of") else None
    window = _window(run["window"]) if run.get("window") else (as_of, as_of)
    run_id = conn.execute(insert(runs).values(
        job=run["job"], window_start=window[0], window_end=window[1],
        started_at=_time(run["started_at"]), finished_at=_time(run["finished_at"]),
        status=run["status"], message=run.get("message"), **provenance,
    ).returning(runs.c.id)).scalar_one()
    writer = _SampleWriter(conn, run_id, provenance["recorded_at"], sample_limit, as_of)
    for position, compare in enumerate(run.get("compares", [])):
        _insert_compare(conn, writer, position, compare)
    for position, result in enumerate(run.get("results", [])):
        _insert_result(conn, writer, position, result, compare_id=None)
    writer.flush()
    return run_id


class _SampleWriter:
    """Collects bounded samples and inserts them in one statement."""

    def __init__(self, conn: Connection, run_id: int, recorded_at: datetime, limit: int, as_of=None):
        self.conn, self.run_id, self.recorded_at, self.limit = conn, run_id, recorded_at, limit
        self.as_of = as_of
        self.pending: list[dict] = []

    def add(self, kind: str, rows: list, *, result_id=None, compare_id=None, bounded: bool = True) -> None:
        for position, row in enumerate(rows[: self.limit] if bounded else rows):
            self.pending.append({"run_id": self.run_id, "result_id": result_id, "compare_id": compare_id,
                                 "kind": kind, "position": position, "row": row, "recorded_at": self.recorded_at})

    def flush(self) -> None:
        if self.pending:
            self.conn.execute(insert(samples), self.pending)
            self.pending = []


def _insert_compare(conn: Connection, writer: _SampleWriter, position: int, compare: dict) -> None:
    window = _window(compare["window"])
    kinds = compare.get("samples") or {}
    compare_id = conn.execute(insert(compares).values(
        run_id=writer.run_id, position=position, dataset=compare["dataset"], window_start=window[0],
        window_end=window[1], status=compare["status"], mode=compare.get("mode", "counts"),
        truncated=bool(compare.get("truncated")), totals=compare.get("totals") or {}, hours=compare.get("hours") or [],
        timings=compare.get("timings") or {}, sample_counts={k: len(v or []) for k, v in kinds.items()},
    ).returning(compares.c.id)).scalar_one()
    for kind, rows in kinds.items():
        writer.add(kind, rows or [], compare_id=compare_id)
    writer.add(FINDINGS, compare.get("findings") or [], compare_id=compare_id, bounded=False)
    for check_position, check in enumerate(compare.get("checks", [])):
        _insert_result(conn, writer, check_position, check, compare_id=compare_id)


def _insert_result(conn: Connection, writer: _SampleWriter, position: int, result: dict, compare_id) -> None:
    window = _window(result["window"]) if result.get("window") and writer.as_of is None else (None, None)
    rows = result.get("samples") or []
    result_id = conn.execute(insert(results).values(
        run_id=writer.run_id, compare_id=compare_id, position=position, check_name=result["check"],
        status=result["status"], observed=result.get("observed"), threshold=result.get("threshold"),
        violations=result.get("violations") or 0, window_start=window[0], window_end=window[1],
        message=result.get("message"), details=_details_with_reason(result), sample_total=len(rows), as_of=writer.as_of,
    ).returning(results.c.id)).scalar_one()
    writer.add(RESULT_SAMPLES, rows, result_id=result_id)


def _details_with_reason(result: dict) -> dict | None:
    """The reason lives in the details document, so the schema needs no column for it."""
    details = dict(result.get("details") or {})
    if result.get("reason"):
        details[REASON] = result["reason"]
    return details or None


def read_run(conn: Connection, run_id: int) -> dict | None:
    row = conn.execute(select(runs).where(runs.c.id == run_id)).first()
    if row is None:
        return None
    sample_rows = conn.execute(select(samples).where(samples.c.run_id == run_id)
                               .order_by(samples.c.kind, samples.c.position)).all()
    result_rows = conn.execute(select(results).where(results.c.run_id == run_id)
                               .order_by(results.c.position)).all()
    compare_rows = conn.execute(select(compares).where(compares.c.run_id == run_id)
                                .order_by(compares.c.position)).all()
    out = _run_summary(row._mapping)
    out["results"] = [_result_dict(r, sample_rows) for r in result_rows if r.compare_id is None]
    out["compares"] = [_compare_dict(c, result_rows, sample_rows) for c in compare_rows]
    return out


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
    failing = func.sum(case((results.c.status.in_([FAIL, ERROR]), 1), else_=0))
    # A comparison's checks are stored twice: among the run's results and under the comparison.
    query = (select(results.c.run_id, func.count(), failing)
             .where(results.c.run_id.in_(ids), results.c.compare_id.is_(None))
             .group_by(results.c.run_id))
    counts = {run_id: (total, int(bad or 0)) for run_id, total, bad in conn.execute(query)}
    for s in summaries:
        s["checks"], s["failing_checks"] = counts.get(s["id"], (0, 0))


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
    details = dict(row.details or {})
    reason = details.pop(REASON, None)
    out = {
        "check": row.check_name, "status": row.status, "reason": reason, "observed": row.observed,
        "threshold": row.threshold,
        "violations": row.violations,
        "samples": [s.row for s in sample_rows if s.result_id == row.id],
        "window": {"start": _iso(row.window_start), "end": _iso(row.window_end)} if row.window_start else None,
    }
    if row.message:
        out["message"] = row.message
    if details:
        out["details"] = details
    if row.as_of is not None:
        out["as_of"] = _iso(row.as_of)
    if row.sample_total > len(out["samples"]):
        out["samples_total"] = row.sample_total
    return out


def _compare_dict(row, result_rows, sample_rows) -> dict:
    kept = {kind: [s.row for s in sample_rows if s.compare_id == row.id and s.kind == kind]
            for kind in row.sample_counts}
    out = {
        "dataset": row.dataset, "window": {"start": _iso(row.window_start), "end": _iso(row.window_end)},
        "status": row.status, "mode": row.mode, "truncated": row.truncated, "totals": row.totals,
        "hours": row.hours, "samples": kept, "timings": row.timings,
        "checks": [_result_dict(r, sample_rows) for r in result_rows if r.compare_id == row.id],
        "findings": [s.row for s in sample_rows if s.compare_id == row.id and s.kind == FINDINGS],
    }
    dropped = {k: n for k, n in row.sample_counts.items() if n > len(kept[k])}
    if dropped:
        out["samples_total"] = dict(row.sample_counts)
    return out


def _window(window: dict) -> tuple[datetime, datetime]:
    return _time(window["start"]), _time(window["end"])


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _iso(t: datetime | None) -> str | None:
    return iso(t) if t is not None else None
