"""Ledger semantics: errors recorded beside the verdict in force, verdicts as pass | fail |
error | empty with the change a recheck made, and point-in-time results stamped `as_of`.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("window_ledger") as batch:
        batch.add_column(sa.Column("last_error", sa.Text))
        batch.add_column(sa.Column("last_error_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("last_error_run_id", sa.Integer))
    with op.batch_alter_table("ledger_verdicts") as batch:
        batch.add_column(sa.Column("verdict", sa.String(16)))
        batch.add_column(sa.Column("changed_from", sa.String(16)))
    with op.batch_alter_table("results") as batch:
        batch.add_column(sa.Column("as_of", sa.DateTime(timezone=True)))
    op.create_index("ix_results_as_of", "results", ["as_of"])
    op.execute("UPDATE ledger_verdicts SET verdict = CASE state WHEN 'verified' THEN 'pass'"
               " WHEN 'drifted' THEN 'fail' WHEN 'error' THEN 'error' WHEN 'empty' THEN 'empty' END")


def downgrade() -> None:
    op.drop_index("ix_results_as_of", table_name="results")
    with op.batch_alter_table("results") as batch:
        batch.drop_column("as_of")
    with op.batch_alter_table("ledger_verdicts") as batch:
        batch.drop_column("changed_from")
        batch.drop_column("verdict")
    with op.batch_alter_table("window_ledger") as batch:
        batch.drop_column("last_error_run_id")
        batch.drop_column("last_error_at")
        batch.drop_column("last_error")
