"""The `health` check: dead-letter queue depth in the real Redis (LLEN / ZCARD / XLEN / SCARD
by key type) against `max_dlq`, and an unreachable Redis as a SourceError (exit 3 from
`reconciler run`, recorded as an error run) that never shows the password. Every test uses
its own key and deletes it."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import pytest
import redis
from integrity_fixtures import run_cli

from reconciler.checks.registry import CheckContext, run_check
from reconciler.config import load_config
from reconciler.errors import SourceError
from reconciler.store import open_report_store
from reconciler.thresholds import Threshold
from reconciler.timeutil import Window

UTC = timezone.utc
WINDOW = Window(datetime(2026, 3, 8, 10, tzinfo=UTC), datetime(2026, 3, 8, 11, tzinfo=UTC))
CLOSED_REDIS = "redis://:hunter2secret@127.0.0.1:1/0"


@pytest.fixture
def dlq(redis_url):
    """(url, key, client): a unique key, deleted afterwards."""
    key = f"rc_test_dlq_{uuid.uuid4().hex}"
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=3)
    yield redis_url, key, client
    client.delete(key)
    client.close()


def config(tmp_path, url: str, key: str, max_dlq: int | None = 0):
    limit = "" if max_dlq is None else f", max_dlq: {max_dlq}"
    path = tmp_path / "schedule.yaml"
    path.write_text(
        f"sources:\n  queue: {{url: \"{url}\"}}\n"
        f"checks:\n  pipeline_dlq: {{type: health, source: queue, dlq_key: {key}{limit}}}\n"
        "jobs:\n  pipeline: {cron: \"*/5 * * * *\", checks: [pipeline_dlq], settle: 0m}\n"
        "report_store: {url: \"sqlite:///store/reconciler.db\", directory: out}\n"
    )
    return load_config(path)


NOW = WINDOW.end


def depth_result(loaded):
    [result] = run_check(CheckContext(loaded, {}, WINDOW, now=NOW), "pipeline_dlq").results
    return result


def test_an_empty_dlq_passes(tmp_path, dlq):
    url, key, client = dlq
    assert client.exists(key) == 0  # Redis drops an emptied list: "empty" is "no key"
    result = depth_result(config(tmp_path, url, key))
    assert (result.check, result.status, result.observed, result.violations) == ("pipeline_dlq.dlq_depth", "pass", 0, 0)
    assert result.threshold == Threshold.at_most(0, "messages")
    assert result.details["key"] == key
    assert (result.window, result.as_of) == (None, NOW)  # a queue's depth is a moment's, not an hour's


def test_three_dead_letters_fail_a_max_of_zero(tmp_path, dlq):
    url, key, client = dlq
    client.rpush(key, "event-1", "event-2", "event-3")
    result = depth_result(config(tmp_path, url, key, max_dlq=0))
    assert (result.status, result.observed, result.threshold, result.violations) == ("fail", 3, Threshold.at_most(0, "messages"), 3)


def test_no_max_dlq_means_zero(tmp_path, dlq):
    url, key, client = dlq
    client.rpush(key, "event-1")
    result = depth_result(config(tmp_path, url, key, max_dlq=None))
    assert (result.status, result.observed, result.threshold, result.violations) == ("fail", 1, Threshold.at_most(0, "messages"), 1)


def test_depth_at_the_limit_passes(tmp_path, dlq):
    url, key, client = dlq
    client.rpush(key, "event-1", "event-2", "event-3")
    result = depth_result(config(tmp_path, url, key, max_dlq=3))
    assert (result.status, result.observed, result.violations) == ("pass", 3, 0)


@pytest.mark.parametrize("kind, fill, depth", [
    ("zset", lambda c, k: c.zadd(k, {"a": 1, "b": 2}), 2),
    ("stream", lambda c, k: [c.xadd(k, {"event": str(i)}) for i in range(4)], 4),
    ("set", lambda c, k: c.sadd(k, "a", "b", "c", "d", "e"), 5),
])
def test_depth_of_other_key_types(tmp_path, dlq, kind, fill, depth):
    url, key, client = dlq
    fill(client, key)
    assert client.type(key).decode() == kind
    result = depth_result(config(tmp_path, url, key, max_dlq=1))
    assert (result.status, result.observed, result.violations) == ("fail", depth, depth - 1)


def test_an_unreachable_redis_is_a_source_error_without_the_password(tmp_path):
    with pytest.raises(SourceError) as e:
        depth_result(config(tmp_path, CLOSED_REDIS, "dlq"))
    message = str(e.value)
    assert message.startswith("source 'queue' (redis://:***@127.0.0.1:1/0) is unreachable: ")
    assert "hunter2secret" not in message
    assert e.value.exit_code == 3


def test_run_with_an_unreachable_redis_exits_3_and_records_the_error(tmp_path, monkeypatch, capfd):
    loaded = config(tmp_path, CLOSED_REDIS, "dlq")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capfd, "--config", loaded.path, "run", "pipeline", "--start", "2026-03-08T10:00Z",
                             "--end", "2026-03-08T11:00Z", "--format", "json")
    assert code == 3
    assert "hunter2secret" not in out + err
    doc = json.loads(out)
    assert (doc["job"], doc["status"]) == ("pipeline", "error")
    [run] = doc["runs"]
    assert run["status"] == "error"
    assert run["message"].startswith("source 'queue' (redis://:***@127.0.0.1:1/0) is unreachable: ")
    store = open_report_store(loaded)
    try:
        [stored] = store.list_runs()
        assert (stored["id"], stored["job"], stored["status"], stored["message"]) == (
            run["id"], "pipeline", "error", run["message"])
        assert store.watermark("pipeline") is None
    finally:
        store.close()


def test_run_with_a_full_dlq_exits_1(tmp_path, dlq, monkeypatch, capfd):
    url, key, client = dlq
    client.rpush(key, "event-1", "event-2")
    loaded = config(tmp_path, url, key, max_dlq=1)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capfd, "--config", loaded.path, "run", "pipeline", "--start", "2026-03-08T10:00Z",
                           "--end", "2026-03-08T11:00Z", "--format", "json")
    assert code == 1
    assert [r["status"] for r in json.loads(out)["runs"]] == ["fail"]
    store = open_report_store(loaded)
    try:
        # queue health is a point-in-time check: stored as of the run, never stamped on an hour
        assert store.watermark("pipeline") is None
        [stored] = store.get_run(json.loads(out)["runs"][0]["id"])["results"]
        assert (stored["check"], stored["status"], stored["observed"], stored["violations"], stored["window"]) == (
            "pipeline_dlq.dlq_depth", "fail", 2, 1, None)
        assert stored["as_of"] == json.loads(out)["runs"][0]["window"]["as_of"]
    finally:
        store.close()
