"""Sources: read-only sessions that refuse writes, users with SELECT only, statement
timeouts, UTC sessions, and passwords that never show."""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import write_schedule
from sqlalchemy.engine import make_url

from reconciler.checks.judgement import compare_dataset
from reconciler.cli import main
from reconciler.config import load_config
from reconciler.config.models import SourceConfig
from reconciler.demo.scenario import LEGACY, REFERENCE, demo_scenario, legacy_table, load, reference_table, to_rows
from reconciler.errors import ConfigError, SourceError
from reconciler.sources.connection import Source, open_sources, safe_url, scrub
from reconciler.timeutil import Window

UTC = timezone.utc
H = timedelta(hours=1)
START = datetime(2026, 3, 8, tzinfo=UTC)
HOURS = 16
WINDOW = Window(START, START + (HOURS + 1) * H)
ZONE = "America/Bogota"
ROLE = f"rc_ro_{os.getpid()}"
PASSWORD = "hunter2secret"


@pytest.fixture(scope="module")
def scenario():
    return demo_scenario(START, hours=HOURS, rate=0.05)


def load_pair(url: str, scenario) -> None:
    """Both schemas in one database: legacy_events (old side) and device_events (new side)."""
    engine = sa.create_engine(url)
    try:
        load(engine, legacy_table(sa.MetaData()), to_rows(scenario.old, LEGACY, zone=ZONE))
        load(engine, reference_table(sa.MetaData()), to_rows(scenario.new, REFERENCE))
    finally:
        engine.dispose()


def with_user(url: str, user: str, password: str) -> str:
    return make_url(url).set(username=user, password=password).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def postgresql_pair(make_pg_database, pg_admin, scenario):
    """(superuser URL, URL of a LOGIN role with SELECT on the two tables and nothing else)."""
    url = make_pg_database("sources")
    load_pair(url, scenario)
    with pg_admin.connect() as c:
        c.exec_driver_sql(f'DROP ROLE IF EXISTS "{ROLE}"')
        c.exec_driver_sql(f"CREATE ROLE \"{ROLE}\" LOGIN PASSWORD '{PASSWORD}'")
    owner = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with owner.connect() as c:
        c.exec_driver_sql('REVOKE ALL ON SCHEMA public FROM PUBLIC')
        c.exec_driver_sql(f'GRANT USAGE ON SCHEMA public TO "{ROLE}"')
        c.exec_driver_sql(f'GRANT SELECT ON legacy_events, device_events TO "{ROLE}"')
    yield url, with_user(url, ROLE, PASSWORD)
    with pg_admin.connect() as c:
        c.exec_driver_sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{ROLE}'")
    with owner.connect() as c:
        c.exec_driver_sql(f'DROP OWNED BY "{ROLE}"')
    owner.dispose()
    with pg_admin.connect() as c:
        c.exec_driver_sql(f'DROP ROLE IF EXISTS "{ROLE}"')


@pytest.fixture(scope="module")
def mariadb_pair(make_mariadb_database, mariadb_admin, scenario):
    url = make_mariadb_database("sources")
    load_pair(url, scenario)
    db = make_url(url).database
    with mariadb_admin.connect() as c:
        c.exec_driver_sql(f"DROP USER IF EXISTS '{ROLE}'@'127.0.0.1'")
        c.exec_driver_sql(f"CREATE USER '{ROLE}'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}'")
        c.exec_driver_sql(f"GRANT SELECT ON `{db}`.* TO '{ROLE}'@'127.0.0.1'")
    yield url, with_user(url, ROLE, PASSWORD)
    with mariadb_admin.connect() as c:
        c.exec_driver_sql(f"DROP USER IF EXISTS '{ROLE}'@'127.0.0.1'")


@pytest.fixture(scope="module")
def sqlite_pair(tmp_path_factory, scenario):
    path = tmp_path_factory.mktemp("sources") / "pair.db"
    url = f"sqlite:///{path}"
    load_pair(url, scenario)
    return url, url


ENGINES = ["postgresql", "mariadb", "sqlite"]


@pytest.fixture(params=ENGINES)
def engine_pair(request):
    """(URL of a user who may write, URL of a user who may only read) for each engine."""
    return request.param, request.getfixturevalue(f"{request.param}_pair")


def run(capsys, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        main(list(args))
    out, err = capsys.readouterr()
    return e.value.code, out, err


# ---------------------------------------------------------------- users without write permission


@pytest.mark.parametrize("kind", ["postgresql", "mariadb"])
def test_a_select_only_user_really_cannot_write(request, kind):
    _, readonly_url = request.getfixturevalue(f"{kind}_pair")
    engine = sa.create_engine(readonly_url)  # not through Source: no read-only session here
    try:
        with pytest.raises(sa.exc.DBAPIError) as e, engine.begin() as c:
            c.exec_driver_sql("DELETE FROM device_events")
    finally:
        engine.dispose()
    assert re.search(r"permission denied for table device_events|DELETE command denied to user", str(e.value.orig))


@pytest.mark.parametrize("kind", ["postgresql", "mariadb"])
def test_a_select_only_user_can_run_compare(request, kind, tmp_path, monkeypatch, capsys, scenario):
    _, readonly_url = request.getfixturevalue(f"{kind}_pair")
    write_schedule(tmp_path, readonly_url, readonly_url, old_timezone=ZONE)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "compare", "--start", "2026-03-08T00:00Z", "--end", "2026-03-08T17:00Z",
                         "--counts-only", "--format", "json")
    assert code == 1, err
    doc = json.loads(out)
    old, new = scenario.counts("old"), scenario.counts("new")
    assert [(h["old"], h["new"]) for h in doc["hours"]] == [(old[h], new[h]) for h in WINDOW.hours()]
    assert (doc["totals"]["old"], doc["totals"]["new"], doc["totals"]["drift_pct"]) == (2719, 2808, 3.2733)
    assert PASSWORD not in out + err


WRITES = re.compile(r"^\s*(insert|update|delete|merge|replace|create|drop|alter|truncate|grant|revoke|copy|"
                    r"lock|call|do|vacuum|analyze|refresh|load|rename|set\s+(session\s+)?(characteristics|"
                    r"transaction\s+read\s+write))\b", re.IGNORECASE)


@pytest.mark.parametrize("rows", [False, True], ids=["counts", "rows"])
def test_compare_issues_no_write(engine_pair, rows, tmp_path):
    """Every statement the tool sends to a source, seen by SQLAlchemy, is a read."""
    kind, (_, readonly_url) = engine_pair
    path = write_schedule(tmp_path, readonly_url, readonly_url, old_timezone=ZONE)
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        result = compare_dataset(load_config(path), "device_events", WINDOW, rows=rows)
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    assert (result.totals["old"], result.totals["new"]) == (2719, 2808)
    assert any(s.lstrip().upper().startswith("SELECT") for s in seen)
    assert [s for s in seen if WRITES.match(s)] == []


def test_sqlite_files_are_not_touched_by_compare(sqlite_pair, tmp_path):
    url, _ = sqlite_pair
    db = Path(make_url(url).database)
    before = (hashlib.sha256(db.read_bytes()).hexdigest(), db.stat().st_mtime_ns)
    path = write_schedule(tmp_path, url, url, old_timezone=ZONE)
    compare_dataset(load_config(path), "device_events", WINDOW, rows=True)
    assert (hashlib.sha256(db.read_bytes()).hexdigest(), db.stat().st_mtime_ns) == before
    assert sorted(p.name for p in db.parent.iterdir()) == ["pair.db"]  # no journal, no WAL left behind


# ---------------------------------------------------------------- read-only sessions


READ_ONLY_REFUSALS = {
    "postgresql": "source 'old': query failed: cannot execute INSERT in a read-only transaction",
    "mariadb": "source 'old': query failed: (1792, 'Cannot execute statement in a READ ONLY transaction')",
    "sqlite": "source 'old': query failed: attempt to write a readonly database",
}
INSERT = "INSERT INTO device_events (event_id, device_id, event_type, value, time) " \
         "VALUES (-1, 'dev-x', 'motion', NULL, '2026-03-08 00:00:00')"


def test_a_write_through_a_source_fails_even_for_a_user_who_may_write(engine_pair):
    kind, (writer_url, _) = engine_pair
    source = Source("old", SourceConfig(url=writer_url))
    try:
        with source.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM device_events").scalar() == 2808
            conn.commit()  # a new transaction is read-only too: the setting is the session's
            with pytest.raises(SourceError) as e:
                with source.connect() as conn2:
                    conn2.exec_driver_sql(INSERT)
        assert str(e.value) == READ_ONLY_REFUSALS[kind]
        with pytest.raises(SourceError) as e:
            with source.connect() as conn:
                conn.exec_driver_sql("DELETE FROM device_events")
        assert "read" in str(e.value).lower() and "only" in str(e.value).lower()
    finally:
        source.dispose()


def test_the_same_write_succeeds_when_read_only_is_switched_off(engine_pair):
    """The refusal above comes from the session setting, not from the statement."""
    kind, (writer_url, _) = engine_pair
    source = Source("old", SourceConfig(url=writer_url, read_only=False))
    try:
        with source.connect() as conn:
            assert conn.exec_driver_sql(INSERT).rowcount == 1
            conn.rollback()
            assert conn.exec_driver_sql("SELECT count(*) FROM device_events").scalar() == 2808
            conn.rollback()
    finally:
        source.dispose()


def test_postgresql_session_is_read_only_utc_and_time_limited(postgresql_pair):
    source = Source("new", SourceConfig(url=postgresql_pair[1], statement_timeout="2s"))
    try:
        with source.connect() as conn:
            settings = conn.exec_driver_sql(
                "SELECT current_setting('transaction_read_only'), current_setting('default_transaction_read_only'),"
                " current_setting('TimeZone'), current_setting('statement_timeout')").one()
        assert tuple(settings) == ("on", "on", "UTC", "2s")
    finally:
        source.dispose()


def test_mariadb_session_is_read_only_utc_and_time_limited(mariadb_pair):
    source = Source("new", SourceConfig(url=mariadb_pair[1], statement_timeout="2s"))
    try:
        with source.connect() as conn:
            settings = conn.exec_driver_sql(
                "SELECT @@session.tx_read_only, @@session.time_zone, @@session.max_statement_time").one()
        assert tuple(settings) == (1, "+00:00", 2.0)
    finally:
        source.dispose()


SLOW = {
    "postgresql": ("SELECT pg_sleep(5)", "canceling statement due to statement timeout"),
    "mariadb": ("SELECT SLEEP(5)", "(1969, 'Query execution was interrupted (max_statement_time exceeded)')"),
    "sqlite": ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
               "interrupted"),
}


def test_statement_timeout_is_a_source_error(engine_pair):
    kind, (_, readonly_url) = engine_pair
    sql, driver_text = SLOW[kind]
    source = Source("old", SourceConfig(url=readonly_url, statement_timeout="1s"))
    try:
        with pytest.raises(SourceError) as e:
            with source.connect() as conn:
                conn.exec_driver_sql(sql).all()
    finally:
        source.dispose()
    assert str(e.value) == f"source 'old': query exceeded its statement_timeout (1s): {driver_text}"
    assert e.value.exit_code == 3


# ---------------------------------------------------------------- unreachable sources, passwords


def test_wrong_password_on_mariadb_is_unreachable_without_the_password(mariadb_pair):
    url = with_user(mariadb_pair[1], ROLE, "Wr0ngPassw0rd")
    source = Source("old", SourceConfig(url=url, connect_timeout="2s"))
    with pytest.raises(SourceError) as e:
        with source.connect():
            pass
    db = make_url(url).database
    assert str(e.value) == (f"source 'old' (mysql+pymysql://{ROLE}:***@127.0.0.1:3306/{db}) is unreachable: "
                            f"(1045, \"Access denied for user '{ROLE}'@'127.0.0.1' (using password: YES)\")")
    assert "Wr0ngPassw0rd" not in str(e.value)


def test_missing_postgresql_database_is_a_config_mistake_without_the_password(pg_admin):
    # still a SourceError: the service stores the window as an error and retries it; the
    # one-shot commands exit 2 (tests/test_unknown_database.py)
    source = Source("new", SourceConfig(url="postgresql://postgres:s3cr3tpw@127.0.0.1:5432/rc_no_such_db"))
    with pytest.raises(SourceError) as e:
        with source.connect():
            pass
    assert str(e.value) == (
        "source 'new' (postgresql://postgres:***@127.0.0.1:5432/rc_no_such_db): the server answered, but it has "
        "no database 'rc_no_such_db': correct the database name in the url")
    assert e.value.exit_code == 2


def test_closed_port_is_unreachable_without_the_password():
    source = Source("old", SourceConfig(url="mysql+pymysql://u:secret@127.0.0.1:1/x", connect_timeout="2s"))
    with pytest.raises(SourceError) as e:
        with source.connect():
            pass
    assert str(e.value) == ("source 'old' (mysql+pymysql://u:***@127.0.0.1:1/x) is unreachable: (2003, \"Can't "
                            "connect to MySQL server on '127.0.0.1' ([Errno 111] Connection refused)\")")
    assert e.value.exit_code == 3


@pytest.mark.parametrize("url, shown", [
    ("postgresql+psycopg://u:secret@db:5432/x", "postgresql+psycopg://u:***@db:5432/x"),
    ("mysql+pymysql://root:p%40ss@127.0.0.1/db", "mysql+pymysql://root:***@127.0.0.1/db"),
    ("sqlite:///reports/demo/old.db", "sqlite:///reports/demo/old.db"),
    ("postgresql://u@h/x", "postgresql://u@h/x"),
    ("not a url://u:secret@h", "not a url://u:***@h"),
])
def test_safe_url_masks_the_password(url, shown):
    assert safe_url(url) == shown


def test_scrub_removes_the_password_from_driver_text():
    url = "postgresql://u:s3cret@h/x"
    assert scrub('password authentication failed for "u" (password s3cret)', url) == \
        'password authentication failed for "u" (password ***)'
    assert scrub("no password here", "sqlite:///x.db") == "no password here"


def test_open_sources_skips_queues_and_empty_urls():
    cfg = load_config_text(
        'sources:\n  old: {url: "sqlite:///a.db"}\n  queue: {url: "redis://127.0.0.1:6379/0"}\n'
        '  off: {url: ""}\n')
    assert list(open_sources(cfg)) == ["old"]


def load_config_text(text: str):
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "schedule.yaml"
        path.write_text(text)
        return load_config(path, env={})


@pytest.mark.parametrize("url, message", [
    ("oracle://u:secret@h/x", "source 'old': unsupported database 'oracle' "
                              "(supported: postgresql+psycopg, mysql+pymysql, mariadb+pymysql, sqlite)"),
    ("sqlite://", "source 'old': an in-memory SQLite database has no data to compare"),
    ("nonsense", "source 'old': not a valid SQLAlchemy URL: nonsense"),
    ("postgresql://u:secret@h:port/x", "source 'old': not a valid SQLAlchemy URL: postgresql://u:***@h:port/x"),
])
def test_unusable_urls_are_configuration_errors(url, message):
    with pytest.raises(ConfigError) as e:
        Source("old", SourceConfig(url=url)).engine
    assert str(e.value) == message
    assert e.value.exit_code == 2


def test_missing_driver_names_the_package_to_install():
    with pytest.raises(ConfigError) as e:
        Source("old", SourceConfig(url="mysql+mysqldb://u:secret@h/x")).engine
    assert str(e.value) == "source 'old': driver not installed (No module named 'MySQLdb'); pip install mysqlclient"


def test_sqlite_path_with_url_characters_opens_that_file_read_only(tmp_path):
    directory = tmp_path / "odd #1 dir"
    directory.mkdir()
    engine = sa.create_engine(f"sqlite:///{directory / 'x.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (a INTEGER)")
        conn.exec_driver_sql("INSERT INTO t VALUES (42)")
    engine.dispose()
    source = Source("old", SourceConfig(url=f"sqlite:///{directory / 'x.db'}"))
    try:
        with source.connect() as conn:
            assert conn.exec_driver_sql("SELECT a FROM t").scalar() == 42
        with pytest.raises(SourceError) as e:
            with source.connect() as conn:
                conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        assert str(e.value) == READ_ONLY_REFUSALS["sqlite"]
    finally:
        source.dispose()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["odd #1 dir"]  # no stray file created


# ---------------------------------------------------------------- a filter that is not valid SQL

FILTER_ERRORS = {
    "postgresql": 'syntax error at or near "="',
    "mariadb": "(1064, \"You have an error in your SQL syntax; check the manual that corresponds to your MariaDB "
               "server version for the right syntax to use near '= 1) AND 1 = 0' at line 3\")",
    "sqlite": 'near "=": syntax error',
}


@pytest.mark.parametrize("rows", [False, True], ids=["counts", "rows"])
def test_a_filter_that_is_not_valid_sql_is_exit_2_naming_its_key(engine_pair, rows, tmp_path, monkeypatch, capsys):
    """Not exit 3 (nothing is unreachable): the config is wrong, and the message says where."""
    kind, (_, readonly_url) = engine_pair
    path = write_schedule(tmp_path, readonly_url, readonly_url, old_timezone=ZONE)
    path.write_text(path.read_text().replace("key: [event_id]}", 'key: [event_id], filter: "event_type = = 1"}'))
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "compare", "--start", "2026-03-08T00:00Z", "--end", "2026-03-08T02:00Z",
                         "--format", "json", *([] if rows else ["--counts-only"]))
    assert (code, out, err) == (2, "", "reconciler: schedule.yaml:7: datasets.device_events.new.filter: cannot be "
                                       f"run on device_events in source 'new': {FILTER_ERRORS[kind]}\n")


def test_a_filter_using_today_and_now_passes_the_check(sqlite_pair, tmp_path):
    """The check binds :today and :now as the comparison does."""
    url, _ = sqlite_pair
    path = write_schedule(tmp_path, url, url, old_timezone=ZONE)
    path.write_text(path.read_text().replace("key: [event_id]}",
                                             'key: [event_id], filter: "time < :now OR time >= :today"}'))
    result = compare_dataset(load_config(path), "device_events", WINDOW)
    assert (result.totals["old"], result.totals["new"]) == (2719, 2808)


def test_a_query_error_after_reflecting_a_mariadb_table_names_its_own_source(mariadb_pair):
    """SQLAlchemy's MySQL reflection switches the connection's error events off; the error of
    the old side, raised while the new side's connection is also open, must still blame old."""
    from contextlib import ExitStack

    from reconciler.compare.rowdiff.columns import reflect_types
    from reconciler.sources.relation import SideRelation

    url, _ = mariadb_pair
    cfg = load_config_text(f'sources:\n  old: {{url: "{url}"}}\n  new: {{url: "{url}"}}\n'
                           "datasets:\n  d:\n    old: {source: old, table: legacy_events, time: ts, key: [id]}\n"
                           "    new: {source: new, table: device_events, time: time, key: [event_id]}\n")
    sources = open_sources(cfg)
    try:
        with pytest.raises(SourceError) as e, ExitStack() as stack:
            old = stack.enter_context(sources["old"].connect())
            stack.enter_context(sources["new"].connect())
            rel = SideRelation.build(cfg.config.datasets["d"].old, ["id"])
            assert reflect_types(old, rel, ["id"]) == {"id": "int"}
            old.exec_driver_sql("SELECT no_such_column FROM legacy_events")
    finally:
        for source in sources.values():
            source.dispose()
    assert str(e.value) == "source 'old': query failed: (1054, \"Unknown column 'no_such_column' in 'SELECT'\")"
