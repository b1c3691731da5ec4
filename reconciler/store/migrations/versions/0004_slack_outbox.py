"""Slack alerts and their outbox (reconciler/notify).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
DOCUMENT = sa.JSON().with_variant(sa.Text(), "sqlite")  # TEXT: no numeric affinity on SQLite


def upgrade() -> None:
    op.create_table(
        "notify_alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("fingerprint", sa.String(600), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("job", sa.String(200), nullable=False),
        sa.Column("check_name", sa.String(200)),
        sa.Column("dataset", sa.String(200)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("opened_at", TS, nullable=False),
        sa.Column("opened_run_id", sa.Integer),
        sa.Column("first_hour", TS),
        sa.Column("failed_hours", DOCUMENT, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("top_key", sa.String(300), nullable=False),
        sa.Column("reminded_at", TS),
        sa.Column("resolved_at", TS),
        sa.PrimaryKeyConstraint("id", name="pk_notify_alerts"),
    )
    op.create_index("ix_notify_alerts_fingerprint_state", "notify_alerts", ["fingerprint", "state"])
    op.create_table(
        "notify_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("message_key", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("run_id", sa.Integer),
        sa.Column("alert_id", sa.Integer),
        sa.Column("parent_key", sa.String(300)),
        sa.Column("facts", DOCUMENT, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("attempted_at", TS),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS),
        sa.Column("channel", sa.String(100)),
        sa.Column("ts", sa.String(40)),
        sa.PrimaryKeyConstraint("id", name="pk_notify_outbox"),
        sa.UniqueConstraint("message_key", name="uq_notify_outbox_message_key"),
    )
    op.create_index("ix_notify_outbox_status_id", "notify_outbox", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_notify_outbox_status_id", table_name="notify_outbox")
    op.drop_table("notify_outbox")
    op.drop_index("ix_notify_alerts_fingerprint_state", table_name="notify_alerts")
    op.drop_table("notify_alerts")
