"""A verification from start to end: its range (by default the whole history, in whole UTC
days), its record in the store (a new one, or the unfinished one of the same dataset and
range), the days shared between this process's workers and any other process through the
store's claims, the old side's read-only state at the start and at the end, and the report."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Callable

import sqlalchemy as sa

from reconciler.compare.sides import connected_sides
from reconciler.errors import UsageError
from reconciler.sources.connection import opened_sources
from reconciler.sources.relation import filter_clause
from reconciler.store.claims import default_owner
from reconciler.store.verifications import Opening, claim_job
from reconciler.timeutil import Window, iso
from reconciler.verify.day import DayVerifier
from reconciler.verify.days import DAY, ceil_day, day_range, floor_day, sum_totals
from reconciler.verify.report import VerifyReport, build_report

UTC = timezone.utc
log = logging.getLogger(__name__)
MAX_WORKERS = 8  # each holds a claim connection to the store while it reads a day: within its pool
POLL_SECONDS = 0.5  # how often a process waits for days another process holds


@dataclass(frozen=True)
class VerifyRequest:
    dataset: str
    since: datetime | None = None   # default: the oldest row on either side
    until: datetime | None = None   # default: just after the newest row on either side
    workers: int = 1


class _Silent:
    def start(self, **_):
        pass

    def day(self, *_):
        pass

    def waiting(self, *_):
        pass

    def finish(self, *_):
        pass


def verify_dataset(loaded, store, request: VerifyRequest, *, progress=None, now: datetime | None = None,
                   before_day: Callable[[datetime], None] | None = None) -> VerifyReport:
    """Verify a dataset's history. `before_day(day)` is called once a day is claimed, before
    it is read (the tests kill the process there)."""
    if not 1 <= request.workers <= MAX_WORKERS:
        raise UsageError(f"--workers must be between 1 and {MAX_WORKERS}, not {request.workers}")
    if loaded.config.datasets[request.dataset].snapshot:
        raise UsageError(f"{loaded.where('datasets', request.dataset, 'snapshot')}: {request.dataset} is a snapshot "
                         "(its filter selects what is current), not a history: `reconciler compare "
                         f"{request.dataset}` checks it; verify reads a time-ordered history day by day")
    progress = progress or _Silent()
    now = now or datetime.now(UTC)
    started = time.monotonic()
    loaded.require_sources(loaded.dataset_sources(request.dataset))
    with opened_sources(loaded) as sources:
        with connected_sides(loaded, request.dataset, sources, now) as pair:
            oldest, newest = history_bounds(pair)
            read_only_at_start = _old_read_only(pair)
            start, end = verification_range(request, oldest, newest)
            old_rows = _old_rows(pair, Window(start, end))
        days = day_range(start, end)
        opening = Opening(request.dataset, start, end, len(days), oldest, newest, read_only_at_start, old_rows)
        opened = store.verifications.open(opening, now)
        vid, resumed = opened.id, opened.resumed
        if opened.restarted_from is not None:
            log.warning("verification %s: the old side held %s rows in its range when it began and holds %s now: "
                        "the history changed between attempts, so its days are verified again", vid,
                        opened.restarted_from, old_rows)
        try:
            done_before = store.verifications.done_days(vid)
            progress.start(verification=vid, dataset=request.dataset, start=start, end=end, days=len(days),
                           done=len(done_before & set(days)), resumed=resumed)
            _share_days(loaded, store, request, sources, vid, [d for d in days if d not in done_before], progress,
                        now, before_day)
            with connected_sides(loaded, request.dataset, sources, now) as pair:
                read_only_at_end = _old_read_only(pair)
            day_rows = store.verifications.days(vid)
            store.verifications.complete(vid, sum_totals(r["totals"] for r in day_rows), read_only_at_end,
                                         datetime.now(UTC))
        except BaseException as e:
            try:
                store.verifications.fail(vid, f"{type(e).__name__}: {e}" if str(e) else type(e).__name__,
                                         datetime.now(UTC))
            except Exception:  # the store is what failed: the original error says so
                log.warning("verification %s could not be marked failed in the report store", vid)
            raise
    report = build_report(store.verifications.get(vid), store.verifications.days(vid),
                          resumed_days=len(done_before), seconds=time.monotonic() - started,
                          sample_limit=loaded.config.datasets[request.dataset].diff.sample_limit)
    progress.finish(report)
    return report


def verification_range(request: VerifyRequest, oldest: datetime | None, newest: datetime | None):
    """[start, end) in whole UTC days: --since/--until rounded out, or the rows' own span."""
    if request.since is None and oldest is None or request.until is None and newest is None:
        raise UsageError(f"dataset {request.dataset!r} holds no rows on either side: give --since and --until "
                         "to verify an empty range")
    start = floor_day(request.since or oldest)
    end = ceil_day(request.until) if request.until else floor_day(newest) + DAY
    if end <= start:
        raise UsageError(f"bad range: --until {iso(end)} is not after --since {iso(start)}")
    return start, end


def history_bounds(pair) -> tuple[datetime | None, datetime | None]:
    """The oldest and the newest row on either side (an index on the time column answers)."""
    found = []
    for name, side in pair.sides.items():
        stmt = sa.select(sa.func.min(side.rel.time), sa.func.max(side.rel.time))
        if side.rel.side.filter:
            stmt = stmt.where(filter_clause(side.rel.side.filter, side.rel.now))
        low, high = pair.conns[name].execute(stmt).one()
        found += [(_instant(side.axis, low), _instant(side.axis, high))] if low is not None else []
    if not found:
        return None, None
    return min(low for low, _ in found), max(high for _, high in found)


def _instant(axis, value) -> datetime:
    """A time column's value as aware UTC, whatever way the side stores time."""
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return axis.to_utc(value)


def _old_rows(pair, window: Window) -> int:
    """The old side's rows in the range: what a resumed verification compares with what it
    began with."""
    side = pair.sides["old"]
    stmt = sa.select(sa.func.count()).select_from(side.rel.relation).where(*side.rel.where(side.axis, window))
    return int(pair.conns["old"].execute(stmt).scalar() or 0)


def _old_read_only(pair):
    side = pair.sides["old"]
    return side.source.dialect.read_only_state(pair.conns["old"])


def _share_days(loaded, store, request, sources, vid: int, pending: list[datetime], progress, now,
                before_day) -> None:
    """Work the pending days with request.workers threads, each on its own connections; days
    another process holds are waited for (and taken over if it dies) until every day is done."""
    owner = default_owner()
    while pending:
        queue, deferred, lock, stop = deque(pending), [], threading.Lock(), threading.Event()

        def take():
            with lock:
                return queue.popleft() if queue and not stop.is_set() else None

        def work(index: int):
            try:
                with connected_sides(loaded, request.dataset, sources, now) as pair:
                    verifier = DayVerifier(loaded.config.datasets[request.dataset], pair,
                                           worker=f"{owner}/{index}", now=now)
                    try:
                        while (day := take()) is not None:
                            if not _verify_one(store, vid, day, verifier, progress, before_day, f"{owner}/{index}"):
                                with lock:
                                    deferred.append(day)
                    finally:
                        verifier.close()
            except BaseException:
                stop.set()
                raise

        workers = min(request.workers, len(pending))
        pool = ThreadPoolExecutor(max_workers=workers)
        try:
            futures = [pool.submit(work, i) for i in range(workers)]
            for f in futures:
                f.result()
        except BaseException:  # a failed worker or Ctrl-C: the others finish their day and stop
            stop.set()
            raise
        finally:
            pool.shutdown(wait=True)
        done = store.verifications.done_days(vid)
        pending = [d for d in pending if d not in done]
        if pending:
            progress.waiting(len(pending))
            time.sleep(POLL_SECONDS)


def _verify_one(store, vid: int, day: datetime, verifier: DayVerifier, progress, before_day, worker: str) -> bool:
    """Verify and record one day unless it is done; False when another process holds it."""
    if store.verifications.is_done(vid, day):
        return True
    with store.claim(claim_job(vid), Window(day, day + DAY), owner=worker) as claimed:
        if not claimed:
            return False
        if store.verifications.is_done(vid, day):  # finished by its holder just before our claim
            return True
        if before_day is not None:
            before_day(day)
        record = verifier.verify(day)
        store.verifications.record_day(vid, record)
    progress.day(record)
    return True
