"""The `traffic` check: per hour, from a real Prometheus holding the planted history
(prometheus_fixtures.py; the numbers are worked out in test_traffic_measure.py), both systems'
error rates, p50/p95/p99 and the split, failing on the plan's alerts; and, end to end, through
`reconciler run` over device events (old PostgreSQL, new a TimescaleDB hypertable) whose row
comparison of the same hour gives the discrepancy rate, into the store, the ledger, the gate
and Slack (tests/fake_slack.py, the real slack-sdk)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fake_slack import CHANNEL_ID, GOOD_TOKEN, FakeSlack
from integrity_fixtures import run_cli
from prometheus_fixtures import SLOW_HOUR, SPIKE_HOUR, START
from service_fixtures import write_project
from timescale_fixtures import make_hypertable

from reconciler.checks.registry import CheckContext, run_check
from reconciler.config import load_config
from reconciler.notify.blocks import Links, render
from reconciler.notify.i18n import Texts
from reconciler.store import open_report_store
from reconciler.timeutil import HOUR, Window, iso

SELECTED = "{old: {selector: 'service=\"booking-api\"'}, new: {selector: 'service=\"booking-api\"'}}"
FIRST = SPIKE_HOUR - HOUR          # 50 % split, a normal hour
LOST = (5, 17)                     # event ids (of 100 an hour) missing from new in the hour after the spike


def prometheus_only(tmp_path, url, check="{type: traffic, source: prom}"):
    path = tmp_path / "schedule.yaml"
    path.write_text(f"sources:\n  prom: {{url: {url}, metrics: {SELECTED}}}\nchecks:\n  traffic: {check}\n")
    return load_config(path)


def test_each_hour_with_both_systems_and_the_plan_alerts(tmp_path, prometheus_url):
    loaded = prometheus_only(tmp_path, prometheus_url)
    normal, spike = run_check(CheckContext(loaded, {}, Window(FIRST, SPIKE_HOUR + HOUR)), "traffic").results
    assert (normal.check, normal.status, normal.violations, normal.check_type) == ("traffic.traffic", "pass", 0,
                                                                                  "traffic")
    assert normal.observed == {
        "old": {"requests": 120000.0, "errors": 120.0, "p50_ms": 70.0, "p95_ms": 225.0, "p99_ms": 375.0,
                "error_rate_pct": 0.1},
        "new": {"requests": 120000.0, "errors": 60.0, "p50_ms": 50.0, "p95_ms": 100.0, "p99_ms": 233.333333,
                "error_rate_pct": 0.05},
        "split_pct": 50.0, "split_min_pct": 50.0, "split_from": "requests", "discrepancy": None}
    assert normal.reason == ("split 50 %, new error rate 0.05 % (old 0.1 %), new p99 233.3 ms (old 375 ms), "
                             "discrepancy not measured")
    assert (spike.status, spike.violations, spike.details["alerts"]) == ("fail", 1, ["error_rate"])
    assert spike.reason == "new error rate 2 % vs old 0.1 % (+1.9 points > 0.5)"
    [slow] = run_check(CheckContext(loaded, {}, Window(SLOW_HOUR, SLOW_HOUR + HOUR)), "traffic").results
    assert (slow.status, slow.details["alerts"]) == ("fail", ["p99_latency"])
    assert slow.reason == "new p99 950 ms vs old 375 ms (× 2.53 > 1.5)"


def test_the_bounds_are_configurable_and_an_hour_without_data_is_skipped(tmp_path, prometheus_url):
    loaded = prometheus_only(tmp_path, prometheus_url, "{type: traffic, source: prom, max_p99_ratio: 3, "
                             "max_error_rate_increase_points: 2}")
    spike, = run_check(CheckContext(loaded, {}, Window(SPIKE_HOUR, SPIKE_HOUR + HOUR)), "traffic").results
    slow, = run_check(CheckContext(loaded, {}, Window(SLOW_HOUR, SLOW_HOUR + HOUR)), "traffic").results
    assert (spike.status, slow.status) == ("pass", "pass")
    before = FIRST - timedelta(days=5)
    nothing, = run_check(CheckContext(loaded, {}, Window(before, before + HOUR)), "traffic").results
    assert (nothing.status, nothing.reason) == (
        "skipped", 'not judged: the new system\'s request count is unknown: traffic_split_new_system_total'
                   '{service="booking-api"} returned no series')


def test_a_figure_whose_metric_returned_nothing_is_not_judged_and_named(tmp_path, prometheus_url):
    """The spike hour (new 2 % against old 0.1 %) with the new error counter misspelt, the old one
    misspelt, or the histogram named with its series suffix: never a pass."""
    def spike_with(metrics: str):
        path = tmp_path / "schedule.yaml"
        path.write_text(f"sources:\n  prom: {{url: {prometheus_url}, metrics: {metrics}}}\n"
                        "checks:\n  traffic: {type: traffic, source: prom}\n")
        [result] = run_check(CheckContext(load_config(path), {}, Window(SPIKE_HOUR, SPIKE_HOUR + HOUR)),
                             "traffic").results
        return result.status, result.reason

    assert spike_with("{new: {errors: errors_new_sytem_total}}") == (
        "skipped", "not judged: the new system's error count is unknown: errors_new_sytem_total returned no series, "
                   "nor in the 7 days before (a misspelt name? A counter created by its first error: initialise it "
                   "to 0 at start, or count errors with a label of the request counter, e.g. "
                   'traffic_split_new_system_total{code=~"5.."})')
    assert spike_with("{old: {errors: errors_old_sytem_total}}")[1].startswith(
        "not judged: the old system's error count is unknown: errors_old_sytem_total returned no series")
    assert spike_with("{new: {latency: latency_new_system_seconds_bucket}}") == (
        "skipped", "not judged: the new system's p99 latency is unknown: latency_new_system_seconds_bucket_bucket "
                   "returned no series (name the histogram without _bucket: the suffix is added)")


def test_an_error_counter_known_to_exist_without_a_series_in_the_hour_counts_no_error(tmp_path, prometheus_url):
    """late_errors_new_system_total has samples from SPIKE_HOUR to 2 hours later only: an hour before
    it, measured with a later hour that has it, or after it within 7 days, had no error; measured
    alone, the hour before it cannot tell it from a misspelt name. Errors named as the request
    counter with a label that matches nothing are 0 errors."""
    def errors_of(errors: str, start, hours: int):
        path = tmp_path / "schedule.yaml"
        path.write_text(f"sources:\n  prom: {{url: {prometheus_url}, metrics: {{new: {{errors: '{errors}', "
                        f"selector: 'service=\"booking-api\"'}}, old: {{selector: 'service=\"booking-api\"'}}}}}}\n"
                        "checks:\n  traffic: {type: traffic, source: prom}\n")
        results = run_check(CheckContext(load_config(path), {}, Window(start, start + hours * HOUR)), "traffic").results
        return [(r.status, r.observed["new"]["errors"]) for r in results]

    before = FIRST - HOUR  # ends an hour before the counter's first sample
    assert errors_of("late_errors_new_system_total", before, 3) == [("pass", 0.0), ("pass", 0.0), ("fail", 2400.0)]
    assert errors_of("late_errors_new_system_total", before, 1) == [("skipped", None)]
    assert errors_of("late_errors_new_system_total", SPIKE_HOUR + 4 * HOUR, 1) == [("pass", 0.0)]
    assert errors_of('traffic_split_new_system_total{code="500"}', FIRST, 1) == [("pass", 0.0)]


def test_an_hour_the_new_system_served_nothing_is_not_judged(tmp_path, prometheus_url):
    """The systems swapped: at the planted 100 % the configured new system served nothing."""
    swapped = ("{new: {requests: traffic_split_old_system_total, errors: errors_old_system_total, "
               "latency: latency_old_system_seconds}, old: {requests: traffic_split_new_system_total, "
               "errors: errors_new_system_total, latency: latency_new_system_seconds, "
               "selector: 'service=\"booking-api\"'}}")
    path = tmp_path / "schedule.yaml"
    path.write_text(f"sources:\n  prom: {{url: {prometheus_url}, metrics: {swapped}}}\n"
                    "checks:\n  traffic: {type: traffic, source: prom}\n")
    at = START + 3 * timedelta(days=1)
    [result] = run_check(CheckContext(load_config(path), {}, Window(at, at + HOUR)), "traffic").results
    assert (result.status, result.reason, result.observed["split_pct"]) == (
        "skipped", "not judged: the new system served no request in this hour", 0.0)


def test_without_the_old_request_counter_the_split_is_unknown_and_said_so(tmp_path, prometheus_url):
    """Old pods scaled away at 100 %: their series are gone, the split cannot be a ratio."""
    path = tmp_path / "schedule.yaml"
    path.write_text(f"sources:\n  prom: {{url: {prometheus_url}, metrics: {{new: {{selector: 'service=\"booking-api\"'}}, "
                    "old: {selector: 'job=\"old-scaled-to-zero\"'}}}\n"
                    "checks:\n  traffic: {type: traffic, source: prom}\n")
    at = START + 3 * timedelta(days=1)
    [result] = run_check(CheckContext(load_config(path), {}, Window(at, at + HOUR)), "traffic").results
    assert (result.status, result.observed["new"]["requests"], result.reason) == (
        "skipped", 240000.0, "not judged: the old system's request count is unknown: traffic_split_old_system_total"
        '{job="old-scaled-to-zero"} returned no series, so the split new / (old + new) cannot be computed (if the '
        "old system is switched off, give the split as a gauge, `metrics.split_gauge`, or keep its request counter "
        "exported)")

    # with the split gauge the advice holds: at 100 % the hour is judged; where the gauge says the old
    # system served, its missing counter leaves nothing to compare with
    path.write_text(path.read_text().replace("old: {selector", "split_gauge: 'traffic_split_percent', old: {selector"))
    half = START + timedelta(days=1)
    judged = [run_check(CheckContext(load_config(path), {}, Window(h, h + HOUR)), "traffic").results[0] for h in (at, half)]
    assert [(r.status, r.reason) for r in judged] == [
        ("pass", "split 100 %, new error rate 0.05 % (old n/a), new p99 233.3 ms (old n/a), discrepancy not measured"),
        ("skipped", "not judged: the old system's request count is unknown: traffic_split_old_system_total"
                    '{job="old-scaled-to-zero"} returned no series, while the split gauge says it served in the hour: '
                    "nothing to compare the new system with")]



def test_the_split_from_a_gauge(tmp_path, prometheus_url):
    """With `metrics.split_gauge`, the split is the gauge's mean over the hour and its lowest sample:
    the hour the split steps from 50 to 100 % (day 2, 00:00) is at full split, the one before at 50."""
    path = tmp_path / "schedule.yaml"
    selected = 'service="booking-api"'
    path.write_text(f"sources:\n  prom: {{url: {prometheus_url}, metrics: {{old: {{selector: '{selected}'}}, "
                    f"new: {{selector: '{selected}'}}, split_gauge: 'traffic_split_percent{{{selected}}}'}}}}\n"
                    "checks:\n  traffic: {type: traffic, source: prom}\n")
    step = START + 2 * timedelta(days=1)
    before, after = run_check(CheckContext(load_config(path), {}, Window(step - HOUR, step + HOUR)), "traffic").results
    assert [(r.observed["split_from"], r.observed["split_pct"], r.observed["split_min_pct"]) for r in
            (before, after)] == [("gauge", 50.0, 50.0), ("gauge", 100.0, 100.0)]
    assert after.reason.startswith("split 100 %, new error rate 0.05 % (old n/a), new p99 233.3 ms (old n/a)")

def test_a_source_that_is_not_prometheus_is_exit_2(tmp_path, capfd):
    path = tmp_path / "schedule.yaml"
    path.write_text("sources:\n  new: {url: \"sqlite:///new.db\"}\n"
                    "checks:\n  traffic: {type: traffic, source: new, dataset: nowhere}\n")
    code, _, err = run_cli(capfd, "--config", path, "jobs")
    assert code == 2
    assert err.strip().splitlines()[-2:] == [
        f"  - {path}:4: checks.traffic.source: 'new' is not a Prometheus source (an http:// or https:// url)",
        f"  - {path}:4: checks.traffic.dataset: unknown dataset 'nowhere'"]


# ------------------------------------------------------------------------ end to end

@pytest.fixture
def slack():
    fake = FakeSlack().start()
    yield fake
    fake.stop()


def planted_events():
    """100 events an hour over FIRST .. FIRST + 3 h; two of the third hour missing from new."""
    old, new = [], []
    for h in range(3):
        for i in range(100):
            event_id = h * 100 + i
            row = (event_id, f"dev-{i % 7}", "temp", float(i), FIRST + h * HOUR + timedelta(seconds=30 * i))
            old.append(row)
            if not (h == 2 and i in LOST):
                new.append(row)
    return old, new


@pytest.fixture
def project(tmp_path, make_pg_database, make_timescale_database, prometheus_url, slack, request):
    suffix = request.node.name[5:25].lower()  # a database pair per test
    old_url, new_url = make_pg_database(f"traffic_old_{suffix}"), make_timescale_database(f"traffic_new_{suffix}")
    old, new = planted_events()
    for url, ddl, table in (
        (old_url, "CREATE TABLE legacy_events (id bigint PRIMARY KEY, device text, kind text, "
                  "reading double precision, ts timestamptz)", "legacy_events"),
        (new_url, "CREATE TABLE device_events (event_id bigint NOT NULL, device_id text, event_type text, "
                  "value double precision, time timestamptz NOT NULL)", "device_events"),
    ):
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql(ddl)
        if table == "device_events":
            make_hypertable(engine, table, "time")
        with engine.begin() as conn:
            conn.connection.cursor().executemany(f"INSERT INTO {table} VALUES (%s, %s, %s, %s, %s)",
                                                 old if table == "legacy_events" else new)
        engine.dispose()
    # the traffic check listed first: it still reads the row comparison of its own run
    path = write_project(tmp_path, old_url, new_url, job={"checks": "[traffic, event_rows]"},
                         checks="  traffic: {type: traffic, source: prom, dataset: device_events}\n")
    path.write_text(path.read_text().replace("sources:\n", f"sources:\n  prom: {{url: {prometheus_url}, "
                                             f"metrics: {SELECTED}}}\n", 1)
                    + f'notify: {{slack: {{token: "{GOOD_TOKEN}", channel: "{CHANNEL_ID}", '
                      f'api_url: "{slack.api_url}"}}, digest_at: ""}}\ncurrent_phase: traffic-split\n')
    path.write_text(path.read_text().replace("jobs:\n", "jobs:\n"
                    "  rows-only: {cron: \"5 * * * *\", checks: [event_rows], settle: 10m, recheck_hours: 0}\n"
                    "  traffic-only: {cron: \"6 * * * *\", checks: [traffic], settle: 10m, recheck_hours: 0}\n", 1))
    return path


def test_run_stores_each_hour_in_the_ledger_and_alerts_on_slack(project, slack, capfd):
    code, out, err = run_cli(capfd, "run", "hourly", "--config", project, "--start", iso(FIRST),
                             "--end", iso(FIRST + 3 * HOUR), "--now", iso(FIRST + 4 * HOUR), "--format", "json")
    assert code == 1, err
    run_ids = [r["id"] for r in json.loads(out)["runs"]]
    loaded = load_config(project)
    store = open_report_store(loaded)
    try:
        traffic = [next(r for r in store.get_run(i)["results"] if r["check"] == "traffic.traffic") for i in run_ids]
        assert [(r["window"]["start"], r["status"], r["reason"]) for r in traffic] == [
            (iso(FIRST), "pass", "split 50 %, new error rate 0.05 % (old 0.1 %), new p99 233.3 ms (old 375 ms), "
                                 "discrepancy 0 %"),
            (iso(SPIKE_HOUR), "fail", "new error rate 2 % vs old 0.1 % (+1.9 points > 0.5)"),
            (iso(SPIKE_HOUR + HOUR), "fail", "discrepancy rate 2 % > 1 % (2 of 100 rows differ)")]
        assert traffic[2]["observed"]["discrepancy"] == {"pct": 2.0, "differing": 2, "rows": 100}
        # the hour's verdict is its dataset's in the ledger: the spike hour's rows all matched
        ledger = store.ledger("device_events", FIRST, FIRST + 3 * HOUR)
        assert [(r["hour"], r["verdict"], r["run_id"]) for r in ledger] == [
            (FIRST, "pass", run_ids[0]), (SPIKE_HOUR, "fail", run_ids[1]), (SPIKE_HOUR + HOUR, "fail", run_ids[2])]
        tops = slack.top_level()  # the traffic alert, then the row comparison's own two
        assert [m["text"] for m in tops][0] == ("🔴 Traffic alert: traffic.traffic (device_events): new error "
                                                "rate 2 % vs old 0.1 % (+1.9 points > 0.5)")
        # the traffic check and its breached alert, not a row comparison's words nor its findings
        assert [b["text"]["text"] for b in tops[0]["blocks"] if b["type"] == "section" and b.get("text")][:2] == [
            "*hourly*'s traffic check *traffic.traffic* raised the plan's alert in *device_events*: the new system's "
            "error rate more than 0.5 points above the old's.",
            "*Reason*\nnew error rate 2 % vs old 0.1 % (+1.9 points > 0.5)"]
        assert not any("*Why*" in (b.get("text") or {}).get("text", "") for b in tops[0]["blocks"])
        assert [m["text"].split(":")[1] for m in tops[1:]] == [" hourly_count_drift (device_events)",
                                                              " row_match (device_events)"]
        top = tops[0]
        replies = [m["text"] for m in slack.replies(top["ts"])]
        assert replies == ["🔁 Still failing: *traffic.traffic (device_events)* failed hour 2026-11-03T07:00:00Z too "
                           "(2 failed hours since 2026-11-03T06:00:00Z)."]
        assert store.outbox.pending() == []
    finally:
        store.close()
    code, out, err = run_cli(capfd, "gate", "--config", project, "--start", iso(FIRST), "--end",
                             iso(FIRST + 3 * HOUR), "--now", iso(FIRST + 4 * HOUR), "--format", "json")
    assert code == 1, err
    criteria = {c["criterion"]: c for c in json.loads(out)["criteria"]}
    assert (criteria["error_rate"]["state"], criteria["error_rate"]["worst"]["run_id"]) == ("not met", run_ids[1])
    assert (criteria["discrepancy"]["state"], criteria["discrepancy"]["worst"]["run_id"]) == ("not met", run_ids[2])


def test_in_a_job_of_its_own_it_reads_the_discrepancy_the_store_holds(project, capfd):
    """The row comparison ran in another job: the traffic check reads the totals of the run whose
    newest comparison of that hour; an hour never compared row by row has none."""
    lost_hour = SPIKE_HOUR + HOUR
    args = ("--end", iso(lost_hour + HOUR), "--now", iso(FIRST + 4 * HOUR), "--format", "json")
    code, out, err = run_cli(capfd, "run", "rows-only", "--config", project, "--start", iso(lost_hour), *args)
    assert code == 1, err
    [compared] = [r["id"] for r in json.loads(out)["runs"]]
    code, out, err = run_cli(capfd, "run", "traffic-only", "--config", project, "--start", iso(SPIKE_HOUR), *args)
    assert code == 1, err
    store = open_report_store(load_config(project))
    try:
        found = [store.get_run(r["id"])["results"][0] for r in json.loads(out)["runs"]]
    finally:
        store.close()
    assert [(r["window"]["start"], r["observed"]["discrepancy"], r["details"]["alerts"]) for r in found] == [
        (iso(SPIKE_HOUR), None, ["error_rate"]),
        (iso(lost_hour), {"pct": 2.0, "differing": 2, "rows": 100}, ["discrepancy"])]
    # judged again (a recheck): both jobs fail the hour, the ledger names the comparison's run (a tie),
    # and the traffic run still finds the comparison
    code, out, err = run_cli(capfd, "run", "traffic-only", "--config", project, "--start", iso(lost_hour), *args)
    assert code == 1, err
    [recheck] = [r["id"] for r in json.loads(out)["runs"]]
    store = open_report_store(load_config(project))
    try:
        again = store.get_run(recheck)["results"][0]
        assert store.ledger("device_events", lost_hour, lost_hour + HOUR)[0]["run_id"] == compared != recheck
    finally:
        store.close()
    assert again["observed"]["discrepancy"] == {"pct": 2.0, "differing": 2, "rows": 100}


def test_the_daily_digest_after_the_run_gives_the_phase_split_and_error_rate(project, slack, capfd):
    """`reconciler run` composes the digest once its period is judged (digest_at 08:00: the 24 hours
    before 2026-11-03 08:00, of which 05:00-08:00 were measured) and delivers it to Slack; its
    numbers are the gate's over the same 24 hours."""
    project.write_text(project.read_text().replace('digest_at: ""', 'digest_at: "08:00"'))
    code, _, err = run_cli(capfd, "run", "hourly", "--config", project, "--start", iso(FIRST),
                           "--end", iso(FIRST + 3 * HOUR), "--now", iso(FIRST + 4 * HOUR))
    assert code == 1, err
    [digest] = [m for m in slack.top_level() if m["text"].startswith("📋")]
    sections = [b["text"]["text"] for b in digest["blocks"] if b.get("text")]
    # 60 + 2 400 + 60 errors of 3 x 120 000 requests; the newest measured hour at 50 %
    assert ("*Migration plan*\n• current phase: *traffic split*\n"
            "• traffic split: 50 % of requests to the new system (hour 2026-11-03T07:00:00Z)\n"
            "• new system's error rate: 0.7 % (2\u00a0520 of 360\u00a0000 requests, 3 of 24 hours measured), "
            "❌ not below the 0.1 % target") in sections
    assert "• bring the new system's error rate below 0.1 % (it is 0.7 %)" in sections[-1]
    period_end = FIRST.replace(hour=8)
    code, out, _ = run_cli(capfd, "gate", "--config", project, "--start", iso(period_end - 24 * HOUR), "--end",
                           iso(period_end), "--now", iso(FIRST + 4 * HOUR), "--format", "json")
    error_rate = next(c for c in json.loads(out)["criteria"] if c["criterion"] == "error_rate")
    assert (error_rate["observed"], error_rate["hours_measured"], error_rate["state"]) == (0.7, 3, "not met")


def test_a_traffic_alert_names_its_breached_alerts_in_the_readers_language():
    facts = {"alert_kind": "data", "job": "hourly", "check": "traffic.traffic", "dataset": "device_events",
             "reason": "new p99 950 ms vs old 375 ms (× 2.53 > 1.5)", "hour": "2026-11-03T12:00:00Z", "items": [],
             "violations": 1, "intro": "traffic", "alerts": ["p99_latency", "discrepancy"],
             "bounds": {"max_error_rate_increase_points": "0.5", "max_p99_ratio": "1.5", "max_discrepancy_pct": "1"}}
    payload = render("alert", facts, Texts("es"), Links(None, None))
    assert payload["blocks"][0]["text"]["text"] == "🔴 Alerta de tráfico: traffic.traffic (device_events)"
    assert payload["blocks"][1]["text"]["text"] == (
        "El chequeo de tráfico *traffic.traffic* de *hourly* disparó la alerta del plan en *device_events*: el p99 "
        "del sistema nuevo por encima de 1,5 × el del viejo; difieren más del 1 % de las filas comparadas de la hora.")


def test_the_reports_show_every_figure_of_an_hour(tmp_path, prometheus_url):
    """`report show` and the HTML run page read check_rows: the figures whole, not cut at 120 characters."""
    from reconciler.report.model import check_rows

    loaded = prometheus_only(tmp_path, prometheus_url)
    [normal] = run_check(CheckContext(loaded, {}, Window(FIRST, FIRST + HOUR)), "traffic").results
    [row] = check_rows([normal])
    assert row["observed"] == row["observed_full"] == (
        "split 50 % · new: 120\u00a0000 requests, 60 errors (0.05 %), p50 50 ms, p95 100 ms, p99 233.3 ms · "
        "old: 120\u00a0000 requests, 120 errors (0.1 %), p50 70 ms, p95 225 ms, p99 375 ms · discrepancy not measured")


def test_reconciler_check_says_a_traffic_check_runs_in_reconciler_run(tmp_path, prometheus_url, capfd):
    loaded = prometheus_only(tmp_path, prometheus_url)
    code, _, err = run_cli(capfd, "--config", loaded.path, "check", "traffic")
    assert (code, err.strip()) == (2, f"reconciler: {loaded.path}: 'traffic' is a traffic check, judged hour by "
                                      "hour: `reconciler run JOB` runs it over its hours (a job that lists it under "
                                      "`checks:`), not `reconciler check`")
    code, _, err = run_cli(capfd, "--config", loaded.path, "check")
    assert (code, err.strip()) == (2, f"reconciler: {loaded.path}: no check of type sql, suite or snapshot rows is "
                                      "configured (`reconciler check` runs those; windowed checks, such as traffic, "
                                      "run in `reconciler run JOB`)")
