"""Initial report store: runs, compares, results, samples, window ledger, watermarks, claims.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
DOCUMENT = sa.JSON().with_variant(sa.Text(), "sqlite")  # TEXT: no numeric affinity on SQLite


def _run_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=f"fk_{table}_run_id_runs", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job", sa.String(200), nullable=False),
        sa.Column("window_start", TS, nullable=False),
        sa.Column("window_end", TS, nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message", sa.Text),
        sa.Column("tool_version", sa.String(64), nullable=False),
        sa.Column("config_fingerprint", sa.String(128), nullable=False),
        sa.Column("source_names", DOCUMENT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_started_at", "runs", ["started_at"])
    op.create_table(
        "compares",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("window_start", TS, nullable=False),
        sa.Column("window_end", TS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("truncated", sa.Boolean, nullable=False),
        sa.Column("totals", DOCUMENT, nullable=False),
        sa.Column("hours", DOCUMENT, nullable=False),
        sa.Column("timings", DOCUMENT, nullable=False),
        sa.Column("sample_counts", DOCUMENT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_compares"),
        _run_fk("compares"),
    )
    op.create_index("ix_compares_run_id", "compares", ["run_id"])
    op.create_table(
        "results",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("compare_id", sa.Integer),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("check_name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("observed", DOCUMENT),
        sa.Column("threshold", DOCUMENT),
        sa.Column("violations", sa.BigInteger, nullable=False),
        sa.Column("window_start", TS),
        sa.Column("window_end", TS),
        sa.Column("message", sa.Text),
        sa.Column("details", DOCUMENT),
        sa.Column("sample_total", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_results"),
        _run_fk("results"),
        sa.ForeignKeyConstraint(["compare_id"], ["compares.id"], name="fk_results_compare_id_compares",
                                ondelete="CASCADE"),
    )
    op.create_index("ix_results_run_id", "results", ["run_id"])
    op.create_table(
        "samples",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("result_id", sa.Integer),
        sa.Column("compare_id", sa.Integer),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("row", DOCUMENT, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_samples"),
        _run_fk("samples"),
        sa.ForeignKeyConstraint(["result_id"], ["results.id"], name="fk_samples_result_id_results",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["compare_id"], ["compares.id"], name="fk_samples_compare_id_compares",
                                ondelete="CASCADE"),
    )
    op.create_index("ix_samples_run_id", "samples", ["run_id"])
    op.create_index("ix_samples_recorded_at", "samples", ["recorded_at"])
    op.create_table(
        "window_ledger",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("hour", TS, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("verdict", sa.String(16)),
        sa.Column("run_id", sa.Integer),
        sa.Column("old_count", sa.BigInteger),
        sa.Column("new_count", sa.BigInteger),
        sa.Column("drift_pct", sa.Float),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_window_ledger"),
        sa.UniqueConstraint("dataset", "hour", name="uq_window_ledger_dataset_hour"),
    )
    op.create_table(
        "ledger_verdicts",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("hour", TS, nullable=False),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("old_count", sa.BigInteger),
        sa.Column("new_count", sa.BigInteger),
        sa.Column("drift_pct", sa.Float),
        sa.Column("judged_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_verdicts"),
    )
    op.create_index("ix_ledger_verdicts_dataset_hour", "ledger_verdicts", ["dataset", "hour"])
    op.create_table(
        "job_watermarks",
        sa.Column("job", sa.String(200), nullable=False),
        sa.Column("hour", TS, nullable=False),
        sa.Column("run_id", sa.Integer),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("job", name="pk_job_watermarks"),
    )
    op.create_table(
        "window_claims",
        sa.Column("job", sa.String(200), nullable=False),
        sa.Column("window_start", TS, nullable=False),
        sa.Column("owner", sa.String(200)),
        sa.Column("host", sa.String(200)),
        sa.Column("pid", sa.Integer),
        sa.Column("claimed_at", TS),
        sa.Column("expires_at", TS),
        sa.PrimaryKeyConstraint("job", "window_start", name="pk_window_claims"),
    )


def downgrade() -> None:
    for table in ("window_claims", "job_watermarks", "ledger_verdicts", "window_ledger", "samples", "results",
                  "compares", "runs"):
        op.drop_table(table)
