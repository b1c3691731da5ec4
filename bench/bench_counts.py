#!/usr/bin/env python3
"""Time `reconciler compare --counts-only` against the bare hourly GROUP BY.

Needs the databases that bench/load_events.py filled (its manifest bench/out/dataset.json
gives the window). For each of --runs rounds (after one warm-up round, not counted):

  bare        SELECT date_trunc('hour', time), count(*) FROM device_events
              WHERE time >= $1 AND time < $2 GROUP BY 1
              on both databases at once (two threads, connections opened beforehand);
  reconciler  `reconciler compare device_events --counts-only --format json` as a
              subprocess: wall time end to end, the engine's own `timings` from its JSON,
              and the peak RSS of that process (os.wait4).

Prints a table of medians and writes bench/out/counts.json. --explain adds
EXPLAIN (ANALYZE, BUFFERS) of the bare query and of the statement the reconciler sends
(captured from SQLAlchemy in-process), to bench/out/counts_explain.txt.

    .venv/bin/python bench/bench_counts.py            # median of 5
    .venv/bin/python bench/bench_counts.py --explain
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import psycopg
from bench_config import copy_suite, parse_time, run_measured, schedule_text

HERE = Path(__file__).resolve().parent
BARE_SQL = ("SELECT date_trunc('hour', time), count(*) FROM device_events "
            "WHERE time >= %s AND time < %s GROUP BY 1")

def write_config(out: Path, manifest: dict, suite: bool = True) -> Path:
    """schedule.yaml in bench/out/, with the project's suite copied beside it (suites are
    looked up in expectations/ next to the config file). suite=False writes
    bench/out/nosuite/schedule.yaml, whose checks name no suite: the compare then judges
    with its built-in 1 % rule and never imports Great Expectations (for diagnosis only)."""
    if suite:
        copy_suite(out)
        path = out / "schedule.yaml"
    else:
        out = out / "nosuite"
        out.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(out / "expectations", ignore_errors=True)
        path = out / "schedule.yaml"
    path.write_text(schedule_text("bench_counts.py: the bench databases", manifest["dsn"], manifest["old_db"],
                                  manifest["new_db"], out, suite))
    return path


def bare_run(conns: list, start: datetime, end: datetime) -> dict:
    """The bare query on every connection at once; wall time of the slowest."""
    results: dict[int, tuple[float, int]] = {}
    barrier = threading.Barrier(len(conns) + 1)

    def one(i, conn):
        barrier.wait()
        t = time.perf_counter()
        rows = conn.execute(BARE_SQL, (start, end)).fetchall()
        results[i] = (time.perf_counter() - t, sum(n for _, n in rows))

    threads = [threading.Thread(target=one, args=(i, c)) for i, c in enumerate(conns)]
    for th in threads:
        th.start()
    barrier.wait()
    t0 = time.perf_counter()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    return {"wall": wall, "old": results[0][0], "new": results[1][0],
            "rows_old": results[0][1], "rows_new": results[1][1]}


def reconciler_run(exe: list[str], config: Path, start: str, end: str) -> dict:
    """One `reconciler compare --counts-only --format json`; wall, timings, peak RSS."""
    cmd = exe + ["--config", str(config), "compare", "device_events", "--counts-only", "--format", "json",
                 "--start", start, "--end", end]
    env = dict(os.environ)
    env.pop("RECONCILER_CONFIG", None)
    code, wall, usage, stdout, stderr = run_measured(cmd, env)
    if code not in (0, 1):
        raise SystemExit(f"reconciler exited {code}:\n{stderr}")
    doc = json.loads(stdout)
    return {"wall": wall, "exit": code, "max_rss_mb": usage.ru_maxrss / 1024,
            "cpu_user": usage.ru_utime, "cpu_sys": usage.ru_stime, "timings": doc["timings"],
            "status": doc["status"], "old": doc["totals"]["old"], "new": doc["totals"]["new"],
            "hours": len(doc["hours"])}


def explain(manifest: dict, config: Path, start: datetime, end: datetime) -> str:
    """EXPLAIN ANALYZE of the bare query and of what the reconciler sends, on both sides."""
    import sqlalchemy as sa

    from reconciler.checks.judgement import compare_dataset
    from reconciler.config import load_config
    from reconciler.timeutil import Window

    captured: list[tuple[str, dict]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "count(" in statement.lower() and "group by" in statement.lower():
            captured.append((statement, dict(parameters or {})))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", grab)
    try:
        compare_dataset(load_config(str(config)), "device_events", Window(start, end), rows=False)
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", grab)
    if not captured:
        return "(no GROUP BY statement captured from the reconciler)\n"
    statement, params = captured[0]
    lines = []
    for db in (manifest["old_db"], manifest["new_db"]):
        with psycopg.connect(f"{manifest['dsn']} dbname={db}", autocommit=True) as conn:
            conn.execute("SET TIME ZONE 'UTC'")
            for label, sql, args in (("bare", BARE_SQL, (start, end)), ("reconciler", statement, params)):
                plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, args).fetchall()
                lines.append(f"== {db}: {label}\n{sql}\nparams: {args}\n")
                lines.extend(r[0] for r in plan)
                lines.append("")
    return "\n".join(lines) + "\n"


def median(values):
    return statistics.median(values) if values else None


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--out", default=str(HERE / "out"))
    p.add_argument("--reconciler", default=None,
                   help="command to run (default: the reconciler script beside this Python)")
    p.add_argument("--start", help="window start (default: the loaded data's start)")
    p.add_argument("--end", help="window end (default: the loaded data's end)")
    p.add_argument("--explain", action="store_true", help="also EXPLAIN ANALYZE both queries")
    p.add_argument("--no-suite", action="store_true",
                   help="diagnosis: a config whose checks name no suite (no Great Expectations import); "
                        "results go to counts_nosuite.json")
    args = p.parse_args(argv)

    out = Path(args.out)
    manifest_path = out / "dataset.json"
    if not manifest_path.is_file():
        raise SystemExit(f"{manifest_path} not found: run bench/load_events.py first")
    manifest = json.loads(manifest_path.read_text())
    start_s = args.start or manifest["start"]
    end_s = args.end or manifest["end"]
    start, end = parse_time(start_s), parse_time(end_s)
    config = write_config(out, manifest, suite=not args.no_suite)
    result_name = "counts_nosuite.json" if args.no_suite else "counts.json"
    exe = args.reconciler.split() if args.reconciler else [str(Path(sys.executable).parent / "reconciler")]

    conns = [psycopg.connect(f"{manifest['dsn']} dbname={db}", autocommit=True)
             for db in (manifest["old_db"], manifest["new_db"])]
    for c in conns:
        c.execute("SET TIME ZONE 'UTC'")

    print(f"window {start_s} .. {end_s}, {manifest['rows_per_side']:,} rows per side loaded; "
          f"{args.runs} runs after 1 warm-up", file=sys.stderr)
    bare, rec = [], []
    for i in range(args.runs + 1):
        b = bare_run(conns, start, end)
        r = reconciler_run(exe, config, start_s, end_s)
        tag = "warm-up" if i == 0 else f"run {i}"
        print(f"  {tag:8} bare {b['wall']:6.2f}s | reconciler wall {r['wall']:6.2f}s, "
              f"counts {r['timings'].get('counts', float('nan')):6.2f}s, total {r['timings']['total']:6.2f}s, "
              f"rss {r['max_rss_mb']:5.0f} MB, exit {r['exit']}", file=sys.stderr)
        if i:
            bare.append(b)
            rec.append(r)
    for c in conns:
        c.close()

    if bare[0]["rows_old"] != rec[0]["old"] or bare[0]["rows_new"] != rec[0]["new"]:
        print(f"WARNING: totals differ: bare {bare[0]['rows_old']}/{bare[0]['rows_new']}, "
              f"reconciler {rec[0]['old']}/{rec[0]['new']}", file=sys.stderr)

    keys = sorted({k for r in rec for k in r["timings"]})
    med = {
        "bare_wall": median([b["wall"] for b in bare]),
        "bare_old": median([b["old"] for b in bare]),
        "bare_new": median([b["new"] for b in bare]),
        "reconciler_wall": median([r["wall"] for r in rec]),
        "reconciler_max_rss_mb": median([r["max_rss_mb"] for r in rec]),
        "reconciler_peak_rss_mb": max(r["max_rss_mb"] for r in rec),
        "reconciler_cpu_s": median([r["cpu_user"] + r["cpu_sys"] for r in rec]),
        "timings": {k: median([r["timings"][k] for r in rec if k in r["timings"]]) for k in keys},
    }
    engine = med["timings"].get("counts")
    med["engine_over_bare"] = engine / med["bare_wall"] if engine else None
    connect_counts = (med["timings"].get("connect") or 0) + (engine or 0)
    med["connect_plus_counts_over_bare"] = connect_counts / med["bare_wall"]
    result = {
        "benchmark": "counts" + (" (no suite)" if args.no_suite else ""), "window": {"start": start_s, "end": end_s},
        "rows_per_side": manifest["rows_per_side"], "runs": args.runs,
        "command": " ".join(exe + ["--config", str(config), "compare", "device_events", "--counts-only",
                                   "--format", "json", "--start", start_s, "--end", end_s]),
        "bare_sql": BARE_SQL.replace("%s", "$n"),
        "targets": {"engine_over_bare_max": 1.2, "peak_rss_mb_max": 200},
        "median": med, "bare_runs": bare, "reconciler_runs": rec,
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    (out / result_name).write_text(json.dumps(result, indent=2) + "\n")

    t = med["timings"]
    rows = [
        ("bare GROUP BY, both DBs at once (wall)", med["bare_wall"], ""),
        ("  bare old / new", None, f"{med['bare_old']:.2f}s / {med['bare_new']:.2f}s"),
        ("reconciler timings.connect", t.get("connect"), ""),
        ("reconciler timings.counts (engine)", engine,
         f"{med['engine_over_bare']:.2f}x bare (target <= 1.2x)" if engine else ""),
        ("  query_old / query_new", None, f"{t.get('query_old', 0):.2f}s / {t.get('query_new', 0):.2f}s"),
        ("reconciler timings.suite", t.get("suite"), ""),
        ("reconciler timings.total", t.get("total"), ""),
        ("reconciler end to end (wall)", med["reconciler_wall"], f"CPU {med['reconciler_cpu_s']:.1f}s"),
        ("reconciler peak RSS", None, f"{med['reconciler_max_rss_mb']:.0f} MB median, "
                                      f"{med['reconciler_peak_rss_mb']:.0f} MB max (target < 200 MB)"),
    ]
    print(f"\ncounts benchmark{' (no suite: diagnosis)' if args.no_suite else ''}, {manifest['rows_per_side']:,} rows per side, {start_s} .. {end_s}, "
          f"median of {args.runs}")
    for label, secs, note in rows:
        value = f"{secs:8.2f}s" if secs is not None else " " * 9
        print(f"  {label:42} {value}  {note}")
    print(f"written to {out / result_name}")

    if args.explain:
        text = explain(manifest, config, start, end)
        (out / "counts_explain.txt").write_text(text)
        print(f"EXPLAIN ANALYZE written to {out / 'counts_explain.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
