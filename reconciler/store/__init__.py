"""The report store: runs, results, samples, the window ledger, job watermarks and window
claims, in SQLite or PostgreSQL, with the schema managed by the Alembic migrations here."""

from reconciler.store.engine import redact_url
from reconciler.store.ledger import DRIFTED, LEDGER_STATES, PENDING, SETTLED, VERIFIED, HourJudgement, judgements_of
from reconciler.store.settings import open_report_store, reports_directory, store_url
from reconciler.store.store import DEFAULT_SAMPLE_LIMIT, ReportStore

__all__ = ["ReportStore", "redact_url", "judgements_of", "HourJudgement", "LEDGER_STATES", "PENDING", "SETTLED",
           "VERIFIED", "DRIFTED", "DEFAULT_SAMPLE_LIMIT", "open_report_store", "reports_directory", "store_url"]
