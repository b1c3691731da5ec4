"""A url naming a database the server does not have is a mistake in the config: the one-shot
commands exit 2 naming the file, line and key of the url. The service (and `run JOB`, which
judges as the service does) keeps it a window it could not judge: stored as an error, exit 3,
retried."""

from __future__ import annotations

import json

import pytest
from integrity_fixtures import copy_project, run_cli, sqlite_demo, use_sources  # noqa: F401  (fixtures)
from sqlalchemy.engine import make_url

from reconciler.redact import safe_url


def no_such_database(url: str, name: str = "no_such_database") -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def missing(request, make_pg_database, make_mariadb_database):
    """(url, old or new side it is on, schedule.yaml line of that side's url)."""
    if request.param == "postgresql":
        return no_such_database(make_pg_database("unknown_db_probe")), "old", 11
    return no_such_database(make_mariadb_database("unknown_db_probe")), "new", 12


@pytest.fixture
def project(tmp_path, monkeypatch, sqlite_demo, missing):
    url, side, _ = missing
    copy_project(tmp_path)
    urls = {"old": sqlite_demo["old"], "new": sqlite_demo["new"], side: url}
    use_sources(monkeypatch, urls["old"], urls["new"], sqlite_demo["timezone"])
    monkeypatch.chdir(tmp_path)
    return tmp_path


def message(missing) -> str:
    url, side, line = missing
    return (f"reconciler: schedule.yaml:{line}: sources.{side}.url: source {side!r} ({safe_url(url)}): the server "
            "answered, but it has no database 'no_such_database': correct the database name in the url\n")


@pytest.mark.parametrize("missing", ["postgresql", "mariadb"], indirect=True)
def test_compare_and_check_exit_2_naming_the_urls_key(project, missing, sqlite_demo, capfd):
    window = ["--start", "now-2h", "--end", "now-1h"]
    assert run_cli(capfd, "compare", "device_events", *window) == (2, "", message(missing))
    assert run_cli(capfd, "check") == (2, "", message(missing))


@pytest.mark.parametrize("missing", ["postgresql"], indirect=True)
def test_run_stores_the_window_as_an_error_to_retry(project, missing, sqlite_demo, capfd):
    from reconciler.timeutil import HOUR, iso

    hour = sqlite_demo["end"] - HOUR
    code, out, _ = run_cli(capfd, "run", "hourly-shadow", "--start", iso(hour), "--end", iso(sqlite_demo["end"]),
                           "--format", "json")
    assert code == 3
    [stored] = json.loads(out)["runs"]
    assert (stored["status"], stored["message"]) == ("error", message(missing).removeprefix("reconciler: ").rstrip())
