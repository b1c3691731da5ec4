#!/usr/bin/env python3
"""Compressed vs uncompressed TimescaleDB chunks, in the same run (issue 10).

Data (--load, about 30 s): three databases on the TimescaleDB server (default
127.0.0.1:5433, see ../shared/tools/timescaledb-server), each holding device_events as a
hypertable with 1-hour chunks, HOURS x RATE events (default 3 h x 40/s = 432,000 rows):

  rc_bench_ts_old    the old side, uncompressed
  rc_bench_ts_new    the new side: 300 rows deleted, 200 changed, 100 extra (load_events.py
                     --variant diff), uncompressed
  rc_bench_ts_newc   the same new side with every chunk compressed (segment by device_id,
                     order by time)

Both new databases also get a continuous aggregate device_events_hourly (1-hour buckets,
refreshed). Every round runs, for each storage (plain, compressed), old vs that new side:

  rows        `python -m reconciler compare device_events --rows --format json` (no suite, so
              no Great Expectations import; --suite adds it): wall time and the engine's timings
  counts      the same with --counts-only
  scan_sql    the bare hourly count on the new side: SELECT time_bucket('1 hour', time),
              count(*) ... WHERE time >= $1 AND time < $2 GROUP BY 1
  cagg_sql    the same hourly counts read from the continuous aggregate (what
              `counts_from: aggregate` would do)

One warm-up round, then --runs rounds; medians printed, all runs in bench/out/timescale/results.json.
The differing keys of every rows run are checked against the loader's injected keys.

    .venv/bin/python bench/bench_timescale.py --load
    .venv/bin/python bench/bench_timescale.py --runs 5
    .venv/bin/python bench/bench_timescale.py --runs 3 --suite   # results_suite.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
from bench_config import ROOT, copy_suite, schedule_text
from load_events import inject_diff, injected_ids, load_side, vacuum

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "timescale"
DBS = {"old": "rc_bench_ts_old", "plain": "rc_bench_ts_new", "compressed": "rc_bench_ts_newc"}  # the defaults
START = datetime(2026, 11, 26, tzinfo=timezone.utc)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def load(dsn: str, hours: float, rate: float, dbs: dict[str, str], out: Path) -> dict:
    total, step_us = int(round(hours * 3600 * rate)), int(round(1_000_000 / rate))
    with psycopg.connect(f"{dsn} dbname=postgres", autocommit=True) as conn:
        for db in dbs.values():
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db,)).fetchone():
                conn.execute(f'CREATE DATABASE "{db}"')
    for db in dbs.values():
        with psycopg.connect(f"{dsn} dbname={db}", autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
    threads = [threading.Thread(target=load_side, args=(dsn, db, START, total, step_us, log, True))
               for db in dbs.values()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = injected_ids(rate, total)
    for storage in ("plain", "compressed"):
        inject_diff(dsn, dbs[storage], START, step_us, ids, log)
    with psycopg.connect(f"{dsn} dbname={dbs['compressed']}", autocommit=True) as conn:
        conn.execute("ALTER TABLE device_events SET (timescaledb.compress, timescaledb.compress_segmentby = "
                     "'device_id', timescaledb.compress_orderby = 'time')")
        n = conn.execute("SELECT count(compress_chunk(c)) FROM show_chunks('device_events') c").fetchone()[0]
        log(f"{dbs['compressed']}: {n} chunks compressed")
    for storage in ("plain", "compressed"):
        with psycopg.connect(f"{dsn} dbname={dbs[storage]}", autocommit=True) as conn:
            conn.execute("CREATE MATERIALIZED VIEW device_events_hourly WITH (timescaledb.continuous) AS "
                         "SELECT time_bucket('1 hour', time) AS bucket, count(*) AS events FROM device_events "
                         "GROUP BY 1 WITH DATA")
    for db in dbs.values():
        vacuum(dsn, db, log)
    manifest = {"dsn": dsn, "dbs": dbs, "start": START.isoformat(), "end": (START + timedelta(hours=hours)).isoformat(),
                "rows_per_side": total, "injected": ids, "loaded_at": datetime.now(timezone.utc).isoformat()}
    out.mkdir(parents=True, exist_ok=True)
    (out / "dataset.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def configs(manifest: dict, suite: bool, out: Path) -> dict[str, Path]:
    dbs, paths = manifest["dbs"], {}
    for storage in ("plain", "compressed"):
        directory = out / (f"{storage}_suite" if suite else storage)
        directory.mkdir(parents=True, exist_ok=True)
        if suite:
            copy_suite(directory)
        (directory / "schedule.yaml").write_text(schedule_text(f"bench_timescale.py ({storage})", manifest["dsn"],
                                                               dbs["old"], dbs[storage], directory, suite=suite,
                                                               diff="sample_limit: 1000"))
        paths[storage] = directory / "schedule.yaml"
    return paths


def rec(config: Path, manifest: dict, rows: bool) -> dict:
    cmd = [sys.executable, "-m", "reconciler", "--config", str(config), "compare", "device_events",
           "--rows" if rows else "--counts-only", "--format", "json", "--start", manifest["start"],
           "--end", manifest["end"]]
    env = dict(os.environ)
    env.pop("RECONCILER_CONFIG", None)
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                          check=False)
    wall = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        raise SystemExit(f"reconciler exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    doc = json.loads(proc.stdout)
    out = {"wall": wall, "timings": doc["timings"], "totals": doc["totals"]}
    if rows:
        out["keys"] = {kind: sorted(s["key"]["event_id"] for s in doc["samples"][kind])
                       for kind in ("missing_in_new", "extra_in_new", "mismatched")}
    return out


def timed_sql(dsn: str, db: str, sql: str, manifest: dict) -> tuple[float, list]:
    with psycopg.connect(f"{dsn} dbname={db}") as conn:
        conn.execute("SELECT 1")
        t = time.perf_counter()
        rows = conn.execute(sql, (datetime.fromisoformat(manifest["start"]),
                                  datetime.fromisoformat(manifest["end"]))).fetchall()
        return time.perf_counter() - t, sorted((b.isoformat(), int(n)) for b, n in rows)


SCAN = ("SELECT time_bucket('1 hour', time), count(*) FROM device_events WHERE time >= %s AND time < %s "
        "GROUP BY 1")
CAGG = "SELECT bucket, events FROM device_events_hourly WHERE bucket >= %s AND bucket < %s"


def measure(manifest: dict, paths: dict, runs: int) -> list[dict]:
    results = []
    for round_no in range(runs + 1):
        for storage, config in paths.items():
            row = {"round": round_no, "storage": storage, "load1": os.getloadavg()[0]}
            row["rows"] = rec(config, manifest, rows=True)
            row["counts"] = rec(config, manifest, rows=False)
            row["scan_sql"], scan = timed_sql(manifest["dsn"], manifest["dbs"][storage], SCAN, manifest)
            row["cagg_sql"], cagg = timed_sql(manifest["dsn"], manifest["dbs"][storage], CAGG, manifest)
            row["cagg_equals_scan"] = scan == cagg
            row["keys_as_injected"] = {k: len(v) for k, v in row["rows"]["keys"].items()} == {
                k: len(v) for k, v in manifest["injected"].items()} and all(
                set(row["rows"]["keys"][k]) == set(manifest["injected"][k]) for k in manifest["injected"])
            log(f"round {round_no} {storage}: rows {row['rows']['wall']:.2f}s, counts {row['counts']['wall']:.2f}s, "
                f"scan {row['scan_sql'] * 1000:.0f} ms, cagg {row['cagg_sql'] * 1000:.1f} ms, "
                f"keys as injected: {row['keys_as_injected']}")
            if round_no:
                results.append(row)
    return results


def sizes(dsn: str, dbs: dict[str, str]) -> dict:
    out = {}
    for storage in ("plain", "compressed"):
        with psycopg.connect(f"{dsn} dbname={dbs[storage]}") as conn:
            out[storage] = conn.execute("SELECT pg_size_pretty(hypertable_size('device_events'))").fetchone()[0]
    return out


def table(results: list[dict], manifest: dict, dsn: str) -> str:
    def med(storage, get):
        return statistics.median(get(r) for r in results if r["storage"] == storage)

    size = sizes(dsn, manifest["dbs"])
    lines = [f"{manifest['rows_per_side']:,} rows per side, {manifest['start']} .. {manifest['end']}, "
             f"median of {len(results) // 2} runs",
             "| new side | size | rows end to end | checksums | fetch | counts-only end to end | "
             "counts: old side / new side | bare hourly scan | read from cagg | keys as injected |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for storage in ("plain", "compressed"):
        def t(key, storage=storage):
            return med(storage, lambda r: r["rows"]["timings"].get(key, 0.0))

        ok = all(r["keys_as_injected"] for r in results if r["storage"] == storage)
        lines.append(
            f"| {storage} | {size[storage]} | {med(storage, lambda r: r['rows']['wall']):.2f} s | {t('checksums'):.2f} s "
            f"| {t('fetch'):.2f} s | {med(storage, lambda r: r['counts']['wall']):.2f} s | "
            f"{med(storage, lambda r: r['counts']['timings']['query_old']):.3f} / "
            f"{med(storage, lambda r: r['counts']['timings']['query_new']):.3f} s | "
            f"{med(storage, lambda r: r['scan_sql']) * 1000:.0f} ms | {med(storage, lambda r: r['cagg_sql']) * 1000:.1f} ms "
            f"| {'yes' if ok else 'NO'} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--load", action="store_true", help="(re)load the three databases first")
    p.add_argument("--hours", type=float, default=3)
    p.add_argument("--rate", type=float, default=40, help="events per second (must divide 1,000,000)")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--dsn", default="host=127.0.0.1 port=5433 user=postgres", help="libpq string without dbname")
    p.add_argument("--suite", action="store_true",
                   help="judge with the device_events suite (imports Great Expectations in every run)")
    p.add_argument("--old-db", default=DBS["old"])
    p.add_argument("--new-db", default=DBS["plain"], help="the new side, uncompressed")
    p.add_argument("--compressed-db", default=DBS["compressed"], help="the new side, every chunk compressed")
    p.add_argument("--out", type=Path, default=OUT,
                   help="manifest, configs and results go here (default bench/out/timescale)")
    args = p.parse_args(argv)
    out = args.out
    manifest_path = out / "dataset.json"
    if args.load or not manifest_path.exists():
        dbs = {"old": args.old_db, "plain": args.new_db, "compressed": args.compressed_db}
        manifest = load(args.dsn, args.hours, args.rate, dbs, out)
    else:
        manifest = json.loads(manifest_path.read_text())
    if args.runs <= 0:
        return 0
    results = measure(manifest, configs(manifest, args.suite, out), args.runs)
    text = table(results, manifest, args.dsn) + ("\n(with the device_events suite)" if args.suite else "")
    (out / ("results_suite.json" if args.suite else "results.json")).write_text(json.dumps({"runs": results, "table": text}, indent=1, default=str))
    print(text)
    return 0 if all(r["keys_as_injected"] and r["cagg_equals_scan"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
