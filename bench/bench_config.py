"""The schedule.yaml both benchmarks write: the bench databases, reference schema on both
sides, the device_events dataset with its counts and rows checks."""

from __future__ import annotations

from pathlib import Path

SCHEDULE = """\
# Written by bench/{writer}, reference schema on both sides.
sources:
  old: {{url: "postgresql+psycopg://{user}@{host}:{port}/{old_db}"}}
  new: {{url: "postgresql+psycopg://{user}@{host}:{port}/{new_db}"}}
datasets:
  device_events:
    old: {{source: old, table: device_events, time: time, key: [event_id]}}
    new: {{source: new, table: device_events, time: time, key: [event_id]}}
    columns:
      device_id: {{}}
      event_type: {{}}
      value: {{tolerance: 0.000001}}
    time_precision: ms
{diff}checks:
  event_counts: {{type: counts, dataset: device_events{suite}}}
  event_rows:   {{type: rows,   dataset: device_events{suite}}}
report_store: {{url: "sqlite:///{out}/reconciler.db"}}
"""


def parse_dsn(dsn: str) -> dict:
    return dict(part.split("=", 1) for part in dsn.split())


def schedule_text(writer: str, dsn: str, old_db: str, new_db: str, out: Path, suite: bool = True,
                  diff: str = "") -> str:
    """`writer` names the script (and scenario) in the header comment; `diff` is the body of
    the dataset's `diff:` mapping, or empty for none; suite=False leaves the checks without
    a suite, so a compare never imports Great Expectations."""
    d = parse_dsn(dsn)
    return SCHEDULE.format(writer=writer, user=d.get("user", "postgres"), host=d.get("host", "127.0.0.1"),
                           port=d.get("port", "5432"), old_db=old_db, new_db=new_db, out=out,
                           diff=f"    diff: {{{diff}}}\n" if diff else "",
                           suite=", suite: device_events" if suite else "")
