"""The report store as jobs use it: opened, upgraded, and with the Slack lifecycle wired into
its transaction hook, so a stored run and the messages it causes are committed together."""

from __future__ import annotations

from reconciler.config.loader import LoadedConfig


def with_slack_lifecycle(store, loaded: LoadedConfig):
    """`store`, whose record_run now also writes the alerts, follow-ups and recoveries of the run."""
    from reconciler.notify.lifecycle import SlackLifecycle

    store.add_run_hook(SlackLifecycle(remind_every=loaded.config.notify.remind_every))
    return store


def open_job_store(loaded: LoadedConfig):
    from reconciler.store import open_report_store

    return with_slack_lifecycle(open_report_store(loaded, upgrade=True), loaded)
