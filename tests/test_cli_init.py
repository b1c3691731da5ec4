"""`reconciler init`: the production template, written without questions; the shipped
schedule.yaml is that template with the default names."""

from __future__ import annotations

import pytest
from integrity_fixtures import ROOT, run_cli

from reconciler.checks.types import CHECK_TYPES
from reconciler.cli.init import DEFAULT_NAMES, render_template
from reconciler.config import load_config
from reconciler.errors import ConfigError

ENV = {"OLD_DATABASE_URL": "sqlite:///old.db", "NEW_DATABASE_URL": "sqlite:///new.db"}


def test_the_shipped_schedule_yaml_is_the_template():
    assert (ROOT / "schedule.yaml").read_text() == render_template()


def test_the_template_has_no_default_database_url_and_comments_every_check_type():
    text = render_template()
    assert '{url: "${OLD_DATABASE_URL}"}' in text and '{url: "${NEW_DATABASE_URL}"}' in text
    assert "sqlite:///reports/demo" not in text and "America/" not in text
    for kind in CHECK_TYPES:
        assert f"# {kind}:" in text, kind
        assert f"type: {kind}" in text, kind


def test_init_writes_the_template_with_the_names_given(tmp_path, capfd, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RECONCILER_CONFIG", raising=False)
    code, out, err = run_cli(capfd, "init", "--dataset", "events", "--old-table", "ev_log", "--new-table", "events",
                             "--old-time", "logged_at", "--new-time", "at", "--old-key", "device, seq",
                             "--new-key", "device_id,seq")
    assert (code, err) == (0, "")
    assert out == ("wrote schedule.yaml; copied 8 suite and rule files beside it (expectations/, checks/bookings/; "
                   "files already there were kept)\n"
                   "next: set OLD_DATABASE_URL and NEW_DATABASE_URL (and REDIS_URL for the health check), adjust the "
                   "columns, then: reconciler compare events --config schedule.yaml\n")
    assert (tmp_path / "schedule.yaml").read_text() == render_template(
        dataset="events", old_table="ev_log", new_table="events", old_time="logged_at", new_time="at",
        old_key="device, seq", new_key="device_id, seq")
    assert set(load_config("schedule.yaml", env={}).unresolved) == {"old", "new", "queue"}
    with pytest.raises(ConfigError, match="OLD_DATABASE_URL is unset or empty"):
        load_config("schedule.yaml", env={}).source_url("old")
    loaded = load_config("schedule.yaml", env=ENV)
    ds = loaded.config.datasets["events"]
    assert (ds.old.table, ds.old.time, ds.old.key, ds.old.timezone) == ("ev_log", "logged_at", ["device", "seq"], "UTC")
    assert (ds.new.table, ds.new.time, ds.new.key, ds.new.timezone) == ("events", "at", ["device_id", "seq"], "UTC")
    assert loaded.config.checks["event_rows"].dataset == "events"
    assert (tmp_path / "checks" / "bookings" / "no_overlapping_bookings.sql").is_file()


def test_init_refuses_to_overwrite_without_force(tmp_path, capfd, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prod.yaml").write_text("mine\n")
    (tmp_path / "checks" / "bookings").mkdir(parents=True)
    (tmp_path / "checks" / "bookings" / "notifications_sent.sql").write_text("-- mine\nSELECT 1\n")
    assert run_cli(capfd, "init", "--path", "prod.yaml") == (
        2, "", "reconciler: prod.yaml already exists: give --force to overwrite it, or --path for another file\n")
    assert (tmp_path / "prod.yaml").read_text() == "mine\n"
    code, out, _ = run_cli(capfd, "init", "--config", "prod.yaml", "--force")  # --config names the file too
    assert code == 0 and out.startswith("wrote prod.yaml; copied 7 suite and rule files")
    assert (tmp_path / "prod.yaml").read_text() == render_template()
    assert (tmp_path / "checks" / "bookings" / "notifications_sent.sql").read_text() == "-- mine\nSELECT 1\n"
    assert run_cli(capfd, "init", "--force", "--path", "prod.yaml", "--dataset", " ") == (
        2, "", "reconciler: --dataset: give a name\n")
    assert DEFAULT_NAMES["dataset"] == "device_events"
