"""Issue 12's benchmark: a warm `reconciler schedule` process judging one identical hour.

The service's own code (reconciler.service.scheduler.Service: store, sources and Great
Expectations opened once) runs in this process. After one warm-up judgement, each round
times, round-robin:

  floor          SELECT count(*), sum(<md5 row hash>) over the hour on both databases at once
  floor_fast     the same with the PostgreSQL-family hash (hashtextextended)
  service        the service judging the hour (rows + the device_events suite), storing the
                 run and writing its report: what one scheduler tick does for one window;
                 `diff.row_hash: auto`, i.e. hashtextextended since both sides are PostgreSQL
  service_md5    the same with `diff.row_hash: md5`
  reladiff_best  reladiff 0.6, -j 8 --bisection-factor 32 --bisection-threshold 65536

    .venv/bin/python bench/load_events.py --hours 1 --old-db rc_bench1h_old --new-db rc_bench1h_new --out bench/out/h1
    .venv/bin/python bench/bench_service.py [--runs 5] [--tools floor,floor_fast,service,service_md5,reladiff_best] [--out DIR]

Targets: service <= 2x floor and <= 0.5x reladiff best. Results: bench/out/service.json."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg
from bench_config import copy_suite, iso
from bench_rows import (
    OUT,
    Monitor,
    engine_sql,
    floor_run,
    floor_sql,
    med,
    reladiff_run,
    scenario,
    wait_quiet,
    write_configs,
)

JOB = "bench"


def service_config(sc: dict, row_hash: str) -> Path:
    config, _ = write_configs(sc)
    base = sc["out"] / "service" / sc["name"] / row_hash
    copy_suite(base)
    text = config.read_text().replace(str(config.parent), str(base))
    text = text.replace("    diff: {", f"    diff: {{row_hash: {row_hash}, ")
    text += f'jobs:\n  {JOB}: {{cron: "5 * * * *", checks: [event_rows], settle: 0m, recheck_hours: 0}}\n'
    path = base / "schedule.yaml"
    path.write_text(text)
    (base / "reconciler.db").unlink(missing_ok=True)
    return path


class WarmService:
    def __init__(self, path: Path, sc: dict):
        from reconciler.config import load_config
        from reconciler.service.scheduler import Service
        from reconciler.timeutil import Window

        self.service = Service(load_config(path))
        self.window = Window(sc["start"], sc["end"])
        self.now = sc["end"] + timedelta(hours=1)

    def judge(self) -> dict:
        from reconciler.service.jobs import judge_windows

        store = self.service.store
        t = time.perf_counter()
        report = judge_windows(self.service.session, JOB, [self.window], self.now, mark=store.last_run_id(),
                               point_in_time=False)
        wall = time.perf_counter() - t
        [entry] = report.runs
        [compare] = store.get_run(entry.id)["compares"]
        timings = compare["timings"]
        return {"wall": wall, "status": entry.status, "timings": timings,
                "engine": sum(timings.get(k, 0.0) for k in ("checksums", "refine", "fetch")),
                "totals": {k: compare["totals"].get(k) for k in ("old", "new", "matched", "match_pct")}}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", default="1h_identical")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--tools", default="floor,floor_fast,service,service_md5,reladiff_best")
    p.add_argument("--quiet-wait", type=float, default=60)
    p.add_argument("--out", type=Path, default=OUT,
                   help="folder of the loaders' manifests; configs and service.json are written here (default bench/out)")
    args = p.parse_args(argv)
    tools = args.tools.split(",")
    sc = scenario(args.scenario, args.out)
    paths = {h: service_config(sc, h) for h in ("auto", "md5")}
    floor_sqls = {}
    for tool, h in (("floor", "md5"), ("floor_fast", "auto")):
        sqls = engine_sql(paths[h], sc["start"], sc["end"])
        floor_sqls[tool] = [floor_sql(sqls["old"]["row_hash"]), floor_sql(sqls["new"]["row_hash"])]
    conns = [psycopg.connect(f"{sc['dsn']} dbname={db}", autocommit=True) for db in (sc["old_db"], sc["new_db"])]
    for c in conns:
        c.execute("SET TIME ZONE 'UTC'")
    bench_dbs = {sc["old_db"], sc["new_db"]}
    warm, started = {}, {}
    for tool, h in (("service", "auto"), ("service_md5", "md5")):
        if tool not in tools:
            continue
        t = time.perf_counter()
        warm[tool] = WarmService(paths[h], sc)
        started[tool] = time.perf_counter() - t
        t = time.perf_counter()
        first = warm[tool].judge()
        print(f"{tool}: started in {started[tool]:.2f}s; warm-up judgement {time.perf_counter() - t:.2f}s "
              f"({first['status']}, {first['totals']})", file=sys.stderr)
    runs: dict[str, list] = {tool: [] for tool in tools}
    for i in range(args.runs):
        parts = []
        for tool in tools:
            waited = wait_quiet(bench_dbs, args.quiet_wait)
            with Monitor(bench_dbs) as mon:
                if tool in floor_sqls:
                    r = floor_run(conns, floor_sqls[tool], sc["start"], sc["end"])
                elif tool in warm:
                    r = warm[tool].judge()
                else:
                    r = reladiff_run(sc, best=True)
            r["others_cores"] = mon.report()["foreign_cores"]
            r["waited_s"] = round(waited, 1)
            runs[tool].append(r)
            parts.append(f"{tool} {r['wall']:.2f}s")
        print(f"round {i + 1}: " + ", ".join(parts), file=sys.stderr)
    summary = {tool: {"wall": med([r["wall"] for r in rs])} for tool, rs in runs.items()}
    ratios = {}
    for tool in warm:
        for key in ("connect", "checksums", "refine", "fetch", "suite", "total"):
            summary[tool][key] = med([r["timings"].get(key) for r in runs[tool]])
        for ref in ("floor", "floor_fast", "reladiff_best"):
            if ref in summary:
                ratios[f"{tool}_over_{ref}"] = round(summary[tool]["wall"] / summary[ref]["wall"], 2)
    doc = {"scenario": sc["name"], "window": [iso(sc["start"]), iso(sc["end"])],
           "rows_per_side": sc["rows_per_side_window"], "service_start_s": started,
           "summary": summary, "ratios": ratios, "runs": runs}
    (args.out / "service.json").write_text(json.dumps(doc, indent=2, default=str))
    print(json.dumps({"summary": summary, "ratios": ratios}, indent=2))
    for w in warm.values():
        w.service.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
