"""Whole-history verifications in the report store: open (or resume) one per dataset and
range, record each finished day in its own transaction, mark the whole complete. The
claims that share days between workers and replicas are store.claim's (claims.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from reconciler.store.engine import store_errors, writer
from reconciler.store.ledger import insert_ignoring_duplicates
from reconciler.store.schema import verification_days, verifications, window_claims
from reconciler.timeutil import iso

RUNNING, FAILED, COMPLETE = "running", "failed", "complete"


@dataclass(frozen=True)
class Opening:
    """What a verification knows when it starts: its range, its days, the rows it covers and
    whether the old side was read-only then (read_only_state(): ReadOnlyState)."""

    dataset: str
    start: datetime
    end: datetime
    days: int
    oldest_row: datetime | None
    newest_row: datetime | None
    old_read_only: object
    old_rows: int | None = None  # the old side's rows in the range now


@dataclass(frozen=True)
class Opened:
    id: int
    resumed: bool                     # an unfinished verification of the same range goes on
    restarted_from: int | None = None  # it had counted this many old rows: its days are verified again


def claim_job(verification_id: int) -> str:
    """The claims job under which the days of one verification are shared."""
    return f"verify:{verification_id}"


def _open_key(dataset: str, start: datetime, end: datetime) -> str:
    return f"{dataset}|{iso(start)}|{iso(end)}"


class Verifications:
    def __init__(self, store):
        self.store = store

    @property
    def display_url(self) -> str:
        return self.store.display_url

    @store_errors
    def open(self, opening: Opening, now: datetime) -> Opened:
        """The verification of this dataset and range that is not complete yet, or a new one.
        Two callers at once get the same id (the open key is unique). A resumed one whose old
        side now holds another number of rows in the range starts its days over (the history
        changed between its attempts), and one whose old side is not read-only now cannot keep
        a read-only start."""
        key = _open_key(opening.dataset, opening.start, opening.end)
        state = opening.old_read_only
        restarted = None
        with writer(self.store.engine).begin() as conn:
            found = conn.execute(select(verifications.c.id, verifications.c.old_rows,
                                        verifications.c.old_read_only_at_start)
                                 .where(verifications.c.open_key == key)).first()
            if found is None:
                insert_ignoring_duplicates(conn, verifications, {
                    "dataset": opening.dataset, "range_start": opening.start, "range_end": opening.end,
                    "open_key": key, "status": RUNNING, "days": opening.days, "oldest_row": opening.oldest_row,
                    "newest_row": opening.newest_row, "old_read_only_at_start": state.read_only,
                    "old_read_only_start_detail": state.detail, "old_rows": opening.old_rows,
                    "created_at": now, "updated_at": now},
                    ["open_key"])
            vid = conn.execute(select(verifications.c.id).where(verifications.c.open_key == key)).scalar_one()
            values = {"status": RUNNING, "updated_at": now, "message": None}
            if found is not None and None not in (found.old_rows, opening.old_rows) \
                    and found.old_rows != opening.old_rows:
                restarted = found.old_rows
                conn.execute(delete(verification_days).where(verification_days.c.verification_id == vid))
                values |= {"old_rows": opening.old_rows, "oldest_row": opening.oldest_row,
                           "newest_row": opening.newest_row, "old_read_only_at_start": state.read_only,
                           "old_read_only_start_detail": state.detail}
            elif found is not None and state.read_only is not True and found.old_read_only_at_start is not False:
                values |= {"old_read_only_at_start": state.read_only,
                           "old_read_only_start_detail": f"{state.detail} (when it was resumed)"}
            conn.execute(update(verifications).where(verifications.c.id == vid).values(**values))
        return Opened(vid, found is not None, restarted)

    @store_errors
    def done_days(self, verification_id: int) -> set[datetime]:
        with self.store.engine.connect() as conn:
            return set(conn.execute(select(verification_days.c.day)
                                    .where(verification_days.c.verification_id == verification_id)).scalars())

    @store_errors
    def is_done(self, verification_id: int, day: datetime) -> bool:
        with self.store.engine.connect() as conn:
            return conn.execute(select(verification_days.c.day).where(
                verification_days.c.verification_id == verification_id, verification_days.c.day == day)).first() \
                is not None

    @store_errors
    def record_day(self, verification_id: int, row: dict) -> None:
        """One finished day, in one transaction; a day already recorded (by another worker
        that also finished it) keeps its first record."""
        with writer(self.store.engine).begin() as conn:
            insert_ignoring_duplicates(conn, verification_days, {"verification_id": verification_id, **row},
                                       ["verification_id", "day"])

    @store_errors
    def days(self, verification_id: int) -> list[dict]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(verification_days).where(verification_days.c.verification_id == verification_id)
                                .order_by(verification_days.c.day))
            return [dict(r._mapping) for r in rows]

    @store_errors
    def fail(self, verification_id: int, message: str, now: datetime) -> None:
        """The attempt stopped: recorded as failed, still open, so a rerun resumes it."""
        with writer(self.store.engine).begin() as conn:
            conn.execute(update(verifications).where(verifications.c.id == verification_id,
                                                     verifications.c.status != COMPLETE)
                         .values(status=FAILED, message=message, updated_at=now))

    @store_errors
    def complete(self, verification_id: int, totals: dict, old_read_only, now: datetime) -> bool:
        """Mark it complete with its totals and the old side's state at the end; False when
        another process completed it first (its record stands)."""
        with writer(self.store.engine).begin() as conn:
            done = conn.execute(update(verifications).where(verifications.c.id == verification_id,
                                                            verifications.c.status != COMPLETE)
                                .values(status=COMPLETE, open_key=None, totals=totals, finished_at=now,
                                        updated_at=now, message=None,
                                        old_read_only_at_end=old_read_only.read_only,
                                        old_read_only_end_detail=old_read_only.detail)).rowcount
            conn.execute(delete(window_claims).where(window_claims.c.job == claim_job(verification_id)))
        return bool(done)

    @store_errors
    def get(self, verification_id: int) -> dict | None:
        with self.store.engine.connect() as conn:
            row = conn.execute(select(verifications).where(verifications.c.id == verification_id)).first()
            return dict(row._mapping) if row is not None else None

    @store_errors
    def latest_complete(self, datasets, until: datetime) -> dict[str, dict]:
        """dataset -> its complete verification that finished last, at `until` or before (the
        gate's evidence)."""
        out: dict[str, dict] = {}
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(verifications).where(verifications.c.dataset.in_(list(datasets)),
                                                            verifications.c.status == COMPLETE,
                                                            verifications.c.finished_at <= until)
                                .order_by(verifications.c.finished_at, verifications.c.id))
            for row in rows:
                out[row.dataset] = dict(row._mapping)
        return out
