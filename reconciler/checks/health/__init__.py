"""Pipeline health checks: dead-letter queues (Redis), processing lag and write latency of
the new system. Each returns CheckResults tagged with `details.measure`, which the gate reads."""

from reconciler.checks.health.dlq import queue_results
from reconciler.checks.health.lag import lag_results
from reconciler.checks.health.latency import latency_results

MEASURES = ("dlq_depth", "processing_lag", "newest_event_age", "write_latency")

__all__ = ["queue_results", "lag_results", "latency_results", "MEASURES"]
