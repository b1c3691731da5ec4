#!/usr/bin/env python3
"""Time `reconciler verify` (whole history) against the checksum floor, with --workers 1/2/4.

    .venv/bin/python bench/load_events.py --hours 72 --old-db rc_verify_old --new-db rc_verify_new \\
        --out bench/out/verify
    .venv/bin/python bench/bench_verify.py                       # workers 1,2,4; floor before and after

The floor is a bare aggregate over the same rows on both sides at once: `SELECT count(*),
sum(<the engine's row hash>) FROM device_events WHERE time >= $1 AND time < $2`, one
statement per side over the whole range (bench_rows.py's floor). `reconciler verify` runs as
a user runs it (a subprocess, `--format json`, a fresh SQLite report store each time), for
its wall time and peak RSS (os.wait4). Per-row cost is wall time / rows per side. A year is
extrapolated linearly: days are independent aggregates, each the same size.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg
from bench_config import iso, run_measured, schedule_text
from bench_rows import engine_sql, floor_run, floor_sql

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_DSN = "host=127.0.0.1 port=5432 user=postgres"


def history_range(dsn: str, dbs: list[str]):
    """[first day, day after the last) of the rows on either side, as verify takes it by default."""
    lows, highs = [], []
    for db in dbs:
        with psycopg.connect(f"{dsn} dbname={db}", autocommit=True) as conn:
            low, high = conn.execute("SELECT min(time), max(time) FROM device_events").fetchone()
            lows.append(low)
            highs.append(high)
    start = min(lows).replace(hour=0, minute=0, second=0, microsecond=0)
    end = max(highs).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return start, end


def verify_once(config: Path, store: Path, workers: int) -> dict:
    for leftover in store.parent.glob(store.name + "*"):
        leftover.unlink()
    cmd = [sys.executable, "-m", "reconciler", "--config", str(config), "verify", "device_events",
           "--workers", str(workers), "--format", "json"]
    load = os.getloadavg()[0]
    code, wall, usage, out, err = run_measured(cmd, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    if code not in (0, 1):
        raise SystemExit(f"verify exited {code}:\n{err[-3000:]}")
    doc = json.loads(out)
    return {"workers": workers, "exit": code, "wall": round(wall, 3), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "load1_before": round(load, 2), "load1_after": round(os.getloadavg()[0], 2), "status": doc["status"],
            "totals": doc["totals"], "days": doc["days"], "verify_seconds": doc["timings"]["total"]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--old-db", default="rc_verify_old")
    p.add_argument("--new-db", default="rc_verify_new")
    p.add_argument("--dsn", default=DEFAULT_DSN, help="libpq string without dbname")
    p.add_argument("--workers", default="1,2,4", help="comma-separated --workers values")
    p.add_argument("--out", default=str(HERE / "out" / "verify"))
    args = p.parse_args(argv)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    store = out / "verify_store.db"
    config = out / "schedule.yaml"
    text = schedule_text("bench_verify.py", args.dsn, args.old_db, args.new_db, out, suite=False)
    config.write_text(text.replace(f"sqlite:///{out}/reconciler.db", f"sqlite:///{store}"))

    start, end = history_range(args.dsn, [args.old_db, args.new_db])
    days = (end - start) // timedelta(days=1)
    sqls = engine_sql(config, start, end)
    floor_sqls = [floor_sql(sqls["old"]["row_hash"]), floor_sql(sqls["new"]["row_hash"])]
    conns = [psycopg.connect(f"{args.dsn} dbname={db}", autocommit=True) for db in (args.old_db, args.new_db)]

    def floor():
        load = os.getloadavg()[0]
        r = floor_run(conns, floor_sqls, start, end)
        return {**r, "wall": round(r["wall"], 3), "load1_before": round(load, 2)}

    floors = [floor()]
    runs = []
    for workers in [int(w) for w in args.workers.split(",")]:
        runs.append(verify_once(config, store, workers))
        print(f"workers {workers}: {runs[-1]['wall']:.1f} s, peak RSS {runs[-1]['peak_rss_mb']} MB, "
              f"load {runs[-1]['load1_before']}", file=sys.stderr, flush=True)
    floors.append(floor())
    for c in conns:
        c.close()

    rows = floors[0]["count_old"]
    floor_wall = statistics.mean(f["wall"] for f in floors)
    result = {"range": {"start": iso(start), "end": iso(end), "days": days}, "rows_per_side": rows,
              "floor": {"runs": floors, "mean_wall": round(floor_wall, 3),
                        "ns_per_row": round(floor_wall / max(rows, 1) * 1e9, 1)},
              "verify": runs, "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    for r in runs:
        r["over_floor"] = round(r["wall"] / floor_wall, 3)
        r["ns_per_row"] = round(r["wall"] / max(rows, 1) * 1e9, 1)
        r["year_hours"] = round(r["wall"] * 365 / days / 3600, 2)
    (out / "verify.json").write_text(json.dumps(result, indent=2))

    print(f"{rows:,} rows per side, {days} days ({iso(start)} → {iso(end)})")
    walls = " / ".join(f"{f['wall']:.1f} s (load {f['load1_before']})" for f in floors)
    print(f"floor: {walls}, {result['floor']['ns_per_row']} ns/row")
    print(f"{'workers':>7} {'wall s':>8} {'x floor':>8} {'ns/row':>8} {'peak MB':>8} {'load1':>6} {'year h':>7} status")
    for r in runs:
        print(f"{r['workers']:>7} {r['wall']:>8.1f} {r['over_floor']:>8.2f} {r['ns_per_row']:>8.1f} "
              f"{r['peak_rss_mb']:>8.1f} {r['load1_before']:>6.2f} {r['year_hours']:>7.2f} {r['status']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
