"""The small helpers each concern has exactly one of: "did you mean", the first line of a
driver error, the suite path, the default driver and relative SQLite paths."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from reconciler.config.loader import LoadedConfig
from reconciler.config.models import Config
from reconciler.errors import did_you_mean, first_line
from reconciler.sources.urls import anchored_sqlite_url, with_default_driver


def test_did_you_mean_names_the_closest_known_name_or_nothing():
    assert did_you_mean("device_event", ["bookings", "device_events"]) == "; did you mean 'device_events'?"
    assert did_you_mean("zzz", {"bookings": 1, "device_events": 2}) == ""
    assert did_you_mean("old", []) == ""


def test_first_line_of_a_driver_error_is_the_drivers_own_first_line():
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn, pytest.raises(sa.exc.OperationalError) as caught:
        conn.exec_driver_sql("SELECT * FROM nowhere")
    assert first_line(caught.value) == "no such table: nowhere"
    assert first_line(ValueError("first\nsecond")) == "first"
    assert first_line(ValueError("  ")) == "ValueError"


def test_the_suite_path_is_expectations_name_json_beside_the_config(tmp_path):
    loaded = LoadedConfig(Config.model_construct(sources={}), tmp_path / "schedule.yaml")
    assert loaded.suite_path("device_events") == tmp_path / "expectations" / "device_events.json"


@pytest.mark.parametrize(("url", "driver"), [
    ("postgresql://u@h/db", "postgresql+psycopg"), ("postgresql+psycopg2://u@h/db", "postgresql+psycopg2"),
    ("mysql://u@h/db", "mysql+pymysql"), ("mariadb://u@h/db", "mariadb+pymysql"),
    ("mysql+mysqldb://u@h/db", "mysql+mysqldb"), ("sqlite:///x.db", "sqlite"),
])
def test_the_default_driver_is_the_one_installed(url, driver):
    assert with_default_driver(make_url(url)).drivername == driver


def test_a_relative_sqlite_path_is_taken_from_the_config_folder():
    base = Path("/srv/reconciler")
    assert anchored_sqlite_url("sqlite:///reports/x.db", base) == "sqlite:////srv/reconciler/reports/x.db"
    for unchanged in ("sqlite:////abs/x.db", "sqlite://", "sqlite:///:memory:", "sqlite:///file:x.db?mode=ro&uri=true",
                      "postgresql://u:secret@h/db", "not a url"):
        assert anchored_sqlite_url(unchanged, base) == unchanged
