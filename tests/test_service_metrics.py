"""The metrics the shipped alert rules read (deploy/prometheus/alerts.yml): the store's
reachability, measured at each scrape, and when each job's last tick ended."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request

from service_fixtures import JOB, set_database_down, write_project

from reconciler.config import load_config
from reconciler.service.http import HealthServer
from reconciler.service.scheduler import Service


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
        return response.read().decode()


def value(metrics: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", metrics, re.M)
    assert match, f"{name} is not in /metrics"
    return float(match.group(1))


def test_store_up_follows_the_store_at_each_scrape(tmp_path, make_pg_database, pg_admin):
    store_url = make_pg_database("svc_metrics_store_up")
    path = write_project(tmp_path, "postgresql://u:pw@127.0.0.1:1/old", "postgresql://u:pw@127.0.0.1:1/new",
                         store_url=store_url)
    service = Service(load_config(path))
    server = HealthServer(service, "127.0.0.1", 0).start()
    try:
        assert value(scrape(server.port), "reconciler_store_up") == 1.0
        set_database_down(pg_admin, store_url, True)
        assert value(scrape(server.port), "reconciler_store_up") == 0.0
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}/health/readiness", timeout=30)
        except urllib.error.HTTPError as e:
            assert e.code == 503
        set_database_down(pg_admin, store_url, False)
        assert value(scrape(server.port), "reconciler_store_up") == 1.0
    finally:
        set_database_down(pg_admin, store_url, False)
        server.close()
        service.close()
        service.store.close()


def test_a_tick_records_when_it_ended_even_when_it_judged_nothing(tmp_path):
    path = write_project(tmp_path, "postgresql://u:pw@127.0.0.1:1/old", "postgresql://u:pw@127.0.0.1:1/new",
                         job={"max_catchup_hours": "1"})
    service = Service(load_config(path))
    server = HealthServer(service, "127.0.0.1", 0).start()
    try:
        assert f'reconciler_last_tick_timestamp_seconds{{job="{JOB}"}}' not in scrape(server.port)
        before = time.time()
        service.wake(JOB)   # what APScheduler calls on the job's cron; the sources are unreachable
        after = time.time()
        ended = value(scrape(server.port), f'reconciler_last_tick_timestamp_seconds{{job="{JOB}"}}')
        assert before <= ended <= after
    finally:
        server.close()
        service.close()
        service.store.close()


def test_the_service_tells_slack_directly_when_the_store_is_down_and_when_it_is_back(tmp_path, make_pg_database,
                                                                                      pg_admin):
    """The outbox lives in the store: a tick that cannot reach it tells the channel directly,
    once within remind_every, and the first tick that stores again says it is back. Before,
    only `reconciler run` did; the service logged it and Slack heard nothing."""
    from datetime import timedelta

    from fake_slack import GOOD_TOKEN, FakeSlack
    from service_fixtures import T0, SimulatedClock, load_events

    from reconciler.timeutil import HOUR

    old_url, new_url = make_pg_database("svc_storedown_old"), make_pg_database("svc_storedown_new")
    load_events(old_url, new_url)
    store_url = make_pg_database("svc_storedown_store")
    slack = FakeSlack().start()
    path = write_project(tmp_path, old_url, new_url, store_url=store_url)
    path.write_text(path.read_text() + f"notify: {{slack: {{token: {GOOD_TOKEN}, api_url: \"{slack.api_url}\"}}, "
                                       "digest_at: \"\"}\n")
    clock = SimulatedClock(T0 + 3 * HOUR + timedelta(minutes=15))
    service = Service(load_config(path), clock=clock)
    try:
        set_database_down(pg_admin, store_url, True)
        service.wake(JOB)
        service.wake(JOB)
        assert [m["text"].split(":")[0] for m in slack.messages] == ["⚠️ The checker is broken"]
        set_database_down(pg_admin, store_url, False)
        service.wake(JOB)
        [down] = slack.messages[:1]
        back = [m for m in slack.messages if m.get("thread_ts") == down["ts"]]
        assert len(back) == 1 and back[0]["text"].startswith("✅ The checker works again: *hourly* ran")
    finally:
        set_database_down(pg_admin, store_url, False)
        service.close()
        service.store.close()
        slack.stop()


def test_the_error_counters_exist_at_zero_from_the_start(tmp_path):
    """The shipped rule `increase(reconciler_tick_errors_total[1h]) > 0` needs a sample before
    the first error: a counter born at 1 after a restart has no increase to see."""
    path = write_project(tmp_path, "postgresql://u:pw@127.0.0.1:1/old", "postgresql://u:pw@127.0.0.1:1/new")
    service = Service(load_config(path))
    server = HealthServer(service, "127.0.0.1", 0).start()
    try:
        metrics = scrape(server.port)
        assert value(metrics, f'reconciler_tick_errors_total{{job="{JOB}"}}') == 0.0
        assert value(metrics, f'reconciler_window_failures_total{{job="{JOB}"}}') == 0.0
    finally:
        server.close()
        service.close()
        service.store.close()
