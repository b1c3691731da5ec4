"""One replica of the service for test_week.py: `python week_replica.py CONFIG START UNTIL`
walks its own simulated clock from START to UNTIL through the wakes of `schedule`
(week_fixtures.walk -> Service.wake), on the store and sources its environment names.

It prints `ready`, waits for a line on stdin, then per wake `wake TIME JOB` before it and
`judged JOB HOUR|moment` for each window it stored, and `done` at the end (flushed lines:
the test reads them to kill it mid-way)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from week_fixtures import SimulatedClock, walk  # noqa: E402

from reconciler.config import load_config  # noqa: E402
from reconciler.service.scheduler import Service  # noqa: E402
from reconciler.timeutil import iso  # noqa: E402


def main(config: str, start: str, until: str) -> None:
    clock = SimulatedClock(datetime.fromisoformat(start))
    service = Service(load_config(Path(config)), clock=clock)
    tick = service.tick

    def told_tick(job, now, settled_only=False):
        print(f"wake {iso(now)} {job}", flush=True)
        done = tick(job, now, settled_only=settled_only)
        for run in done.report.runs:
            print(f"judged {job} {iso(run.window.start) if run.window else 'moment'}", flush=True)
        return done

    service.tick = told_tick  # what Service.wake calls
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        walk(service, clock, datetime.fromisoformat(until))
    finally:
        service.close()
        service.store.close()
    print("done", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
