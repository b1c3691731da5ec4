"""Dead-letter queues on the real Redis: several keys (the plan's two by default), depth
below / at / above the bound, growth across consecutive stored runs (a warning below the
bound), the oldest entry's age (stream ids, sorted sets scored by time), and Redis down:
an error run and exit 3, never a pass. Every test uses its own keys and deletes them."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import pytest
import redis
from integrity_fixtures import run_cli

from reconciler.checks.registry import CheckContext, run_check
from reconciler.checks.types.health import PLAN_DLQ_KEYS, HealthConfig
from reconciler.config import load_config
from reconciler.config.models import CheckConfig
from reconciler.store import open_report_store
from reconciler.thresholds import Threshold
from reconciler.timeutil import Window

UTC = timezone.utc
WINDOW = Window(datetime(2026, 3, 8, 10, tzinfo=UTC), datetime(2026, 3, 8, 11, tzinfo=UTC))
NOW = datetime(2026, 3, 8, 11, 5, tzinfo=UTC)


@pytest.fixture
def queues(redis_url):
    """(url, [dlq key, permanent key], client): unique keys, deleted afterwards."""
    tag = uuid.uuid4().hex
    keys = [f"rc_test_{tag}:events:dlq", f"rc_test_{tag}:events:dlq:permanent"]
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=3)
    yield redis_url, keys, client
    client.delete(*keys)
    client.close()


def config(tmp_path, url: str, keys: list[str], max_dlq: int = 2):
    path = tmp_path / "schedule.yaml"
    path.write_text(
        f"sources:\n  queue: {{url: \"{url}\"}}\n"
        f"checks:\n  dlq: {{type: health, source: queue, dlq_keys: {json.dumps(keys)}, max_dlq: {max_dlq}}}\n"
        "jobs:\n  pipeline: {cron: \"*/5 * * * *\", checks: [dlq], settle: 0m}\n"
        "report_store: {url: \"sqlite:///store/reconciler.db\", directory: out}\n")
    return load_config(path)


def results(loaded):
    return run_check(CheckContext(loaded, {}, WINDOW, now=NOW), "dlq").results


def test_the_plan_keys_are_the_default():
    assert PLAN_DLQ_KEYS == ("events:dlq", "events:dlq:permanent")
    assert HealthConfig(source="queue").queue_keys == ["events:dlq", "events:dlq:permanent"]
    assert CheckConfig.model_validate({"type": "health", "source": "queue", "dlq_key": "dead"}).queue_keys == ["dead"]


@pytest.mark.parametrize("depth, status, violations", [(1, "pass", 0), (2, "pass", 0), (3, "fail", 1)])
def test_depth_below_at_and_above_the_bound(tmp_path, queues, depth, status, violations):
    url, keys, client = queues
    client.rpush(keys[0], *[f"event-{i}" for i in range(depth)])
    first, second = results(config(tmp_path, url, keys, max_dlq=2))
    assert (first.check, first.status, first.observed, first.threshold, first.violations) == (
        f"dlq.dlq_depth.{keys[0]}", status, depth, Threshold.at_most(2, "messages"), violations)
    assert (second.check, second.status, second.observed) == (f"dlq.dlq_depth.{keys[1]}", "pass", 0)
    assert first.details["measure"] == "dlq_depth" and (first.window, first.as_of) == (None, NOW)
    assert (first.check_type, first.config_check) == ("health", "dlq")
    assert first.details["oldest_age_s"] is None  # a list carries no time


@pytest.mark.parametrize("kind", ["string", "hash"])
def test_a_key_of_another_type_is_an_error_never_an_empty_queue(tmp_path, queues, kind):
    url, keys, client = queues
    client.set(keys[0], "hello") if kind == "string" else client.hset(keys[0], "a", 1)
    first, second = results(config(tmp_path, url, keys))
    assert (first.status, first.observed) == ("error", None)
    assert first.message == (f"{keys[0]} is a Redis {kind}, not a queue: a dead-letter queue is a list, set, "
                             "sorted set or stream (checks.dlq.dlq_keys)")
    assert (second.status, second.observed) == ("pass", 0)  # a key that does not exist is an empty queue


def test_oldest_entry_age_of_a_stream_and_a_time_scored_sorted_set(tmp_path, queues):
    url, keys, client = queues
    enqueued = datetime(2026, 3, 8, 10, 50, tzinfo=UTC)
    client.xadd(keys[0], {"event": "1"}, id=f"{int(enqueued.timestamp() * 1000)}-0")
    client.xadd(keys[0], {"event": "2"}, id=f"{int(enqueued.timestamp() * 1000) + 60_000}-0")
    client.zadd(keys[1], {"a": enqueued.timestamp() - 30, "b": enqueued.timestamp()})
    stream, zset = results(config(tmp_path, url, keys, max_dlq=5))
    assert (stream.observed, stream.details["type"], stream.details["oldest_age_s"]) == (2, "stream", 900.0)
    assert (zset.observed, zset.details["type"], zset.details["oldest_age_s"]) == (2, "zset", 930.0)


def run_pipeline(capfd, loaded):
    code, out, _ = run_cli(capfd, "--config", loaded.path, "run", "pipeline", "--start", "2026-03-08T10:00Z",
                           "--end", "2026-03-08T11:00Z", "--format", "json")
    return code, json.loads(out)


def stored_result(loaded, run_id, key):
    store = open_report_store(loaded)
    try:
        return next(r for r in store.get_run(run_id)["results"] if r["details"]["key"] == key)
    finally:
        store.close()


def test_growth_across_consecutive_runs_is_a_warning_below_the_bound(tmp_path, queues, monkeypatch, capfd):
    url, keys, client = queues
    loaded = config(tmp_path, url, keys, max_dlq=10)
    monkeypatch.chdir(tmp_path)
    client.rpush(keys[0], "e1")
    code, first = run_pipeline(capfd, loaded)
    assert code == 0
    assert "warning" not in stored_result(loaded, first["runs"][0]["id"], keys[0])["details"]
    client.rpush(keys[0], "e2", "e3")
    code, second = run_pipeline(capfd, loaded)
    assert (code, second["runs"][0]["status"]) == (0, "pass")
    grown = stored_result(loaded, second["runs"][0]["id"], keys[0])
    assert (grown["status"], grown["observed"], grown["details"]["warning"], grown["details"]["previous_depth"]) == (
        "pass", 3, "growing", 1)
    assert grown["message"] == f"warning: {keys[0]} grew from 1 to 3 since run {first['runs'][0]['id']}"
    code, third = run_pipeline(capfd, loaded)  # steady: no warning
    steady = stored_result(loaded, third["runs"][0]["id"], keys[0])
    assert (steady["observed"], "warning" in steady["details"], steady.get("message")) == (3, False, None)


def test_redis_down_is_an_error_run_and_exit_3_never_a_pass(tmp_path, monkeypatch, capfd):
    loaded = config(tmp_path, "redis://:hunter2secret@127.0.0.1:1/0", ["events:dlq", "events:dlq:permanent"])
    monkeypatch.chdir(tmp_path)
    code, doc = run_pipeline(capfd, loaded)
    assert code == 3
    assert [r["status"] for r in doc["runs"]] == ["error"]
    assert doc["runs"][0]["message"].startswith("source 'queue' (redis://:***@127.0.0.1:1/0) is unreachable: ")
    store = open_report_store(loaded)
    try:
        [stored] = store.list_runs()
        assert (stored["status"], stored["checks"]) == ("error", 0)
    finally:
        store.close()


def test_the_previous_depth_comes_from_the_context_and_its_failure_is_not_swallowed(tmp_path, queues):
    """The job gives a check its earlier results (CheckContext.previous, from the store it has
    open); a store that cannot be read stops the check instead of silently losing the growth."""
    from reconciler.errors import SourceError
    from reconciler.results import CheckResult, StoredResult

    url, keys, client = queues
    client.rpush(keys[0], "e1", "e2")
    loaded = config(tmp_path, url, keys, max_dlq=10)
    earlier = {f"dlq.dlq_depth.{keys[0]}": StoredResult(CheckResult("x", "pass", observed=1, as_of=NOW), 41, NOW)}
    ctx = CheckContext(loaded, {}, now=NOW, previous=earlier.get)
    first, second = run_check(ctx, "dlq").results
    assert (first.details["warning"], first.details["previous_depth"], first.details["previous_run"]) == (
        "growing", 1, 41)
    assert first.message == f"warning: {keys[0]} grew from 1 to 2 since run 41"
    assert "previous_depth" not in second.details

    def unreadable(check):
        raise SourceError("report store sqlite:///x.db: disk I/O error")

    with pytest.raises(SourceError, match="disk I/O error"):
        run_check(CheckContext(loaded, {}, now=NOW, previous=unreadable), "dlq")
