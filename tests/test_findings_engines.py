"""Findings on the real engines, through `compare_dataset`: a gap where new has no row at all,
the rows of two devices lost (named by the compared `device_id` and by `site`, a column the diff
does not compare, grouped over the differing keys in the database), changed values with their
patterns; a passing window has no findings and pays nothing for them. The old side stores naive
Europe/Madrid times."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest
import sqlalchemy as sa
from rowdiff_fixtures import H, events, server_url, utc
from sqlalchemy.dialects import mysql
from timescale_fixtures import is_timescale, make_hypertable

from reconciler.checks.judgement import compare_dataset
from reconciler.config import load_config
from reconciler.demo.scenario import load, to_rows
from reconciler.timeutil import Window

NBSP = "\u00a0"
SCHEMA = json.loads((Path(__file__).parent.parent / "docs" / "schemas" / "compare.schema.json").read_text())
START = utc(2026, 11, 12, 10)
WINDOW = Window(START, START + 2 * H)
GAP = (START + timedelta(seconds=13), START + timedelta(minutes=11, seconds=2))
LOST_DEVICES = ("dev-0011", "dev-0019")  # both on site-3
PAIRS = [("mariadb", "postgresql"), ("postgresql", "timescaledb"), ("sqlite", "sqlite"), ("postgresql", "mariadb")]
OLD_NAMES = {"id": "id", "device_id": "device", "event_type": "kind", "value": "reading", "time": "ts", "site": "site"}
NEW_NAMES = {"id": "event_id", "device_id": "device_id", "event_type": "event_type", "value": "value", "time": "time",
             "site": "site"}


def site_of(device: str) -> str:
    return f"site-{int(device[4:]) % 8}"


def scenario() -> tuple[list, list]:
    base = events(START, 2, rate=1.0, seed=21)
    for e in base:
        e["site"] = site_of(e["device_id"])
    base += [{**base[0], "id": 900_001, "time": GAP[0]}, {**base[0], "id": 900_002, "time": GAP[1]}]
    old = [dict(e) for e in base]
    new = []
    changed = 0
    for e in base:
        in_gap = GAP[0] <= e["time"] <= GAP[1]
        lost = e["time"] >= START + H and e["device_id"] in LOST_DEVICES
        if in_gap or lost:
            continue
        e = dict(e)
        if e["time"] >= START + H and e["value"] is not None and changed < 5:
            e["value"] = round(e["value"] + 0.25, 3)
            changed += 1
        new.append(e)
    return old, new


def tables(kind_old: str, kind_new: str) -> tuple[sa.Table, sa.Table]:
    old = sa.Table("legacy_why", sa.MetaData(), sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
                   sa.Column("device", sa.String(32)), sa.Column("kind", sa.String(32)),
                   sa.Column("reading", sa.Float(precision=53)), sa.Column("site", sa.String(16)),
                   sa.Column("ts", sa.DateTime().with_variant(mysql.DATETIME(fsp=3), "mysql", "mariadb"), index=True))
    new = sa.Table("events_why", sa.MetaData(), sa.Column("event_id", sa.BigInteger, nullable=False),
                   sa.Column("device_id", sa.Text), sa.Column("event_type", sa.Text),
                   sa.Column("value", sa.Float(precision=53)), sa.Column("site", sa.Text),
                   sa.Column("time", sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
                             nullable=False, index=True))
    return old, new


def load_side(url: str, table: sa.Table, rows: list, kind: str) -> None:
    engine = sa.create_engine(url)
    try:
        table.metadata.drop_all(engine)
        table.metadata.create_all(engine)
        if is_timescale(kind):
            make_hypertable(engine, table.name, "time")
        load(engine, table, rows)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def planted():
    return scenario()


@pytest.fixture(params=PAIRS, ids=lambda p: f"{p[0]}-{p[1]}")
def config_path(request, planted, tmp_path):
    kind_old, kind_new = request.param
    old_url, new_url = server_url(request, kind_old, "why_old"), server_url(request, kind_new, "why_new")
    old_table, new_table = tables(kind_old, kind_new)
    old, new = planted
    load_side(old_url, old_table, to_rows(old, OLD_NAMES, zone="Europe/Madrid"), kind_old)
    load_side(new_url, new_table, to_rows(new, NEW_NAMES), kind_new)
    path = tmp_path / "schedule.yaml"
    path.write_text(f"""
sources:
  old: {{url: "{old_url}"}}
  new: {{url: "{new_url}"}}
datasets:
  device_events:
    old: {{source: old, table: legacy_why, time: ts, timezone: Europe/Madrid, key: [id]}}
    new: {{source: new, table: events_why, time: time, key: [event_id]}}
    columns:
      device_id: {{old: device}}
      event_type: {{old: kind}}
      value: {{old: reading, tolerance: 0.000001}}
    attribute_by: [device_id, site]
""")
    return path


def texts(result) -> list[tuple[str, str, str]]:
    return [(f.hour.strftime("%H:%M"), f.kind, f.text.replace(NBSP, " ")) for f in result.findings]


def test_each_planted_cause_gets_its_finding_on_every_engine(config_path, planted):
    result = compare_dataset(load_config(config_path), "device_events", WINDOW, rows=True)
    old, new = planted
    in_gap = sum(GAP[0] <= e["time"] <= GAP[1] for e in old)
    lost = [e for e in old if e["time"] >= START + H and e["device_id"] in LOST_DEVICES]
    first_hour = sum(e["time"] < START + H for e in old)
    assert (in_gap, len(lost), first_hour) == (638, 16, 3648)
    second_hour = [e for e in old if e["time"] >= START + H]
    by_device = {d: sum(e["device_id"] == d for e in lost) for d in LOST_DEVICES}
    assert (len(second_hour), by_device, sum(e["site"] == "site-3" for e in second_hour)) == (
        3679, {"dev-0011": 10, "dev-0019": 6}, 474)  # 16 / 3 679 = 0.43 %, 10 / 3 679 = 0.27 %, 474 / 3 679 = 13 %
    assert texts(result) == [
        ("10:00", "time_gap", "all 638 missing rows fall between 10:00:13 and 10:11:02, where new has no row at all: "
                              "a gap of 10 min 49 s"),
        ("11:00", "time_spread", "spread through the hour: about 0.43 % of the hour's rows missing, at random"),
        ("11:00", "changed_columns", "5 changed: `value` in 5 (100 %)"),
        ("11:00", "value_pattern", "5 `value` +0.25 exactly (constant offset)"),
        ("11:00", "dimension", "all 16 missing rows from 2 of 399 `device_id` values; dev-0011 alone 10 "
                               "(0.27 % of the hour's rows)"),
        ("11:00", "dimension", "all 16 missing rows have `site` = site-3 (13 % of the hour's rows)"),
    ]
    gap = result.findings[0]
    assert (gap.rows, gap.share, gap.evidence["other_side_rows"]) == (638, 1.0, 0)
    assert sum(gap.evidence["per_minute"]) == 638 and gap.evidence["per_minute"][12:] == [0] * 48
    assert gap.evidence["start"] == "2026-11-12T10:00:13Z" and gap.evidence["end"] == "2026-11-12T10:11:02Z"
    assert len(gap.sample_keys) == 5 and all(k["event_id"] in {e["id"] for e in old if GAP[0] <= e["time"] <= GAP[1]}
                                             for k in gap.sample_keys)
    assert "findings" in result.timings
    jsonschema.validate(result.to_dict(), SCHEMA)  # real output against the published contract


def test_a_passing_window_has_no_findings_and_pays_nothing_for_them(config_path):
    loaded = load_config(config_path)
    result = compare_dataset(loaded, "device_events", Window(START + 30 * timedelta(minutes=1), START + H), rows=True)
    # the half hour after the gap: no difference at all
    assert (result.status, result.findings) == ("pass", [])
    assert "findings" not in result.timings


def test_an_attribute_by_column_missing_on_a_side_is_a_configuration_error(planted, tmp_path, request):
    from reconciler.errors import ConfigError

    old_url, new_url = server_url(request, "sqlite", "why_bad_old"), server_url(request, "sqlite", "why_bad_new")
    old_table, new_table = tables("sqlite", "sqlite")
    load_side(old_url, old_table, to_rows(planted[0][:50], OLD_NAMES, zone="Europe/Madrid"), "sqlite")
    load_side(new_url, new_table, to_rows(planted[1][:50], NEW_NAMES), "sqlite")
    path = tmp_path / "schedule.yaml"
    path.write_text(f"""sources:
  old: {{url: "{old_url}"}}
  new: {{url: "{new_url}"}}
datasets:
  device_events:
    old: {{source: old, table: legacy_why, time: ts, key: [id]}}
    new: {{source: new, table: events_why, time: time, key: [event_id]}}
    columns: {{device_id: {{old: device}}}}
    attribute_by: [region]
""")
    with pytest.raises(ConfigError) as e:
        compare_dataset(load_config(path), "device_events", WINDOW, rows=True)
    assert str(e.value).startswith(f"{path}:9: datasets.device_events.attribute_by: column 'region' does not exist "
                                   "in legacy_why of source 'old'")


def test_a_big_hour_is_sampled_for_its_shares_and_still_explained(config_path, monkeypatch):
    """Above SAMPLE_ABOVE rows the hour's shares come from a few seconds of every minute (here
    forced down to this small hour): the same causes are found on every engine."""
    from reconciler.compare.findings import dimension_counts

    monkeypatch.setattr(dimension_counts, "SAMPLE_ABOVE", 100)
    monkeypatch.setattr(dimension_counts, "SAMPLE_ROWS", 1200)
    result = compare_dataset(load_config(config_path), "device_events", WINDOW, rows=True)
    dims = [f for f in result.findings if f.kind == "dimension"]
    texts = [f.text.replace(NBSP, " ").split(" (")[0] for f in dims]
    assert texts[1] == "all 16 missing rows have `site` = site-3"
    assert re.fullmatch(r"all 16 missing rows from 2 of at least 3\d\d `device_id` values; dev-0011 alone 10", texts[0])
    assert all(1000 < f.evidence["hour_rows_sampled"] < 1500 for f in dims)  # 20 s of each minute
