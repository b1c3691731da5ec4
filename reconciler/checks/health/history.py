"""The previous stored result of a check, for what compares one run with the last: queue
growth, and the Prometheus histogram as scraped last time. A store that cannot be read
(none yet, not upgraded) simply has no previous result."""

from __future__ import annotations

from sqlalchemy import select

from reconciler.errors import ReconcilerError


def previous_result(loaded, check_name: str) -> dict | None:
    """{"run_id", "observed", "details", "started_at"} of the newest stored result named `check_name`."""
    from reconciler.store import open_report_store
    from reconciler.store.schema import results, runs

    try:
        store = open_report_store(loaded)
    except ReconcilerError:
        return None
    try:
        query = (select(results.c.run_id, results.c.observed, results.c.details, runs.c.started_at)
                 .join(runs, runs.c.id == results.c.run_id)
                 .where(results.c.check_name == check_name, results.c.compare_id.is_(None))
                 .order_by(runs.c.id.desc()).limit(1))
        with store.engine.connect() as conn:
            row = conn.execute(query).first()
    except Exception:  # noqa: BLE001 - an unreadable history only loses the comparison with last time
        return None
    finally:
        store.close()
    return dict(row._mapping) if row is not None else None
