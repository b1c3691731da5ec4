"""`reconciler init`: write a production schedule.yaml template for a new project.

It asks nothing: names come from flags, everything else is the reference layout. The
database URLs are `${VAR}` with no default, so a deployment that forgot to set one stops
with exit 2 naming the variable instead of comparing something else. The shipped
schedule.yaml is this template with the default names (a test keeps the two equal)."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.errors import UsageError
from reconciler.thresholds import DEFAULT_DRIFT_PCT, DEFAULT_MATCH_PCT

TEMPLATE = """\
# shadow-reconciler: production configuration (`reconciler init` writes this template).
#
# Every ${{VAR}} without a default must be set in the environment: an unset database URL stops
# each command that connects to that source (exit 2, naming the variable, file and key; gate,
# report, db, jobs and notify read only the store). `reconciler demo` does not read this file (it
# writes its own under its --out folder). Relative paths are taken from this file's folder.
# Every key: docs/configuration.md.

sources:
  # Any SQLAlchemy URL: postgresql+psycopg://user:pw@host/db, mysql+pymysql://..., sqlite:///file.db
  old: {{url: "${{OLD_DATABASE_URL}}"}}            # the system being replaced
  new: {{url: "${{NEW_DATABASE_URL}}"}}            # PostgreSQL + TimescaleDB (detected)
  queue: {{url: "${{REDIS_URL:-}}"}}               # Redis of the pipeline, for the health check; empty: off

datasets:
  # events, compared hour by hour and row by row
  {dataset}:
    old: {{source: old, table: {old_table}, time: {old_time}, timezone: "${{OLD_TIMEZONE:-UTC}}", key: [{old_key}]}}
    new: {{source: new, table: {new_table}, time: {new_time}, timezone: "${{NEW_TIMEZONE:-UTC}}", key: [{new_key}]}}
    # timezone: the IANA zone of naive timestamps on that side (UTC unless you know otherwise)
    columns:                                 # compared columns, by their new-side name
      device_id: {{old: device}}               #   old: the old side's name where it differs
      event_type: {{old: kind}}
      value: {{old: reading, tolerance: 0.000001}}
    time_precision: ms                       # s, ms or us: time columns compared at this precision

  bookings:                                  # migration completeness: every active or future booking
    snapshot: true                           # the whole filtered table, not a time window
    old: {{source: old, table: bookings, time: check_out, key: [id],
          filter: "status IN ('pending', 'confirmed', 'in-progress') OR check_out >= :today"}}
    new: {{source: new, table: bookings, time: check_out, key: [id],
          filter: "status IN ('pending', 'confirmed', 'in-progress') OR check_out >= :today"}}
    columns: {{property_id: , guest_id: , status: , check_in: }}
    summary_by: status                       # the migration plan's query: per status, bookings
    summary_distinct: guest_id               #   and distinct guests, old vs new

checks:
  # counts: events per hour on both sides; the suite (expectations/SUITE.json) fails an hour
  # whose drift is outside +-1 % or that has events only in new
  event_counts: {{type: counts, dataset: {dataset}, suite: device_events}}
  # rows: every key matched, missing in new, extra in new or changed; fails below {match_pct} % match
  event_rows:   {{type: rows,   dataset: {dataset}, suite: device_events}}
  # sql: relational rules, one SELECT per file returning the violating rows; on both sides a
  # violation only in new fails, one also in old is reported as inherited. The tables the
  # shipped rules expect: docs/rules.md. Per-rule severity:
  # severity_overrides: {{notifications_sent: warning}}
  bookings:          {{type: sql,   source: both, rules: checks/bookings}}
  # suite: a Great Expectations suite run on a table inside the database
  bookings_suite:    {{type: suite, source: new, suite: bookings, table: bookings}}
  # rows of a snapshot dataset: were all active and future bookings migrated?
  bookings_migrated: {{type: rows,  dataset: bookings}}
  # Pipeline health (docs/checks.md); add them to a job once the sources exist.
  # health: dead-letter queue depth in Redis (needs REDIS_URL); default keys events:dlq, events:dlq:permanent
  # pipeline_dlq: {{type: health, source: queue, max_dlq: 0}}
  # lag: processing lag per hour from the new table's ingestion-time column, p99 against 5 s
  # event_lag: {{type: lag, dataset: {dataset}, ingested_column: ingested_at}}
  # latency: write latency p99 against 10 ms, from the new service's Prometheus histogram
  # write_latency: {{type: latency, metrics_url: "http://new-service:9100/metrics", histogram: db_write_duration_seconds}}
  # traffic split: per hour, both systems' error rates, p50/p95/p99 and the split, from Prometheus; fails
  #   on new error rate > old + 0.5 points, new p99 > old p99 x 1.5, or > 1 % of the hour's rows differing
  # (a source `metrics: {{url: "${{PROMETHEUS_URL}}"}}`: Prometheus, Thanos, VictoriaMetrics or Mimir)
  # traffic: {{type: traffic, source: metrics, dataset: {dataset}}}
  # caggs: a TimescaleDB continuous aggregate against its hypertable ('skipped' without TimescaleDB)
  # event_caggs: {{type: caggs, dataset: {dataset}, refresh_lag: 2h}}

jobs:
  # settle: an hour is judged this long after it ends (late events), at once, whatever the cron (UTC) says
  # point-in-time checks (bookings) run on the cron alone: at each hour's end, as the plan checks hourly
  hourly-shadow: {{cron: "10 * * * *", checks: [event_counts, event_rows], window: previous_hour, settle: 10m}}
  hourly-bookings: {{cron: "0 * * * *", checks: [bookings, bookings_suite, bookings_migrated], window: previous_hour, settle: 0m, recheck_hours: 0}}

# The runs, verdicts and samples; use PostgreSQL when several replicas share it.
report_store: {{url: "${{REPORT_DATABASE_URL:-sqlite:///reports/reconciler.db}}", directory: "${{REPORT_DIRECTORY:-reports}}"}}
# `reconciler schedule`: health, metrics and /reports/ over HTTP (docs/service.md)
service: {{host: "${{RECONCILER_HOST:-127.0.0.1}}", port: "${{RECONCILER_PORT:-9108}}"}}
notify:                                      # Slack (docs/slack.md); neither token nor webhook: dry run
  slack: {{token: "${{SLACK_BOT_TOKEN:-}}", channel: "#migration-updates", webhook_url: "${{SLACK_WEBHOOK_URL:-}}",
          api_url: "${{SLACK_API_URL:-}}"}}
  locale: "${{NOTIFY_LOCALE:-en}}"                # es | en
  digest_at: "${{NOTIFY_DIGEST_AT-08:00}}"       # UTC; empty: no daily digest
  remind_every: 6h                             # webhook mode: a failing alert is repeated at most this often
  report_base_url: "${{REPORT_BASE_URL:-}}"      # where people open reports/; empty: this service's /reports/

current_phase: shadow                        # the phase under way: what `gate`, the report index and the digest judge
phases:                                      # the go/no-go gate (`reconciler gate`); numbers are the plan's
  shadow:
    days: 7
    criteria:
      coverage: {{}}                           # every hour judged: missing, error or empty hours are incomplete
      drift: {{max_abs_pct: {drift_pct}}}
      match: {{min_pct: {match_pct}}}
      lag: {{max_seconds: 5, percentile: p99}}
      latency: {{max_ms: 10, percentile: p99}}
      queues: {{max_depth: 0}}
      bookings: {{severity: critical}}
  traffic-split:                             # 10 % -> 50 % -> 100 %: needs a `traffic` check (Prometheus)
    criteria:
      coverage: {{}}
      error_rate: {{max_pct: 0.1}}             # the new system's errors / requests over the period
      p99_latency: {{max_ms: 500}}             # the new system's p99, every hour
      stable_split: {{days: 7, min_split_pct: 99.9}}   # the last 7 days every hour at 100 % within both bounds
      discrepancy: {{max_pct: 1.0}}            # rows that differ in each hour's row comparison
  booking-cutover:                           # point-in-time booking results, every day of the 7
    criteria:
      duplicate_bookings: {{rule: no_duplicate_bookings}}
      access_codes: {{rule: access_code_valid}}
      notifications: {{rule: notifications_sent}}
      booking_summary: {{rule: "*.summary"}}   # bookings and distinct guests per status, old = new
      overlapping_bookings: {{rule: no_overlapping_bookings}}   # no new overlap of two active stays
      status_transitions: {{rule: valid_status_transitions}}    # no new illegal status change
      bookings_migrated: {{rule: "*.complete"}}               # every active or future booking in new, unchanged
"""

DEFAULT_NAMES = {"dataset": "device_events", "old_table": "legacy_events", "new_table": "device_events",
                 "old_time": "ts", "new_time": "time", "old_key": "id", "new_key": "event_id"}


def render_template(**names: str) -> str:
    """The template with `names` (see DEFAULT_NAMES) filled in; keys are lists: `a, b`."""
    unknown = set(names) - set(DEFAULT_NAMES)
    if unknown:
        raise TypeError(f"unknown template names: {', '.join(sorted(unknown))}")
    return TEMPLATE.format(**{**DEFAULT_NAMES, **{k: v for k, v in names.items() if v}},
                           drift_pct=DEFAULT_DRIFT_PCT, match_pct=DEFAULT_MATCH_PCT)


def write_template(path: Path, force: bool = False, **names: str) -> Path:
    if path.exists() and not force:
        raise UsageError(f"{path} already exists: give --force to overwrite it, or --path for another file")
    if path.is_dir():
        raise UsageError(f"{path} is a directory: give --path FILE")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_template(**names))
    return path


@click.command("init")
@click.option("--path", type=click.Path(dir_okay=False), help="File to write. Default: the --config path "
              "(schedule.yaml).")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.option("--dataset", default=DEFAULT_NAMES["dataset"], show_default=True, help="Name of the event dataset.")
@click.option("--old-table", default=DEFAULT_NAMES["old_table"], show_default=True, help="Event table on the old side.")
@click.option("--new-table", default=DEFAULT_NAMES["new_table"], show_default=True, help="Event table on the new side.")
@click.option("--old-time", default=DEFAULT_NAMES["old_time"], show_default=True, help="Time column on the old side.")
@click.option("--new-time", default=DEFAULT_NAMES["new_time"], show_default=True, help="Time column on the new side.")
@click.option("--old-key", default=DEFAULT_NAMES["old_key"], show_default=True,
              help="Key column(s) on the old side, comma-separated.")
@click.option("--new-key", default=DEFAULT_NAMES["new_key"], show_default=True,
              help="Key column(s) on the new side, comma-separated.")
@click.pass_context
def init(ctx, path, force, **names):
    """Write a production schedule.yaml template (asks nothing; names from the flags). Its
    database URLs come from $OLD_DATABASE_URL and $NEW_DATABASE_URL, which must then be set."""
    target = Path(path or (ctx.obj or {}).get("config_path") or "schedule.yaml")
    names = {k: ", ".join(c.strip() for c in v.split(",") if c.strip()) if k.endswith("_key") else v.strip()
             for k, v in names.items()}
    empty = [f"--{k.replace('_', '-')}" for k, v in names.items() if not v]
    if empty:
        raise UsageError(f"{', '.join(empty)}: give a name")
    from reconciler.demo.config import copy_suites_and_rules

    write_template(target, force=force, **names)
    copied = copy_suites_and_rules(target.parent, overwrite=False)
    click.echo(f"wrote {target}" + (f"; copied {len(copied)} suite and rule files beside it (expectations/, "
                                     f"{'checks/bookings/'}; files already there were kept)" if copied else ""))
    click.echo("next: set OLD_DATABASE_URL and NEW_DATABASE_URL (and REDIS_URL for the health check), "
               f"adjust the columns, then: reconciler compare {names['dataset']} --config {target}")
