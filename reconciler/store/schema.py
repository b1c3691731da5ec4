"""The report store's tables, as SQLAlchemy Core. The Alembic migrations in
`migrations/versions/` build exactly this schema (a test compares them)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.sql.expression import false
from sqlalchemy.types import TypeDecorator

UTC = timezone.utc

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, whatever the engine stores."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to the report store: use aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Document(TypeDecorator):
    """A JSON value. On SQLite it is stored as TEXT: a column declared JSON there has numeric
    affinity, which would turn the document `1.0` into the integer 1."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(Text() if dialect.name == "sqlite" else JSON())

    def process_bind_param(self, value, dialect):
        if dialect.name != "sqlite" or value is None:
            return value
        return json.dumps(value)

    def process_result_value(self, value, dialect):
        if dialect.name != "sqlite" or value is None:
            return value
        return json.loads(value)


def _run_fk() -> ForeignKey:
    return ForeignKey("runs.id", ondelete="CASCADE")


runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(200), nullable=False),
    Column("window_start", UTCDateTime, nullable=False),
    Column("window_end", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("message", Text),
    Column("tool_version", String(64), nullable=False),
    Column("config_fingerprint", String(128), nullable=False),
    Column("source_names", Document, nullable=False),
    Index(None, "started_at"),
    Index(None, "job", "started_at"),
)

compares = Table(
    "compares", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, _run_fk(), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("dataset", String(200), nullable=False),
    Column("window_start", UTCDateTime, nullable=False),
    Column("window_end", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("truncated", Boolean, nullable=False),
    Column("totals", Document, nullable=False),
    Column("hours", Document, nullable=False),
    Column("timings", Document, nullable=False),
    Column("sample_counts", Document, nullable=False),
)

results = Table(
    "results", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, _run_fk(), nullable=False, index=True),
    Column("compare_id", Integer, ForeignKey("compares.id", ondelete="CASCADE")),
    Column("position", Integer, nullable=False),
    Column("check_name", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("observed", Document),
    Column("threshold", Document),
    Column("violations", BigInteger, nullable=False),
    Column("window_start", UTCDateTime),
    Column("window_end", UTCDateTime),
    Column("message", Text),
    Column("details", Document),
    Column("sample_total", Integer, nullable=False),
    # point-in-time checks (rules, table suites, snapshots, queue health): the moment they judged;
    # their window_start/window_end are NULL
    Column("as_of", UTCDateTime, index=True),
)

samples = Table(
    "samples", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, _run_fk(), nullable=False, index=True),
    Column("result_id", Integer, ForeignKey("results.id", ondelete="CASCADE")),
    Column("compare_id", Integer, ForeignKey("compares.id", ondelete="CASCADE")),
    Column("kind", String(40), nullable=False),
    Column("position", Integer, nullable=False),
    Column("row", Document, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False, index=True),
)

# One row per dataset x hour: its current state. run_id is deliberately not a foreign key:
# the ledger outlives pruned runs.
window_ledger = Table(
    "window_ledger", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dataset", String(200), nullable=False),
    Column("hour", UTCDateTime, nullable=False),
    Column("state", String(16), nullable=False),
    Column("verdict", String(16)),
    Column("run_id", Integer),
    Column("old_count", BigInteger),
    Column("new_count", BigInteger),
    Column("drift_pct", Float),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("judged_count", Integer, nullable=False, server_default="0"),
    Column("last_judged_at", UTCDateTime),
    # an error while re-judging leaves the conclusive verdict above in force and is kept here
    Column("last_error", Text),
    Column("last_error_at", UTCDateTime),
    Column("last_error_run_id", Integer),
    UniqueConstraint("dataset", "hour"),
)

# Every judgement ever made of a dataset x hour; a newer one supersedes the older ones.
ledger_verdicts = Table(
    "ledger_verdicts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dataset", String(200), nullable=False),
    Column("hour", UTCDateTime, nullable=False),
    Column("run_id", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("old_count", BigInteger),
    Column("new_count", BigInteger),
    Column("drift_pct", Float),
    Column("judged_at", UTCDateTime, nullable=False),
    Column("superseded", Boolean, nullable=False, server_default=false()),
    Column("superseded_by", Integer),
    Column("verdict", String(16)),        # pass | fail | error | empty
    Column("changed_from", String(16)),   # the conclusive verdict this one replaced, when it differs
    Index(None, "dataset", "hour"),
)

job_watermarks = Table(
    "job_watermarks", metadata,
    Column("job", String(200), primary_key=True),
    Column("hour", UTCDateTime, nullable=False),
    Column("run_id", Integer),
    Column("updated_at", UTCDateTime, nullable=False),
)

window_claims = Table(
    "window_claims", metadata,
    Column("job", String(200), primary_key=True),
    Column("window_start", UTCDateTime, primary_key=True),
    Column("owner", String(200)),
    Column("host", String(200)),
    Column("pid", Integer),
    Column("claimed_at", UTCDateTime),
    Column("expires_at", UTCDateTime),
)

# Slack alerts (reconciler/notify): one row per alert, open until its check passes again.
notify_alerts = Table(
    "notify_alerts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fingerprint", String(600), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("job", String(200), nullable=False),
    Column("check_name", String(200)),
    Column("dataset", String(200)),
    Column("state", String(16), nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("opened_run_id", Integer),
    Column("first_hour", UTCDateTime),
    Column("failed_hours", Document, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("top_key", String(300), nullable=False),
    Column("reminded_at", UTCDateTime),
    Column("resolved_at", UTCDateTime),
    Index(None, "fingerprint", "state"),
)

# Messages to Slack, written in the transaction of the run that caused them, sent in id order.
notify_outbox = Table(
    "notify_outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_key", String(300), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("run_id", Integer),
    Column("alert_id", Integer),
    Column("parent_key", String(300)),
    Column("facts", Document, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("attempted_at", UTCDateTime),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("channel", String(100)),
    Column("ts", String(40)),
    UniqueConstraint("message_key"),
    Index(None, "status", "id"),
    Index(None, "alert_id"),
)

# Whole-history verifications (reconciler verify): one row per verification of a dataset over
# [range_start, range_end); `open_key` is set while it is not complete, so a rerun over the
# same dataset and range finds and resumes it (and two processes starting at once share it).
verifications = Table(
    "verifications", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dataset", String(200), nullable=False),
    Column("range_start", UTCDateTime, nullable=False),
    Column("range_end", UTCDateTime, nullable=False),
    Column("open_key", String(300)),
    Column("status", String(16), nullable=False),       # running | failed | complete
    Column("days", Integer, nullable=False),
    Column("oldest_row", UTCDateTime),                   # on either side, when it was created
    Column("newest_row", UTCDateTime),
    Column("old_read_only_at_start", Boolean),           # NULL: the engine cannot tell
    Column("old_read_only_start_detail", Text),
    Column("old_read_only_at_end", Boolean),
    Column("old_read_only_end_detail", Text),
    Column("old_rows", BigInteger),                      # the old side's rows in the range when its days began
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("totals", Document),                          # compare's totals, once complete
    Column("message", Text),                             # why the last attempt failed
    UniqueConstraint("open_key"),
    Index(None, "dataset", "finished_at"),
)

# One row per day of a verification, written when the day is done: its counts and totals are
# kept, so a resumed verification never redoes it.
verification_days = Table(
    "verification_days", metadata,
    Column("verification_id", Integer, ForeignKey("verifications.id", ondelete="CASCADE"), primary_key=True),
    Column("day", UTCDateTime, primary_key=True),
    Column("equal", Boolean, nullable=False),           # the day's checksums were equal
    Column("old_count", BigInteger, nullable=False),
    Column("new_count", BigInteger, nullable=False),
    Column("totals", Document, nullable=False),
    Column("hours", Document, nullable=False),          # the differing hours with their totals
    Column("samples", Document, nullable=False),
    Column("findings", Document, nullable=False),
    Column("seconds", Float, nullable=False),
    Column("worker", String(200), nullable=False),
    Column("finished_at", UTCDateTime, nullable=False),
)
