"""A repeating fault told as one story, end to end: `reconciler run` over seven hours of device
events, old on PostgreSQL, new a TimescaleDB hypertable, with one device's events missing from
new every hour for four hours, then a gap of ten minutes in each of two hours, then a clean
hour. Through the row diff, its findings, the report store and the Slack lifecycle to a local
Slack (real slack-sdk): one alert per failing check that says why, a follow-up only when the
fault changes, the story told back when it recovers; the digest and the run pages tell it too."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from fake_slack import CHANNEL_ID, GOOD_TOKEN, FakeSlack
from integrity_fixtures import run_cli
from service_fixtures import write_project
from timescale_fixtures import make_hypertable

from reconciler.config import load_config
from reconciler.notify.blocks import Links, render
from reconciler.notify.digest import digest_facts
from reconciler.notify.i18n import Texts
from reconciler.store import open_report_store
from reconciler.timeutil import HOUR, Window, iso

UTC = timezone.utc
NBSP = "\u00a0"
T6 = datetime(2026, 11, 12, 6, tzinfo=UTC)
HOURS = 7
DEVICES = [f"dev-{i:02d}" for i in range(20)]
LOST = "dev-07"                     # missing from new 06:00-10:00
GAP = (timedelta(seconds=13), timedelta(minutes=11, seconds=2))  # missing from new in 10:00-12:00, each hour


def planted() -> tuple[list[tuple], list[tuple]]:
    """One event a second, the devices in turn (each every 20 s)."""
    old, new = [], []
    for s in range(HOURS * 3600):
        at = T6 + timedelta(seconds=s)
        row = (s + 1, DEVICES[s % 20], "temp", round(20 + (s % 97) / 10, 1), at)
        old.append(row)
        hour, into = divmod(s, 3600)
        lost = hour < 4 and row[1] == LOST
        in_gap = hour in (4, 5) and GAP[0] <= timedelta(seconds=into) <= GAP[1]
        if not (lost or in_gap):
            new.append(row)
    return old, new


@pytest.fixture
def slack():
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def project(tmp_path, make_pg_database, make_timescale_database, slack):
    old_url, new_url = make_pg_database("story_old"), make_timescale_database("story_new")
    old, new = planted()
    for url, ddl, table, time in (
        (old_url, "CREATE TABLE legacy_events (id bigint PRIMARY KEY, device text, kind text, "
                  "reading double precision, ts timestamptz)", "legacy_events", None),
        (new_url, "CREATE TABLE device_events (event_id bigint NOT NULL, device_id text, event_type text, "
                  "value double precision, time timestamptz NOT NULL)", "device_events", "time"),
    ):
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql(ddl)
        if time:
            make_hypertable(engine, table, time)
        with engine.begin() as conn:
            conn.connection.cursor().executemany(f"INSERT INTO {table} VALUES (%s, %s, %s, %s, %s)",
                                                 old if table == "legacy_events" else new)
            conn.exec_driver_sql(f"ANALYZE {table}")
        engine.dispose()
    path = write_project(tmp_path, old_url, new_url, job={"recheck_hours": "0"})
    path.write_text(path.read_text() + f'notify: {{slack: {{token: "{GOOD_TOKEN}", channel: "{CHANNEL_ID}", '
                                       f'api_url: "{slack.api_url}"}}, digest_at: ""}}\n')
    return path


def test_a_device_lost_every_hour_then_a_gap_is_one_story_then_another(project, slack, capfd):
    code, _, err = run_cli(capfd, "run", "hourly", "--config", project, "--start", iso(T6),
                           "--end", iso(T6 + HOURS * HOUR), "--now", iso(T6 + 8 * HOUR))
    assert code == 1, err
    store = open_report_store(load_config(project))
    try:
        verdicts = [r["verdict"] for r in store.ledger("device_events", T6, T6 + HOURS * HOUR)]
        assert verdicts == ["fail"] * 6 + ["pass"]
        tops = slack.top_level()
        # one alert per failing check of the rows comparison (its hourly drift and its match), each
        # rewritten once it recovered
        assert [m["text"].split(".")[0] for m in tops] == ["✅ Resolved: hourly_count_drift (device_events)",
                                                            "✅ Resolved: row_match (device_events)"]
        for top in tops:  # one alert per failing check: its thread has one changed fault, then the recovery
            alert = store.outbox.by_key(top["metadata"]["event_payload"]["key"])["facts"]
            assert [f["text"] for f in alert["why"]["findings"]] == [
                f"spread through the hour: about 5{NBSP}% of the hour's rows missing, at random",
                f"all 180 missing rows have `device_id` = {LOST} (5{NBSP}% of the hour's rows)"]
            payload = render("alert", alert, Texts("en"), Links())  # as first posted (the fake keeps the rewrite)
            posted = "\n".join(b["text"]["text"] for b in payload["blocks"] if b.get("text"))
            assert "\n*Why*\n• spread through the hour: about 5" in posted
            replies = [m["text"] for m in slack.replies(top["ts"])]
            assert [r.split(":")[0] for r in replies] == [f"🔀 *{alert['check']} (device_events)*", "✅ Recovered"]
            assert replies[0].endswith("now a different fault, in hour 2026-11-12T10:00:00Z: all 650 missing rows "
                                       "fall between 10:00:13 and 10:11:02, where new has no row at all: a gap of "
                                       f"10{NBSP}min 49{NBSP}s")
        assert store.outbox.pending() == []  # everything was delivered
        for top in tops:  # each top message rewritten once it recovered: what it was, story by story
            [update] = [u for u in slack.updates if u["ts"] == top["ts"]]
            assert "every hour from 2026-11-12T06:00:00Z to 2026-11-12T09:00:00Z (4 h, 180 rows an hour)" in \
                str(update["blocks"])
        stories = store.findings.hours("device_events", T6, T6 + HOURS * HOUR)
        assert [(h.hour.hour, h.verdict, sorted(f.kind for f in h.findings)) for h in stories] == [
            (6, "fail", ["dimension", "time_spread"]), (7, "fail", ["dimension", "time_spread"]),
            (8, "fail", ["dimension", "time_spread"]), (9, "fail", ["dimension", "time_spread"]),
            (10, "fail", ["time_gap"]), (11, "fail", ["time_gap"]), (12, "pass", [])]
        facts = digest_facts(store, Window(T6 + 7 * HOUR - timedelta(days=1), T6 + 7 * HOUR))
        [events] = facts["stories"]
        assert [(s["first_hour"][11:16], s["hours"], s["ended_by"], [f["kind"] for f in s["findings"]])
                for s in events["stories"]] == [("06:00", 4, "fail", ["time_spread", "dimension"]),
                                                ("10:00", 2, "pass", ["time_gap"])]
        pages = {p.name[7:]: p.read_text() for p in (project.parent / "reports" / "runs").glob("*.html")}
        assert sorted(pages)[0] == "hourly-20261112T0600Z.html"
        first = next(p for p in (project.parent / "reports" / "runs").glob("*0600Z.html")).name
        assert "class=\"story\"" not in pages["hourly-20261112T0600Z.html"]  # a story of one hour says nothing yet
        assert ("<p class=\"story\">This is hour 4 of a story since 2026-11-12T06:00:00Z (4 h so far), every hour: "
                f"spread through the hour: about 5{NBSP}% of the hour&#39;s rows missing, at random; all 180 missing "
                f"rows have `device_id` = dev-07 (5{NBSP}% of the hour&#39;s rows) — <a href=\"{first}\">the report "
                "of its first hour</a></p>") in pages["hourly-20261112T0900Z.html"]
        assert "This is hour 2 of a story since 2026-11-12T10:00:00Z (2 h so far), every hour: all 650 missing" in \
            pages["hourly-20261112T1100Z.html"]
        nine = next(r["id"] for r in store.list_runs(job="hourly") if r["window"]["start"] == "2026-11-12T09:00:00Z")
        code, out, _ = run_cli(capfd, "report", "show", nine, "--config", project)
        assert code == 0, out
        # read now, the story has ended (its page, written at 09:00, said "so far")
        assert (" story   │ this is hour 4 of a story from 2026-11-12T06:00:00Z to 2026-11-12T09:00:00Z (4 h), every hour: "
                "spread through the hour") in out
    finally:
        store.close()
