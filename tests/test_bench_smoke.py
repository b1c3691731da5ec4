"""The benchmarks still run: every bench/ script, as a subprocess the way bench/README.md
runs it, on a tiny input (one hour at 1 event/s, 3,600 rows per side) in throw-away
databases, one counted run, no reladiff (not installed here). They measure nothing here;
this only keeps a refactor of the package from silently breaking them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import PG_ADMIN_URL, ROOT, TIMESCALE_ADMIN_URL
from sqlalchemy.engine import make_url

BENCH = ROOT / "bench"
ROWS = 3600  # --hours 1 --rate 1


def libpq(url: str) -> str:
    """The scripts' --dsn: a libpq string without dbname."""
    u = make_url(url)
    parts = {"host": u.host or "127.0.0.1", "port": u.port or 5432, "user": u.username or "postgres"}
    if u.password:
        parts["password"] = u.password
    return " ".join(f"{k}={v}" for k, v in parts.items())


def dbname(url: str) -> str:
    return make_url(url).database


def bench(script: str, *args: str) -> str:
    """Run bench/SCRIPT with ARGS; it must exit 0. Its stdout."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("RECONCILER_CONFIG", None)
    proc = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, stdin=subprocess.DEVNULL, timeout=300)
    assert proc.returncode == 0, f"bench/{script} exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, make_pg_database):
    """bench/load_events.py into two fresh databases, its manifest where bench_rows' 1h_identical
    scenario looks for it (OUT/h1/dataset.json)."""
    out = tmp_path_factory.mktemp("bench")
    old, new = dbname(make_pg_database("bench_old")), dbname(make_pg_database("bench_new"))
    bench("load_events.py", "--hours", "1", "--rate", "1", "--old-db", old, "--new-db", new,
          "--dsn", libpq(PG_ADMIN_URL), "--out", str(out / "h1"))
    return out


def test_load_events_writes_its_manifest(loaded):
    manifest = json.loads((loaded / "h1" / "dataset.json").read_text())
    assert manifest["rows_per_side"] == ROWS
    assert (manifest["start"], manifest["end"]) == ("2026-11-26T00:00:00Z", "2026-11-26T01:00:00Z")
    assert manifest["variant"] == "identical" and manifest["injected"] is None


def test_bench_counts(loaded):
    out = loaded / "h1"
    stdout = bench("bench_counts.py", "--out", str(out), "--runs", "1", "--no-suite", "--explain")
    assert "counts benchmark" in stdout
    result = json.loads((out / "counts_nosuite.json").read_text())
    [run] = result["reconciler_runs"]
    assert (run["exit"], run["status"], run["old"], run["new"], run["hours"]) == (0, "pass", ROWS, ROWS, 1)
    [bare] = result["bare_runs"]
    assert (bare["rows_old"], bare["rows_new"]) == (ROWS, ROWS)
    assert "reconciler" in (out / "counts_explain.txt").read_text()


def test_bench_rows(loaded):
    stdout = bench("bench_rows.py", "--out", str(loaded), "--scenario", "1h_identical",
                   "--tools", "floor,rec_nosuite", "--runs", "1", "--no-warmup", "--quiet-wait", "0",
                   "--max-foreign", "1000")
    assert "1h_identical" in stdout
    entry = json.loads((loaded / "rows.json").read_text())["scenarios"]["1h_identical"]
    [floor] = entry["runs_detail"]["floor"]
    assert (floor["count_old"], floor["count_new"], floor["sums_equal"]) == (ROWS, ROWS, True)
    [rec] = entry["runs_detail"]["rec_nosuite"]
    assert (rec["exit"], rec["status"], rec["truncated"]) == (0, "pass", False)
    assert (rec["totals"]["old"], rec["totals"]["new"], rec["totals"]["matched"]) == (ROWS, ROWS, ROWS)


def test_expr_cost(loaded):
    stdout = bench("expr_cost.py", "1h_identical", "--reps", "1", "--out", str(loaded))
    assert "floor" in stdout
    cost = json.loads((loaded / "rows.json").read_text())["expr_cost"]["1h_identical"]
    assert sorted(cost["median_s"]) == ["concat_only", "count", "floor", "listing", "pass1", "pass1_hashagg",
                                        "reladiff_like"]


def test_bench_service(loaded):
    stdout = bench("bench_service.py", "--out", str(loaded), "--scenario", "1h_identical", "--runs", "1",
                   "--tools", "floor,service", "--quiet-wait", "0")
    assert "ratios" in json.loads(stdout)
    result = json.loads((loaded / "service.json").read_text())
    [service] = result["runs"]["service"]
    assert service["status"] == "pass"
    assert (service["totals"]["old"], service["totals"]["new"], service["totals"]["matched"]) == (ROWS, ROWS, ROWS)
    assert result["ratios"]["service_over_floor"] > 0


def test_bench_timescale(tmp_path, make_timescale_database):
    dbs = [dbname(make_timescale_database(f"bench_ts_{side}")) for side in ("old", "new", "newc")]
    stdout = bench("bench_timescale.py", "--load", "--hours", "1", "--rate", "1", "--runs", "1",
                   "--dsn", libpq(TIMESCALE_ADMIN_URL), "--old-db", dbs[0], "--new-db", dbs[1],
                   "--compressed-db", dbs[2], "--out", str(tmp_path))
    assert "| compressed |" in stdout
    runs = json.loads((tmp_path / "results.json").read_text())["runs"]
    assert [r["storage"] for r in runs] == ["plain", "compressed"]
    for r in runs:
        assert r["keys_as_injected"] and r["cagg_equals_scan"]
        assert {k: len(v) for k, v in r["rows"]["keys"].items()} == {
            "missing_in_new": 300, "extra_in_new": 100, "mismatched": 200}


def test_bench_findings(tmp_path, make_pg_database):
    dbs = ",".join(dbname(make_pg_database(f"bench_why_{name}")) for name in ("old", "d600", "d50k"))
    common = ["--dbs", dbs, "--dsn", libpq(PG_ADMIN_URL), "--out", str(tmp_path)]
    bench("bench_findings.py", "load", "--rate", "1", *common)
    run = json.loads(bench("bench_findings.py", "run", "--scenario", "d600", *common))
    assert run["totals"] == {"missing_in_new": 300, "extra_in_new": 100, "mismatched": 200, "unverified": 0}
    assert "200 `value` +1.5 exactly (constant offset)" in run["findings"] and run["timings"]["findings"] > 0
    summary = json.loads(bench("bench_findings.py", "ab", "--scenario", "d50k", "--runs", "1", *common))
    assert summary["totals"]["missing_in_new"] == 150 and summary["findings_share_of_own_judgement_median"] > 0


def test_bench_verify(tmp_path, make_pg_database):
    old, new = dbname(make_pg_database("bench_verify_old")), dbname(make_pg_database("bench_verify_new"))
    bench("load_events.py", "--hours", "1", "--rate", "1", "--old-db", old, "--new-db", new,
          "--dsn", libpq(PG_ADMIN_URL), "--out", str(tmp_path))
    stdout = bench("bench_verify.py", "--old-db", old, "--new-db", new, "--dsn", libpq(PG_ADMIN_URL),
                   "--workers", "1,2", "--out", str(tmp_path))
    assert "x floor" in stdout
    result = json.loads((tmp_path / "verify.json").read_text())
    assert (result["rows_per_side"], result["range"]["days"]) == (ROWS, 1)
    assert [r["workers"] for r in result["verify"]] == [1, 2]
    for run in result["verify"]:
        assert (run["exit"], run["status"], run["totals"]["matched"], run["days"]["equal"]) == (0, "pass", ROWS, 1)
        assert run["over_floor"] > 0 and run["peak_rss_mb"] > 0
