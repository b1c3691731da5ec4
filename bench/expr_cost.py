#!/usr/bin/env python3
"""Diagnosis: what the engine's statements cost in PostgreSQL, piece by piece.

One side (old) of a scenario, one statement at a time (no concurrency), --reps rounds,
variants alternating within a round; prints the median wall per variant. Variants:

  count            SELECT count(*) over the window (scan cost only)
  floor            count + sum(engine row hash)                 (the benchmark's floor, one side)
  pass1            the engine's first checksum pass: floor + GROUP BY 0.25 s slice
  pass1_hashagg    pass1 with SET work_mem = '64MB', jit = off
  listing          one (instant, row hash) per row, no aggregate (how differing slices are narrowed)
  concat_only      floor without the hash: sum(length(<the engine's normalized row text>)), the normalization alone
  reladiff_like    the expression reladiff 0.6 sends (concat of ::varchar / to_char, md5, 60 bits)

    .venv/bin/python bench/expr_cost.py 1h_identical
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import bench_rows
import psycopg


def normalized_text(row_hash: str) -> str:
    """The normalized row text inside the engine's row hash: md5(...) or, where both sides are
    PostgreSQL (diff.row_hash: auto), hashtextextended(..., 0)."""
    if "hashtextextended(" in row_hash:
        return row_hash[row_hash.index("hashtextextended(") + len("hashtextextended("):row_hash.rindex(", 0)")]
    return row_hash[row_hash.index("md5(") + 4:row_hash.rindex("), 1, 15)")]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("scenario", choices=list(bench_rows.SCENARIOS))
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--out", type=Path, default=bench_rows.OUT,
                   help="folder of the loaders' manifests and of rows.json (default bench/out)")
    a = p.parse_args()
    sc = bench_rows.scenario(a.scenario, a.out)
    config, _ = bench_rows.write_configs(sc)
    sqls = bench_rows.engine_sql(config, sc["start"], sc["end"])
    rh, tu = sqls["old"]["row_hash"], sqls["old"]["time_units"]
    where = "WHERE device_events.time >= %(lo)s AND device_events.time < %(hi)s"
    reladiff = ("('x' || substring(md5(device_events.event_id::varchar || "
                "to_char(device_events.time::timestamp(6), 'YYYY-mm-dd HH24:MI:SS.US') || "
                "device_events.device_id::varchar || device_events.event_type::varchar || "
                "device_events.value::decimal(38, 15)::varchar), 18))::bit(60)::bigint")
    variants = {
        "count": (f"SELECT count(*) FROM device_events {where}", []),
        "floor": (f"SELECT count(*), sum({rh}) FROM device_events {where}", []),
        "pass1": (f"SELECT {tu} / 250 AS g, count(*), sum({rh}) FROM device_events {where} GROUP BY 1", []),
        "pass1_hashagg": (f"SELECT {tu} / 250 AS g, count(*), sum({rh}) FROM device_events {where} GROUP BY 1",
                          ["SET work_mem = '64MB'", "SET jit = off"]),
        "listing": (f"SELECT {tu} AS g, {rh} AS h FROM device_events {where}", []),
        "concat_only": (f"SELECT count(*), sum(length({normalized_text(rh)})) "
                        f"FROM device_events {where}", []),
        "reladiff_like": (f"SELECT count(*), sum({reladiff}) FROM device_events {where}", []),
    }
    times = {k: [] for k in variants}
    for _ in range(a.reps):
        for name, (sql, settings) in variants.items():
            with psycopg.connect(f"{sc['dsn']} dbname={sc['old_db']}", autocommit=True) as c:
                c.execute("SET TIME ZONE 'UTC'")
                for s in settings:
                    c.execute(s)
                t = time.perf_counter()
                c.execute(sql, {"lo": sc["start"], "hi": sc["end"]}).fetchall()
                times[name].append(time.perf_counter() - t)
    base = statistics.median(times["floor"])
    import json
    from datetime import datetime, timezone
    path = a.out / "rows.json"
    doc = json.loads(path.read_text()) if path.is_file() else {"scenarios": {}}
    doc.setdefault("expr_cost", {})[a.scenario] = {
        "db": sc["old_db"], "reps": a.reps, "load1": round(os.getloadavg()[0], 2),
"median_s": {k: statistics.median(v) for k, v in times.items()},
        "over_floor": {k: statistics.median(v) / base for k, v in times.items()},
        "statements": {k: v[0] for k, v in variants.items()}, "code": bench_rows.code_fingerprint(),
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    print(f"{a.scenario}, {sc['old_db']} alone, median of {a.reps} (load {os.getloadavg()[0]:.1f})")
    for name, ts in times.items():
        m = statistics.median(ts)
        print(f"  {name:15} {m:6.3f}s  {m / base:5.2f}x floor   {[round(x, 2) for x in ts]}")


if __name__ == "__main__":
    main()
