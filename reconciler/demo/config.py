"""The demo's own configuration, written next to its SQLite pair under `demo --out`.

It holds no ${VAR}: the demo compares its own pair whatever the environment says, and never
reads the shipped schedule.yaml (a production template whose database URLs must be set).
The suites and rules it names are copied beside it, so the folder is a complete project:
`reconciler compare --config OUT/schedule.yaml` works from anywhere."""

from __future__ import annotations

import shutil
from pathlib import Path

from reconciler.errors import UsageError

DEMO_CONFIG = """\
# Written by `reconciler demo`: the demo's own configuration, beside its SQLite pair.
# No environment variable is read here: the demo always compares old.db with new.db.
# Relative paths (databases, suites in expectations/, rules in checks/) are taken from
# this file's folder.
sources:
  old: {{url: "sqlite:///old.db"}}
  new: {{url: "sqlite:///new.db"}}

datasets:
  device_events:
    old: {{source: old, table: legacy_events, time: ts, timezone: {zone}, key: [id]}}
    new: {{source: new, table: device_events, time: time, key: [event_id]}}
    columns:
      device_id: {{old: device}}
      event_type: {{old: kind}}
      value: {{old: reading, tolerance: 0.000001}}
    time_precision: ms

  bookings:
    snapshot: true
    old: {{source: old, table: bookings, time: check_out, key: [id],
          filter: "status IN ('pending', 'confirmed', 'in-progress') OR check_out >= :today"}}
    new: {{source: new, table: bookings, time: check_out, key: [id],
          filter: "status IN ('pending', 'confirmed', 'in-progress') OR check_out >= :today"}}
    columns: {{property_id: , guest_id: , status: , check_in: }}
    summary_by: status
    summary_distinct: guest_id

checks:
  event_counts: {{type: counts, dataset: device_events, suite: device_events}}
  event_rows:   {{type: rows,   dataset: device_events, suite: device_events}}
  bookings:          {{type: sql,   source: both, rules: checks/bookings}}
  bookings_suite:    {{type: suite, source: new, suite: bookings, table: bookings}}
  bookings_migrated: {{type: rows,  dataset: bookings}}

jobs:
  hourly-shadow: {{cron: "5 * * * *", checks: [event_counts, event_rows], window: previous_hour, settle: 10m}}
  hourly-bookings: {{cron: "0 * * * *", checks: [bookings, bookings_suite, bookings_migrated], window: previous_hour, settle: 0m, recheck_hours: 0}}

report_store: {{url: "sqlite:///reconciler.db", directory: .}}
"""

# The repository's expectations/ and checks/, shipped inside the package (reconciler/shipped/
# holds links to them in a checkout, the files themselves in a wheel or an image).
SHIPPED = Path(__file__).resolve().parents[1] / "shipped"
SUITES = ("device_events", "bookings")
RULES = "checks/bookings"


def copy_suites_and_rules(out: Path, project_root: Path = SHIPPED, overwrite: bool = True) -> list[Path]:
    """The shipped suites and booking rules copied under `out` (expectations/, checks/bookings/);
    returns what was written. `overwrite=False` keeps files that are already there."""
    suites = [project_root / "expectations" / f"{name}.json" for name in SUITES]
    rules = project_root / RULES
    missing = [str(p) for p in (*suites, rules) if not p.exists()]
    if missing:
        raise UsageError(f"the shipped suites and rules are needed, and {', '.join(missing)} is missing: "
                         "reinstall the package (its reconciler/shipped/ folder is incomplete)")
    written = []
    sources = [(s, out / "expectations" / s.name) for s in suites]
    sources += [(r, out / RULES / r.name) for r in sorted(rules.glob("*.sql"))]
    if overwrite:
        shutil.rmtree(out / RULES, ignore_errors=True)
    for source, target in sources:
        if target.exists() and not overwrite:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
        written.append(target)
    return written


def write_demo_config(out: Path, zone: str, project_root: Path = SHIPPED) -> Path:
    """OUT/schedule.yaml plus the suites and rules it names; returns the config's path."""
    copy_suites_and_rules(out, project_root)
    path = out / "schedule.yaml"
    path.write_text(DEMO_CONFIG.format(zone=zone))
    return path
