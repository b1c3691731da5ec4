"""Dead-letter queues in Redis: depth of each key against `max_dlq`, growth since the
previous run (a warning even below the bound) and the oldest entry's age where the
structure holds a time (a stream's entry ids; a sorted set scored by epoch time)."""

from __future__ import annotations

from datetime import datetime, timezone

from reconciler.errors import SourceError
from reconciler.results import ERROR, FAIL, PASS, CheckResult
from reconciler.thresholds import Threshold

DEPTH = {"list": "llen", "zset": "zcard", "stream": "xlen", "set": "scard"}


def oldest_entry_time(client, key: str, kind: str) -> datetime | None:
    """A stream id starts with its epoch milliseconds; a sorted set's lowest score is read as
    epoch seconds (or milliseconds, when it is that large). Lists and sets carry no time."""
    if kind == "stream":
        first = client.xrange(key, count=1)
        if first:
            millis = int(first[0][0].decode().split("-")[0])
            return datetime.fromtimestamp(millis / 1000, timezone.utc)
    if kind == "zset":
        lowest = client.zrange(key, 0, 0, withscores=True)
        if lowest:
            score = float(lowest[0][1])
            if 1e12 <= score < 1e14:
                score /= 1000
            if 1e9 <= score < 1e11:
                return datetime.fromtimestamp(score, timezone.utc)
    return None


def read_queue(client, key: str) -> tuple[int | None, str, datetime | None]:
    """Depth, Redis type and oldest entry of one key. A key that does not exist is an empty
    queue (Redis deletes a drained list); one of another type has no depth (None)."""
    kind = client.type(key).decode()
    if kind == "none":
        return 0, kind, None
    if kind not in DEPTH:
        return None, kind, None
    return int(getattr(client, DEPTH[kind])(key)), kind, oldest_entry_time(client, key, kind)


def queue_results(ctx, name: str, cfg) -> list[CheckResult]:
    import redis

    from reconciler.sources.connection import safe_url

    ctx.loaded.require_sources({cfg.source: ("checks", name, "source")})
    source = ctx.loaded.config.sources[cfg.source]
    url = source.url
    keys = cfg.queue_keys
    limit = cfg.max_dlq or 0
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=source.connect_timeout.total_seconds(),
                                      socket_timeout=source.statement_timeout.total_seconds())
        try:
            read = {key: read_queue(client, key) for key in keys}
        finally:
            client.close()
    except (redis.RedisError, ValueError) as e:
        raise SourceError(f"source {cfg.source!r} ({safe_url(url)}) is unreachable: {e}") from None
    out = []
    for key in keys:
        depth, kind, oldest = read[key]
        check = f"{name}.dlq_depth" if len(keys) == 1 else f"{name}.dlq_depth.{key}"
        details = {"key": key, "measure": "dlq_depth", "type": kind,
                   "oldest_age_s": round((ctx.now - oldest).total_seconds(), 3) if oldest else None}
        if depth is None:
            out.append(CheckResult(check, ERROR, threshold=Threshold.at_most(limit, "messages"), details=details,
                                   message=f"{key} is a Redis {kind}, not a queue: a dead-letter queue is a list, "
                                           f"set, sorted set or stream (checks.{name}.dlq_keys)"))
            continue
        message = None
        previous = ctx.previous(check)
        if previous is not None and isinstance(previous.result.observed, int):
            before = previous.result.observed
            details["previous_depth"], details["previous_run"] = before, previous.run_id
            if depth > before:
                details["warning"] = "growing"
                message = f"warning: {key} grew from {before} to {depth} since run {previous.run_id}"
        out.append(CheckResult(check, PASS if depth <= limit else FAIL, observed=depth, threshold=Threshold.at_most(limit, "messages"),
                               violations=max(0, depth - limit), message=message,
                               details=details))
    return out
