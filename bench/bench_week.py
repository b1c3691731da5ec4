"""Issue 17's week at production rate: the week of tests/test_week.py (the same fixtures:
`reconciler init`'s template with the health, lag and latency checks on, bookings with the
shipped rules, dead letters in Redis, a write-latency endpoint, a simulated clock walked
through the wakes of `schedule`), with events at --rate per second instead of one every 30 s,
and the template as shipped (rechecks and Great Expectations suites on). Reports the time the
service takes per simulated day.

    .venv/bin/python bench/bench_week.py                      # 7 days x 200 events/s (242 M rows)
    .venv/bin/python bench/bench_week.py --days 1 --rate 20   # a reduced scale

Old side: PostgreSQL (--pg-url, naive Europe/Madrid times); new side: a TimescaleDB
hypertable (--timescale-url). Databases rc_bench_week_old / rc_bench_week_new are recreated
(with --load, the default). Results: OUT/week.json."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from week_fixtures import START, LatencyEndpoint, SimulatedClock, dlq_keys, load_bookings, walk, week_env, week_schedule  # noqa: E402

from reconciler.timeutil import HOUR, iso  # noqa: E402

OUT = ROOT / "bench" / "out"
KINDS = "ARRAY['temperature','humidity','door_open','door_close','battery','motion']"


def database(admin_url: str, name: str, extension: str | None = None) -> str:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    if extension:
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS {extension}")
        engine.dispose()
    return url


def load(old_url: str, new_url: str, days: int, rate: float) -> int:
    """Event g at START + (g-1)/rate s on both sides (generated inside the databases)."""
    n = int(days * 86400 * rate)
    at = f"TIMESTAMPTZ '{iso(START)}' + (g - 1) * INTERVAL '1 second' / {rate}"
    common = f"'dev-' || lpad((g % 400)::text, 4, '0'), ({KINDS})[g % 6 + 1], (g * 37 % 1000) / 10.0"
    for url, ddl, insert in (
        (old_url, "CREATE TABLE legacy_events (id bigint PRIMARY KEY, device text NOT NULL, kind text NOT NULL, "
                  "reading double precision, ts timestamp(3) NOT NULL); CREATE INDEX ON legacy_events (ts)",
         f"INSERT INTO legacy_events SELECT g, {common}, date_trunc('milliseconds', ({at}) AT TIME ZONE "
         f"'Europe/Madrid') FROM generate_series(1::bigint, {n}) g"),
        (new_url, "CREATE TABLE device_events (event_id bigint NOT NULL, device_id text NOT NULL, event_type text "
                  "NOT NULL, value double precision, time timestamptz NOT NULL, ingested_at timestamptz NOT NULL, "
                  "PRIMARY KEY (event_id, time)); SELECT create_hypertable('device_events', by_range('time', "
                  "INTERVAL '1 hour')); CREATE INDEX ON device_events (time)",
         f"INSERT INTO device_events SELECT g, {common}, date_trunc('milliseconds', {at}), "
         f"date_trunc('milliseconds', {at}) + (200 + g * 131 % 1300) * INTERVAL '1 millisecond' "
         f"FROM generate_series(1::bigint, {n}) g"),
    ):
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for statement in ddl.split("; "):
                conn.exec_driver_sql(statement)
            conn.exec_driver_sql(insert.replace("%", "%%"))
            conn.exec_driver_sql(f"VACUUM ANALYZE {'legacy_events' if url == old_url else 'device_events'}")
        engine.dispose()
    return n


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--rate", type=float, default=200.0, help="events per second")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--timescale-url", default=os.environ.get(
        "RECONCILER_TEST_TIMESCALE_URL", "postgresql+psycopg://postgres@127.0.0.1:5433/postgres"))
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--old-db", default="rc_bench_week_old")
    parser.add_argument("--new-db", default="rc_bench_week_new")
    parser.add_argument("--no-load", action="store_true", help="reuse the databases as loaded before")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    out = args.out / "week"
    out.mkdir(parents=True, exist_ok=True)
    urls = {"old": sa.engine.make_url(args.pg_url).set(database=args.old_db).render_as_string(hide_password=False),
            "new": sa.engine.make_url(args.timescale_url).set(database=args.new_db)
            .render_as_string(hide_password=False)}
    result = {"days": args.days, "rate": args.rate}
    if not args.no_load:
        urls = {"old": database(args.pg_url, args.old_db), "new": database(args.timescale_url, args.new_db,
                                                                           "timescaledb")}
        t = time.perf_counter()
        result["events_per_side"] = load(urls["old"], urls["new"], args.days, args.rate)
        load_bookings([urls["old"], urls["new"]])
        result["load_seconds"] = round(time.perf_counter() - t, 1)
        print(f"loaded {result['events_per_side']:,} events per side in {result['load_seconds']} s", flush=True)

    import redis

    from reconciler.config import load_config
    from reconciler.service.scheduler import Service

    latency = LatencyEndpoint().start()
    keys = dlq_keys(f"bench{os.getpid()}")
    (out / "store.db").unlink(missing_ok=True)
    path = week_schedule(out, dlq=keys, metrics_url=latency.url)   # the template as shipped, suites on
    os.environ.update(week_env(urls, out, redis_url=args.redis_url))
    clock = SimulatedClock(START)
    service = Service(load_config(path), clock=clock)
    for job in service.loaded.config.jobs:
        service.store.start_watermark(job, START - HOUR, now=START)
    per_day = []
    began = time.perf_counter()

    def told(at, job):  # progress, so that a run stopped early still says how fast it went
        if job == "hourly-shadow":
            print(f"{iso(at)} {job}: {time.perf_counter() - began:.1f} s since the start", flush=True)

    try:
        for day in range(args.days):
            t = time.perf_counter()
            walk(service, clock, START + (day + 1) * 24 * HOUR + timedelta(minutes=20), on_wake=told)
            per_day.append(round(time.perf_counter() - t, 1))
            print(f"day {day + 1}: {per_day[-1]} s", flush=True)
    finally:
        service.close()
        service.store.close()
        latency.stop()
        client = redis.Redis.from_url(args.redis_url)
        client.delete(*keys)
        client.close()
    result.update(seconds_per_day=per_day, median_seconds_per_day=statistics.median(per_day))
    (out / "week.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
