#!/usr/bin/env python3
"""What findings cost (issue 18): one hour of 720 000 rows per side, judged with and without
its findings.

    .venv/bin/python bench/bench_findings.py load            # the two scenarios (about 30 s)
    .venv/bin/python bench/bench_findings.py ab --scenario d600 --runs 5
    .venv/bin/python bench/bench_findings.py run --scenario d50k --findings on   # one judgement, JSON

Scenarios (one old database, one new database each, reference schema, PostgreSQL):
  d600  new lost 300 rows, 200 values changed (+1.5), 100 rows extra, spread through the hour
        (bench/load_events.py --variant diff);
  d50k  new lost the 30 000 rows of minutes 10:00-12:30 (a gap), 15 000 values changed
        (x1000) in minutes 30-35, 5 000 rows extra in minute 50: within the diff budget
        (figures at the default 200 events/s; --rate scales them).

`ab` judges the hour in this process, A (evidence + verdict) and B (evidence + verdict +
findings, computed as for a failing hour whatever the verdict: 600 differing rows of 720 000
pass the default 99.9 %) in turn, A B A B, after one warm-up of each: medians, and per B run
the findings' share of its own judgement (`findings / (total - findings)`). `run` judges once and prints
its timings, peak RSS and, with --trace, the bytes the diff's kept rows hold (tracemalloc)."""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

import psycopg
from bench_config import copy_suite, parse_time, schedule_text

HERE = Path(__file__).resolve().parent
DATABASES = "rc_benchwhy_old,rc_benchwhy600_new,rc_benchwhy50k_new"
SCENARIOS = ("d600", "d50k")
START = "2026-11-26T00:00:00Z"


def databases(args) -> tuple[str, dict]:
    old, *new = args.dbs.split(",")
    return old, dict(zip(SCENARIOS, new))


def inject_50k(dsn: str, db: str, rate: float) -> None:
    """30 000 rows lost in a gap, 15 000 values scaled x1000 in 5 minutes, 5 000 extra rows
    (at 200 events/s; proportionally fewer at a lower --rate)."""
    per_minute = int(rate * 60)
    with psycopg.connect(f"{dsn} dbname={db}") as conn:
        conn.execute("DELETE FROM device_events WHERE event_id BETWEEN %s AND %s",
                     (10 * per_minute + 1, 10 * per_minute + per_minute * 5 // 2))
        conn.execute("UPDATE device_events SET value = value * 1000 WHERE event_id BETWEEN %s AND %s "
                     "AND event_id %% 4 = 0 AND value <> 0", (30 * per_minute + 1, 35 * per_minute))
        changed = conn.execute("SELECT count(*) FROM device_events WHERE event_id BETWEEN %s AND %s "
                               "AND event_id %% 4 = 0 AND value <> 0", (30 * per_minute + 1, 35 * per_minute)).fetchone()[0]
        conn.execute("""INSERT INTO device_events (event_id, device_id, event_type, value, time)
                        SELECT 10000000 + g, 'dev-extra', 'heartbeat', 1.0,
                               %s::timestamptz + interval '50 minutes' + g * interval '10 ms'
                        FROM generate_series(1, %s) AS g""", (parse_time(START), max(1, per_minute * 5 // 12)))
        conn.commit()
    print(f"{db}: {per_minute * 5 // 2:,} deleted, {changed:,} changed, {max(1, per_minute * 5 // 12):,} extra",
          file=sys.stderr)


def load(args) -> None:
    import load_events

    old, new = databases(args)
    common = ["--hours", "1", "--start", START, "--dsn", args.dsn, "--rate", f"{args.rate:g}"]
    for code in (load_events.main([*common, "--old-db", old, "--new-db", new["d600"], "--variant", "diff",
                                   "--out", str(Path(args.out) / "findings_d600")]),
                 load_events.main([*common, "--old-db", old, "--new-db", new["d50k"], "--out",
                                   str(Path(args.out) / "findings_d50k")])):
        if code:
            raise SystemExit(code)
    inject_50k(args.dsn, new["d50k"], args.rate)
    with psycopg.connect(f"{args.dsn} dbname={new['d50k']}", autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) device_events")


def config(args):
    from reconciler.config import load_config

    directory = Path(args.out) / "findings" / args.scenario / ("suite" if args.suite else "nosuite")
    directory.mkdir(parents=True, exist_ok=True)
    if args.suite:
        copy_suite(directory)
    path = directory / "schedule.yaml"
    old, new = databases(args)
    path.write_text(schedule_text("bench_findings.py", args.dsn, old, new[args.scenario], directory,
                                  suite=args.suite, diff="sample_limit: 20"))
    return load_config(path)


def judge_once(loaded, findings: bool, trace: bool = False) -> dict:
    """One hour judged as `reconciler run` judges it: evidence, verdict, and (B) findings."""
    from reconciler.checks.judgement import judge_evidence, suite_for
    from reconciler.compare.dataset import collect_evidence, explain_evidence
    from reconciler.sources.connection import opened_sources
    from reconciler.timeutil import Window

    window = Window(parse_time(START), parse_time("2026-11-26T01:00:00Z"))
    if trace:
        import tracemalloc

        tracemalloc.start()
    started = time.perf_counter()
    suite = suite_for(loaded, "device_events")
    with opened_sources(loaded) as sources:  # as compare_dataset: opened once for evidence and findings
        evidence = collect_evidence(loaded, "device_events", window, rows=True, sources=sources)
        result = judge_evidence(evidence, suite, started=started)
        timings = dict(result.timings)
        found = []
        if findings:  # as for a failing hour, whatever the verdict (600 of 720 000 rows differing passes 99.9 %)
            t = time.perf_counter()
            found = explain_evidence(loaded, evidence, [h.hour for h in result.hours], sources=sources)
            timings["findings"] = time.perf_counter() - t
            timings["total"] += timings["findings"]
    wall = time.perf_counter() - started
    out = {"wall": wall, "timings": timings, "verdict": result.status, "totals": {k: result.totals[k] for k in (
        "missing_in_new", "extra_in_new", "mismatched", "unverified")}, "findings": [f.text for f in found]}
    if trace:
        import gc
        import tracemalloc

        held = tracemalloc.get_traced_memory()[0]
        kept = evidence.diff.tally.kept
        out["kept_rows"] = {k: len(v) for k, v in kept.items()}
        del result, evidence, kept
        gc.collect()
        out["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        out["held_by_result_mb"] = (held - tracemalloc.get_traced_memory()[0]) / 2**20
        tracemalloc.stop()
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def run(args) -> None:
    print(json.dumps(judge_once(config(args), args.findings == "on", args.trace), indent=2, ensure_ascii=False))


def ab(args) -> None:
    loaded = config(args)
    if args.suite:
        from reconciler.checks import suites

        suites.preload()
    judge_once(loaded, False)
    judge_once(loaded, True)
    a, b = [], []
    for _ in range(args.runs):
        a.append(judge_once(loaded, False))
        b.append(judge_once(loaded, True))
    own = [r["timings"]["findings"] / (r["timings"]["total"] - r["timings"]["findings"]) for r in b]
    paired = [rb["wall"] / ra["wall"] for ra, rb in zip(a, b)]
    summary = {"scenario": args.scenario, "suite": args.suite, "runs": args.runs,
               "A_wall_median": statistics.median(r["wall"] for r in a),
               "B_wall_median": statistics.median(r["wall"] for r in b),
               "B_over_A_paired_median": statistics.median(paired),
               "findings_seconds_median": statistics.median(r["timings"]["findings"] for r in b),
               "findings_share_of_own_judgement_median": statistics.median(own),
               "findings_share_max": max(own), "findings": b[-1]["findings"], "totals": b[-1]["totals"]}
    out = Path(args.out) / "findings.json"
    previous = json.loads(out.read_text()) if out.exists() else []
    out.write_text(json.dumps(previous + [{**summary, "a": a, "b": b}], indent=2, ensure_ascii=False))
    print(json.dumps(summary, indent=2, ensure_ascii=False))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("command", choices=["load", "run", "ab"])
    p.add_argument("--scenario", choices=SCENARIOS, default="d600")
    p.add_argument("--findings", choices=["on", "off"], default="on")
    p.add_argument("--suite", action="store_true", help="judge with the device_events suite (Great Expectations)")
    p.add_argument("--trace", action="store_true", help="run: measure memory with tracemalloc (slower)")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--rate", type=float, default=200, help="load: events per second (default 200: 720 000 an hour)")
    p.add_argument("--dbs", default=DATABASES, help=f"old, d600 new, d50k new databases (default {DATABASES})")
    p.add_argument("--dsn", default="host=127.0.0.1 port=5432 user=postgres",
                   help="libpq connection string without dbname")
    p.add_argument("--out", default=str(HERE / "out"))
    args = p.parse_args(argv)
    {"load": load, "run": run, "ab": ab}[args.command](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
