"""The resolved alert's "Worst hour" is the hour of its stretch with the largest drift, not the
stretch's first hour."""

from __future__ import annotations

from notify_helpers import HOUR, T0, make_store, record
from sqlalchemy import insert

from reconciler.notify.blocks import Links, render
from reconciler.notify.i18n import Texts
from reconciler.store.schema import window_ledger


def _drifted(store, hour, drift):
    with store.engine.begin() as conn:
        conn.execute(insert(window_ledger).values(dataset="device_events", hour=hour, state="drifted", verdict="fail",
                                                  drift_pct=drift, updated_at=hour + 2 * HOUR, judged_count=1))


def test_the_resolved_message_names_the_stretchs_worst_hour(tmp_path):
    store = make_store(tmp_path)
    for i, drift in enumerate([-0.2, -3.5, 1.1]):
        _drifted(store, T0 + i * HOUR, drift)
        record(store, "fail", T0 + i * HOUR)
    record(store, "pass", T0 + 3 * HOUR)
    resolved = next(r for r in store.outbox.pending() if r["kind"] == "resolved")
    assert (resolved["facts"]["first_hour"], resolved["facts"]["worst_hour"]) == (
        "2026-11-27T10:00:00Z", "2026-11-27T11:00:00Z")
    fields = [f["text"] for b in render("resolved", resolved["facts"], Texts("en"), Links())["blocks"]
              for f in b.get("fields") or []]
    assert fields[0] == "*Worst hour*\n2026-11-27T11:00:00Z"
    store.close()


def test_without_a_drift_the_worst_hour_is_the_one_first_told(tmp_path):
    store = make_store(tmp_path)
    record(store, "fail", T0)
    record(store, "fail", T0 + HOUR)
    record(store, "pass", T0 + 2 * HOUR)
    resolved = next(r for r in store.outbox.pending() if r["kind"] == "resolved")
    assert resolved["facts"]["worst_hour"] == "2026-11-27T10:00:00Z"
    store.close()
