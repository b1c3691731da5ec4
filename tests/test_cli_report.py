"""`report list|show|open` and `db upgrade|prune` through click, with exit codes as the main CLI maps them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import click
import pytest
from click.testing import CliRunner
from store_fixtures import PROVENANCE, T0, evidence_run, make_run

from reconciler.cli.report import db, report
from reconciler.config import load_config
from reconciler.errors import ReconcilerError
from reconciler.store import ReportStore, store_url
from reconciler.timeutil import HOUR, Window, iso

HEAD = ReportStore("sqlite://").head()  # the newest migration


class Main(click.Group):
    """Stands in for reconciler.cli.main: errors become their message and exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ReconcilerError as e:
            click.echo(f"error: {e}", err=True)
            ctx.exit(e.exit_code)


@click.group(cls=Main)
@click.option("--config", "config_path", default="schedule.yaml")
@click.pass_context
def main(ctx, config_path):
    ctx.obj = {"config_path": config_path}


main.add_command(report)
main.add_command(db)


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "schedule.yaml"
    path.write_text('sources:\n  old: {url: "sqlite:///old.db"}\n'
                    'report_store: {url: "sqlite:///state/reconciler.db", keep_days: 30, directory: out}\n')
    return path


@pytest.fixture
def stored(config):
    """A migrated store next to the config holding three runs: #1 evidence (fail), #2 pass, #3 error."""
    store = ReportStore(store_url(load_config(config)))
    store.upgrade()
    store.record_run(evidence_run(), **PROVENANCE, now=T0 + 4 * HOUR)
    store.record_run(make_run("daily-bookings", T0 + 3 * HOUR, [(50, 50)]), **PROVENANCE)
    store.record_failure("hourly-shadow", Window(T0 + 3 * HOUR, T0 + 4 * HOUR), "old: connection refused",
                         datasets=["device_events"], started_at=T0 + 4 * HOUR, **PROVENANCE,
                         now=T0 + 4 * HOUR + timedelta(seconds=2))
    yield store
    store.close()


def invoke(config, *args):
    return CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False)


def test_db_upgrade_creates_the_store_next_to_the_config(config, tmp_path):
    result = invoke(config, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert result.output == f"report store sqlite:///{tmp_path}/state/reconciler.db is at revision {HEAD} (head)\n"
    assert invoke(config, "db", "upgrade").exit_code == 0


def test_report_list_before_any_upgrade_creates_the_schema_as_run_does(config, tmp_path):
    """Every command that opens the store brings its schema to head first (reading or writing),
    so a fresh store answers `report list` with no runs instead of an error."""
    from reconciler.errors import SourceError
    from reconciler.store import open_report_store

    with pytest.raises(SourceError) as e:  # the opt-out still says what to run
        open_report_store(load_config(config), upgrade=False)
    head = ReportStore(store_url(load_config(config))).head()
    assert str(e.value) == (f"report store sqlite:///{tmp_path}/state/reconciler.db has no schema yet, "
                            f"this version needs {head}: run `reconciler db upgrade`")
    result = invoke(config, "report", "list", "--format", "json")
    assert (result.exit_code, result.stdout, result.stderr) == (0, '{\n  "runs": []\n}\n', "")
    store = ReportStore(store_url(load_config(config)))
    try:
        assert store.revision() == head
    finally:
        store.close()


def test_report_list_json_filters(config, stored):
    result = invoke(config, "report", "list", "--format", "json", "--job", "hourly-shadow")
    assert result.exit_code == 0
    runs = json.loads(result.stdout)["runs"]
    assert [(r["id"], r["status"], r["checks"], r["failing_checks"]) for r in runs] == [(3, "error", 0, 0),
                                                                                       (1, "fail", 4, 3)]
    failing = json.loads(invoke(config, "report", "list", "--format", "json", "--status", "fail").stdout)
    assert [r["id"] for r in failing["runs"]] == [1]
    recent = json.loads(invoke(config, "report", "list", "--format", "json", "--since", "2026-11-27T14:00Z").stdout)
    assert [r["id"] for r in recent["runs"]] == [2, 3]


def test_report_list_table(config, stored):
    result = invoke(config, "report", "list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].rstrip() == "3 runs"
    row = next(line for line in lines if "old: connection refused" in line)
    assert [cell.strip() for cell in row.split("│")[1:10]] == [
        "3", "hourly-shadow", "2026-11-27T13:00:00Z", "2026-11-27T14:00:00Z", "error", "0", "0", "2.0",
        "old: connection refused"]


def test_report_list_says_why_a_failing_run_failed(config, stored):
    """A failing run has no message; its row shows its first failing checks' reasons, as the
    HTML index's Why column does."""
    result = invoke(config, "report", "list", "--status", "fail")
    assert result.exit_code == 0
    rows = [[cell.strip() for cell in line.split("│")[1:10]] for line in result.stdout.splitlines()
            if line.startswith("│")]
    assert rows[0][:8] == ["1", "hourly-shadow", "2026-11-27T10:00:00Z", "2026-11-27T13:00:00Z", "fail", "4", "3",
                           "4.0"]
    # the cell folds over several lines; numbers' thousands separators are spaces too
    assert " ".join(" ".join(row[8] for row in rows).split()) == (
        "hourly_count_drift: 1 of 3 hours fail: 11:00 drift +1.50 % outside ±1 %: 30 more events in new; "
        "row_match: match 99.155 % < 99.9 %: 34 of 4 024 rows differ (4 missing, 24 extra, 6 changed); 1 more")


def test_report_list_rejects_a_bad_since(config, stored):
    result = invoke(config, "report", "list", "--since", "last tuesday")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --since: cannot read 'last tuesday' as a time")


def test_report_show_table_json_and_html(config, stored):
    table = invoke(config, "report", "show", "1")
    assert table.exit_code == 0
    assert "run 1  hourly-shadow  2026-11-27T10:00:00Z → 2026-11-27T13:00:00Z  fail" in table.stdout
    assert "  fail row_match: match 99.155 % < 99.9 %: 34 of 4 024 rows differ (4 missing, 24 extra, 6 changed)\n" \
        in table.stdout
    assert (" 2026-11-27T11:00:00Z │ 2\u00a0000 │ 2\u00a0030 │ +1.5000 │ fail   │ drift +1.50 % outside ±1 %: 30 more "
            "events in new" in table.stdout)
    assert " changed │ event_id=42 │ sensor-3  │ temp       │ 21.5 → 23.75 " in table.stdout
    assert "no_overlapping_bookings (critical): 2 overlapping bookings on new" in table.stdout
    document = json.loads(invoke(config, "report", "show", "1", "--format", "json").stdout)
    assert document["compares"][0]["totals"]["match_pct"] == 99.1551
    html = invoke(config, "report", "show", "3", "--format", "html").stdout
    assert html.startswith("<!DOCTYPE html>") and "<strong>old: connection refused</strong>" in html
    latest = json.loads(invoke(config, "report", "show", "latest", "--format", "json").stdout)
    assert (latest["id"], latest["job"]) == (2, "daily-bookings")


def test_report_show_unknown_run(config, stored):
    result = invoke(config, "report", "show", "42")
    assert result.exit_code == 2
    assert result.stderr == (f"error: no run 42 in the report store {stored.display_url} "
                             "(`reconciler report list` shows the runs)\n")


def test_report_open_prints_the_index_path(config, stored, tmp_path):
    result = invoke(config, "report", "open")
    assert result.exit_code == 0
    assert result.stdout == f"{tmp_path}/out/index.html\n"
    assert "<table class=\"timeline\">" in (tmp_path / "out" / "index.html").read_text()


def test_db_prune_uses_keep_days(config):
    assert invoke(config, "db", "upgrade").exit_code == 0
    store = ReportStore(store_url(load_config(config)))
    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    for age in (40, 29):
        started = now - timedelta(days=age)
        store.record_run(make_run("hourly-shadow", started - 2 * HOUR, [(1, 1)], started=started), **PROVENANCE,
                         now=started)
    result = invoke(config, "db", "prune")
    assert result.exit_code == 0
    assert result.stdout == ("kept the last 30 days; deleted 0 samples, 1 results, 1 compares, 1 runs, "
                             "1 ledger, 1 verdicts\n")
    assert [r["started_at"] for r in store.list_runs()] == [iso(now - timedelta(days=29))]
    store.close()


def test_every_command_has_help(config):
    for args in (["report"], ["report", "list"], ["report", "show"], ["report", "open"], ["db"], ["db", "upgrade"],
                 ["db", "prune"]):
        result = invoke(config, *args, "--help")
        assert result.exit_code == 0 and "Usage:" in result.stdout, args
