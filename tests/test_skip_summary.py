"""A run that skips the TimescaleDB tests says so on its last line before pytest's totals:
how many were skipped and how to run them (docs/testing.md)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from conftest import timescale_skips

ROOT = Path(__file__).resolve().parent.parent


def test_only_skips_for_want_of_timescaledb_are_counted():
    def skip(reason):
        return SimpleNamespace(longrepr=("conftest.py", 40, f"Skipped: {reason}"))

    reports = [skip("TimescaleDB on 127.0.0.1:5433 is not available: nothing listens on that port"),
               skip("TimescaleDB at postgresql://x is not available: the timescaledb extension is 2.11.0"),
               skip("PostgreSQL on 127.0.0.1:5432 is not available: nothing listens on that port"),
               skip("chromium is not installed")]
    assert timescale_skips(reports) == 2


def test_a_run_without_timescaledb_ends_with_how_many_were_skipped_and_how_to_run_them():
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["RECONCILER_TEST_TIMESCALE_URL"] = "postgresql+psycopg://postgres@127.0.0.1:1/postgres"
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests/test_timescale.py", "tests/test_timeutil.py"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    *_, summary, totals = done.stdout.strip().splitlines()
    skipped = int(re.search(r"(\d+) skipped", totals).group(1))
    assert skipped == 9  # every test of test_timescale.py; test_timeutil.py needs no server
    assert summary == (
        "9 TimescaleDB tests skipped: no TimescaleDB (2.13 or newer) answered at "
        "postgresql+psycopg://postgres@127.0.0.1:1/postgres. Start one (docker run -d -p 5433:5432 "
        "-e POSTGRES_HOST_AUTH_METHOD=trust timescale/timescaledb:2.17.2-pg15) or set "
        "RECONCILER_TEST_TIMESCALE_URL; see docs/testing.md")


def test_a_run_with_nothing_skipped_adds_no_line():
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_timeutil.py"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0
    assert "TimescaleDB" not in done.stdout
