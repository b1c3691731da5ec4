"""The Slack outbox by alert: an alert's follow-ups and recovery look up its latest message.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_notify_outbox_alert_id", "notify_outbox", ["alert_id"])


def downgrade() -> None:
    op.drop_index("ix_notify_outbox_alert_id", table_name="notify_outbox")
