"""Common options before or after the command, for every command and sub-command (including
those other modules register later), and each bad input of issue 11 with its exit code and
exact message."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from integrity_fixtures import ROOT, copy_project, run_cli, sqlite_demo, use_sources  # noqa: F401  (fixtures)

from reconciler.cli import cli
from reconciler.cli.options import hoist_common_options


def leaf_paths(group: click.Group, prefix=()) -> list[tuple[str, ...]]:
    ctx = click.Context(group)
    out = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            out += leaf_paths(command, (*prefix, name))
        else:
            out.append((*prefix, name))
    return out


def parsed(args: list[str]) -> dict:
    """The root group's options after click parsed `args` (the command itself is not run)."""
    with cli.make_context("reconciler", list(args)) as ctx:
        return dict(ctx.params)


def hoisted(args: list[str]) -> list[str]:
    return hoist_common_options(cli, click.Context(cli), list(args))


# ------------------------------------------------------------------ both positions

def test_the_tree_holds_the_commands_this_test_knows():
    paths = leaf_paths(cli)
    for known in [("compare",), ("demo",), ("check",), ("run",), ("init",), ("report", "list"), ("report", "show"),
                  ("report", "open"), ("db", "upgrade"), ("db", "prune")]:
        assert known in paths


@pytest.mark.parametrize("path", leaf_paths(cli), ids=" ".join)
def test_every_command_takes_the_common_options_after_it(path, monkeypatch):
    monkeypatch.delenv("RECONCILER_CONFIG", raising=False)
    path = list(path)
    assert hoisted([*path, "--config", "x.yaml", "-vv"]) == ["--config", "x.yaml", "-vv", *path]
    assert hoisted([*path, "--config=x.yaml", "--verbose"]) == ["--config=x.yaml", "--verbose", *path]
    assert parsed([*path, "--config", "x.yaml", "-vv"]) == {"config_path": "x.yaml", "verbose": 2}
    assert parsed(["--config", "x.yaml", "-v", *path]) == {"config_path": "x.yaml", "verbose": 1}
    assert parsed(["-v", *path, "-v", "--config", "x.yaml"]) == {"config_path": "x.yaml", "verbose": 2}
    assert parsed(path) == {"config_path": "schedule.yaml", "verbose": 0}
    monkeypatch.setenv("RECONCILER_CONFIG", "from-env.yaml")
    assert parsed(path)["config_path"] == "from-env.yaml"
    assert parsed([*path, "--config", "given.yaml"])["config_path"] == "given.yaml"


def test_option_values_and_arguments_after_a_double_dash_stay_put():
    # `--job -v`: -v is the job's name; after `--` nothing is an option
    assert hoisted(["report", "list", "--job", "-v", "--config", "x.yaml"]) == \
        ["--config", "x.yaml", "report", "list", "--job", "-v"]
    assert hoisted(["compare", "--start", "now-2h", "--", "--config"]) == ["compare", "--start", "now-2h", "--",
                                                                           "--config"]
    assert hoisted(["--config", "a.yaml", "compare", "--config", "b.yaml"]) == \
        ["--config", "a.yaml", "--config", "b.yaml", "compare"]
    assert parsed(["--config", "a.yaml", "compare", "--config", "b.yaml"])["config_path"] == "b.yaml"
    assert hoisted(["nosuch", "--config", "x.yaml"]) == ["nosuch", "--config", "x.yaml"]


@pytest.mark.parametrize("args", [["report", "list", "--limit", "1", "--config"], ["compare", "device_events", "--config"],
                                  ["db", "upgrade", "-v", "--config"], ["--config"]], ids=" ".join)
def test_config_with_no_value_at_the_end_is_clicks_own_error(args, capfd):
    # hoisted in front of the command, a bare --config took the command's name as its value
    assert run_cli(capfd, *args) == (2, "", "Error: Option '--config' requires an argument.\n")


@pytest.mark.parametrize("path", leaf_paths(cli), ids=" ".join)
def test_version_after_any_command_prints_the_version(path, capfd):
    from importlib.metadata import version

    expected = (0, f"reconciler, version {version('shadow-reconciler')}\n", "")
    assert run_cli(capfd, *path, "--version") == expected
    assert run_cli(capfd, "--version", *path) == expected


COMMON_HELP = """
  Common options, before or after the command:
    --config FILE  schedule.yaml to use ($RECONCILER_CONFIG).  [default: schedule.yaml]
    -v, --verbose  More log output on stderr: -v our progress, -vv our debug and the libraries' logs, -vvv Alembic's too.
    --version      Show the version and exit.
"""


@pytest.mark.parametrize("path", [*leaf_paths(cli), ("report",), ("db",), ("notify",)], ids=" ".join)
def test_every_subcommands_help_ends_with_the_common_options(path, capfd, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    code, out, err = run_cli(capfd, *path, "--help")
    assert (code, err) == (0, "")
    assert out.endswith(COMMON_HELP)


def missing_config(tmp_path) -> tuple[Path, str]:
    path = tmp_path / "nowhere" / "x.yaml"
    return path, f"reconciler: {path}: file not found (give --config PATH or set RECONCILER_CONFIG)\n"


@pytest.mark.parametrize("args", [["compare"], ["check"], ["run", "hourly"], ["report", "list"],
                                  ["report", "show", "1"], ["report", "open"], ["db", "upgrade"], ["db", "prune"]],
                         ids=" ".join)
def test_config_after_the_command_is_the_one_read(args, tmp_path, capfd, monkeypatch):
    monkeypatch.delenv("RECONCILER_CONFIG", raising=False)
    path, message = missing_config(tmp_path)
    assert run_cli(capfd, *args, "--config", path, "-v") == (2, "", message)
    assert run_cli(capfd, "--config", path, *args) == (2, "", message)


def store_config(tmp_path, url: str) -> Path:
    path = tmp_path / "schedule.yaml"
    path.write_text(f'sources:\n  old: {{url: "sqlite:///old.db"}}\nreport_store: {{url: "{url}", directory: out}}\n')
    return path


def test_nested_groups_with_the_config_after_them(tmp_path, capfd):
    path = store_config(tmp_path, "sqlite:///state/reconciler.db")
    code, out, _ = run_cli(capfd, "db", "upgrade", "--config", path, "-v")
    assert (code, out.startswith(f"report store sqlite:///{tmp_path}/state/reconciler.db is at revision ")) == (0, True)
    assert run_cli(capfd, "report", "list", "--format", "json", "--config", path) == (0, '{\n  "runs": []\n}\n', "")


# ------------------------------------------------------------------ bad inputs: exit 2, the right name

@pytest.mark.parametrize("option, value, message", [
    ("--hours", "0", "Error: Invalid value for '--hours': 0 is not in the range x>=1.\n"),
    ("--hours", "-3", "Error: Invalid value for '--hours': -3 is not in the range x>=1.\n"),
    ("--rate", "0", "Error: Invalid value for '--rate': 0.0 is not in the range x>0.\n"),
])
def test_demo_refuses_an_empty_demo(option, value, message, tmp_path, capfd, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capfd, "demo", option, value, "--out", tmp_path / "d")
    assert (code, out) == (2, "")
    assert err == f"Usage: reconciler demo [OPTIONS]\nTry 'reconciler demo --help' for help.\n\n{message}"
    assert not (tmp_path / "d").exists()


def test_demo_again_hint_compares_the_pair_of_its_own_out(tmp_path, capfd, monkeypatch):
    """The hint names the demo's own config, so it compares the pair just built, whatever the
    working directory's schedule.yaml or the environment say."""
    work = tmp_path / "work"
    work.mkdir()
    copy_project(work)  # a production schedule.yaml here must not be what the demo uses
    monkeypatch.chdir(work)
    monkeypatch.setenv("OLD_DATABASE_URL", "postgresql+psycopg://u:secret@127.0.0.1:1/production")
    monkeypatch.setenv("NEW_DATABASE_URL", "postgresql+psycopg://u:secret@127.0.0.1:1/production")
    out_dir = tmp_path / "elsewhere"
    code, out, _ = run_cli(capfd, "demo", "--hours", "2", "--rate", "0.05", "--out", out_dir)
    assert code == 0
    [again] = [line for line in out.splitlines() if line.startswith("again: ")]
    [listing] = [line for line in out.splitlines() if line.startswith("       reconciler report list")]
    args = again.removeprefix("again: reconciler ").split()
    assert args[:4] == ["compare", "device_events", "--config", str(out_dir / "schedule.yaml")]
    code, compared, _ = run_cli(capfd, *args, "--format", "json")
    assert code == 1
    assert json.loads(compared)["totals"] == json.loads((out_dir / "compare.json").read_text())["totals"]
    code, listed, _ = run_cli(capfd, *listing.split()[1:], "--format", "json")
    assert (code, len(json.loads(listed)["runs"])) == (0, 3)
    assert (out_dir / "schedule.yaml").read_text().count("${") == 0
    payloads = sorted(p.name for p in (out_dir / "notify").iterdir())
    assert payloads
    (out_dir / "notify" / "000099-alert.json").write_text("{}")  # an earlier demo's payload
    code, _, _ = run_cli(capfd, "demo", "--hours", "2", "--rate", "0.05", "--out", out_dir)  # again, same --out
    assert sorted(p.name for p in (out_dir / "notify").iterdir()) == payloads
    code, listed, _ = run_cli(capfd, *listing.split()[1:], "--format", "json")
    assert (code, len(json.loads(listed)["runs"])) == (0, 3)  # the demo's store holds its last demo only


def test_empty_redis_url_with_a_health_check_is_a_config_error(tmp_path, capfd, monkeypatch):
    path = tmp_path / "schedule.yaml"
    path.write_text('sources:\n  queue: {url: "${REDIS_URL:-}"}\n'
                    "checks:\n  pipeline_dlq: {type: health, source: queue, dlq_key: dlq}\n"
                    'jobs:\n  pipeline: {cron: "*/5 * * * *", checks: [pipeline_dlq], settle: 0m}\n')
    monkeypatch.setenv("REDIS_URL", "")
    code, out, err = run_cli(capfd, "run", "pipeline", "--config", path)
    assert (code, out) == (2, "")
    assert err == (f"reconciler: {path}:4: checks.pipeline_dlq.source: source 'queue' has an empty url: "
                   "sources.queue.url is '${REDIS_URL:-}' and REDIS_URL is unset or empty "
                   "(set REDIS_URL, or remove what uses the source)\n")


@pytest.fixture
def demo_project(tmp_path, monkeypatch, sqlite_demo):
    copy_project(tmp_path)
    use_sources(monkeypatch, sqlite_demo["old"], sqlite_demo["new"], sqlite_demo["timezone"])
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("source, hint", [("nosuch", ""), ("olf", "; did you mean 'old'?")])
def test_check_unknown_source_names_the_option_and_the_known_sources(demo_project, capfd, source, hint):
    assert run_cli(capfd, "check", "--source", source) == (
        2, "", f"reconciler: --source: unknown source {source!r} (known: both, old, new; the database sources of "
               f"schedule.yaml){hint}\n")


def test_a_typo_in_a_rule_header_names_the_file_line_and_the_key(demo_project, capfd):
    rule = demo_project / "checks" / "bookings" / "notifications_sent.sql"
    rule.write_text(rule.read_text().replace("-- severity: critical", "-- severty: warning"))
    line = rule.read_text().splitlines().index("-- severty: warning") + 1
    message = ("reconciler: schedule.yaml:47: checks.bookings.rules: checks/bookings/notifications_sent.sql:"
               f"{line}: unknown header key 'severty' (known: description, severity, key, identity, noun); "
               "did you mean 'severity'?\n")
    assert run_cli(capfd, "check") == (2, "", message)
    assert run_cli(capfd, "compare", "device_events") == (2, "", message)


def test_compare_without_a_dataset_lists_the_datasets_snapshot_included(demo_project, capfd):
    assert run_cli(capfd, "compare") == (
        2, "", "reconciler: name the dataset to compare: schedule.yaml configures 2 (device_events, bookings), "
               "e.g. reconciler compare device_events\n")


def test_report_list_on_a_fresh_postgresql_store_creates_its_schema(tmp_path, capfd, make_pg_database):
    path = store_config(tmp_path, make_pg_database("fresh_store"))
    assert run_cli(capfd, "report", "list", "--format", "json", "--config", path) == (0, '{\n  "runs": []\n}\n', "")
    from reconciler.config import load_config
    from reconciler.store import ReportStore, store_url

    store = ReportStore(store_url(load_config(path)))
    try:
        assert store.revision() == store.head()
    finally:
        store.close()
    code, out, _ = run_cli(capfd, "report", "show", "latest", "--config", path)
    assert (code, out) == (2, "")
