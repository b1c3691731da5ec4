"""Helpers of the verify tests: five days of device events, PostgreSQL (legacy schema) as
the old side and a TimescaleDB hypertable as the new one, with differences planted in two
days whose exact totals are known; a schedule.yaml per test with its own report store."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa
from rowdiff_fixtures import events, load_events, new_table, old_table, schedule

UTC = timezone.utc
START = datetime(2026, 11, 20, tzinfo=UTC)
DAYS = 5
RATE = 0.02   # events per second: about 1 728 a day
MISSING_DAY, CHANGED_DAY = 1, 3  # day indexes with planted differences
ROOT = Path(__file__).resolve().parent.parent


def planted_history(old_url: str, new_url: str, old_name: str = "legacy_events",
                    new_name: str = "device_events") -> dict:
    """Load the history; return the exact totals a verification must report."""
    history = events(START, DAYS * 24, RATE, seed=23)
    old = [dict(e) for e in history]
    day_of = {e["id"]: int((e["time"] - START) / timedelta(days=1)) for e in history}
    missing = [e["id"] for e in history if day_of[e["id"]] == MISSING_DAY][10:13]
    changed = [e["id"] for e in history if day_of[e["id"]] == CHANGED_DAY and e["value"] is not None][5:7]
    new = [dict(e) for e in history if e["id"] not in missing]
    for e in new:
        if e["id"] in changed:
            e["value"] = e["value"] + 1.5
    extra = {"id": 10_000_000, "device_id": "dev-0001", "event_type": "heartbeat", "value": None,
             "time": START + timedelta(days=CHANGED_DAY, hours=20, milliseconds=7)}
    new.append(extra)
    load_events(old_url, old_table(old_name), old)
    load_events(new_url, new_table(new_name), new, kind="timescaledb")
    n = len(old)
    return {"old": n, "new": n - 3 + 1, "matched": n - 3 - 2, "mismatched": 2, "missing_in_new": 3,
            "extra_in_new": 1, "duplicates_old": 0, "duplicates_new": 0, "unverified": 0,
            "missing": missing, "changed": changed, "extra": [extra["id"]]}


def verify_schedule(directory: Path, old_url: str, new_url: str, store_url: str, **options) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = schedule(directory, old_url, new_url, old_table=options.pop("old_table", "legacy_events"),
                    new_table=options.pop("new_table", "device_events"), suite=False, **options)
    path.write_text(path.read_text() + f"report_store: {{url: \"{store_url}\"}}\n")
    return path


def cli_command(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "reconciler", "--config", str(config), "verify", "device_events", *args]


def only_counts(totals: dict) -> dict:
    return {k: totals[k] for k in ("old", "new", "matched", "mismatched", "missing_in_new", "extra_in_new",
                                   "duplicates_old", "duplicates_new", "unverified")}


def table_exists(url: str, name: str) -> bool:
    engine = sa.create_engine(url)
    try:
        return sa.inspect(engine).has_table(name)
    finally:
        engine.dispose()
