"""Whole-history verifications and their days (reconciler verify).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
DOCUMENT = sa.JSON().with_variant(sa.Text(), "sqlite")  # TEXT: no numeric affinity on SQLite


def upgrade() -> None:
    op.create_table(
        "verifications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("range_start", TS, nullable=False),
        sa.Column("range_end", TS, nullable=False),
        sa.Column("open_key", sa.String(300)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("days", sa.Integer, nullable=False),
        sa.Column("oldest_row", TS),
        sa.Column("newest_row", TS),
        sa.Column("old_read_only_at_start", sa.Boolean),
        sa.Column("old_read_only_start_detail", sa.Text),
        sa.Column("old_read_only_at_end", sa.Boolean),
        sa.Column("old_read_only_end_detail", sa.Text),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("finished_at", TS),
        sa.Column("totals", DOCUMENT),
        sa.Column("message", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_verifications"),
        sa.UniqueConstraint("open_key", name="uq_verifications_open_key"),
    )
    op.create_index("ix_verifications_dataset_finished_at", "verifications", ["dataset", "finished_at"])
    op.create_table(
        "verification_days",
        sa.Column("verification_id", sa.Integer, nullable=False),
        sa.Column("day", TS, nullable=False),
        sa.Column("equal", sa.Boolean, nullable=False),
        sa.Column("old_count", sa.BigInteger, nullable=False),
        sa.Column("new_count", sa.BigInteger, nullable=False),
        sa.Column("totals", DOCUMENT, nullable=False),
        sa.Column("hours", DOCUMENT, nullable=False),
        sa.Column("samples", DOCUMENT, nullable=False),
        sa.Column("findings", DOCUMENT, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("worker", sa.String(200), nullable=False),
        sa.Column("finished_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("verification_id", "day", name="pk_verification_days"),
        sa.ForeignKeyConstraint(["verification_id"], ["verifications.id"], ondelete="CASCADE",
                                name="fk_verification_days_verification_id_verifications"),
    )


def downgrade() -> None:
    op.drop_table("verification_days")
    op.drop_index("ix_verifications_dataset_finished_at", table_name="verifications")
    op.drop_table("verifications")
