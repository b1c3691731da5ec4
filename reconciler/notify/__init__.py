"""Slack notifications: alerts with a lifecycle, a daily digest, delivered through an outbox.

lifecycle.py decides, inside the run's own transaction, which messages a stored run causes;
outbox.py holds them; sender.py delivers them (slack.py talks to Slack); blocks.py and
digest.py render them in the locale's words (i18n.py); reasons.py says why a check failed.
Nothing here imports slack_sdk until a message is rendered or sent."""

from reconciler.notify.reasons import reason_of


def drain_outbox(store, notify, **options):
    from reconciler.notify.sender import drain_outbox as _drain

    return _drain(store, notify, **options)


def outbox_depth(store) -> int:
    from reconciler.notify.sender import outbox_depth as _depth

    return _depth(store)


__all__ = ["digest_scope", "drain_outbox", "outbox_depth", "reason_of"]


def notify_after_run(loaded, store, now, *, dry_run: bool = False):
    """What `reconciler run` and the scheduler call once a window is stored: deliver the outbox.
    Slack being down is logged, never raised: the messages wait in the outbox."""
    import logging

    from reconciler.errors import SourceError
    from reconciler.notify.direct import store_back
    from reconciler.store import reports_directory

    try:
        store_back(loaded.config.notify, now, reports_directory(loaded).resolve())
        report = drain_outbox(store, loaded.config.notify, now=now, dry_run=dry_run,
                              reports_dir=reports_directory(loaded).resolve(), digest=digest_scope(loaded, store, now))
    except SourceError as e:
        logging.getLogger(__name__).warning("Slack messages stay in the outbox: %s", e)
        return None
    except Exception:  # a notifier bug must not turn a stored, judged run into a failed command
        logging.getLogger(__name__).exception("delivering the Slack outbox failed; the messages stay in it")
        return None
    if report.error:
        logging.getLogger(__name__).warning("Slack messages stay in the outbox (%d): %s", report.pending, report.error)
    return report


def digest_scope(loaded, store, now):
    """What the daily digest counts for this config: the hourly datasets the current phase's gate reads,
    the hourly jobs' settle (the digest waits for its period's last hour to be judged) and the
    gate itself, read from the store only when a digest is due."""
    import math
    from datetime import timedelta

    from reconciler.config.phases import PLAN_DEFAULTS
    from reconciler.errors import ReconcilerError
    from reconciler.gate.evaluate import current_phase, gate_datasets
    from reconciler.notify.digest import DigestScope

    config = loaded.config
    phase = current_phase(loaded)
    try:
        datasets = gate_datasets(loaded, config.phases[phase]) if phase in config.phases else None
    except ReconcilerError:
        datasets = None
    if datasets is None:
        datasets = tuple(name for name, ds in config.datasets.items() if not ds.snapshot)
    settle = max((job.settle for job in config.jobs.values() if job.window == "previous_hour"), default=timedelta(0))
    ready = timedelta(minutes=math.ceil(settle.total_seconds() / 60))
    criterion = config.phases[phase].criteria.get("error_rate") if phase in config.phases else None
    target = criterion.bound("error_rate", "max_pct") if criterion is not None else \
        PLAN_DEFAULTS["error_rate"]["max_pct"]
    return DigestScope(tuple(datasets), ready, gate=lambda: _gate(store, loaded, now), phase=phase,
                       error_target_pct=target)


def _gate(store, loaded, now):
    """The current phase's gate for the daily digest; None (logged) when it cannot be evaluated.
    Passed as a callable: the gate is read from the store only when a digest is due."""
    from reconciler.errors import ReconcilerError
    from reconciler.gate.evaluate import gate_summary

    try:
        return gate_summary(store, loaded, now)
    except ReconcilerError as e:
        import logging

        logging.getLogger(__name__).warning("gate state left out of the digest: %s", e)
        return None


def notify_store_down(loaded, job: str, error: Exception, now) -> bool:
    """The report store cannot be opened: tell Slack directly (the outbox lives in that store)."""
    from reconciler.notify.direct import alert_store_down
    from reconciler.store import reports_directory

    return alert_store_down(loaded.config.notify, job, error, now, reports_directory(loaded).resolve())
