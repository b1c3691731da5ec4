"""`-v` shows our own progress (window, check or dataset, phases, seconds) on stderr and no
library log; stdout stays the result. Run as a user would: the console script, in a subprocess,
because logging is configured once per process."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from integrity_fixtures import ROOT, copy_project, sqlite_demo  # noqa: F401  (fixtures)

from reconciler.timeutil import HOUR, iso


def reconciler(cwd, demo, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OLD_DATABASE_URL": demo["old"], "NEW_DATABASE_URL": demo["new"],
           "OLD_TIMEZONE": demo["timezone"]}
    for name in ("REDIS_URL", "REPORT_DATABASE_URL", "RECONCILER_CONFIG"):
        env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "reconciler", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_v_logs_our_progress_and_no_library_noise(tmp_path, sqlite_demo):
    copy_project(tmp_path)
    last = sqlite_demo["end"] - HOUR
    done = reconciler(tmp_path, sqlite_demo, "-v", "run", "hourly-shadow", "--start", iso(last), "--end",
                      iso(sqlite_demo["end"]))
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    window = f"window {iso(last)} → {iso(sqlite_demo['end'])}"
    dataset = [line for line in lines if f"INFO reconciler.compare.dataset: {window}, dataset device_events:" in line]
    assert len(dataset) == 1 and re.search(r"connect \d+\.\d\d s, .*suite \d+\.\d\d s\)$", dataset[0])
    check = [line for line in lines if f"INFO reconciler.checks.registry: {window}, check event_rows:" in line]
    assert len(check) == 1 and check[0].endswith("row_match fail, row_diff_complete pass, new_keys_unique pass")
    assert not [line for line in lines if " INFO " in line and " reconciler." not in line]
    assert "great_expectations" not in done.stderr
    assert done.stdout.startswith("run     1  ")
    quiet = reconciler(tmp_path, sqlite_demo, "run", "hourly-shadow", "--start", iso(last), "--end",
                       iso(sqlite_demo["end"]))
    assert " INFO " not in quiet.stderr


def test_vv_keeps_alembics_setup_lines_out_and_vvv_lets_them_in(tmp_path, sqlite_demo):
    path = tmp_path / "schedule.yaml"
    path.write_text('sources:\n  old: {url: "sqlite:///old.db"}\nreport_store: {url: "sqlite:///r.db", directory: out}\n')
    message = f"report store sqlite:///{tmp_path}/r.db is at revision "
    done = reconciler(tmp_path, sqlite_demo, "-vv", "db", "upgrade", "--config", path)
    assert (done.returncode, done.stdout.startswith(message)) == (0, True)
    assert "alembic" not in done.stderr
    done = reconciler(tmp_path, sqlite_demo, "-vvv", "db", "upgrade", "--config", path)
    assert (done.returncode, done.stdout.startswith(message)) == (0, True)
    assert " INFO alembic.runtime.migration: Context impl SQLiteImpl." in done.stderr
