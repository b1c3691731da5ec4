"""`reconciler repair` at the command line: its exit codes (0 nothing to repair, 1 a repair
written, 2 bad usage or configuration naming the key, 3 a source unreachable) and its help."""

from __future__ import annotations

from repair_fixtures import WINDOW_ARGS, load_pair, scenario, write_config
from rowdiff_fixtures import server_url
from test_cli_compare import run


def sqlite_project(request, tmp_path, **options):
    old_url, new_url = server_url(request, "sqlite", "cli_old"), server_url(request, "sqlite", "cli_new")
    load_pair(old_url, new_url, "sqlite", "sqlite", scenario())
    return write_config(tmp_path, old_url, new_url, **options), old_url, new_url


def test_an_unknown_dataset_is_exit_2_naming_the_known_ones(request, tmp_path, capfd):
    config, _, _ = sqlite_project(request, tmp_path)
    code, out, err = run(capfd, "--config", str(config), "repair", "events", *WINDOW_ARGS)
    assert (code, out) == (2, "")
    assert err == f"reconciler: unknown dataset 'events' in {config} (known: device_events); did you mean 'device_events'?\n"


def test_a_new_side_given_as_a_query_is_exit_2_naming_the_key(request, tmp_path, capfd):
    config, _, _ = sqlite_project(request, tmp_path)
    text = config.read_text().replace("table: events_fix,", 'query: "SELECT * FROM events_fix",')
    config.write_text(text)
    code, _, err = run(capfd, "--config", str(config), "repair", *WINDOW_ARGS, "--out", str(tmp_path / "r"))
    assert code == 2
    assert err == (f"reconciler: {config}:7: datasets.device_events.new.query: repair writes statements for a table, "
                   "and the new side of this dataset is a query: give it a `table`\n")
    assert not (tmp_path / "r").exists()


def test_an_unreachable_source_is_exit_3_and_writes_nothing(request, tmp_path, capfd):
    config, _, _ = sqlite_project(request, tmp_path)
    config.write_text(config.read_text().replace(server_url(request, "sqlite", "cli_new"),
                                                 "postgresql+psycopg://nobody@127.0.0.1:1/none"))
    code, _, err = run(capfd, "--config", str(config), "repair", *WINDOW_ARGS, "--out", str(tmp_path / "r"))
    assert code == 3 and err.startswith("reconciler: source 'new' (postgresql+psycopg://nobody@127.0.0.1:1/none) is "
                                        "unreachable")
    assert not (tmp_path / "r").exists()


def test_a_bad_window_or_format_is_exit_2(request, tmp_path, capfd):
    config, _, _ = sqlite_project(request, tmp_path)
    code, _, err = run(capfd, "--config", str(config), "repair", "--start", "2026-03-29T03:00Z", "--end",
                       "2026-03-29T00:00Z")
    assert code == 2 and err.startswith("reconciler: bad window: window end 2026-03-29T00:00:00Z is not after its start")
    code, _, err = run(capfd, "--config", str(config), "repair", *WINDOW_ARGS, "--format", "xml")
    assert code == 2 and "'xml' is not one of 'sql', 'csv'" in err
    code, _, err = run(capfd, "--config", str(config), "repair", "--end", "2026-03-29T00:00Z")
    assert code == 2 and "Missing option '--start'" in err
