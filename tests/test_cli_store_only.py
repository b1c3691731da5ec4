"""Commands read only what they use: with the shipped schedule.yaml and no database URL set,
the commands that read the report store (and Slack) work; a command that connects to a source
whose variable is unset stops with exit 2 naming the variable, before anything is read or stored."""

from __future__ import annotations

import json

import pytest
from integrity_fixtures import copy_project, run_cli, sqlite_demo  # noqa: F401  (fixture)

REASON = ("source '{name}' has an empty url: sources.{name}.url is '${{{var}}}' and {var} is unset or empty "
          "(set {var}, or remove what uses the source)")


@pytest.fixture
def laptop(tmp_path, monkeypatch):
    """The shipped schedule.yaml with only the report store set: an operator checking the gate."""
    copy_project(tmp_path)
    for name in ("OLD_DATABASE_URL", "NEW_DATABASE_URL", "REDIS_URL", "RECONCILER_CONFIG", "SLACK_BOT_TOKEN",
                 "SLACK_WEBHOOK_URL", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REPORT_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.setenv("NOTIFY_DIGEST_AT", "")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("args, code", [
    (["gate", "--format", "json"], 4),          # no evidence yet: incomplete
    (["report", "list", "--format", "json"], 0),
    (["report", "open"], 0),
    (["db", "upgrade"], 0),
    (["db", "prune"], 0),
    (["jobs", "--format", "json"], 0),
    (["notify", "flush"], 0),
    (["notify", "test", "--dry-run"], 0),
])
def test_store_only_commands_need_no_database_url(laptop, capfd, args, code):
    got, out, err = run_cli(capfd, *args)
    assert (got, err) == (code, ""), err
    if "--format" in args:
        json.loads(out)


def test_compare_names_both_unset_variables_before_reading_either_side(laptop, capfd):
    code, out, err = run_cli(capfd, "compare", "device_events", "--start", "2026-11-27T10:00:00Z",
                             "--end", "2026-11-27T11:00:00Z")
    assert (code, out) == (2, "")
    where = laptop / "schedule.yaml"
    assert err == ("reconciler: 2 problems\n"
                   f"  - {where.name}:18: datasets.device_events.old.source: "
                   + REASON.format(name="old", var="OLD_DATABASE_URL") + "\n"
                   f"  - {where.name}:19: datasets.device_events.new.source: "
                   + REASON.format(name="new", var="NEW_DATABASE_URL") + "\n")


def test_a_source_that_is_set_is_used_and_only_the_unset_one_stops(laptop, capfd, monkeypatch, sqlite_demo):
    monkeypatch.setenv("NEW_DATABASE_URL", sqlite_demo["new"])
    code, out, err = run_cli(capfd, "calibrate", "device_events", "--side", "old", "--start",
                             "2026-11-27T10:00:00Z", "--end", "2026-11-27T11:00:00Z")
    assert (code, out) == (2, "")
    assert err == ("reconciler: schedule.yaml:18: datasets.device_events.old.source: "
                   + REASON.format(name="old", var="OLD_DATABASE_URL") + "\n")
    code, out, err = run_cli(capfd, "run", "hourly-shadow", "--start", "2026-11-27T10:00:00Z",
                             "--end", "2026-11-27T11:00:00Z")
    assert (code, out) == (2, "")
    assert err == ("reconciler: schedule.yaml:18: datasets.device_events.old.source: "
                   + REASON.format(name="old", var="OLD_DATABASE_URL") + "\n")
    code, out, _ = run_cli(capfd, "report", "list", "--format", "json")
    assert (code, json.loads(out)["runs"]) == (0, [])  # nothing half-judged, nothing stored


@pytest.fixture
def root_logging():
    """`schedule` replaces the root log handlers (JSON lines on stderr): put them back after."""
    import logging

    root, ours = logging.getLogger(), logging.getLogger("reconciler")
    saved = (list(root.handlers), root.level, ours.level)
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    ours.setLevel(saved[2])


def test_the_scheduler_stops_on_a_job_whose_source_variable_is_unset(laptop, capfd, root_logging):
    code, out, err = run_cli(capfd, "schedule", "--once", "--now", "2026-11-27T12:15:00Z")
    assert (code, out) == (2, "")
    assert err.endswith("reconciler: 2 problems\n"
                        "  - schedule.yaml:18: datasets.device_events.old.source: "
                        + REASON.format(name="old", var="OLD_DATABASE_URL") + "\n"
                        "  - schedule.yaml:19: datasets.device_events.new.source: "
                        + REASON.format(name="new", var="NEW_DATABASE_URL") + "\n")
    code, out, _ = run_cli(capfd, "report", "list", "--format", "json")
    assert (code, json.loads(out)["runs"]) == (0, [])


def test_check_on_a_source_whose_variable_is_unset_names_the_variable(laptop, capfd, monkeypatch, sqlite_demo):
    monkeypatch.setenv("NEW_DATABASE_URL", sqlite_demo["new"])
    code, out, err = run_cli(capfd, "check", "--source", "old")
    assert (code, out) == (2, "")
    assert err == ("reconciler: schedule.yaml:11: sources.old.url: "
                   + REASON.format(name="old", var="OLD_DATABASE_URL") + "\n")
