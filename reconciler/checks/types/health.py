"""`health`: the depth of the new pipeline's dead-letter queues in Redis against `max_dlq`,
with growth since the previous run (reconciler/checks/health/dlq.py). Point in time; feeds
the gate's `queues` criterion."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from reconciler.checks.context import CheckContext, CheckOutcome
from reconciler.checks.types.base import CheckType, Words, english
from reconciler.config.models import CheckConfig
from reconciler.reasons import count, plural, status_message
from reconciler.results import ERROR, FAIL, SKIPPED, CheckResult

PLAN_DLQ_KEYS = ("events:dlq", "events:dlq:permanent")
REDIS_SCHEMES = ("redis", "rediss", "unix")


class HealthConfig(CheckConfig):
    needs = ("source",)

    type: Literal["health"] = "health"
    source: str
    max_dlq: int | None = Field(default=None, ge=0)
    dlq_key: str | None = None
    dlq_keys: list[str] | None = Field(default=None, min_length=1, description="health: Redis keys of the "
                                       "dead-letter queues (default: dlq_key, else events:dlq and events:dlq:permanent)")

    @property
    def queue_keys(self) -> list[str]:
        return self.dlq_keys or ([self.dlq_key] if self.dlq_key else list(PLAN_DLQ_KEYS))


class HealthCheck(CheckType):
    name = "health"
    measures = True
    config = HealthConfig

    def criterion(self, scope):
        return "queues"

    def sources(self, cfg, config):
        return {cfg.source}

    def config_problems(self, loaded, name, cfg) -> list[str]:
        source = loaded.config.sources.get(cfg.source)
        if source is None or not source.url or source.url.split("://", 1)[0].lower() in REDIS_SCHEMES:
            return []
        return [f"{loaded.where('checks', name, 'source')}: {cfg.source!r} is not a Redis source (a redis://, "
                "rediss:// or unix:// url): the dead-letter queues are Redis keys"]

    def run(self, ctx: CheckContext, name: str, cfg) -> CheckOutcome:
        from reconciler.checks.health.dlq import queue_results

        return CheckOutcome(queue_results(ctx, name, cfg))

    def reason(self, result: CheckResult, words: Words = english) -> str:
        if result.status in (ERROR, SKIPPED):
            return status_message(result)
        return queue_reason(result)


def queue_reason(result: CheckResult) -> str:
    limit = (result.threshold.max if result.threshold else 0) or 0
    key = (result.details or {}).get("key")
    where = f" ({key})" if key else ""
    depth = result.observed or 0
    text = f"dead-letter queue{where} holds {plural(depth, 'message')}"
    return f"{text}, more than the {count(limit)} allowed" if result.status == FAIL else f"{text} (at most {count(limit)})"


TYPE = HealthCheck()
