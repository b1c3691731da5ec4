"""The Prometheus source in schedule.yaml: chosen by the url's scheme, its own keys refused
elsewhere, metric names checked at load time, secrets masked; and the PromQL it writes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reconciler.config import load_config
from reconciler.errors import ConfigError
from reconciler.sources import promql
from reconciler.sources.connection import open_sources
from reconciler.sources.prometheus import prometheus_source, prometheus_sources


def write(tmp_path, sources: str):
    path = tmp_path / "schedule.yaml"
    path.write_text(f"sources:\n{sources}")
    return path


def problem(tmp_path, sources: str, env=None) -> str:
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, sources), env=env or {})
    return str(e.value)


def test_an_http_url_is_a_prometheus_source_and_not_a_database(tmp_path):
    loaded = load_config(write(tmp_path, "  db: {url: \"sqlite:///x.db\"}\n  queue: {url: \"redis://h:6379/0\"}\n"
                                         "  prom: {url: \"https://mimir.example.com/prometheus\", "
                                         "bearer_token: \"${PROM_TOKEN}\", headers: {X-Scope-OrgID: tenant-a}}\n"),
                         env={"PROM_TOKEN": "tok-9"})
    assert list(open_sources(loaded)) == ["db"]
    assert list(prometheus_sources(loaded)) == ["prom"]
    prom = prometheus_source(loaded, "prom", ("checks", "x", "source"))
    assert (prom.config.bearer_token, prom.config.headers) == ("tok-9", {"X-Scope-OrgID": "tenant-a"})
    assert prom.key("metrics", "new", "errors") == f"{tmp_path}/schedule.yaml:4: sources.prom.metrics.new.errors"
    assert "tok-9" not in repr(loaded.config) and "tenant-a" not in repr(loaded.config)
    metrics = prom.config.metrics
    assert (metrics.new.requests, metrics.new.errors, metrics.new.latency, metrics.old.requests, metrics.split_gauge,
            metrics.latency_unit) == ("traffic_split_new_system_total", "errors_new_system_total",
                                      "latency_new_system_seconds", "traffic_split_old_system_total", "", "s")
    with pytest.raises(ConfigError) as e:
        prometheus_source(loaded, "db", ("checks", "x", "source"))
    assert str(e.value) == (f"{tmp_path}/schedule.yaml: checks.x.source: 'db' is not a Prometheus source (an http:// "
                            "or https:// url; Prometheus sources: prom)")


def test_prometheus_keys_on_a_database_source_are_refused(tmp_path):
    assert problem(tmp_path, "  db: {url: \"sqlite:///x.db\", bearer_token: abc}\n") == (
        f"{tmp_path}/schedule.yaml:2: sources.db: 'bearer_token': for a Prometheus source only (a url starting "
        "with http:// or https://)")


def test_metric_names_and_selectors_are_checked_where_they_are_written(tmp_path):
    text = problem(tmp_path, "  prom:\n    url: http://p:9090\n    metrics:\n      new: {selector: 'system=new'}\n"
                             "      old: {errors: 'errors total'}\n      latency_unit: us\n")
    assert text.splitlines()[1:] == [
        f"  - {tmp_path}/schedule.yaml:6: sources.prom.metrics.old.errors: expected a metric name, optionally with "
        "label matchers, such as http_requests_total{code=~\"5..\"}, got 'errors total'",
        f"  - {tmp_path}/schedule.yaml:5: sources.prom.metrics.new.selector: expected label matchers such as "
        "system=\"new\" or code=~\"5..\", got 'system=new'",
        f"  - {tmp_path}/schedule.yaml:7: sources.prom.metrics.latency_unit: must be one of 's' or 'ms', got 'us'"]


def test_selectors_merge_the_metrics_own_matchers_with_the_sides():
    assert promql.selector("http_requests_total", 'system="new"') == 'http_requests_total{system="new"}'
    assert promql.selector('http_requests_total{code=~"5.."}', 'system="new"') == (
        'http_requests_total{code=~"5..", system="new"}')
    assert promql.selector("latency_seconds{}", "", "_bucket") == "latency_seconds_bucket"
    assert promql.quantile(0.99, "lat_seconds", 'system="new"', timedelta(hours=1)) == (
        'histogram_quantile(0.99, sum by (le) (increase(lat_seconds_bucket{system="new"}[1h])))')
    assert promql.increase("x_total", timedelta(minutes=30)) == "sum(increase(x_total[30m]))"
    assert promql.gauge_average("g", timedelta(hours=2)) == "avg(avg_over_time(g[2h] offset 1ms))"
    assert [promql.duration(timedelta(seconds=s)) for s in (7200, 90, 1.5)] == ["2h", "90s", "1500ms"]
