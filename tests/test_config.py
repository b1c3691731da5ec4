"""schedule.yaml: typed, immutable, interpolated; every mistake located (file:line: key.path:
problem) and all of them reported together."""

from __future__ import annotations

import shutil
import textwrap
from datetime import timedelta
from pathlib import Path

import pydantic
import pytest

from reconciler.config import load_config
from reconciler.errors import EXIT_USAGE, ConfigError

ROOT = Path(__file__).resolve().parent.parent

GOOD = """\
sources:
  old: {url: "sqlite:///old.db"}
  new: {url: "sqlite:///new.db"}
datasets:
  device_events:
    old: {source: old, table: legacy_events, time: ts, timezone: America/Bogota, key: [id]}
    new: {source: new, table: device_events, time: time, key: [event_id]}
    columns:
      device_id: {old: device}
      value: {old: reading, tolerance: 0.000001}
checks:
  event_counts: {type: counts, dataset: device_events, suite: device_events}
jobs:
  hourly: {cron: "5 * * * *", checks: [event_counts], settle: 10m}
"""


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """Config files are written to and read from here, so messages say `schedule.yaml:N`."""
    (tmp_path / "expectations").mkdir()
    shutil.copy(ROOT / "expectations" / "device_events.json", tmp_path / "expectations")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def load(text: str, env: dict | None = None):
    Path("schedule.yaml").write_text(textwrap.dedent(text))
    return load_config("schedule.yaml", env={} if env is None else env)


def problem(text: str, env: dict | None = None) -> str:
    with pytest.raises(ConfigError) as e:
        load(text, env)
    assert e.value.exit_code == EXIT_USAGE
    return str(e.value)


def test_a_good_file_loads_into_typed_immutable_objects(workdir):
    loaded = load(GOOD)
    cfg = loaded.config
    ds = cfg.datasets["device_events"]
    assert (ds.old.table, ds.old.time, ds.old.timezone, ds.old.key) == ("legacy_events", "ts", "America/Bogota", ["id"])
    assert (ds.new.timezone, ds.time_precision) == ("UTC", "ms")
    assert ds.column_pairs()[0][:2] == ("device", "device_id")
    assert ds.column_pairs()[1][2].tolerance == 0.000001
    assert cfg.jobs["hourly"].settle == timedelta(minutes=10)
    assert cfg.sources["old"].statement_timeout == timedelta(minutes=5)
    with pytest.raises(pydantic.ValidationError):
        ds.old.table = "other"
    assert loaded.where("datasets", "device_events", "old", "table") == \
        "schedule.yaml:6: datasets.device_events.old.table"


def test_the_projects_schedule_yaml_needs_its_database_urls_only_to_connect_and_defaults_to_utc():
    """The shipped schedule.yaml is a production template: no fallback to demo databases. An
    unset database URL is no error until something connects to that source; then it is exit 2
    naming the variable, at the key that uses the source."""
    where = ROOT / "schedule.yaml"
    loaded = load_config(where, env={})
    assert set(loaded.unresolved) == {"old", "new", "queue"}
    with pytest.raises(ConfigError) as e:
        loaded.require_sources(loaded.dataset_sources("device_events"))
    assert e.value.exit_code == EXIT_USAGE
    assert str(e.value) == (
        "2 problems\n"
        f"  - {where}:18: datasets.device_events.old.source: source 'old' has an empty url: sources.old.url is "
        "'${OLD_DATABASE_URL}' and OLD_DATABASE_URL is unset or empty (set OLD_DATABASE_URL, or remove what uses "
        "the source)\n"
        f"  - {where}:19: datasets.device_events.new.source: source 'new' has an empty url: sources.new.url is "
        "'${NEW_DATABASE_URL}' and NEW_DATABASE_URL is unset or empty (set NEW_DATABASE_URL, or remove what uses "
        "the source)")
    env = {"OLD_DATABASE_URL": "sqlite:///old.db", "NEW_DATABASE_URL": "postgresql+psycopg://u:pw@db/new"}
    loaded = load_config(where, env=env)
    assert loaded.config.sources["old"].url == "sqlite:///old.db"
    assert loaded.config.sources["new"].url == "postgresql+psycopg://u:pw@db/new"
    assert loaded.config.sources["queue"].url == ""
    assert set(loaded.unresolved) == {"queue"}
    loaded.require_sources(loaded.dataset_sources("device_events"))
    ds = loaded.config.datasets["device_events"]
    assert (ds.old.table, ds.old.time, ds.old.key, ds.new.table, ds.new.time, ds.new.key) == (
        "legacy_events", "ts", ["id"], "device_events", "time", ["event_id"])
    assert (ds.old.timezone, ds.new.timezone) == ("UTC", "UTC")
    assert load_config(ROOT / "schedule.yaml", env={**env, "OLD_TIMEZONE": "America/Bogota"}).config.datasets[
        "device_events"].old.timezone == "America/Bogota"


def test_an_empty_database_url_variable_names_the_variable_when_the_source_is_used():
    env = {"OLD_DATABASE_URL": "", "NEW_DATABASE_URL": "sqlite:///new.db"}
    where = ROOT / "schedule.yaml"
    loaded = load_config(where, env=env)
    reason = ("source 'old' has an empty url: sources.old.url is '${OLD_DATABASE_URL}' and OLD_DATABASE_URL is "
              "unset or empty (set OLD_DATABASE_URL, or remove what uses the source)")
    with pytest.raises(ConfigError) as e:
        loaded.require_sources(loaded.dataset_sources("bookings"))
    assert str(e.value) == f"{where}:29: datasets.bookings.old.source: {reason}"
    with pytest.raises(ConfigError) as e:
        loaded.source_url("old")
    assert str(e.value) == f"{where}:11: sources.old.url: {reason}"
    assert loaded.source_url("new") == "sqlite:///new.db"


# ---------------------------------------------------------------- one mistake each

CASES = {
    "unknown key, with a suggestion": (
        GOOD.replace('"sqlite:///old.db"}', '"sqlite:///old.db", timeout: 5s}'),
        "schedule.yaml:2: sources.old.timeout: unknown key (expected one of: url, statement_timeout, "
        "connect_timeout, read_only, headers, bearer_token, metrics); did you mean 'connect_timeout'?",
    ),
    "unknown top-level section": (
        GOOD + "notfy: {}\n",
        "schedule.yaml:15: notfy: unknown key (expected one of: sources, datasets, checks, jobs, report_store, "
        "notify, phases, current_phase, service); did you mean 'notify'?",
    ),
    "missing key": (
        GOOD.replace("time: ts, ", ""),
        "schedule.yaml:6: datasets.device_events.old.time: required key is missing",
    ),
    "missing section": (
        "datasets: {}\n",
        "schedule.yaml: sources: required key is missing",
    ),
    "wrong type": (
        GOOD + "report_store: {keep_days: lots}\n",
        "schedule.yaml:15: report_store.keep_days: input should be a valid integer, unable to parse string as "
        "an integer, got 'lots'",
    ),
    "mapping expected": (
        GOOD.replace('old: {url: "sqlite:///old.db"}', "old: [sqlite:///old.db]"),
        "schedule.yaml:2: sources.old: input should be a valid dictionary or instance of SourceConfig, "
        "got ['sqlite:///old.db']",
    ),
    "value out of range": (
        GOOD.replace("tolerance: 0.000001", "tolerance: -1"),
        "schedule.yaml:10: datasets.device_events.columns.value.tolerance: input should be greater than or "
        "equal to 0, got -1",
    ),
    "not one of the choices": (
        GOOD.replace("    columns:", "    time_precision: ns\n    columns:"),
        "schedule.yaml:8: datasets.device_events.time_precision: must be one of 's', 'ms' or 'us', got 'ns'",
    ),
    "unknown time zone": (
        GOOD.replace("America/Bogota", "America/Bogata"),
        "schedule.yaml:6: datasets.device_events.old.timezone: unknown time zone 'America/Bogata' "
        "(use an IANA name such as UTC or America/Bogota)",
    ),
    "bad duration": (
        GOOD.replace("settle: 10m", "settle: soon"),
        "schedule.yaml:14: jobs.hourly.settle: expected a duration such as 30s, 10m, 1h30m or 2d, got 'soon'",
    ),
    "bad cron": (
        GOOD.replace('"5 * * * *"', '"5 * * *"'),
        "schedule.yaml:14: jobs.hourly.cron: expected a 5-field cron expression such as '5 * * * *', "
        "got '5 * * *'",
    ),
    "cron field out of range": (
        GOOD.replace('"5 * * * *"', '"61 * * * *"'),
        "schedule.yaml:14: jobs.hourly.cron: invalid cron expression '61 * * * *': Error validating expression "
        "'61': the last value (61) is higher than the maximum value (59)",
    ),
    "negative duration": (
        GOOD.replace("settle: 10m", "settle: -10"),
        "schedule.yaml:14: jobs.hourly.settle: a duration cannot be negative, got -10",
    ),
    "a check listed twice": (
        GOOD.replace("checks: [event_counts]", "checks: [event_counts, event_counts]"),
        "schedule.yaml:14: jobs.hourly.checks: 'event_counts' listed more than once",
    ),
    "cron that never fires": (
        GOOD.replace('"5 * * * *"', '"0 0 31 2 *"'),
        "schedule.yaml:14: jobs.hourly.cron: cron expression '0 0 31 2 *' never fires",
    ),
    "table and query": (
        GOOD.replace("table: device_events,", "table: device_events, query: 'select * from x',"),
        "schedule.yaml:7: datasets.device_events.new: give exactly one of 'table' or 'query'",
    ),
    "query that is not a SELECT": (
        GOOD.replace("table: device_events,", "query: 'delete from device_events',"),
        "schedule.yaml:7: datasets.device_events.new: 'query' must be a SELECT",
    ),
    "keys that do not pair up": (
        GOOD.replace("key: [event_id]", "key: [event_id, device_id]"),
        "schedule.yaml:5: datasets.device_events: old.key has 1 column(s) and new.key 2: they must pair up",
    ),
    "empty key": (
        GOOD.replace("key: [event_id]", "key: []"),
        "schedule.yaml:7: datasets.device_events.new.key: needs at least 1 item(s), got []",
    ),
    "check missing what its type needs": (
        GOOD.replace("checks:\n", "checks:\n  integrity: {type: sql}\n"),
        "schedule.yaml:12: checks.integrity: a check of type 'sql' needs 'rules'",
    ),
    "unknown check type": (
        GOOD.replace("type: counts,", "type: count,"),
        "schedule.yaml:12: checks.event_counts.type: unknown check type 'count' (known: counts, rows, sql, suite, "
        "health, caggs, lag, latency, traffic); did you mean 'counts'?",
    ),
    "a key of another check type": (
        GOOD.replace("suite: device_events}", "suite: device_events, max_dlq: 3}"),
        "schedule.yaml:12: checks.event_counts.max_dlq: unknown key (expected one of: type, severity, dataset, "
        "suite); max_dlq is a key of checks of type health",
    ),
    "dataset naming an unknown source": (
        GOOD.replace("source: new,", "source: neww,"),
        "schedule.yaml:7: datasets.device_events.new.source: unknown source 'neww' (known: old, new); "
        "did you mean 'new'?",
    ),
    "check naming an unknown dataset": (
        GOOD.replace("dataset: device_events,", "dataset: device_event,"),
        "schedule.yaml:12: checks.event_counts.dataset: unknown dataset 'device_event' (known: device_events); "
        "did you mean 'device_events'?",
    ),
    "job naming an unknown check": (
        GOOD.replace("checks: [event_counts]", "checks: [event_counts, event_rows]"),
        "schedule.yaml:14: jobs.hourly.checks.1: unknown check 'event_rows' (known: event_counts); "
        "did you mean 'event_counts'?",
    ),
    "suite file that does not exist": (
        GOOD.replace("suite: device_events}", "suite: devices}"),
        "schedule.yaml:12: checks.event_counts.suite: suite file expectations/devices.json does not exist",
    ),
    "key given twice": (
        GOOD.replace("      device_id: {old: device}\n", "      device_id: {old: device}\n      device_id: {}\n"),
        "schedule.yaml:10: datasets.device_events.columns.device_id: key given twice",
    ),
    "not YAML": (
        GOOD.replace('"sqlite:///new.db"}', '"sqlite:///new.db"'),
        "schedule.yaml:4: not valid YAML: expected ',' or '}', but got '<scalar>'",
    ),
    "not a mapping": (
        "- sources\n- datasets\n",
        "schedule.yaml: expected a mapping with 'sources', 'datasets', 'checks', 'jobs'",
    ),
    "undefined environment variable": (
        GOOD.replace("{old: device}", "{old: '${DEVICE_COLUMN}'}"),
        "schedule.yaml:9: datasets.device_events.columns.device_id.old: environment variable DEVICE_COLUMN is "
        "not set (set it, or give a default: ${DEVICE_COLUMN:-value})",
    ),
    "undefined environment variable in a duration, reported once": (
        GOOD.replace("settle: 10m", "settle: '${SETTLE}'"),
        "schedule.yaml:14: jobs.hourly.settle: environment variable SETTLE is not set "
        "(set it, or give a default: ${SETTLE:-value})",
    ),
    "source url that is not a URL": (
        GOOD.replace('"sqlite:///old.db"', '"old database"'),
        "schedule.yaml:2: sources.old.url: 'old database' is not a URL (expected a SQLAlchemy URL such as "
        "postgresql+psycopg://user@host/db, redis://host:6379/0 for a queue, or http(s)://host:9090 for Prometheus)",
    ),
    "source url whose port is not a number": (
        GOOD.replace('"sqlite:///old.db"', '"postgresql://u:secret@db:fivefour/x"'),
        "schedule.yaml:2: sources.old.url: 'postgresql://u:***@db:fivefour/x' is not a valid URL: "
        "invalid literal for int() with base 10: 'fivefour'",
    ),
    "source url of a database the tool does not read": (
        GOOD.replace('"sqlite:///old.db"', '"oracle://u:secret@db/x"'),
        "schedule.yaml:2: sources.old.url: unsupported database 'oracle' in 'oracle://u:***@db/x' "
        "(supported: postgresql, mysql, mariadb, sqlite)",
    ),
    "report store of a database the store does not support": (
        GOOD + 'report_store: {url: "mongodb://u:secret@h/x"}\n',
        "schedule.yaml:15: report_store.url: unsupported database 'mongodb' in 'mongodb://u:***@h/x' "
        "(supported: sqlite, postgresql)",
    ),
    "a row-diff slice that does not divide an hour": (
        GOOD.replace("    columns:", "    diff: {slice_seconds: 7}\n    columns:"),
        "schedule.yaml:8: datasets.device_events.diff.slice_seconds: 7 s must divide an hour and be a whole number "
        "of time_precision units (ms)",
    ),
    "a row-diff slice finer than time_precision": (
        GOOD.replace("    columns:", "    time_precision: s\n    diff: {slice_seconds: 0.5}\n    columns:"),
        "schedule.yaml:9: datasets.device_events.diff.slice_seconds: 0.5 s must divide an hour and be a whole "
        "number of time_precision units (s)",
    ),
    "a row-diff slice below a microsecond": (
        GOOD.replace("    columns:", "    diff: {slice_seconds: 0.0000001}\n    columns:"),
        "schedule.yaml:8: datasets.device_events.diff.slice_seconds: 1e-07 s must divide an hour and be a whole "
        "number of time_precision units (ms)",
    ),
    "report store url that is not a URL": (
        GOOD + 'report_store: {url: "reports/reconciler.db"}\n',
        "schedule.yaml:15: report_store.url: 'reports/reconciler.db' is not a URL (expected a SQLAlchemy URL "
        "such as sqlite:///reports/reconciler.db or postgresql+psycopg://host/db)",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_mistake_is_located_and_explained(workdir, name):
    text, expected = CASES[name]
    assert problem(text) == expected


def test_distinct_mistakes_are_reported_together(workdir):
    text = (GOOD.replace('"sqlite:///old.db"}', '"sqlite:///old.db", timeout: 5s}')
            .replace("time: ts, ", "")
            .replace("source: new,", "source: neww,")
            .replace('"5 * * * *"', '"5 * * *"')
            .replace("{old: reading,", "{old: '${READING}',"))
    assert problem(text) == "\n".join([
        "5 problems",
        "  - schedule.yaml:10: datasets.device_events.columns.value.old: environment variable READING is not set "
        "(set it, or give a default: ${READING:-value})",
        "  - schedule.yaml:2: sources.old.timeout: unknown key (expected one of: url, statement_timeout, "
        "connect_timeout, read_only, headers, bearer_token, metrics); did you mean 'connect_timeout'?",
        "  - schedule.yaml:6: datasets.device_events.old.time: required key is missing",
        "  - schedule.yaml:14: jobs.hourly.cron: expected a 5-field cron expression such as '5 * * * *', "
        "got '5 * * *'",
        "  - schedule.yaml:7: datasets.device_events.new.source: unknown source 'neww' (known: old, new); "
        "did you mean 'new'?",
    ])


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_config(tmp_path / "nope.yaml")
    assert str(e.value) == f"{tmp_path / 'nope.yaml'}: file not found (give --config PATH or set RECONCILER_CONFIG)"


# ---------------------------------------------------------------- interpolation

INTERPOLATED = """\
sources:
  old: {url: "${OLD_DATABASE_URL:-sqlite:///reports/demo/old.db}"}
  new: {url: "${NEW_DATABASE_URL-sqlite:///reports/demo/new.db}"}
  extra: {url: "postgresql+psycopg://${PGUSER}@${PGHOST:-127.0.0.1}:5432/${PGDB:-}x"}
"""


@pytest.mark.parametrize("env, old, new, extra", [
    ({"PGUSER": "u"}, "sqlite:///reports/demo/old.db", "sqlite:///reports/demo/new.db",
     "postgresql+psycopg://u@127.0.0.1:5432/x"),
    # `:-` also replaces an empty value; `-` only an unset one (as in the shell)
    ({"PGUSER": "u", "OLD_DATABASE_URL": "", "NEW_DATABASE_URL": "", "PGHOST": ""},
     "sqlite:///reports/demo/old.db", "", "postgresql+psycopg://u@127.0.0.1:5432/x"),
    ({"PGUSER": "u", "OLD_DATABASE_URL": "sqlite:///a.db", "NEW_DATABASE_URL": "sqlite:///b.db",
      "PGHOST": "db", "PGDB": "shadow_"},
     "sqlite:///a.db", "sqlite:///b.db", "postgresql+psycopg://u@db:5432/shadow_x"),
])
def test_interpolation(workdir, env, old, new, extra):
    sources = load(INTERPOLATED, env).config.sources
    assert (sources["old"].url, sources["new"].url, sources["extra"].url) == (old, new, extra)


def test_interpolation_reads_the_process_environment_by_default(workdir, monkeypatch):
    monkeypatch.setenv("PGUSER", "from_env")
    Path("schedule.yaml").write_text(INTERPOLATED)
    assert load_config("schedule.yaml").config.sources["extra"].url.startswith("postgresql+psycopg://from_env@")


def test_every_undefined_variable_is_reported(workdir):
    text = GOOD + 'report_store: {url: "${A}/${B:-b}/${C}"}\n'
    assert problem(text) == "\n".join([
        "2 problems",
        "  - schedule.yaml:15: report_store.url: environment variable A is not set "
        "(set it, or give a default: ${A:-value})",
        "  - schedule.yaml:15: report_store.url: environment variable C is not set "
        "(set it, or give a default: ${C:-value})",
    ])


def test_a_source_url_with_an_unset_variable_is_kept_unresolved_naming_that_variable(workdir):
    loaded = load(INTERPOLATED + '  more: {url: "${A}/${B:-b}/${C}"}\n')
    assert loaded.config.sources["extra"].url == loaded.config.sources["more"].url == ""
    assert loaded.unresolved == {
        "extra": "source 'extra' has an empty url: sources.extra.url is "
                 "'postgresql+psycopg://${PGUSER}@${PGHOST:-127.0.0.1}:5432/${PGDB:-}x' and PGUSER is unset or "
                 "empty (set PGUSER, or remove what uses the source)",
        "more": "source 'more' has an empty url: sources.more.url is '${A}/${B:-b}/${C}' and A / C is unset or "
                "empty (set A, or remove what uses the source)",
    }


def test_a_config_that_is_not_utf8_names_its_line(tmp_path):
    path = tmp_path / "schedule.yaml"
    path.write_bytes(b"sources:\n  old: {url: 'sqlite:///caf\xe9.db'}\n")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert str(e.value) == f"{path}:2: not UTF-8 text (byte 0xe9); save the file as UTF-8"


@pytest.mark.parametrize("url, message", [
    ("mongodb://u:secret@h/x", "report_store.url: unsupported database 'mongodb' (supported: sqlite, postgresql)"),
    ("postgresql://u:secret@h:port/x", "report_store.url: 'postgresql://u:***@h:port/x' is not a SQLAlchemy URL "
                                       "(e.g. sqlite:///reports/reconciler.db or postgresql+psycopg://host/db)"),
])
def test_a_store_url_that_cannot_be_opened_is_a_configuration_error_not_a_traceback(url, message):
    """What loading the config reports first, the store's engine also refuses by itself."""
    from reconciler.store.engine import make_store_engine

    with pytest.raises(ConfigError) as e:
        make_store_engine(url)
    assert (str(e.value), e.value.exit_code) == (message, EXIT_USAGE)


@pytest.mark.parametrize("precision, seconds", [("ms", 0.25), ("ms", 1.5), ("s", 60), ("us", 0.000125), ("ms", 3600)])
def test_row_diff_slices_that_divide_an_hour_in_whole_units_load(workdir, precision, seconds):
    text = GOOD.replace("    columns:", f"    time_precision: {precision}\n    diff: {{slice_seconds: {seconds}}}\n"
                                       "    columns:")
    assert load(text).config.datasets["device_events"].diff.slice_seconds == seconds


def _phases(phases: dict) -> dict:
    from reconciler.config.models import Config

    config = Config.model_validate({"sources": {"old": {"url": "sqlite:///a.db"}, "new": {"url": "sqlite:///b.db"}},
                                   "phases": phases})
    return {name: phase.criteria for name, phase in config.phases.items()}


def test_tuning_one_criterion_of_a_plan_phase_keeps_the_others():
    """A tuned bound used to replace the phase's criteria: the gate then said GO on the one left."""
    criteria = _phases({"traffic-split": {"criteria": {"error_rate": {"max_pct": 0.2}}}})["traffic-split"]
    assert list(criteria) == ["coverage", "error_rate", "p99_latency", "stable_split", "discrepancy"]
    assert criteria["error_rate"].max_pct == 0.2 and criteria["p99_latency"].max_ms is None


def test_a_plan_phase_given_only_its_days_keeps_its_own_criteria_not_shadows():
    assert list(_phases({"traffic-split": {"days": 3}})["traffic-split"]) == [
        "coverage", "error_rate", "p99_latency", "stable_split", "discrepancy"]


def test_false_drops_a_criterion_and_a_new_phase_has_what_it_names():
    phases = _phases({"shadow": {"criteria": {"latency": False, "queues": False}},
                      "canary": {"criteria": {"error_rate": None, "drift": {"max_abs_pct": 2}}}})
    assert list(phases["shadow"]) == ["coverage", "drift", "match", "lag", "bookings"]
    assert list(phases["canary"]) == ["error_rate", "drift"]
