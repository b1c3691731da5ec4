"""Configuration of the pipeline health checks and of the gate's phases: what each needs,
the plan's defaults, and the messages for mistakes (file, line, key)."""

from __future__ import annotations

import pytest

from reconciler.config import load_config
from reconciler.errors import ConfigError

BASE = ("sources:\n  new: {url: \"sqlite:///new.db\"}\n  queue: {url: \"redis://127.0.0.1:6379/0\"}\n"
        "datasets:\n  events:\n"
        "    old: {source: new, table: e, time: t, key: [id]}\n"
        "    new: {source: new, table: e, time: t, key: [id]}\n")


def load(tmp_path, text):
    path = tmp_path / "schedule.yaml"
    path.write_text(BASE + text)
    return load_config(path)


def problem(tmp_path, text) -> str:
    with pytest.raises(ConfigError) as e:
        load(tmp_path, text)
    return str(e.value)


def test_defaults_are_the_plans_numbers(tmp_path):
    loaded = load(tmp_path, "checks:\n  dlq: {type: health, source: queue}\n  lag: {type: lag, dataset: events}\n")
    dlq, lag = loaded.config.checks["dlq"], loaded.config.checks["lag"]
    assert (dlq.queue_keys, dlq.max_dlq) == (["events:dlq", "events:dlq:permanent"], None)
    assert (lag.lag_percentile, lag.max_lag_seconds, lag.ingested_column) == ("p99", None, None)
    shadow = loaded.config.phases["shadow"]
    assert (shadow.days, list(shadow.criteria)) == (7, ["coverage", "drift", "match", "lag", "latency", "queues",
                                                        "bookings"])
    assert shadow.criteria["match"].bound("match", "min_pct") == 99.9
    assert shadow.criteria["lag"].bound("lag", "max_seconds") == 5.0
    assert shadow.criteria["latency"].bound("latency", "max_ms") == 10.0
    assert list(loaded.config.phases["traffic-split"].criteria) == ["coverage", "error_rate", "p99_latency",
                                                                   "stable_split", "discrepancy"]
    assert list(loaded.config.phases["booking-cutover"].criteria) == [
        "duplicate_bookings", "access_codes", "notifications", "booking_summary", "overlapping_bookings",
        "status_transitions", "bookings_migrated"]
    assert loaded.config.current_phase is None  # the gate, index and digest judge shadow


def test_a_queue_check_needs_a_redis_source(tmp_path):
    assert problem(tmp_path, "checks:\n  dlq: {type: health, source: new}\n") == (
        f"{tmp_path}/schedule.yaml:9: checks.dlq.source: 'new' is not a Redis source (a redis://, rediss:// or "
        "unix:// url): the dead-letter queues are Redis keys")


def test_a_latency_check_needs_a_histogram_or_a_query(tmp_path):
    assert problem(tmp_path, "checks:\n  write: {type: latency, metrics_url: \"http://x/metrics\"}\n") == (
        f"{tmp_path}/schedule.yaml:9: checks.write: a check of type 'latency' needs 'metrics_url' and "
        "'histogram', 'latency_query', or 'source' (a Prometheus source)")


def test_a_lag_check_needs_a_dataset(tmp_path):
    assert problem(tmp_path, "checks:\n  lag: {type: lag, ingested_column: at}\n") == (
        f"{tmp_path}/schedule.yaml:9: checks.lag: a check of type 'lag' needs 'dataset'")


def test_a_bad_percentile_is_named(tmp_path):
    assert problem(tmp_path, "checks:\n  lag: {type: lag, dataset: events, lag_percentile: p90}\n") == (
        f"{tmp_path}/schedule.yaml:9: checks.lag.lag_percentile: must be one of 'p50', 'p95', 'p99' or 'max', "
        "got 'p90'")
