"""What the benchmark scripts share: the schedule.yaml they write (the bench databases,
reference schema on both sides, the device_events dataset with its counts and rows checks),
the suite copied beside it, UTC times, and a subprocess measured for wall time and peak RSS.

Each script runs as `python bench/SCRIPT.py`, so this folder is first on sys.path and the
`reconciler` package is imported as any user imports it (installed, or on PYTHONPATH)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

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


def copy_suite(directory: Path) -> None:
    """The project's device_events suite into DIRECTORY/expectations/ (suites are looked up
    beside the config file)."""
    (directory / "expectations").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "expectations" / "device_events.json", directory / "expectations" / "device_events.json")


def iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def run_measured(cmd: list[str], env=None) -> tuple[int, float, object, str, str]:
    """Run CMD from the repository root: (exit code, wall seconds, rusage with the peak RSS
    of that process (os.wait4), stdout, stderr)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=ROOT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        out.seek(0)
        err.seek(0)
        return os.waitstatus_to_exitcode(status), wall, usage, out.read().decode(), err.read().decode()
