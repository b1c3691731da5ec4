#!/usr/bin/env python3
"""Load device events into two PostgreSQL databases for the benchmarks.

Rows are generated inside PostgreSQL (generate_series), never in Python, so 17 M rows
per side load in a few minutes. Both databases are loaded at the same time.

    .venv/bin/python bench/load_events.py                      # 24 h x 200/s, identical
    .venv/bin/python bench/load_events.py --hours 1 --variant diff

Schema (the reference schema of DESIGN.md, both sides):
    device_events(event_id bigint primary key, device_id text, event_type text,
                  value double precision, time timestamptz)  + index on (time)

Event g (1-based) happens at START + (g - 1) / RATE seconds, so the window
[START, START + HOURS) holds exactly HOURS * 3600 * RATE rows per side.

--variant diff changes the new side inside the first hour: 300 rows deleted,
200 values changed, 100 extra rows inserted. The injected keys are written to
bench/out/injected.json so a row diff can be checked key by key.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
from bench_config import parse_time

EVENT_TYPES = ["heartbeat", "temperature", "door_open", "door_close", "battery"]
DEFAULT_START = "2026-11-26T00:00:00Z"

# Which event ids the diff variant touches; all lie in the first hour (ids 1..rate*3600).
N_DELETED, N_CHANGED, N_EXTRA = 300, 200, 100


def injected_ids(rate: float, total: int) -> dict[str, list[int]]:
    first_hour = int(3600 * rate)
    step = first_hour // (N_DELETED + N_CHANGED + 1)
    touched = [step * (i + 1) for i in range(N_DELETED + N_CHANGED)]
    return {
        "missing_in_new": touched[0::2][:N_DELETED] + touched[1::2][N_CHANGED:],
        "mismatched": touched[1::2][:N_CHANGED],
        "extra_in_new": [total + i + 1 for i in range(N_EXTRA)],
    }


def admin_dsn(base: str) -> str:
    return f"{base} dbname=postgres"


def ensure_database(base: str, name: str) -> None:
    with psycopg.connect(admin_dsn(base), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def load_side(base: str, db: str, start: datetime, total: int, step_us: int, log,
              hypertable: bool = False) -> None:
    """hypertable=True (a TimescaleDB database): a hypertable with 1-hour chunks, primary key
    (event_id, time), TimescaleDB's own index on time."""
    t0 = time.perf_counter()
    with psycopg.connect(f"{base} dbname={db}", autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("DROP TABLE IF EXISTS device_events CASCADE")
        conn.execute(
            "CREATE TABLE device_events (event_id bigint NOT NULL, device_id text NOT NULL, "
            "event_type text NOT NULL, value double precision, time timestamptz NOT NULL)"
        )
        if hypertable:
            conn.execute("SELECT create_hypertable('device_events', by_range('time', INTERVAL '1 hour'))")
        types = "ARRAY[" + ",".join(f"'{t}'" for t in EVENT_TYPES) + "]"
        conn.execute(
            f"""
            INSERT INTO device_events (event_id, device_id, event_type, value, time)
            SELECT g,
                   'dev-' || lpad((g %% 400)::text, 3, '0'),
                   ({types})[1 + (g %% {len(EVENT_TYPES)})],
                   round(((g * 7919) %% 100000)::numeric / 1000, 3)::double precision,
                   %(start)s::timestamptz + (g - 1) * %(step)s * interval '1 microsecond'
            FROM generate_series(1::bigint, %(total)s::bigint) AS g
            """,
            {"start": start, "step": step_us, "total": total},
        )
        log(f"{db}: inserted {total:,} rows in {time.perf_counter() - t0:.0f}s")
        if hypertable:
            conn.execute("ALTER TABLE device_events ADD PRIMARY KEY (event_id, time)")
        else:
            conn.execute("ALTER TABLE device_events ADD PRIMARY KEY (event_id)")
            conn.execute("CREATE INDEX device_events_time_idx ON device_events (time)")
        log(f"{db}: primary key and time index built at {time.perf_counter() - t0:.0f}s")


def inject_diff(base: str, db: str, start: datetime, step_us: int, ids: dict[str, list[int]], log) -> None:
    with psycopg.connect(f"{base} dbname={db}") as conn:
        conn.execute("DELETE FROM device_events WHERE event_id = ANY(%s)", (ids["missing_in_new"],))
        conn.execute("UPDATE device_events SET value = value + 1.5 WHERE event_id = ANY(%s)", (ids["mismatched"],))
        # Extra rows: new ids, spread over the first hour, each 1 ms after an existing event
        # (whole milliseconds, never the same instant as an existing event).
        n = len(ids["extra_in_new"])
        slots = int(3_600_000_000 // step_us) // (n + 1)
        conn.execute(
            """
            INSERT INTO device_events (event_id, device_id, event_type, value, time)
            SELECT id, 'dev-extra', 'heartbeat', 42.0,
                   %(start)s::timestamptz + (i * %(slots)s * %(step)s + 1000) * interval '1 microsecond'
            FROM unnest(%(ids)s::bigint[]) WITH ORDINALITY AS u(id, i)
            """,
            {"start": start, "slots": slots, "step": step_us, "ids": ids["extra_in_new"]},
        )
        conn.commit()
    log(f"{db}: injected {len(ids['missing_in_new'])} deleted, {len(ids['mismatched'])} changed, "
        f"{len(ids['extra_in_new'])} extra rows")


def vacuum(base: str, db: str, log) -> None:
    t0 = time.perf_counter()
    with psycopg.connect(f"{base} dbname={db}", autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) device_events")
        size = conn.execute("SELECT pg_size_pretty(pg_total_relation_size('device_events'))").fetchone()[0]
    log(f"{db}: VACUUM ANALYZE in {time.perf_counter() - t0:.0f}s, table + indexes {size}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--hours", type=float, default=24, help="hours of events (default 24)")
    p.add_argument("--rate", type=float, default=200, help="events per second (default 200)")
    p.add_argument("--start", default=DEFAULT_START, help=f"first event, UTC (default {DEFAULT_START})")
    p.add_argument("--variant", choices=["identical", "diff"], default="identical")
    p.add_argument("--old-db", default="rc_bench_old")
    p.add_argument("--new-db", default="rc_bench_new")
    p.add_argument("--dsn", default="host=127.0.0.1 port=5432 user=postgres",
                   help="libpq connection string without dbname")
    p.add_argument("--out", default=str(Path(__file__).resolve().parent / "out"))
    args = p.parse_args(argv)

    start = parse_time(args.start)
    total = int(round(args.hours * 3600 * args.rate))
    step_us = int(round(1_000_000 / args.rate))
    if abs(step_us * args.rate - 1_000_000) > 1e-6:
        p.error("--rate must divide 1,000,000 (events land on whole microseconds)")
    end = start + timedelta(hours=args.hours)
    if args.variant == "diff" and args.hours < 1:
        p.error("--variant diff needs --hours 1 or more (its changes lie in the first hour)")

    lock = threading.Lock()
    t_start = time.perf_counter()

    def log(msg):
        with lock:
            print(f"[{time.perf_counter() - t_start:6.0f}s] {msg}", file=sys.stderr, flush=True)

    log(f"loading {total:,} rows per side, {start:%Y-%m-%dT%H:%MZ} .. {end:%Y-%m-%dT%H:%MZ}, "
        f"variant {args.variant}")
    for db in (args.old_db, args.new_db):
        ensure_database(args.dsn, db)

    errors: list[BaseException] = []

    def run(fn, *a):
        try:
            fn(*a)
        except BaseException as e:  # reported below, the other side keeps going
            errors.append(e)
            log(f"error: {e}")

    threads = [threading.Thread(target=run, args=(load_side, args.dsn, db, start, total, step_us, log))
               for db in (args.old_db, args.new_db)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        return 1

    ids = None
    if args.variant == "diff":
        ids = injected_ids(args.rate, total)
        inject_diff(args.dsn, args.new_db, start, step_us, ids, log)

    threads = [threading.Thread(target=run, args=(vacuum, args.dsn, db, log)) for db in (args.old_db, args.new_db)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        return 1

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = {
        "old_db": args.old_db, "new_db": args.new_db, "dsn": args.dsn,
        "start": start.isoformat().replace("+00:00", "Z"), "end": end.isoformat().replace("+00:00", "Z"),
        "hours": args.hours, "rate": args.rate, "rows_per_side": total, "variant": args.variant,
        "expected": None if ids is None else {
            "old": total, "new": total - len(ids["missing_in_new"]) + len(ids["extra_in_new"]),
            "missing_in_new": len(ids["missing_in_new"]), "mismatched": len(ids["mismatched"]),
            "extra_in_new": len(ids["extra_in_new"]),
        },
        "injected": ids,
        "loaded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "load_seconds": round(time.perf_counter() - t_start, 1),
    }
    (out / "dataset.json").write_text(json.dumps(manifest, indent=2) + "\n")
    log(f"done; manifest in {out / 'dataset.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
