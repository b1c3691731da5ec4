#!/usr/bin/env python3
"""Time `reconciler compare --rows` against the checksum floor and reladiff 0.6.

Needs the databases that bench/load_events.py filled; each scenario reads its manifest
(window, databases, injected keys):

  1h_identical  bench/out/h1/dataset.json    rc_bench1h_old / rc_bench1h_new   (1 h, identical)
  1h_diff       bench/out/h1d/dataset.json   rc_bench1hd_old / rc_bench1hd_new (1 h, 300 deleted,
                                             200 changed, 100 extra rows in the new side)
  24h_diff      bench/out/h24d/dataset.json  rc_bench24d_old / rc_bench24d_new (24 h, same changes)
  24h_identical, 6h_of_24h, 1h_of_24h
                bench/out/dataset.json       rc_bench_old / rc_bench_new       (windows of the 24 h load)

Tools, run round-robin in each round (one warm-up round, not counted, then --runs rounds):

  floor             SELECT count(*), sum(<row hash>) FROM device_events WHERE time >= $1 AND time < $2
                    on both databases at once (two threads, connections opened beforehand). <row hash>
                    is the engine's own expression, compiled from SideSQL.row_hash() with the dataset's
                    specs (see --show-sql), but without the GROUP BY per time slice.
  rec               `reconciler compare device_events --rows --format json` (the bench's schedule.yaml,
                    with the device_events suite, so Great Expectations is imported): wall time,
                    the JSON `timings`, peak RSS (os.wait4), exit code, totals and sampled keys.
  rec_nosuite       the same with a config whose checks name no suite (built-in thresholds, no GX import).
  reladiff_best     reladiff 0.6 from a separate venv, -j 8 --bisection-factor 32 --bisection-threshold 65536
  reladiff_default  reladiff 0.6 with its default settings
                    both under /usr/bin/time -v (peak RSS), output --json, parsed into key sets.

Every measurement records the 1-minute load average before it and the other engineers'
activity (pytest processes, active PostgreSQL backends on databases other than the bench's).

Results are merged into bench/out/rows.json (one entry per scenario; a rerun of a scenario
replaces its entry), and a table of medians is printed.

    .venv/bin/python bench/bench_rows.py --scenario 1h_identical --scenario 1h_diff
    .venv/bin/python bench/bench_rows.py --scenario 24h_diff --tools floor,rec,rec_nosuite,reladiff_best
    .venv/bin/python bench/bench_rows.py --table            # print the table from rows.json
    .venv/bin/python bench/bench_rows.py --explain 1h_diff  # EXPLAIN ANALYZE of the engine's statements
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
from bench_config import copy_suite, iso, parse_dsn, parse_time, run_measured, schedule_text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
RELADIFF = os.environ.get("RELADIFF", "/tmp/reladiff-venv/bin/reladiff")
SAMPLE_LIMIT = 1000

SCENARIOS = {
    "1h_identical": {"manifest": "h1/dataset.json"},
    "1h_diff": {"manifest": "h1d/dataset.json"},
    "24h_diff": {"manifest": "h24d/dataset.json"},
    "24h_identical": {"manifest": "dataset.json"},
    "6h_of_24h": {"manifest": "dataset.json", "hours": 6},
    "1h_of_24h": {"manifest": "dataset.json", "hours": 1},
}
TOOLS = ["floor", "rec", "rec_nosuite", "reladiff_best", "reladiff_default"]
RELADIFF_BEST = ["-j", "8", "--bisection-factor", "32", "--bisection-threshold", "65536"]

# ---------------------------------------------------------------- scenarios and configs

def scenario(name: str, out: Path = OUT) -> dict:
    """The scenario's window and databases, from the manifest load_events.py wrote under `out`."""
    spec = SCENARIOS[name]
    path = Path(out) / spec["manifest"]
    if not path.is_file():
        raise SystemExit(f"{path} not found: load the data first (see bench/README.md)")
    m = json.loads(path.read_text())
    start = parse_time(m["start"])
    end = start + timedelta(hours=spec["hours"]) if "hours" in spec else parse_time(m["end"])
    whole = end == parse_time(m["end"]) and start == parse_time(m["start"])
    rows = int(round((end - start).total_seconds() * m["rate"]))
    d = parse_dsn(m["dsn"])
    return {"name": name, "out": Path(out), "manifest": m, "manifest_path": str(path), "start": start, "end": end,
            "whole_table": whole, "rows_per_side_window": rows, "old_db": m["old_db"], "new_db": m["new_db"],
            "dsn": m["dsn"], "user": d.get("user", "postgres"), "host": d.get("host", "127.0.0.1"),
            "port": d.get("port", "5432"), "injected": m.get("injected") if whole or start == parse_time(
                m["start"]) else None}


def write_configs(sc: dict) -> tuple[Path, Path]:
    """<out>/rows/<scenario>/schedule.yaml (with the project's suite copied beside it) and
    .../nosuite/schedule.yaml (checks without a suite: no Great Expectations import)."""
    base = sc["out"] / "rows" / sc["name"]
    copy_suite(base)
    nosuite = base / "nosuite"
    nosuite.mkdir(exist_ok=True)
    shutil.rmtree(nosuite / "expectations", ignore_errors=True)
    for out, suite in ((base, True), (nosuite, False)):
        (out / "schedule.yaml").write_text(schedule_text(f"bench_rows.py: scenario {sc['name']}", sc["dsn"],
                                                         sc["old_db"], sc["new_db"], out, suite,
                                                         diff=f"sample_limit: {SAMPLE_LIMIT}"))
    return base / "schedule.yaml", nosuite / "schedule.yaml"


# ---------------------------------------------------------------- the engine's row hash

def engine_sql(config: Path, start: datetime, end: datetime) -> dict:
    """Compile the engine's row-hash expression (and its time-slice expression) for both sides
    with the dataset's real specs (types reflected from the databases)."""
    from contextlib import ExitStack

    from sqlalchemy.dialects import postgresql

    from reconciler.compare.rowdiff.columns import build_specs, reflect_types
    from reconciler.compare.rowdiff.engine import RowDiff
    from reconciler.compare.sides import open_sides, prepare_side
    from reconciler.config.loader import load_config
    from reconciler.sources.connection import opened_sources
    from reconciler.timeutil import Window

    loaded = load_config(str(config))
    out = {}
    with ExitStack() as stack:
        sides = open_sides(loaded, "device_events", stack.enter_context(opened_sources(loaded)))
        conns = {}
        for name, side in sides.items():
            conns[name] = stack.enter_context(side.source.connect())
            prepare_side(loaded, "device_events", side, conns[name])
        rd = RowDiff(loaded.config.datasets["device_events"], sides, Window(start, end))
        types = {n: reflect_types(conns[n], s.rel, rd._names(n), s.source.dialect) for n, s in sides.items()}
        rd.specs = build_specs(rd.ds, types["old"], types["new"])
        for name in ("old", "new"):
            sql = rd._side_sql(name, start)
            kw = {"dialect": postgresql.dialect(), "compile_kwargs": {"literal_binds": True}}
            out[name] = {"row_hash": str(sql.row_hash().compile(**kw)),
                         "time_units": str(sql.time_units.compile(**kw))}
    return out


def floor_sql(row_hash: str) -> str:
    return (f"SELECT count(*), sum({row_hash}) FROM device_events "
            f"WHERE device_events.time >= %s AND device_events.time < %s")


# ---------------------------------------------------------------- environment noise

def noise(bench_dbs: set[str], admin: psycopg.Connection | None) -> dict:
    """1-minute load average and what other engineers are running right now."""
    load1, load5, _ = os.getloadavg()
    pytest = []
    try:
        ps = subprocess.run(["ps", "-eo", "pid,pcpu,args"], capture_output=True, text=True).stdout
        for line in ps.splitlines()[1:]:
            if "pytest" in line and "ps -eo" not in line:
                pytest.append(line.strip()[:80])
    except OSError:
        pass
    foreign = None
    if admin is not None:
        foreign = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() "
            "AND datname IS NOT NULL AND NOT (datname = ANY(%s))", (sorted(bench_dbs),)).fetchone()[0]
    return {"load1": round(load1, 2), "load5": round(load5, 2), "pytest": len(pytest),
            "foreign_pg_active": foreign}



class Monitor:
    """Samples /proc while a measurement runs: CPU used by processes that are neither ours (this
    script's process tree) nor PostgreSQL backends (and their parallel workers) on the bench
    databases, i.e. the other engineers' work. foreign_cores = their CPU seconds / wall seconds."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, bench_dbs: set[str]):
        self.bench_dbs = bench_dbs
        self.stop_event = threading.Event()
        self.foreign_cpu = 0.0
        self.seen_pytest = False
        self.foreign_names: dict[str, float] = {}

    def _snapshot(self) -> dict[int, tuple[int, float, str]]:
        procs = {}
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/stat") as f:
                    stat = f.read()
                with open(f"/proc/{d}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            except OSError:
                continue
            rest = stat[stat.rindex(")") + 2:].split()
            procs[int(d)] = (int(rest[1]), (int(rest[11]) + int(rest[12])) / self.TICK, cmd)
        return procs

    def _ours(self, procs) -> set[int]:
        me = os.getpid()
        ours = set()
        bench_backends = set()
        for pid, (_, _, cmd) in procs.items():
            if cmd.startswith("postgres:") and any(f" {db} " in cmd for db in self.bench_dbs):
                bench_backends.add(pid)
        for pid, (ppid, _, cmd) in procs.items():
            p, hops = pid, 0
            while p and hops < 50:
                if p == me:
                    ours.add(pid)
                    break
                p = procs.get(p, (0,))[0]
                hops += 1
            m = re.search(r"parallel worker for PID (\d+)", cmd)
            if m and int(m.group(1)) in bench_backends:
                ours.add(pid)
        return ours | bench_backends

    def run(self):
        prev = self._snapshot()
        while not self.stop_event.wait(0.5):
            cur = self._snapshot()
            ours = self._ours(cur)
            for pid, (ppid, cpu, cmd) in cur.items():
                if pid in ours:
                    continue
                if "pytest" in cmd:
                    self.seen_pytest = True
                before = prev.get(pid)
                delta = cpu - before[1] if before and before[2] == cmd else 0.0
                if delta > 0:
                    self.foreign_cpu += delta
                    name = cmd[:60] or str(pid)
                    self.foreign_names[name] = self.foreign_names.get(name, 0.0) + delta
            prev = cur

    def __enter__(self):
        self.t0 = time.perf_counter()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.thread.join()
        self.wall = time.perf_counter() - self.t0

    def report(self) -> dict:
        top = sorted(self.foreign_names.items(), key=lambda kv: -kv[1])[:3]
        return {"foreign_cores": round(self.foreign_cpu / max(self.wall, 1e-9), 2), "pytest_seen": self.seen_pytest,
                "foreign_top": [f"{round(v, 1)}s {k}" for k, v in top]}


def code_fingerprint() -> str:
    """git HEAD plus a hash of reconciler/*.py as they are on disk (others edit the tree)."""
    import hashlib

    h = hashlib.sha256()
    for path in sorted((ROOT / "reconciler").rglob("*.py")):
        h.update(path.relative_to(ROOT).as_posix().encode())
        h.update(path.read_bytes())
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True).stdout.strip()
    except OSError:
        head = "?"
    return f"{head}+{h.hexdigest()[:12]}"


def wait_quiet(bench_dbs: set[str], limit: float) -> float:
    """Wait (at most `limit` seconds) until the other engineers use under 0.25 core for 3 s."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        with Monitor(bench_dbs) as mon:
            time.sleep(3)
        if mon.report()["foreign_cores"] < 0.25:
            break
    return time.perf_counter() - t0


# ---------------------------------------------------------------- tools

def floor_run(conns: list, sqls: list[str], start: datetime, end: datetime) -> dict:
    results: dict[int, tuple] = {}
    barrier = threading.Barrier(len(conns) + 1)

    def one(i, conn):
        barrier.wait()
        t = time.perf_counter()
        n, h = conn.execute(sqls[i], (start, end)).fetchone()
        results[i] = (time.perf_counter() - t, n, int(h or 0))

    threads = [threading.Thread(target=one, args=(i, c)) for i, c in enumerate(conns)]
    for th in threads:
        th.start()
    barrier.wait()
    t0 = time.perf_counter()
    for th in threads:
        th.join()
    return {"wall": time.perf_counter() - t0, "old": results[0][0], "new": results[1][0],
            "count_old": results[0][1], "count_new": results[1][1],
            "sums_equal": results[0][2] == results[1][2] and results[0][1] == results[1][1]}


def rec_command(config: Path, sc: dict) -> list[str]:
    exe = str(Path(sys.executable).parent / "reconciler")
    return [exe, "--config", str(config), "compare", "device_events", "--rows", "--format", "json",
            "--start", iso(sc["start"]), "--end", iso(sc["end"])]


def rec_run(config: Path, sc: dict) -> dict:
    env = dict(os.environ)
    env.pop("RECONCILER_CONFIG", None)
    code, wall, usage, stdout, stderr = run_measured(rec_command(config, sc), env)
    if code not in (0, 1):
        raise SystemExit(f"reconciler exited {code}:\n{stderr[-3000:]}")
    doc = json.loads(stdout)
    t = doc["timings"]
    keys = {kind: sorted(s["key"]["event_id"] for s in doc["samples"].get(kind, []))
            for kind in ("missing_in_new", "extra_in_new", "mismatched")}
    tot = doc["totals"]
    return {"wall": wall, "exit": code, "max_rss_mb": usage.ru_maxrss / 1024,
            "cpu_s": usage.ru_utime + usage.ru_stime, "timings": t,
            "engine": sum(t.get(k, 0.0) for k in ("checksums", "refine", "fetch")),
            "status": doc["status"], "truncated": doc["truncated"],
            "totals": {k: tot.get(k) for k in ("old", "new", "matched", "mismatched", "missing_in_new",
                                                "extra_in_new", "duplicates_old", "duplicates_new",
                                                "match_pct", "unverified", "rows_fetched")},
            "keys": keys}


def reladiff_command(sc: dict, best: bool) -> list[str]:
    url = f"postgresql://{sc['user']}@{sc['host']}:{sc['port']}/"
    cmd = [RELADIFF, url + sc["old_db"], "device_events", url + sc["new_db"], "device_events",
           "-k", "event_id", "-c", "time", "-c", "device_id", "-c", "event_type", "-c", "value", "--json"]
    if not sc["whole_table"]:
        cmd += ["-w", f"time >= '{iso(sc['start'])}' AND time < '{iso(sc['end'])}'"]
    return cmd + (RELADIFF_BEST if best else [])


def reladiff_run(sc: dict, best: bool) -> dict:
    env = dict(os.environ, COLUMNS="100000")  # rich wraps --json lines at the terminal width otherwise
    cmd = ["/usr/bin/time", "-v"] + reladiff_command(sc, best)
    code, wall, usage, stdout, stderr = run_measured(cmd, env)
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    minus, plus = set(), set()
    bad_lines = 0
    for line in stdout.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            sign, row = json.loads(line)
        except ValueError:
            bad_lines += 1
            continue
        (minus if sign == "-" else plus).add(int(row[0]))
    errors = [l for l in stderr.splitlines() if re.search(r"error|exception|traceback", l, re.I)]
    return {"wall": wall, "exit": code, "max_rss_mb": int(m.group(1)) / 1024 if m else None,
            "cpu_s": usage.ru_utime + usage.ru_stime, "diff_lines": len(stdout.splitlines()),
            "unparsed_lines": bad_lines, "stderr_errors": errors[:5],
            "keys": {"missing_in_new": sorted(minus - plus), "extra_in_new": sorted(plus - minus),
                     "mismatched": sorted(minus & plus)}}


# ---------------------------------------------------------------- key sets

def key_check(sc: dict, rec: list[dict], rel: dict[str, list[dict]]) -> dict:
    """Do reconciler, reladiff and the loader's manifest agree key by key?"""
    out = {}
    truth = sc["injected"]
    if truth is not None:
        truth = {k: sorted(v) for k, v in truth.items()}
    kinds = ("missing_in_new", "extra_in_new", "mismatched")
    runs = {"reconciler": [r["keys"] for r in rec]}
    runs.update({tool: [r["keys"] for r in rs] for tool, rs in rel.items()})
    for tool, keysets in runs.items():
        if not keysets:
            continue
        first = keysets[0]
        out[tool] = {
            "counts": {k: len(first[k]) for k in kinds},
            "same_in_every_run": all(ks == first for ks in keysets),
            "equals_injected": None if truth is None else all(first[k] == truth[k] for k in kinds),
            "equals_reconciler": None if tool == "reconciler" or not rec else first == rec[0]["keys"],
        }
    if rec:
        t = rec[0]["totals"]
        out["reconciler"]["totals_exceed_samples"] = any(
            (t.get(k) or 0) > len(rec[0]["keys"][k]) for k in kinds)
    return out


# ---------------------------------------------------------------- EXPLAIN

def explain(sc: dict, config: Path) -> str:
    """Run the engine in-process, capture every statement it sends, EXPLAIN ANALYZE each one
    on its database (plus the floor)."""
    import sqlalchemy as sa

    from reconciler.checks.judgement import compare_dataset
    from reconciler.config.loader import load_config
    from reconciler.timeutil import Window

    captured: list[tuple[str, str, dict, float]] = []
    started: dict = {}

    def before(conn, cursor, statement, parameters, context, executemany):
        started[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        db = conn.engine.url.database
        captured.append((db, statement, dict(parameters or {}), time.perf_counter() - started.pop(id(cursor), 0)))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", before)
    sa.event.listen(sa.engine.Engine, "after_cursor_execute", after)
    try:
        res = compare_dataset(load_config(str(config)), "device_events", Window(sc["start"], sc["end"]), rows=True)
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", before)
        sa.event.remove(sa.engine.Engine, "after_cursor_execute", after)
    lines = [f"scenario {sc['name']}: engine timings {json.dumps({k: round(v, 3) for k, v in res.timings.items()})}",
             f"{len(captured)} statements sent", ""]
    for db, stmt, params, secs in captured:
        lines.append(f"-- {db}: {secs:.3f}s (time until execute returned; fetch time not included) "
                     f"{stmt[:160].replace(chr(10), ' ')}...")
    lines.append("")
    sqls = engine_sql(config, sc["start"], sc["end"])
    heavy = [(db, s, p) for db, s, p, _ in captured if "sum(" in s.lower() or "FROM device_events" in s]
    for db, stmt, params in heavy:
        if "information_schema" in stmt or "pg_catalog" in stmt:
            continue
        with psycopg.connect(f"{sc['dsn']} dbname={db}", autocommit=True) as conn:
            conn.execute("SET TIME ZONE 'UTC'")
            plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS, VERBOSE) " + stmt, params).fetchall()
        lines.append(f"== {db}: {len(params)} parameters\n{stmt}\nparams: {params}\n")
        lines.extend(r[0] for r in plan)
        lines.append("")
    for side, db in (("old", sc["old_db"]), ("new", sc["new_db"])):
        with psycopg.connect(f"{sc['dsn']} dbname={db}", autocommit=True) as conn:
            conn.execute("SET TIME ZONE 'UTC'")
            sql = floor_sql(sqls[side]["row_hash"])
            plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS, VERBOSE) " + sql, (sc["start"], sc["end"])).fetchall()
        lines.append(f"== {db}: floor\n{sql}\n")
        lines.extend(r[0] for r in plan)
        lines.append("")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- driver

def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(runs: dict) -> dict:
    s = {}
    if runs.get("floor"):
        f = runs["floor"]
        s["floor"] = {"wall": med([r["wall"] for r in f]), "old": med([r["old"] for r in f]),
                      "new": med([r["new"] for r in f]), "load1": med([r["noise"]["load1"] for r in f]),
                      "others_cores": med([r["noise"].get("foreign_cores") for r in f])}
    for tool in ("rec", "rec_nosuite"):
        rs = runs.get(tool)
        if not rs:
            continue
        keys = sorted({k for r in rs for k in r["timings"]})
        s[tool] = {"wall": med([r["wall"] for r in rs]), "engine": med([r["engine"] for r in rs]),
                   "timings": {k: med([r["timings"].get(k) for r in rs]) for k in keys},
                   "max_rss_mb": med([r["max_rss_mb"] for r in rs]),
                   "peak_rss_mb": max(r["max_rss_mb"] for r in rs),
                   "cpu_s": med([r["cpu_s"] for r in rs]), "load1": med([r["noise"]["load1"] for r in rs]),
                   "others_cores": med([r["noise"].get("foreign_cores") for r in rs]),
                   "exit": sorted({r["exit"] for r in rs}), "totals": rs[0]["totals"]}
    for tool in ("reladiff_best", "reladiff_default"):
        rs = runs.get(tool)
        if not rs:
            continue
        s[tool] = {"wall": med([r["wall"] for r in rs]), "max_rss_mb": med([r["max_rss_mb"] for r in rs]),
                   "peak_rss_mb": max(r["max_rss_mb"] or 0 for r in rs), "cpu_s": med([r["cpu_s"] for r in rs]),
                   "load1": med([r["noise"]["load1"] for r in rs]), "exit": sorted({r["exit"] for r in rs}),
                   "others_cores": med([r["noise"].get("foreign_cores") for r in rs]),
                   "diff_lines": sorted({r["diff_lines"] for r in rs})}
    s["ratios"] = _ratios(s)
    return s


def bench_scenario(name: str, tools: list[str], runs: int, warmup: bool, quiet_wait: float = 120,
                   max_foreign: float = 0.25, out: Path = OUT) -> dict:
    sc = scenario(name, out)
    config, config_nosuite = write_configs(sc)
    sqls = engine_sql(config, sc["start"], sc["end"])
    floor_sqls = [floor_sql(sqls["old"]["row_hash"]), floor_sql(sqls["new"]["row_hash"])]
    bench_dbs = {sc["old_db"], sc["new_db"]}
    admin = psycopg.connect(f"{sc['dsn']} dbname=postgres", autocommit=True)
    conns = [psycopg.connect(f"{sc['dsn']} dbname={db}", autocommit=True) for db in (sc["old_db"], sc["new_db"])]
    for c in conns:
        c.execute("SET TIME ZONE 'UTC'")
    # The tables must have statistics.
    analyzed = {}
    for db, c in zip((sc["old_db"], sc["new_db"]), conns):
        row = c.execute("SELECT last_analyze, last_autoanalyze, n_mod_since_analyze FROM pg_stat_user_tables "
                        "WHERE relname = 'device_events'").fetchone()
        if row is None or (row[0] is None and row[1] is None) or row[2]:
            c.execute("ANALYZE device_events")
            row = c.execute("SELECT last_analyze, last_autoanalyze, n_mod_since_analyze FROM pg_stat_user_tables "
                            "WHERE relname = 'device_events'").fetchone()
        analyzed[db] = {"last_analyze": str(row[0]), "last_autoanalyze": str(row[1]), "n_mod_since_analyze": row[2]}

    print(f"\n{name}: {iso(sc['start'])} .. {iso(sc['end'])}, {sc['rows_per_side_window']:,} rows per side "
          f"in the window; {runs} runs{' after 1 warm-up' if warmup else ''}; tools {','.join(tools)}",
          file=sys.stderr)
    results: dict[str, list] = {t: [] for t in tools}
    disturbed: dict[str, list] = {t: [] for t in tools}
    rounds = 0
    max_rounds = runs * 3 + (1 if warmup else 0)
    while rounds < max_rounds and any(len(results[t]) < runs for t in tools):
        tag = "warm-up" if warmup and rounds == 0 else f"round {rounds if warmup else rounds + 1}"
        rounds += 1
        parts = []
        for tool in tools:
            if tag != "warm-up" and len(results[tool]) >= runs:
                continue
            waited = wait_quiet(bench_dbs, quiet_wait)
            nz = noise(bench_dbs, admin)
            with Monitor(bench_dbs) as mon:
                if tool == "floor":
                    r = floor_run(conns, floor_sqls, sc["start"], sc["end"])
                    parts.append(f"floor {r['wall']:.2f}s")
                elif tool in ("rec", "rec_nosuite"):
                    r = rec_run(config if tool == "rec" else config_nosuite, sc)
                    parts.append(f"{tool} {r['wall']:.2f}s (engine {r['engine']:.2f}s, {r['max_rss_mb']:.0f} MB)")
                else:
                    r = reladiff_run(sc, best=tool == "reladiff_best")
                    parts.append(f"{tool} {r['wall']:.2f}s ({r['max_rss_mb'] or 0:.0f} MB, {r['diff_lines']} lines)")
            nz.update(mon.report())
            nz["waited_for_quiet_s"] = round(waited, 1)
            nz["code"] = code_fingerprint()
            r["noise"] = nz
            r["round"] = tag
            noisy = nz["foreign_cores"] > max_foreign
            r["disturbed"] = noisy
            if tag != "warm-up":
                (disturbed if noisy else results)[tool].append(r)
            parts[-1] += f" [load {nz['load1']:.1f}, others {nz['foreign_cores']:.2f} cores" \
                         f"{', pytest' if nz['pytest_seen'] else ''}{', DISTURBED' if noisy else ''}]"
        print(f"  {tag:8} " + " | ".join(parts), file=sys.stderr, flush=True)
    codes = sorted({r["noise"]["code"] for rs in results.values() for r in rs})
    if len(codes) > 1:
        print(f"  WARNING: reconciler/ changed during the measurement: {codes}", file=sys.stderr)
    for tool in tools:  # not enough quiet runs: fill up with the least disturbed ones, flagged
        if len(results[tool]) < runs:
            extra = sorted(disturbed[tool], key=lambda r: r["noise"]["foreign_cores"])[:runs - len(results[tool])]
            results[tool].extend(extra)
            print(f"  WARNING: {tool}: only {runs - len(extra)} undisturbed runs; "
                  f"{len(extra)} disturbed runs used", file=sys.stderr)
    for c in conns + [admin]:
        c.close()

    entry = {
        "scenario": name, "window": {"start": iso(sc["start"]), "end": iso(sc["end"])},
        "rows_per_side": sc["rows_per_side_window"], "databases": [sc["old_db"], sc["new_db"]],
        "manifest": sc["manifest_path"], "variant": sc["manifest"]["variant"], "runs": runs,
        "analyzed": analyzed,
        "commands": {
            "floor": floor_sqls[0].replace("%s", "$n"),
            "rec": " ".join(rec_command(config, sc)),
            "rec_nosuite": " ".join(rec_command(config_nosuite, sc)),
            "reladiff_best": "COLUMNS=100000 /usr/bin/time -v " + " ".join(
                f"'{a}'" if " " in a else a for a in reladiff_command(sc, True)),
            "reladiff_default": "COLUMNS=100000 /usr/bin/time -v " + " ".join(
                f"'{a}'" if " " in a else a for a in reladiff_command(sc, False)),
        },
        "median": summarize(results),
        "runs_detail": {t: [{k: v for k, v in r.items() if k != "keys"} for r in rs] for t, rs in results.items()},
        "disturbed_runs_discarded": {t: [{k: v for k, v in r.items() if k != "keys"} for r in rs
                                         if r not in results[t]] for t, rs in disturbed.items()},
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "code": sorted({r["noise"]["code"] for rs in results.values() for r in rs}),
    }
    if sc["manifest"]["variant"] == "diff" or any(t.startswith("reladiff") for t in tools):
        rel = {t: results[t] for t in ("reladiff_best", "reladiff_default") if results.get(t)}
        rec = results.get("rec") or results.get("rec_nosuite") or []
        entry["keys"] = key_check(sc, rec, rel)
    return entry


def load_results(out: Path = OUT) -> dict:
    path = out / "rows.json"
    return json.loads(path.read_text()) if path.is_file() else {"scenarios": {}}


def fmt(v, unit="s", width=8):
    if v is None:
        return " " * (width - 1) + "-"
    return f"{v:{width}.2f}{unit}" if unit == "s" else f"{v:{width}.0f}{unit}"


def print_table(doc: dict) -> None:
    print("\nrow comparison benchmark (median of the runs; wall = end to end of the process; "
          "engine = timings.checksums+refine+fetch)")
    hdr = (f"{'scenario':14} {'rows/side':>11} {'floor':>9} {'engine':>9} {'x floor':>7} {'rec wall':>9} "
           f"{'rec MB':>7} {'noGX wall':>9} {'noGX MB':>7} {'rd best':>9} {'rd MB':>7} {'rd dflt':>9} "
           f"{'rd MB':>7} {'rec/rd':>6} {'others':>6} {'load':>5}")
    print(hdr)
    for name in SCENARIOS:
        e = doc["scenarios"].get(name)
        if not e:
            continue
        m = e["median"]
        rec = m.get("rec") or {}
        nos = m.get("rec_nosuite") or {}
        rb = m.get("reladiff_best") or {}
        rd = m.get("reladiff_default") or {}
        fl = (m.get("floor") or {}).get("wall")
        ratio = m["ratios"].get("engine_over_floor")
        vs = m["ratios"].get("rec_wall_over_reladiff_best")
        loads = [x.get("load1") for x in (m.get("floor"), rec, nos, rb, rd) if x]
        others = [x.get("others_cores") for x in (m.get("floor"), rec, nos, rb, rd) if x and x.get("others_cores") is not None]
        print(f"{name:14} {e['rows_per_side']:>11,} {fmt(fl)} {fmt(rec.get('engine') or nos.get('engine'))} "
              f"{(f'{ratio:6.2f}x' if ratio else '      -')} {fmt(rec.get('wall'))} {fmt(rec.get('peak_rss_mb'), ' ', 7)} "
              f"{fmt(nos.get('wall'))} {fmt(nos.get('peak_rss_mb'), ' ', 7)} {fmt(rb.get('wall'))} "
              f"{fmt(rb.get('peak_rss_mb'), ' ', 7)} {fmt(rd.get('wall'))} {fmt(rd.get('peak_rss_mb'), ' ', 7)} "
              f"{(f'{vs:5.2f}x' if vs else '     -')} {(f'{max(others):6.2f}' if others else '     -')} "
              f"{max(l for l in loads if l is not None) if loads else 0:5.1f}")
    print("  (others = median CPU cores used by other engineers' processes during the runs, worst tool; "
          "load = 1-min load average, which includes this benchmark's own PostgreSQL workers)")
    for name in SCENARIOS:
        e = doc["scenarios"].get(name)
        if e and e.get("keys"):
            print(f"  keys {name}: " + "; ".join(
                f"{tool} {v['counts']} injected={v['equals_injected']} same_as_reconciler={v.get('equals_reconciler')}"
                f" stable={v['same_in_every_run']}" for tool, v in e["keys"].items()))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scenario", action="append", choices=list(SCENARIOS), help="repeatable")
    p.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated subset of {','.join(TOOLS)}")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--no-warmup", action="store_true")
    p.add_argument("--quiet-wait", type=float, default=120,
                   help="before each measurement wait up to this many seconds for the machine to be quiet")
    p.add_argument("--max-foreign", type=float, default=0.25,
                   help="a run during which others used more cores than this is discarded and redone "
                        "(up to 3x --runs rounds)")
    p.add_argument("--table", action="store_true", help="only print the table from bench/out/rows.json "
                   "(medians recomputed from the stored runs)")
    p.add_argument("--explain", metavar="SCENARIO", choices=list(SCENARIOS),
                   help="EXPLAIN ANALYZE the engine's statements to bench/out/rows_explain_<scenario>.txt")
    p.add_argument("--show-sql", metavar="SCENARIO", choices=list(SCENARIOS),
                   help="print the engine's row-hash expression and the floor statement")
    p.add_argument("--out", type=Path, default=OUT,
                   help="folder of the loaders' manifests, the configs and rows.json (default bench/out)")
    args = p.parse_args(argv)
    out = args.out

    if args.show_sql:
        sc = scenario(args.show_sql, out)
        config, _ = write_configs(sc)
        sqls = engine_sql(config, sc["start"], sc["end"])
        for side in ("old", "new"):
            print(f"-- {side} ({sc[side + '_db']})\n{floor_sql(sqls[side]['row_hash'])};\n")
        return 0
    if args.explain:
        sc = scenario(args.explain, out)
        config, _ = write_configs(sc)
        text = explain(sc, config)
        path = out / f"rows_explain_{sc['name']}.txt"
        path.write_text(text)
        print(f"written to {path}")
        return 0
    doc = load_results(out)
    if args.table:
        for entry in doc["scenarios"].values():
            entry["median"] = summarize(entry["runs_detail"])
        (out / "rows.json").write_text(json.dumps(doc, indent=2, default=str) + "\n")
    else:
        tools = [t.strip() for t in args.tools.split(",") if t.strip()]
        unknown = set(tools) - set(TOOLS)
        if unknown:
            p.error(f"unknown tools: {', '.join(sorted(unknown))}")
        for name in args.scenario or ["1h_identical", "1h_diff"]:
            entry = bench_scenario(name, tools, args.runs, not args.no_warmup, args.quiet_wait, args.max_foreign,
                                   out)
            old = doc["scenarios"].get(name)
            if old:  # keep tools measured earlier and not re-run now
                for tool, s in old.get("median", {}).items():
                    if tool not in entry["median"] and tool != "ratios":
                        entry["median"][tool] = s
                        entry["runs_detail"][tool] = old["runs_detail"].get(tool, [])
                        entry["commands"][tool] = old["commands"].get(tool)
                entry["median"]["ratios"] = _ratios(entry["median"])
                if old.get("keys") and entry.get("keys"):
                    entry["keys"] = {**old["keys"], **entry["keys"]}
            doc["scenarios"][name] = entry
            doc["reladiff"] = _reladiff_version()
            doc["targets"] = {"identical_hour_engine_over_floor_max": 1.5, "diff_hour_engine_over_floor_max": 2.0,
                              "diff_hour_end_to_end": "< reladiff best",
                              "24h_end_to_end_over_reladiff_best_max": 0.5, "peak_rss_mb_max": 300}
            (out / "rows.json").write_text(json.dumps(doc, indent=2, default=str) + "\n")
    print_table(doc)
    print(f"\nall runs in {out / 'rows.json'}")
    return 0


def _ratios(m: dict) -> dict:
    ratios = {}
    fl = (m.get("floor") or {}).get("wall")
    for tool in ("rec", "rec_nosuite"):
        r = m.get(tool)
        if r and fl:
            ratios[f"{tool}_engine_over_floor"] = r["engine"] / fl
        if r and m.get("reladiff_best"):
            ratios[f"{tool}_wall_over_reladiff_best"] = r["wall"] / m["reladiff_best"]["wall"]
    rec = m.get("rec") or m.get("rec_nosuite")
    if rec and fl:
        ratios["engine_over_floor"] = rec["engine"] / fl
    if m.get("rec") and m.get("reladiff_best"):
        ratios["rec_wall_over_reladiff_best"] = m["rec"]["wall"] / m["reladiff_best"]["wall"]
    return ratios


def _reladiff_version() -> str | None:
    try:
        return subprocess.run([RELADIFF, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
    except OSError:
        return None


if __name__ == "__main__":
    sys.exit(main())
