"""The scheduler's ticks with an injected clock (no sleeping): settle delay, catch-up after an
outage bounded per tick and oldest first, retries with backoff while a source is down,
rechecks that flip a verdict, empty hours, point-in-time checks judged once with `as_of`;
the cron trigger across a DST change."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from service_fixtures import (  # noqa: F401  (fixtures)
    EMPTY_HOUR,
    JOB,
    T0,
    add_new_event,
    make_service,
    pg_events,
    runs_by_hour,
    set_database_down,
    write_project,
)

from reconciler.config import load_config
from reconciler.service.jobs import plan_hours
from reconciler.service.scheduler import cron_trigger, next_run
from reconciler.store.schema import results
from reconciler.store.windows import HourState
from reconciler.timeutil import HOUR, iso

UTC = timezone.utc
M = timedelta(minutes=1)


def tick_starts(tick) -> list[datetime]:
    return [r.window.start for r in tick.report.runs if r.window is not None]


def fresh(service):
    """The job starts at T0, the first hour with events."""
    service.store.start_watermark(JOB, T0 - HOUR, now=T0)
    return service


def test_an_hour_is_judged_only_after_its_settle_delay(pg_events, tmp_path, make_service):
    service = fresh(make_service(write_project(tmp_path, pg_events["old"], pg_events["new"])))
    # 10 minutes of settle: at 01:09 the hour 00:00 is still open to late events
    assert tick_starts(service.tick(JOB, T0 + HOUR + 9 * M)) == []
    assert service.store.watermark(JOB) == T0 - HOUR
    assert tick_starts(service.tick(JOB, T0 + HOUR + 10 * M)) == [T0]
    assert service.store.watermark(JOB) == T0
    assert tick_starts(service.tick(JOB, T0 + 2 * HOUR + 9 * M)) == []
    assert tick_starts(service.tick(JOB, T0 + 2 * HOUR + 10 * M)) == [T0 + HOUR]
    body, _ = service.metrics.render()
    assert 'reconciler_windows_judged_total{job="hourly",status="pass"} 2.0' in body.decode()
    assert 'reconciler_watermark_lag_seconds{job="hourly"} 600.0' in body.decode()


def test_sources_open_once_per_process_and_the_hook_runs_after_each_stored_window(pg_events, tmp_path):
    from reconciler.service.scheduler import Service

    stored = []
    service = Service(load_config(write_project(tmp_path, pg_events["old"], pg_events["new"])),
                      after_window=[stored.append])
    try:
        fresh(service)
        first = service.tick(JOB, T0 + HOUR + 15 * M)
        engines = {name: source.engine for name, source in service.sources.items()}
        second = service.tick(JOB, T0 + 3 * HOUR + 15 * M)
        assert {name: source.engine for name, source in service.sources.items()} == engines
        assert stored == [r.id for r in first.report.runs + second.report.runs]
        assert len(stored) == 3
    finally:
        service.close()
        service.store.close()


def test_catch_up_after_a_30_hour_outage_judges_every_hour_once_oldest_first_bounded(pg_events, tmp_path,
                                                                                   make_service):
    service = fresh(make_service(write_project(tmp_path, pg_events["old"], pg_events["new"])))
    assert tick_starts(service.tick(JOB, T0 + HOUR + 15 * M)) == [T0]
    # down for 30 hours: the next tick finds T0+1h .. T0+30h settled and unjudged
    now = T0 + 31 * HOUR + 15 * M
    ticks = []
    for _ in range(5):  # 30 hours of backlog, 8 a tick of which the newest: 7 of the backlog each
        ticks.append(tick_starts(service.tick(JOB, now)))
        now += HOUR
    assert tick_starts(service.tick(JOB, now)) == [T0 + 35 * HOUR]  # drained: only the fresh hour
    assert [len(t) for t in ticks] == [8, 8, 8, 8, 2]
    assert all(t == sorted(t) for t in ticks)
    # the backlog drains oldest first; the newest settled hour is judged at every tick
    backlog = [h for t in ticks for h in t[:-1]]
    assert backlog == [T0 + i * HOUR for i in range(1, 30)]
    newest = [t[-1] for t in ticks]
    assert newest == [T0 + 30 * HOUR, T0 + 31 * HOUR, T0 + 32 * HOUR, T0 + 33 * HOUR, T0 + 34 * HOUR]
    judged = runs_by_hour(service.store)
    assert judged == {T0 + i * HOUR: ["pass"] for i in range(36)}
    assert service.store.watermark(JOB) == T0 + 35 * HOUR


def test_a_source_down_for_two_ticks_is_retried_with_backoff_none_skipped_none_twice(pg_events, tmp_path,
                                                                                    make_service, pg_admin):
    service = fresh(make_service(write_project(tmp_path, pg_events["old"], pg_events["new"])))
    assert tick_starts(service.tick(JOB, T0 + HOUR + 15 * M)) == [T0]
    set_database_down(pg_admin, pg_events["old"], True)
    first = service.tick(JOB, T0 + 2 * HOUR + 15 * M)
    assert [(r.window.start, r.status) for r in first.report.runs] == [(T0 + HOUR, "error")]
    assert first.report.runs[0].message.startswith("source 'old' (")
    # 5 minutes later the failed hour waits for its 10-minute backoff
    assert tick_starts(service.tick(JOB, T0 + 2 * HOUR + 20 * M)) == []
    second = service.tick(JOB, T0 + 3 * HOUR + 15 * M)
    assert [(r.window.start, r.status) for r in second.report.runs] == [
        (T0 + HOUR, "error"), (T0 + 2 * HOUR, "error")]
    assert service.store.watermark(JOB) == T0
    set_database_down(pg_admin, pg_events["old"], False)
    third = service.tick(JOB, T0 + 4 * HOUR + 15 * M)
    assert tick_starts(third) == [T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR]
    assert [r.status for r in third.report.runs] == ["pass", "pass", "pass"]
    assert runs_by_hour(service.store) == {T0: ["pass"], T0 + HOUR: ["error", "error", "pass"],
                                           T0 + 2 * HOUR: ["error", "pass"], T0 + 3 * HOUR: ["pass"]}
    assert service.store.watermark(JOB) == T0 + 3 * HOUR
    assert tick_starts(service.tick(JOB, T0 + 4 * HOUR + 30 * M)) == []


def test_a_late_event_flips_a_rechecked_hour_and_both_verdicts_are_kept(pg_events, tmp_path, make_service):
    service = fresh(make_service(write_project(tmp_path, pg_events["old"], pg_events["new"], job={"recheck_hours": "2"})))
    assert tick_starts(service.tick(JOB, T0 + HOUR + 15 * M)) == [T0]
    add_new_event(pg_events["new"], 99_001, T0 + 59 * M)   # arrives in new only, after the first verdict
    tick = service.tick(JOB, T0 + 2 * HOUR + 15 * M)
    assert [(r.window.start, r.status) for r in tick.report.runs] == [(T0, "fail"), (T0 + HOUR, "pass")]
    [row] = service.store.ledger("device_events", T0, T0 + HOUR)
    assert (row["verdict"], row["state"], row["judged_count"], row["run_id"]) == (
        "fail", "drifted", 2, tick.report.runs[0].id)
    history = [(v["verdict"], v["superseded"], v["changed_from"])
               for v in service.store.ledger_history("device_events", T0)]
    assert history == [("pass", True, None), ("fail", False, "pass")]
    # a tick in the same minute does not recheck again
    assert tick_starts(service.tick(JOB, T0 + 2 * HOUR + 15 * M)) == []


def test_an_hour_without_rows_on_either_side_is_empty_unless_quiet_hours_are_allowed(pg_events, tmp_path,
                                                                                     make_service):
    now = EMPTY_HOUR + HOUR + 15 * M
    strict = make_service(write_project(tmp_path / "strict", pg_events["old"], pg_events["new"]))
    assert tick_starts(strict.tick(JOB, now)) == [EMPTY_HOUR]
    [row] = strict.store.ledger("device_events", EMPTY_HOUR, EMPTY_HOUR + HOUR)
    assert (row["verdict"], row["state"], row["old"], row["new"]) == ("empty", "empty", 0, 0)
    assert [v["verdict"] for v in strict.store.ledger_history("device_events", EMPTY_HOUR)] == ["empty"]
    [run] = strict.store.list_runs()
    assert run["status"] == "empty"  # not a pass: `report list`, the exit code and Slack see no evidence
    assert run["message"] == (f"no row on either side: device_events {iso(EMPTY_HOUR)} recorded as empty (missing "
                              "evidence; set allow_empty_hours where quiet hours are normal)")
    quiet = make_service(write_project(tmp_path / "quiet", pg_events["old"], pg_events["new"],
                                       dataset_extra="    allow_empty_hours: true\n"))
    assert tick_starts(quiet.tick(JOB, now)) == [EMPTY_HOUR]
    [row] = quiet.store.ledger("device_events", EMPTY_HOUR, EMPTY_HOUR + HOUR)
    assert (row["verdict"], row["state"]) == ("pass", "verified")
    assert [r["status"] for r in quiet.store.list_runs()] == ["pass"]


def test_point_in_time_checks_run_once_per_tick_with_as_of(pg_events, tmp_path, make_service):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "no_negative_values.sql").write_text(
        "-- description: values are never negative\n-- severity: critical\n"
        "SELECT event_id, value FROM device_events WHERE value < 0\n")
    path = write_project(tmp_path, pg_events["old"], pg_events["new"],
                         checks=f"  values: {{type: sql, source: new, rules: {rules}}}\n",
                         job={"checks": "[event_rows, values]"})
    service = make_service(path)
    now = T0 + 4 * HOUR + 15 * M
    service.store.start_watermark(JOB, T0 - HOUR, now=now)
    tick = service.tick(JOB, now)
    assert [(r.window, r.as_of, r.status) for r in tick.report.runs] == [
        (r.window, None, "pass") for r in tick.report.runs[:4]] + [(None, now, "pass")]
    assert tick_starts(tick) == [T0, T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR]
    with service.store.engine.connect() as conn:
        rows = conn.execute(sa.select(results.c.as_of, results.c.window_start, results.c.window_end)
                            .where(results.c.check_name == "no_negative_values")).all()
    assert rows == [(now, None, None)]
    # restarted within the same minute: the moment is judged already, its checks are not stored twice
    again = make_service(path).tick(JOB, now)
    assert [(r.window, r.as_of) for r in again.report.runs] == []
    with service.store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(results)
                            .where(results.c.check_name == "no_negative_values")).scalar() == 1


# -- pure: the plan and the cron ------------------------------------------------------------

def test_plan_bounds_the_backlog_and_keeps_the_newest_hour(tmp_path):
    path = write_project(tmp_path, "postgresql://x@127.0.0.1/old", "postgresql://x@127.0.0.1/new",
                         job={"max_catchup_hours": "3"})
    cfg = load_config(path).config.jobs[JOB]
    now = T0 + 10 * HOUR + 15 * M
    plan = plan_hours(cfg, now, T0, {}, cap=cfg.max_catchup_hours)
    assert [w.start for w in plan.windows] == [T0 + HOUR, T0 + 2 * HOUR, T0 + 9 * HOUR]
    assert plan.pending == [T0 + i * HOUR for i in range(1, 10)]
    failed = {T0 + HOUR: HourState(T0 + HOUR, errors=2, last_error_at=now - 15 * M)}
    plan = plan_hours(cfg, now, T0, failed, cap=3)
    # two failures: 20 minutes of backoff, 15 have passed
    assert (plan.failed, plan.backing_off) == ([T0 + HOUR], [T0 + HOUR])
    assert [w.start for w in plan.windows] == [T0 + 2 * HOUR, T0 + 3 * HOUR, T0 + 9 * HOUR]


def test_cron_in_a_time_zone_follows_its_wall_clock_across_dst(tmp_path):
    path = write_project(tmp_path, "postgresql://x@127.0.0.1/old", "postgresql://x@127.0.0.1/new",
                         job={"cron": '"30 9 * * *"', "timezone": "America/New_York"})
    cfg = load_config(path).config.jobs[JOB]
    # New York springs forward on 2026-03-08: 09:30 local is 14:30 UTC before, 13:30 UTC after
    trigger = cron_trigger(cfg)
    fires, t = [], datetime(2026, 3, 6, 12, tzinfo=UTC)
    for _ in range(4):
        t = trigger.get_next_fire_time(None, t).astimezone(UTC)
        fires.append(t)
        t += M
    assert fires == [datetime(2026, 3, 6, 14, 30, tzinfo=UTC), datetime(2026, 3, 7, 14, 30, tzinfo=UTC),
                     datetime(2026, 3, 8, 13, 30, tzinfo=UTC), datetime(2026, 3, 9, 13, 30, tzinfo=UTC)]
    # UTC by default; day-of-week 0 is Sunday, as in cron (APScheduler alone reads it as Monday)
    sunday = write_project(tmp_path / "sunday", "postgresql://x@127.0.0.1/old", "postgresql://x@127.0.0.1/new",
                           job={"cron": '"0 6 * * 0"'})
    assert next_run(load_config(sunday).config.jobs[JOB], datetime(2026, 3, 2, tzinfo=UTC)) == \
        datetime(2026, 3, 8, 6, tzinfo=UTC)


def test_a_tick_delivers_the_slack_outbox_and_publishes_its_depth(pg_events, tmp_path, make_service):
    """The scheduler drains the outbox its windows filled (real slack-sdk, local Slack API) and
    the outbox depth is a metric: one failing hour, an alert for each failing check (drift, match), nothing left waiting."""
    from fake_slack import CHANNEL_ID, GOOD_TOKEN, FakeSlack

    fake = FakeSlack().start()
    try:
        path = write_project(tmp_path, pg_events["old"], pg_events["new"])
        path.write_text(path.read_text() + f'notify: {{slack: {{token: "{GOOD_TOKEN}", channel: "{CHANNEL_ID}", '
                                           f'api_url: "{fake.api_url}"}}, digest_at: ""}}\n')
        add_new_event(pg_events["new"], 10_000_000, T0 + 30 * M)  # an event only in new: row_match fails
        service = fresh(make_service(path))
        tick = service.tick(JOB, T0 + HOUR + 15 * M)
        assert [(r.window.start, r.status) for r in tick.report.runs] == [(T0, "fail")]
        assert (tick.report.notify.sent, tick.report.notify.pending) == (2, 0)
        texts = sorted(m["text"] for m in fake.top_level())
        assert len(texts) == 2 and "hourly_count_drift" in texts[0] and "row_match" in texts[1], texts
        assert "reconciler_outbox_depth 0.0" in service.metrics.render()[0].decode()
    finally:
        fake.stop()
