"""The service's Prometheus metrics, in a registry of its own (one per service object)."""

from __future__ import annotations

from datetime import datetime

from reconciler.results import ERROR
from reconciler.timeutil import HOUR


class Metrics:
    def __init__(self, jobs=()):
        from prometheus_client import CollectorRegistry, Counter, Gauge

        self.registry = CollectorRegistry()
        self.windows = Counter("reconciler_windows_judged", "Windows judged and stored, by job and verdict "
                               "(pass, fail, error, empty; point-in-time runs count under their status)",
                               ["job", "status"], registry=self.registry)
        self.failures = Counter("reconciler_window_failures", "Windows stored as error (a source unreachable "
                                "or timed out); they are judged again with backoff", ["job"], registry=self.registry)
        self.tick_errors = Counter("reconciler_tick_errors", "Ticks that stopped on an unexpected error",
                                   ["job"], registry=self.registry)
        self.lag = Gauge("reconciler_watermark_lag_seconds", "Now minus the end of the last hour the watermark "
                         "covers (every hour before it judged)", ["job"], registry=self.registry)
        self.duration = Gauge("reconciler_last_judge_duration_seconds", "Seconds the last window of the job "
                              "took to judge and store", ["job"], registry=self.registry)
        self.pending = Gauge("reconciler_pending_hours", "Settled hours not judged yet, at the last tick",
                             ["job"], registry=self.registry)
        self.outbox = Gauge("reconciler_outbox_depth", "Notifications waiting in the outbox (set by the "
                            "notifier after each window)", registry=self.registry)
        self.running = Gauge("reconciler_scheduler_running", "1 while the scheduler takes windows",
                             registry=self.registry)
        self.store_up = Gauge("reconciler_store_up", "1 when the report store answered the last check (each "
                              "scrape of /metrics and each readiness probe), 0 when it did not",
                              registry=self.registry)
        self.last_tick = Gauge("reconciler_last_tick_timestamp_seconds", "Unix time the job's last tick ended "
                               "(whatever it judged, or if it failed)", ["job"], registry=self.registry)
        for job in jobs:  # at 0 from the start: `increase(...[1h]) > 0` then sees the first error after a restart
            self.failures.labels(job=job)
            self.tick_errors.labels(job=job)

    def window_stored(self, job: str, stored) -> None:
        """`stored`: the StoredWindow a job just stored."""
        self.windows.labels(job=job, status=stored.outcome).inc()
        if stored.status == ERROR:
            self.failures.labels(job=job).inc()
        if stored.seconds is not None:
            self.duration.labels(job=job).set(stored.seconds)

    def tick_ended(self, job: str) -> None:
        self.last_tick.labels(job=job).set_to_current_time()

    def watermark(self, job: str, watermark: datetime | None, now: datetime) -> None:
        if watermark is not None:
            self.lag.labels(job=job).set(max(0.0, (now - (watermark + HOUR)).total_seconds()))

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST
