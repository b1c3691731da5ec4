"""A dataset's findings over hours, as the store holds them: per hour of the window ledger, the
verdict in force and the findings of the run that gave it (kept beside that run's comparison,
runs.py). Stories are built from these (compare/findings/stories.py); only the failing
stretches near the hours asked about are read, and only their runs' findings."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, select

from reconciler.compare.findings.stories import HourFindings
from reconciler.results import FAIL, Finding
from reconciler.store.engine import store_errors
from reconciler.store.runs import FINDINGS
from reconciler.store.schema import compares, runs, samples, window_ledger
from reconciler.timeutil import HOUR, iso

LOOKBACK = timedelta(days=7)  # how far a story is followed back (and forward) from the hours asked about


def hour_findings(conn: Connection, dataset: str, start: datetime, end: datetime,
                  lookback: timedelta = LOOKBACK) -> list[HourFindings]:
    """The judged hours of every stretch of consecutive failing hours of `dataset` that touches
    [start, end) (followed at most `lookback` beyond it), each stretch with the judged hour
    after it when there is one (what ended its stories), oldest first: a failing hour with the
    findings of the run whose verdict is in force, and that run. Hours not judged yet are left
    out: a story whose next hour waits for its verdict goes on."""
    query = (select(window_ledger.c.hour, window_ledger.c.verdict, window_ledger.c.run_id)
             .where(window_ledger.c.dataset == dataset, window_ledger.c.verdict.is_not(None),
                    window_ledger.c.hour >= start - lookback, window_ledger.c.hour < end + lookback)
             .order_by(window_ledger.c.hour))
    kept = _stretches(list(conn.execute(query)), start, end)
    run_ids = sorted({r.run_id for r in kept if r.verdict == FAIL and r.run_id is not None})
    found = _findings(conn, dataset, run_ids)
    about = _runs(conn, sorted({r.run_id for r in kept if r.run_id is not None}))
    return [HourFindings(r.hour, r.verdict, tuple(found.get((r.run_id, iso(r.hour)), ())) if r.verdict == FAIL else (),
                         about.get(r.run_id)) for r in kept]


def _stretches(rows: list, start: datetime, end: datetime) -> list:
    """The rows of the failing stretches touching [start, end), each with the judged row after
    it (what ended its stories: an hour after a gap ends them as not judged)."""
    keep: set[int] = set()
    i = 0
    while i < len(rows):
        if rows[i].verdict != FAIL:
            i += 1
            continue
        j = i
        while j + 1 < len(rows) and rows[j + 1].verdict == FAIL and rows[j + 1].hour - rows[j].hour == HOUR:
            j += 1
        if rows[i].hour < end and rows[j].hour >= start:
            keep.update(range(i, min(j + 2, len(rows))))
        i = j + 1
    return [rows[k] for k in sorted(keep)]


def _findings(conn: Connection, dataset: str, run_ids: list[int]) -> dict[tuple[int, str], list[Finding]]:
    """(run id, hour) -> the findings the run's comparisons of `dataset` keep for that hour."""
    if not run_ids:
        return {}
    query = (select(compares.c.run_id, samples.c.row)
             .select_from(samples.join(compares, samples.c.compare_id == compares.c.id))
             .where(samples.c.run_id.in_(run_ids), compares.c.run_id.in_(run_ids), compares.c.dataset == dataset,
                    samples.c.kind == FINDINGS)
             .order_by(compares.c.run_id, compares.c.position, samples.c.position))
    out: dict[tuple[int, str], list[Finding]] = {}
    for run_id, doc in conn.execute(query):
        finding = Finding.from_dict(doc)
        out.setdefault((run_id, iso(finding.hour)), []).append(finding)
    return out


def _runs(conn: Connection, run_ids: list[int]) -> dict[int, dict]:
    """run id -> what names its report (report/model.py run_basename): id, job, window."""
    if not run_ids:
        return {}
    query = select(runs.c.id, runs.c.job, runs.c.window_start, runs.c.window_end).where(runs.c.id.in_(run_ids))
    return {r.id: {"id": r.id, "job": r.job, "window": {"start": iso(r.window_start), "end": iso(r.window_end)}}
            for r in conn.execute(query)}


class FindingHistory:
    """`store.findings`: the same read in its own connection."""

    def __init__(self, store):
        self.engine, self.display_url = store.engine, store.display_url

    @store_errors
    def hours(self, dataset: str, start: datetime, end: datetime) -> list[HourFindings]:
        with self.engine.connect() as conn:
            return hour_findings(conn, dataset, start, end)
