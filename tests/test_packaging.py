"""The package as a user installs it, not as a checkout: a wheel carries the suites and rules
that `reconciler init` and `reconciler demo` copy beside their schedule.yaml (they live in the
repository's expectations/ and checks/, linked from reconciler/shipped/)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

from conftest import ROOT


def test_a_wheel_carries_the_suites_and_rules_and_init_copies_them_from_it(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                    str(tmp_path / "dist"), str(ROOT)], check=True, capture_output=True)
    [wheel] = (tmp_path / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"reconciler/shipped/{p.relative_to(ROOT)}" for folder in ("expectations", "checks")
               for p in (ROOT / folder).rglob("*") if p.is_file()}
    assert shipped and shipped <= names
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("RECONCILER_CONFIG", None)
    done = subprocess.run([sys.executable, "-c", "import reconciler, sys; print(reconciler.__file__); "
                           "sys.argv = ['reconciler', 'init']; from reconciler.cli import main; main()"],
                          cwd=work, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith(str(site))  # the installed copy, not the checkout
    copied = sorted(str(p.relative_to(work)) for p in work.rglob("*") if p.is_file())
    assert copied == ["checks/bookings/" + p.name for p in sorted((ROOT / "checks" / "bookings").glob("*.sql"))] + \
        ["expectations/bookings.json", "expectations/device_events.json", "schedule.yaml"]
