"""`reconciler compare`: exit codes 0/1/2/3 from real cases, exact messages, the JSON
document and its DESIGN.md shape, and a --help that imports nothing heavy.

Most tests call `main()` in this process (Great Expectations is imported once for all);
only what is about processes (--help speed and imports, cli.py, a real exit status) runs
in a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pytest
import sqlalchemy as sa
from conftest import write_schedule

from reconciler.cli import main
from reconciler.demo.scenario import LEGACY, REFERENCE, demo_scenario, legacy_table, load, reference_table, to_rows

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
UTC = timezone.utc
H = timedelta(hours=1)
START = datetime(2026, 3, 8, tzinfo=UTC)
HOURS = 16
CLOSED_PORT_URL = "postgresql+psycopg://u:secret@127.0.0.1:1/x"


@pytest.fixture(scope="module")
def scenario():
    return demo_scenario(START, hours=HOURS, rate=0.05)


@pytest.fixture(scope="module")
def pair(tmp_path_factory, scenario):
    """Old (legacy schema, naive America/Bogota) and new (reference schema) SQLite files."""
    d = tmp_path_factory.mktemp("cli_pair")
    for name, table, rows in (("old", legacy_table(sa.MetaData()), to_rows(scenario.old, LEGACY, "America/Bogota")),
                              ("new", reference_table(sa.MetaData()), to_rows(scenario.new, REFERENCE))):
        engine = sa.create_engine(f"sqlite:///{d / name}.db")
        load(engine, table, rows)
        engine.dispose()
    return {"old": f"sqlite:///{d / 'old.db'}", "new": f"sqlite:///{d / 'new.db'}"}


@pytest.fixture
def project(tmp_path, monkeypatch, pair, schedule_file):
    """A working directory holding schedule.yaml (for the pair) and expectations/."""
    schedule_file(pair["old"], pair["new"], old_timezone="America/Bogota")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RECONCILER_CONFIG", raising=False)
    return tmp_path


def run(capfd, *args) -> tuple[int, str, str]:
    """`reconciler ARGS` in this process: (exit code, stdout, stderr), captured at the file
    descriptors so that nothing written to fd 1 behind Python's back goes unseen."""
    capfd.readouterr()
    with pytest.raises(SystemExit) as e:
        main(list(args))
    out, err = capfd.readouterr()
    return e.value.code, out, err


def last_line(text: str) -> str:
    return text.rstrip("\n").splitlines()[-1]


def window_args(first_hour: int, hours: int) -> list[str]:
    start = START + first_hour * H
    return ["--start", start.strftime("%Y-%m-%dT%H:%MZ"), "--end", (start + hours * H).strftime("%Y-%m-%dT%H:%MZ")]


# ---------------------------------------------------------------- the DESIGN.md JSON shape

# The contract users read (docs/json-contract.md) is the schema the output is checked against.
COMPARE_SCHEMA = json.loads((ROOT / "docs" / "schemas" / "compare.schema.json").read_text())
ROW_KEYS = ("matched", "mismatched", "missing_in_new", "extra_in_new", "match_pct")


def hours_of(doc: dict) -> list[tuple]:
    return [(h["hour"], h["old"], h["new"], h["drift_pct"], h["status"]) for h in doc["hours"]]


# ---------------------------------------------------------------- exit codes 0 and 1


def test_exit_0_when_every_hour_passes(project, capfd):
    code, out, err = run(capfd, "compare", "device_events", *window_args(0, 3), "--counts-only", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    jsonschema.validate(doc, COMPARE_SCHEMA)
    assert doc["status"] == "pass"
    assert doc["window"] == {"start": "2026-03-08T00:00:00Z", "end": "2026-03-08T03:00:00Z"}
    assert hours_of(doc) == [
        ("2026-03-08T00:00:00Z", 176, 176, 0.0, "pass"),
        ("2026-03-08T01:00:00Z", 186, 186, 0.0, "pass"),
        ("2026-03-08T02:00:00Z", 190, 190, 0.0, "pass"),
    ]


@pytest.mark.parametrize("mode", ["--counts-only", "--rows"])
def test_hours_without_a_row_on_either_side_are_empty_and_a_window_without_any_exits_1(project, capfd, mode):
    """The rule `run` stores (docs/service.md): no row on either side is missing evidence, not
    a pass. A window that holds rows elsewhere keeps their verdict; one with no row at all
    (a wrong window, zone or filter) is empty, exit 1."""
    code, out, err = run(capfd, "compare", "device_events", "--start", "2026-03-07T22:00Z", "--end",
                         "2026-03-08T01:00Z", mode, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    jsonschema.validate(doc, COMPARE_SCHEMA)
    assert doc["status"] == "pass"
    assert [(h["hour"], h["old"], h["new"], h["status"]) for h in doc["hours"]] == [
        ("2026-03-07T22:00:00Z", 0, 0, "empty"),
        ("2026-03-07T23:00:00Z", 0, 0, "empty"),
        ("2026-03-08T00:00:00Z", 176, 176, "pass"),
    ]
    code, out, err = run(capfd, "compare", "device_events", "--start", "2026-03-07T22:00Z", "--end",
                         "2026-03-08T00:00Z", mode, "--format", "json")
    assert code == 1, err
    doc = json.loads(out)
    assert (doc["status"], [h["status"] for h in doc["hours"]]) == ("empty", ["empty", "empty"])


def test_quiet_hours_pass_where_the_dataset_allows_empty_hours(project, capfd):
    path = project / "schedule.yaml"
    path.write_text(path.read_text().replace("    time_precision: ms\n", "    time_precision: ms\n"
                                                                       "    allow_empty_hours: true\n"))
    code, out, err = run(capfd, "compare", "device_events", "--start", "2026-03-07T22:00Z", "--end",
                         "2026-03-08T00:00Z", "--counts-only", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["status"], [h["status"] for h in doc["hours"]]) == ("pass", ["pass", "pass"])


def test_exit_1_and_one_json_document_with_the_design_shape(project, capfd):
    code, out, err = run(capfd, "compare", *window_args(0, HOURS + 1), "--counts-only", "--format", "json")
    assert code == 1, err
    doc = json.loads(out)  # the whole of stdout is one document: nothing else is printed there
    assert out.startswith("{") and out.endswith("}\n")
    jsonschema.validate(doc, COMPARE_SCHEMA)
    assert (doc["dataset"], doc["status"]) == ("device_events", "fail")
    assert doc["window"] == {"start": "2026-03-08T00:00:00Z", "end": "2026-03-08T17:00:00Z"}
    assert {k: doc["totals"][k] for k in ("old", "new", "drift_pct")} == {"old": 2719, "new": 2808, "drift_pct": 3.2733}
    assert all(doc["totals"][k] is None for k in ROW_KEYS)  # --counts-only
    assert doc["samples"] == {"missing_in_new": [], "extra_in_new": [], "mismatched": []}
    got = hours_of(doc)
    assert len(got) == 17
    assert [h for h in got if h[4] == "fail"] == [
        ("2026-03-08T06:00:00Z", 0, 177, None, "fail"),
        ("2026-03-08T14:00:00Z", 170, 165, -2.9412, "fail"),
        ("2026-03-08T15:00:00Z", 207, 124, -40.0966, "fail"),
    ]
    assert got[16] == ("2026-03-08T16:00:00Z", 0, 0, 0.0, "empty")  # no row on either side: no evidence
    assert "counting rows per hour in device_events (17 h)" in err  # progress goes to stderr


@pytest.mark.parametrize("entry", ["installed", "module"])
def test_the_real_process_prints_the_whole_document_and_exits_1_without_interpreter_teardown(project, entry):
    """The console script leaves with os._exit once everything is printed (tearing down Great
    Expectations' modules costs a second): the JSON must be complete and the code kept."""
    argv = [str(BIN / "reconciler")] if entry == "installed" else [sys.executable, "-m", "reconciler"]
    proc = subprocess.run([*argv, "compare", *window_args(0, HOURS + 1), "--rows", "--format", "json"],
                          capture_output=True, text=True, timeout=120, cwd=project)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert proc.stdout.endswith("}\n")
    jsonschema.validate(doc, COMPARE_SCHEMA)  # the row-level document too, checks included
    assert {k: doc["totals"][k] for k in ("old", "new")} == {"old": 2719, "new": 2808}
    assert {c["check"] for c in doc["checks"] if c["status"] == "fail"} >= {"row_match"}  # GX judged


def test_table_format_fails_with_exit_1_and_shows_the_failing_hour(project, capfd, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")  # rich reads these: keep the layout fixed
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    code, out, err = run(capfd, "compare", *window_args(13, 3), "--counts-only")
    assert code == 1, err
    lines = [line.rstrip() for line in out.splitlines()]
    assert lines[0] == "device_events  2026-03-08T13:00:00Z → 2026-03-08T16:00:00Z  FAIL"
    assert " 2026-03-08T14:00:00Z │ 170 │ 165 │  \u22122.9412 │ fail   │ drift −2.94 % outside ±1 %: 5 fewer events in new" in lines
    assert " 2026-03-08T15:00:00Z │ 207 │ 124 │ \u221240.0966 │ fail   │ drift −40.10 % outside ±1 %: 83 fewer events in new" in lines


def test_config_from_the_environment_variable(project, capfd, monkeypatch):
    (project / "schedule.yaml").rename(project / "elsewhere.yaml")
    monkeypatch.setenv("RECONCILER_CONFIG", str(project / "elsewhere.yaml"))
    code, out, err = run(capfd, "compare", *window_args(0, 1), "--counts-only", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["hours"][0]["old"] == 176


# ---------------------------------------------------------------- exit 2: bad usage or configuration


@pytest.mark.parametrize("args, message", [
    (["--start", "2026-03-08T05:00Z", "--end", "2026-03-08T04:00Z"],
     "reconciler: bad window: window end 2026-03-08T04:00:00Z is not after its start 2026-03-08T05:00:00Z"),
    (["--start", "2026-03-08T05:00Z", "--end", "2026-03-08T05:00Z"],
     "reconciler: bad window: window end 2026-03-08T05:00:00Z is not after its start 2026-03-08T05:00:00Z"),
    (["--start", "last tuesday", "--end", "2026-03-08T05:00Z"],
     "reconciler: bad window: cannot read 'last tuesday' as a time: use ISO 8601 (2026-11-27T10:00Z), "
     "a date (2026-11-27), or a relative form (now-24h, 7d-ago, yesterday)"),
    (["--start", "2026-03-08T05:00Z", "--end", "2026-02-30"],
     "reconciler: bad window: cannot read '2026-02-30' as a time: use ISO 8601 (2026-11-27T10:00Z), "
     "a date (2026-11-27), or a relative form (now-24h, 7d-ago, yesterday)"),
    (["--start", "0001-01-01", "--end", "2026-03-08T05:00Z"],
     "reconciler: bad window: '0001-01-01' is out of range: give a time from 1900 to 2999"),
    (["--start", "2026-03-08T05:00Z", "--end", "9999-12-31T23:00Z"],
     "reconciler: bad window: '9999-12-31T23:00Z' is out of range: give a time from 1900 to 2999"),
])
def test_bad_window_is_exit_2_with_a_message(project, capfd, args, message):
    code, out, err = run(capfd, "compare", *args, "--counts-only", "--format", "json")
    assert (code, out, err) == (2, "", message + "\n")


def test_unknown_dataset_is_exit_2(project, capfd):
    code, out, err = run(capfd, "compare", "device_event", *window_args(0, 1), "--counts-only")
    assert (code, out, err) == (2, "", "reconciler: unknown dataset 'device_event' in schedule.yaml "
                                        "(known: device_events); did you mean 'device_events'?\n")


def test_unknown_option_is_exit_2(project, capfd):
    code, out, err = run(capfd, "compare", "--window", "1h")
    assert (code, out) == (2, "")
    assert last_line(err) == "Error: No such option '--window'. Did you mean '--end'?"


def test_config_mistake_is_exit_2_naming_file_line_and_key(project, capfd):
    path = project / "schedule.yaml"
    path.write_text(path.read_text().replace("timezone: America/Bogota", "timezone: Bogota"))
    code, out, err = run(capfd, "compare", *window_args(0, 1), "--counts-only")
    assert (code, out, err) == (2, "", "reconciler: schedule.yaml:6: datasets.device_events.old.timezone: unknown "
                                        "time zone 'Bogota' (use an IANA name such as UTC or America/Bogota)\n")


def test_missing_config_file_is_exit_2(project, capfd):
    code, out, err = run(capfd, "--config", "nope.yaml", "compare", "--counts-only")
    assert (code, out, err) == (2, "", "reconciler: nope.yaml: file not found "
                                        "(give --config PATH or set RECONCILER_CONFIG)\n")


def test_table_that_does_not_exist_is_exit_2_naming_file_key_and_problem(project, capfd):
    path = project / "schedule.yaml"
    path.write_text(path.read_text().replace("table: legacy_events", "table: legacy_eventz"))
    code, out, err = run(capfd, "compare", *window_args(0, 1), "--counts-only", "--format", "json")
    assert (code, out) == (2, "")
    assert last_line(err) == ("reconciler: schedule.yaml:6: datasets.device_events.old.table: legacy_eventz cannot "
                              "be read in source 'old': no such table: legacy_eventz")


def test_column_that_does_not_exist_is_exit_2_naming_file_key_and_problem(project, capfd):
    path = project / "schedule.yaml"
    path.write_text(path.read_text().replace("time: time,", "time: created,"))
    code, out, err = run(capfd, "compare", *window_args(0, 1), "--counts-only", "--format", "json")
    assert (code, out) == (2, "")
    assert last_line(err) == (
        "reconciler: schedule.yaml:7: datasets.device_events.new.time: column 'created' does not exist in "
        "device_events of source 'new' (columns: event_id, device_id, event_type, value, time)")


# ---------------------------------------------------------------- exit 3: could not run


def test_unreachable_source_is_exit_3_and_never_shows_the_password(project, capfd, pair):
    write_schedule(project, CLOSED_PORT_URL, pair["new"])
    code, out, err = run(capfd, "compare", *window_args(0, 1), "--counts-only", "--format", "json")
    assert (code, out) == (3, "")
    assert last_line(err) == (
        "reconciler: source 'old' (postgresql+psycopg://u:***@127.0.0.1:1/x) is unreachable: connection failed: "
        'connection to server at "127.0.0.1", port 1 failed: Connection refused')
    assert "secret" not in out + err


def test_missing_sqlite_file_is_exit_3(project, capfd, pair):
    write_schedule(project, "sqlite:///nowhere/old.db", pair["new"])
    code, out, err = run(capfd, "compare", *window_args(0, 1), "--counts-only")
    assert (code, out) == (3, "")
    assert last_line(err) == "reconciler: source 'old' (sqlite:///nowhere/old.db): database file nowhere/old.db " \
                             "does not exist"


def test_unreachable_source_exit_status_of_the_real_process(project, pair):
    write_schedule(project, CLOSED_PORT_URL, pair["new"])
    proc = subprocess.run([str(BIN / "reconciler"), "compare", *window_args(0, 1), "--counts-only", "--format",
                           "json"], capture_output=True, text=True, timeout=60, cwd=project,
                          env={k: v for k, v in os.environ.items() if k != "RECONCILER_CONFIG"})
    assert (proc.returncode, proc.stdout) == (3, ""), proc.stderr
    assert last_line(proc.stderr).startswith(
        "reconciler: source 'old' (postgresql+psycopg://u:***@127.0.0.1:1/x) is unreachable: ")
    assert "secret" not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr


# ---------------------------------------------------------------- --help


def subprocess_help(argv: list[str], cwd: Path = ROOT) -> tuple[subprocess.CompletedProcess, float]:
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, cwd=cwd)
    return proc, time.perf_counter() - t0


def test_help_is_fast():
    subprocess_help([str(BIN / "reconciler"), "--help"])  # warm the file cache
    proc, seconds = subprocess_help([str(BIN / "reconciler"), "--help"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Usage: reconciler [OPTIONS] COMMAND [ARGS]...")
    assert "  compare " in proc.stdout and "  demo " in proc.stdout
    assert seconds < 1.0


def test_help_imports_neither_pandas_nor_great_expectations():
    code = (
        "import sys\n"
        "from reconciler.cli import main\n"
        "for argv in (['--help'], ['compare', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit as e:\n"
        "        assert e.code == 0, e.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('pandas', 'great_expectations', 'numpy'))\n"
        "print('HEAVY', heavy[:5], file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert last_line(proc.stderr) == "HEAVY []"


def test_python_cli_py_behaves_like_reconciler():
    for args in (["--help"], ["compare", "--help"]):
        script, _ = subprocess_help([sys.executable, "cli.py", *args])
        installed, _ = subprocess_help([str(BIN / "reconciler"), *args])
        assert (script.returncode, script.stdout, script.stderr) == \
            (installed.returncode, installed.stdout, installed.stderr) == (0, installed.stdout, "")
    script, _ = subprocess_help([sys.executable, str(ROOT / "cli.py"), "--config", "nope.yaml", "compare"],
                                cwd=ROOT / "tests")
    assert (script.returncode, script.stdout, script.stderr) == \
        (2, "", "reconciler: nope.yaml: file not found (give --config PATH or set RECONCILER_CONFIG)\n")


def test_compare_help_documents_the_options(capfd):
    code, out, err = run(capfd, "compare", "--help")
    assert code == 0
    assert out.startswith("Usage: reconciler compare [OPTIONS] [DATASET]\n")
    for option in ("--start TEXT", "--end TEXT", "--rows / --counts-only", "--format [table|json]"):
        assert option in out


def test_a_dataset_without_columns_says_its_rows_were_compared_by_key_and_time_only(project, capfd, monkeypatch):
    """Equal keys and times would pass whatever the other columns hold: the operator is told."""
    monkeypatch.setenv("COLUMNS", "200")
    path = project / "schedule.yaml"
    text = path.read_text()
    path.write_text(re.sub(r"    columns:\n(      .*\n)+", "", text))
    code, out, err = run(capfd, "compare", *window_args(13, 1))
    assert out.splitlines()[-1].startswith("note: ") and out.splitlines()[-1].endswith(
        "datasets.device_events lists no `columns`: rows were compared by key and time only; list the value "
        "columns to compare their values"), err
    path.write_text(text)
    code, out, err = run(capfd, "compare", *window_args(13, 1))
    assert "lists no `columns`" not in out
