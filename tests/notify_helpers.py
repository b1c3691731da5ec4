"""Synthetic runs for the notification tests: stored with the real ReportStore."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from reconciler.config.models import NotifyConfig, SlackConfig
from reconciler.results import CheckResult, RunResult
from reconciler.store import ReportStore
from reconciler.timeutil import Window

UTC = timezone.utc
T0 = datetime(2026, 11, 27, 10, tzinfo=UTC)
HOUR = timedelta(hours=1)
PROVENANCE = {"tool_version": "test", "config_fingerprint": "f" * 16, "source_names": ["old", "new"]}


def make_store(tmp_path) -> ReportStore:
    store = ReportStore(f"sqlite:///{tmp_path / 'reconciler.db'}")
    store.upgrade()
    return with_lifecycle(store)


def with_lifecycle(store: ReportStore, **settings) -> ReportStore:
    """The store with the Slack lifecycle in its transaction hook, as service/ wires it."""
    from reconciler.notify.lifecycle import SlackLifecycle

    store.add_run_hook(SlackLifecycle(**settings))
    return store


def result(status: str, hour: datetime, *, check="row_match", violations=None, samples=None, reason=None):
    details = {"config_check": "event_rows", "dataset": "device_events"}
    if reason:
        details["reason"] = reason
    n = violations if violations is not None else (3 if status == "fail" else 0)
    return CheckResult(check, status, observed={"match_pct": 99.5 if status == "fail" else 100.0},
                       threshold={"min_value": 99.9}, violations=n,
                       samples=samples if samples is not None else [{"event_id": i} for i in range(n)],
                       window=Window(hour, hour + HOUR), details=details)


def record(store: ReportStore, status: str, hour: datetime, *, job="hourly-shadow", **options) -> int:
    """A run of `job` over `hour` whose one check has `status`; `error`: the run could not be computed."""
    window = Window(hour, hour + HOUR)
    now = hour + HOUR + timedelta(minutes=5)
    if status == "run_error":
        return store.record_failure(job, window, "source 'old' (postgresql://reader@db/old) is unreachable",
                                    datasets=["device_events"], now=now, **PROVENANCE)
    run = RunResult(job=job, window=window, started_at=now, finished_at=now, status=status,
                    results=[result(status, hour, **options)])
    return store.record_run(run, now=now, **PROVENANCE)


def notify_config(fake=None, *, webhook=False, locale="en", **options) -> NotifyConfig:
    if fake is None:
        slack = SlackConfig(token="", webhook_url="")
    elif webhook:
        slack = SlackConfig(webhook_url=fake.webhook_url)
    else:
        from fake_slack import GOOD_TOKEN

        slack = SlackConfig(token=GOOD_TOKEN, api_url=fake.api_url)
    return NotifyConfig(slack=slack, locale=locale, digest_at=options.pop("digest_at", None), **options)


def record_results(store: ReportStore, hour: datetime, results: list, *, job="hourly-bookings") -> int:
    from reconciler.results import worst

    window = Window(hour, hour + HOUR)
    now = hour + HOUR + timedelta(minutes=5)
    run = RunResult(job=job, window=window, started_at=now, finished_at=now,
                    status=worst(r.status for r in results), results=results)
    return store.record_run(run, now=now, **PROVENANCE)


def rule(name: str, status: str, *, message=None, violations=0) -> CheckResult:
    return CheckResult(name, status, observed=violations, threshold=0, violations=violations, message=message,
                       samples=[{"booking_id": i} for i in range(violations)],
                       details={"config_check": "bookings", "severity": "critical"})
