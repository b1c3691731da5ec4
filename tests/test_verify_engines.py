"""verify on the old engines the migration may start from (MariaDB, PostgreSQL storing naive
local time across a DST change, SQLite) against a TimescaleDB hypertable: the same totals
as compare over the same days, exactly."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from rowdiff_fixtures import events, load_events, new_table, old_table, server_url
from verify_fixtures import only_counts, verify_schedule

from reconciler.checks.judgement import compare_dataset
from reconciler.config import load_config
from reconciler.store import ReportStore
from reconciler.timeutil import Window
from reconciler.verify import VerifyRequest, verify_dataset

UTC = timezone.utc
START = datetime(2026, 10, 31, tzinfo=UTC)  # America/New_York falls back on 2026-11-01 at 06:00Z
DAYS = 3


@pytest.mark.parametrize("old_kind, zone", [("mariadb", "UTC"), ("postgresql", "America/New_York"),
                                            ("sqlite", "UTC")])
def test_totals_equal_compare_over_the_same_days(request, tmp_path, old_kind, zone):
    old_url = server_url(request, old_kind, f"verify_eng_old_{old_kind}")
    new_url = server_url(request, "timescaledb", f"verify_eng_new_{old_kind}")
    history = events(START, DAYS * 24, 0.02, seed=31)
    dropped = {history[100]["id"], history[2000]["id"]}   # day 0 and day 1 (about 1 728 a day)
    new = [dict(e) for e in history if e["id"] not in dropped]
    changed = next(e for e in new if e["value"] is not None and e["time"] > START + timedelta(days=1, hours=5, minutes=30))
    changed["value"] += 1.5
    load_events(old_url, old_table("legacy_events"), history, zone=None if zone == "UTC" else zone)
    load_events(new_url, new_table("device_events"), new, kind="timescaledb")
    path = verify_schedule(tmp_path, old_url, new_url, f"sqlite:///{tmp_path}/store.db", old_timezone=zone)

    loaded = load_config(path)
    store = ReportStore(loaded.config.report_store.url)
    store.upgrade()
    try:
        report = verify_dataset(loaded, store, VerifyRequest("device_events"))
    finally:
        store.close()
    doc = report.to_dict()
    assert doc["range"] == {"start": "2026-10-31T00:00:00Z", "end": "2026-11-03T00:00:00Z"}
    n = len(history)
    # naive local time cannot tell the two passes of the repeated hour apart: the pair of
    # UTC hours is compared as one (docs/comparison.md), so its rows match, as compare's do
    assert only_counts(doc["totals"]) == {"old": n, "new": n - 2, "matched": n - 3, "mismatched": 1,
                                          "missing_in_new": 2, "extra_in_new": 0, "duplicates_old": 0,
                                          "duplicates_new": 0, "unverified": 0}
    assert sorted(s["key"]["event_id"] for s in doc["samples"]["missing_in_new"]) == sorted(dropped)
    assert changed["id"] in [s["key"]["event_id"] for s in doc["samples"]["mismatched"]]
    compared = compare_dataset(loaded, "device_events", Window(START, START + timedelta(days=DAYS)), rows=True)
    assert only_counts({**compared.totals, "unverified": compared.totals.get("unverified", 0)}) == \
        only_counts(doc["totals"])
