"""Ledger judgement counts and superseded verdicts; index runs by job.

Backfills judged_count from the verdict history and marks every verdict but the
latest of each dataset x hour as superseded.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("window_ledger") as batch:
        batch.add_column(sa.Column("judged_count", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_judged_at", sa.DateTime(timezone=True)))
    with op.batch_alter_table("ledger_verdicts") as batch:
        batch.add_column(sa.Column("superseded", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("superseded_by", sa.Integer))
    op.create_index("ix_runs_job_started_at", "runs", ["job", "started_at"])
    _backfill()


def _backfill() -> None:
    op.execute(
        "UPDATE window_ledger SET"
        " judged_count = (SELECT COUNT(*) FROM ledger_verdicts v"
        "   WHERE v.dataset = window_ledger.dataset AND v.hour = window_ledger.hour),"
        " last_judged_at = (SELECT MAX(v.judged_at) FROM ledger_verdicts v"
        "   WHERE v.dataset = window_ledger.dataset AND v.hour = window_ledger.hour)"
    )
    latest = ("(SELECT MAX(l.id) FROM ledger_verdicts l"
              " WHERE l.dataset = ledger_verdicts.dataset AND l.hour = ledger_verdicts.hour)")
    op.execute(sa.text(
        "UPDATE ledger_verdicts SET superseded = :yes,"
        f" superseded_by = (SELECT r.run_id FROM ledger_verdicts r WHERE r.id = {latest})"
        f" WHERE id < {latest}"
    ).bindparams(sa.bindparam("yes", True, sa.Boolean)))


def downgrade() -> None:
    op.drop_index("ix_runs_job_started_at", table_name="runs")
    with op.batch_alter_table("ledger_verdicts") as batch:
        batch.drop_column("superseded_by")
        batch.drop_column("superseded")
    with op.batch_alter_table("window_ledger") as batch:
        batch.drop_column("last_judged_at")
        batch.drop_column("judged_count")
