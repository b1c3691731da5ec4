"""A week in the life (issue 17 item 8): the data, the pipeline around it and the clock.

- Device events, one every 30 s for 7 days from START: the old side on PostgreSQL with the
  legacy schema and naive wall-clock timestamps in Europe/Madrid, the new side a TimescaleDB
  hypertable with an `ingested_at` column (the new system's processing lag, 0.2-1.5 s).
- Bookings on both sides (the shipped rules' schema), clean for the whole week.
- The dead-letter queues in Redis (keys of this process only) and a local HTTP endpoint
  serving the new service's write-latency histogram, whose counters grow with the clock.
- `schedule.yaml`: what `reconciler init` writes, with the health, lag and latency checks it
  ships commented out switched on, as the template tells an operator to do.
- A simulated clock, and `walk`, which fires every job's wakes in time order as APScheduler
  would (`Service.wake`, what the triggers call), changing the world at planted moments.

The faulty week plants (hours counted from START): FAULTS."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from service_fixtures import SimulatedClock, Walk, walk  # noqa: F401  (the week drives the service with them)

from reconciler.cli.init import render_template
from reconciler.demo.bookings import Stay, create_booking_schema, device_rows, merge_rows, stay_rows, write_rows
from reconciler.timeutil import HOUR

UTC = timezone.utc
MADRID = ZoneInfo("Europe/Madrid")
START = datetime(2026, 11, 9, tzinfo=UTC)    # a Monday; no DST change in Madrid that week
DAYS = 7
HOURS = DAYS * 24
END = START + HOURS * HOUR
EVERY_S = 30                                  # one event every 30 s: 120 an hour
PER_HOUR = 3600 // EVERY_S
EVENT_TYPES = ("temperature", "humidity", "door_open", "door_close", "battery", "motion")
M = timedelta(minutes=1)


@dataclass(frozen=True)
class Faults:
    """What the faulty week plants, by hour index from START."""

    missing_hours: tuple = (30, 31)           # 6 of 120 events missing in new: drift -5 %, match 95 %
    missing_every: int = 20
    busy_hour: int = 50                       # 1000 events, one value differs: match 99.9 % exactly (passes)
    lag_hours: tuple = (80, 81, 82)           # every event stored 8-9.3 s late: p99 above 5 s
    spike_hour: int = 100                     # one event 30 s late: p99 absorbs it
    dlq_in: int = 110                         # a dead letter appears at this hour's start ...
    dlq_out: int = 112                        # ... and is drained at this one's
    overlap_in: int = 130                     # a booking of new overlaps another from 25 min into this hour ...
    overlap_out: int = 134                    # ... to 25 min into this one
    mid_hour: timedelta = timedelta(minutes=25)

    def hour(self, index: int) -> datetime:
        return START + index * HOUR


FAULTS = Faults()


def lag_ms(i: int, hour: int, faults: Faults | None) -> int:
    if faults and hour in faults.lag_hours:
        return 8000 + (i * 131) % 1300
    if faults and hour == faults.spike_hour and i % PER_HOUR == 60:
        return 30_000
    return 200 + (i * 131) % 1300


def week_events(faults: Faults | None) -> tuple[list[tuple], list[tuple]]:
    """(old rows, new rows): old (id, device, kind, reading, naive Madrid time), new
    (event_id, device_id, event_type, value, time, ingested_at)."""
    old, new = [], []

    def add(event_id, device, kind, value, at, lag, new_value=None, in_new=True):
        old.append((event_id, device, kind, value, at.astimezone(MADRID).replace(tzinfo=None)))
        if in_new:
            new.append((event_id, device, kind, value if new_value is None else new_value, at,
                        at + timedelta(milliseconds=lag)))

    for i in range(HOURS * PER_HOUR):
        hour = i // PER_HOUR
        at = START + timedelta(seconds=EVERY_S * i, milliseconds=(i * 7919) % 25_000)
        missing = faults is not None and hour in faults.missing_hours and i % faults.missing_every == 0
        add(i + 1, f"dev-{i % 12:02d}", EVENT_TYPES[i % 6], round((i * 37 % 1000) / 10, 1), at,
            lag_ms(i, hour, faults), in_new=not missing)
    if faults is not None:  # the busy hour: 880 more events, one with another value in new
        base = faults.hour(faults.busy_hour)
        for k in range(880):
            at = base + timedelta(seconds=4 * k, milliseconds=1500)
            value = round((k * 53 % 1000) / 10, 1)
            add(1_000_001 + k, f"dev-{k % 12:02d}", "temperature", value, at, 400,
                new_value=value + 1.5 if k == 440 else None)
    return old, new


def load_events(old_url: str, new_url: str, faults: Faults | None, hypertable: bool = True) -> dict:
    """Both sides' event tables, the new one a hypertable; returns {"old": n, "new": n}."""
    from timescale_fixtures import make_hypertable

    old, new = week_events(faults)
    for url, ddl, table, rows in (
        (old_url, "CREATE TABLE legacy_events (id bigint PRIMARY KEY, device text NOT NULL, kind text NOT NULL, "
                  "reading double precision, ts timestamp(3) NOT NULL)", "legacy_events", old),
        (new_url, "CREATE TABLE device_events (event_id bigint NOT NULL, device_id text NOT NULL, "
                  "event_type text NOT NULL, value double precision, time timestamptz NOT NULL, "
                  "ingested_at timestamptz NOT NULL, PRIMARY KEY (event_id, time))", "device_events", new),
    ):
        engine = sa.create_engine(url)
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(ddl)
                conn.exec_driver_sql(f"CREATE INDEX ON {table} ({'ts' if table == 'legacy_events' else 'time'})")
            if table == "device_events" and hypertable:
                make_hypertable(engine, table, "time")
            with engine.begin() as conn:
                columns = len(rows[0])
                with conn.connection.cursor() as cursor:
                    with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row[:columns])
            with engine.begin() as conn:
                conn.exec_driver_sql(f"ANALYZE {table}")
        finally:
            engine.dispose()
    return {"old": len(old), "new": len(new)}


# -- bookings ------------------------------------------------------------------------------------

PROPERTIES = (1, 2, 3)


def week_stays() -> list[Stay]:
    """Per property: a completed stay before the week and two confirmed ones after it (statuses
    that stay true all week), back to back where they touch."""
    first = START.date()
    stays, next_id = [], 1
    for p in PROPERTIES:
        for check_in, nights, status in ((first - timedelta(days=12), 4, "completed"),
                                         (first + timedelta(days=9 + p), 3, "confirmed"),
                                         (first + timedelta(days=12 + p), 2, "confirmed")):
            stays.append(Stay(next_id, p, 500 + next_id, status, check_in, check_in + timedelta(days=nights)))
            next_id += 1
    return stays


def load_bookings(urls) -> None:
    rows = merge_rows({"devices": device_rows(PROPERTIES)}, *(stay_rows(s, START.date()) for s in week_stays()))
    for url in urls:
        engine = sa.create_engine(url)
        try:
            with engine.begin() as conn:
                create_booking_schema(conn)
                write_rows(conn, rows)
        finally:
            engine.dispose()


OVERLAPPING = 2  # booking 2 (property 1) moved one day later in new: it overlaps booking 3


def move_booking(new_url: str, booking_id: int, days: int) -> None:
    engine = sa.create_engine(new_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE bookings SET check_out = check_out + :d, check_in = check_in + :d "
                                 "WHERE id = :id"), {"d": days, "id": booking_id})
    finally:
        engine.dispose()


# -- the pipeline's health: dead letters and the write-latency histogram ---------------------------

LATENCY_METRIC = "db_write_duration_seconds"
WRITES_PER_SCRAPE = 7200
BUCKETS = (("0.001", 0.7), ("0.005", 0.995), ("0.01", 1.0), ("0.05", 1.0), ("+Inf", 1.0))  # cumulative shares


class LatencyEndpoint:
    """/metrics of the new service: a write-latency histogram whose counters grow by an hour of
    writes (7 200, p99 4.93 ms) at every scrape, whoever scrapes it (replicas have their own clocks)."""

    def __init__(self):
        self.scrapes = 0
        self.lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                body = endpoint.text().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/metrics"

    def text(self) -> str:
        with self.lock:
            self.scrapes += 1
            writes = self.scrapes * WRITES_PER_SCRAPE
        lines = [f"# HELP {LATENCY_METRIC} Write latency of the new service.", f"# TYPE {LATENCY_METRIC} histogram"]
        lines += [f'{LATENCY_METRIC}_bucket{{table="device_events",le="{le}"}} {int(writes * share)}'
                  for le, share in BUCKETS]
        lines += [f'{LATENCY_METRIC}_sum{{table="device_events"}} {writes * 0.0012:.3f}',
                  f'{LATENCY_METRIC}_count{{table="device_events"}} {writes}']
        return "\n".join(lines) + "\n"

    def start(self) -> "LatencyEndpoint":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def dlq_keys(tag: str) -> list[str]:
    """The plan's two dead-letter queues, under keys of this test only (Redis is shared)."""
    return [f"rc_week:{tag}:events:dlq", f"rc_week:{tag}:events:dlq:permanent"]


# -- the configuration -----------------------------------------------------------------------------

def week_schedule(directory: Path, *, dlq: list[str], metrics_url: str | None, extra_checks: str = "",
                  recheck_hours: int | None = None, suites: bool = True) -> Path:
    """`reconciler init`'s template, with the pipeline-health checks it ships commented out
    switched on and added to the events job; the rest (crons, settle, gate) as shipped.
    `recheck_hours` (shipped: 2, three judgements an hour) and `suites=False` (no Great
    Expectations suite) make a week cheaper for CI; bench/bench_week.py runs it as shipped."""
    from reconciler.demo.config import copy_suites_and_rules

    text = render_template()
    edits = [
        ("  # pipeline_dlq: {type: health, source: queue, max_dlq: 0}",
         f"  pipeline_dlq: {{type: health, source: queue, max_dlq: 0, dlq_keys: [{', '.join(dlq)}]}}"),
        ("  # event_lag: {type: lag, dataset: device_events, ingested_column: ingested_at}",
         "  event_lag: {type: lag, dataset: device_events, ingested_column: ingested_at}"),
    ]
    checks = ["event_counts", "event_rows", "event_lag", "pipeline_dlq"]
    if metrics_url:
        edits.append(('  # write_latency: {type: latency, metrics_url: "http://new-service:9100/metrics", '
                      'histogram: db_write_duration_seconds}',
                      f'  write_latency: {{type: latency, metrics_url: "{metrics_url}", '
                      'histogram: db_write_duration_seconds}'))
        checks.append("write_latency")
    shipped_job = "checks: [event_counts, event_rows], window: previous_hour, settle: 10m"
    job = f"checks: [{', '.join(checks)}], window: previous_hour, settle: 10m"
    if recheck_hours is not None:
        job += f", recheck_hours: {recheck_hours}"
    edits.append((shipped_job, job))
    if not suites:  # Great Expectations: 0.5-1.7 s a validation on a loaded CI machine, two an hour
        edits += [("event_counts: {type: counts, dataset: device_events, suite: device_events}",
                   "event_counts: {type: counts, dataset: device_events}"),
                  ("event_rows:   {type: rows,   dataset: device_events, suite: device_events}",
                   "event_rows:   {type: rows,   dataset: device_events}"),
                  ("checks: [bookings, bookings_suite, bookings_migrated]", "checks: [bookings, bookings_migrated]")]
    for old, new in edits:
        assert old in text, f"the shipped template changed: {old!r} is not in it"
        text = text.replace(old, new)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "schedule.yaml"
    path.write_text(text + extra_checks)
    copy_suites_and_rules(directory, overwrite=False)
    if not suites:  # without it, the built-in judgement: the same ±1 % drift and 99.9 % match
        (directory / "expectations" / "device_events.json").unlink()
    return path


def week_env(urls: dict, directory: Path, *, redis_url: str, store_url: str | None = None,
             slack_api_url: str | None = None, token: str | None = None) -> dict:
    """The environment the template reads."""
    env = {"OLD_DATABASE_URL": urls["old"], "NEW_DATABASE_URL": urls["new"], "REDIS_URL": redis_url,
           "OLD_TIMEZONE": "Europe/Madrid", "NEW_TIMEZONE": "UTC",
           "REPORT_DATABASE_URL": store_url or f"sqlite:///{directory / 'store.db'}",
           "REPORT_DIRECTORY": str(directory / "reports"), "SLACK_BOT_TOKEN": token or "",
           "SLACK_API_URL": slack_api_url or "", "SLACK_WEBHOOK_URL": ""}
    return env


# -- driving the service ---------------------------------------------------------------------------

def hour_index(text: str) -> int:
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int((t - START) / HOUR)


def day_of(index: int) -> date:
    return (START + index * HOUR).date()


NUMBER = re.compile(r"[\d\u2009\u202f\u00a0,.]+")
