"""The Prometheus source's client on a real Prometheus (prometheus_fixtures.py: the planted
history) and, for what a real Prometheus cannot be made to do (check headers, answer 401, hang),
on a small real HTTP server of our own."""

from __future__ import annotations

import json
import math
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from prometheus_fixtures import HOUR, START, free_port

from reconciler.config.models import SourceConfig
from reconciler.errors import EXIT_UNAVAILABLE, EXIT_USAGE, ConfigError, SourceError
from reconciler.sources.prometheus import PrometheusSource

NEW_REQUESTS = 'sum(increase(traffic_split_new_system_total{service="booking-api"}[1h]))'
KEY = "schedule.yaml:9: sources.prom.metrics.new.requests"


def source(url: str, **config) -> PrometheusSource:
    return PrometheusSource("prom", SourceConfig(url=url, **config))


def test_an_instant_query_is_evaluated_at_the_given_time(prometheus_url):
    prom = source(prometheus_url)
    result = prom.query(NEW_REQUESTS, START + HOUR, KEY)
    # day 0: 10 % of 240 000 requests an hour
    assert (result.kind, [(s.labels, s.value) for s in result.samples]) == ("vector", [({}, 24000.0)])
    assert prom.value(NEW_REQUESTS, START + timedelta(hours=25), KEY) == 120000.0  # day 1: 50 %


def test_no_data_is_none_not_zero_and_a_zero_is_a_zero(prometheus_url):
    prom = source(prometheus_url)
    before_history = START - timedelta(hours=2)
    assert prom.query(NEW_REQUESTS, before_history, KEY).empty
    assert prom.value(NEW_REQUESTS, before_history, KEY) is None
    # at 100 % the old system's counter is still there and did not move: a measured zero
    full = START + timedelta(days=3)
    assert prom.value('sum(increase(traffic_split_old_system_total{service="booking-api"}[1h]))', full, KEY) == 0.0
    # ... and the quantile of no observation is NaN: no data
    quantile = ('histogram_quantile(0.99, sum by (le) (increase(latency_old_system_seconds_bucket'
                '{service="booking-api"}[1h])))')
    assert prom.query(quantile, full, KEY).samples[0].value != prom.query(quantile, full, KEY).samples[0].value
    assert prom.value(quantile, full, KEY) is None


def test_scalars_and_infinities(prometheus_url):
    prom = source(prometheus_url)
    result = prom.query("scalar(vector(2.5))", START, KEY)
    assert (result.kind, result.samples[0].value) == ("scalar", 2.5)
    assert prom.value("vector(1) / 0", START, KEY) == math.inf
    assert prom.value("0 / 0", START, KEY) is None


def test_a_range_query_gives_what_an_instant_query_gives_at_each_hour_end(prometheus_url):
    prom = source(prometheus_url)
    ends = [START + timedelta(hours=h) for h in (23, 24, 25)]
    assert prom.values_at(NEW_REQUESTS, ends, KEY) == {ends[0]: 24000.0, ends[1]: 24000.0, ends[2]: 120000.0}
    assert {t: prom.value(NEW_REQUESTS, t, KEY) for t in ends} == prom.values_at(NEW_REQUESTS, ends, KEY)
    later = [START + timedelta(days=9, hours=h) for h in (0, 1)]  # the last planted hour, then none
    assert prom.values_at(NEW_REQUESTS, later, KEY) == {later[0]: 240000.0, later[1]: None}


def test_a_promql_error_is_a_config_error_naming_the_key(prometheus_url):
    with pytest.raises(ConfigError) as e:
        source(prometheus_url).query("sum(increase(requests_total[1h]", START, KEY)
    assert e.value.exit_code == EXIT_USAGE
    assert str(e.value) == (f"{KEY}: source 'prom' rejected the query sum(increase(requests_total[1h]: "
                            'invalid parameter "query": 1:32: parse error: unclosed left parenthesis')


def test_a_range_vector_or_several_series_where_one_value_is_needed_are_config_errors(prometheus_url):
    prom = source(prometheus_url)
    with pytest.raises(ConfigError, match=r"gives a matrix; an instant vector or a scalar is needed"):
        prom.query("traffic_split_new_system_total[5m]", START + HOUR, KEY)
    with pytest.raises(ConfigError) as e:
        prom.value("increase(traffic_split_new_system_total[1h])", START + HOUR, KEY)
    assert str(e.value).startswith(f"{KEY}: increase(traffic_split_new_system_total[1h]) gives 2 series (")
    assert str(e.value).endswith("where one value is needed: aggregate them (sum, avg, max) or narrow the label "
                                 "matchers")


def test_an_unreachable_source_is_exit_3_without_its_secrets():
    port = free_port()  # nothing listens there
    prom = source(f"http://reader:pa55word@127.0.0.1:{port}", bearer_token="tok-123", connect_timeout=2)
    with pytest.raises(SourceError) as e:
        prom.query("up", START, KEY)
    assert e.value.exit_code == EXIT_UNAVAILABLE
    assert str(e.value).startswith(f"source 'prom' (http://reader:***@127.0.0.1:{port}) is unreachable: ")
    assert "pa55word" not in str(e.value) and "tok-123" not in str(e.value)


def test_an_address_that_is_not_the_api_says_what_the_url_should_be(prometheus_url):
    with pytest.raises(SourceError) as e:
        source(prometheus_url + "/not-here").query("up", START, KEY)
    assert str(e.value) == (f"source 'prom' ({prometheus_url}/not-here) did not answer like a Prometheus API "
                            "(HTTP 404: 404 page not found); its url is the API's base address, e.g. "
                            "http://prometheus:9090 or https://mimir.example.com/prometheus")


class TenantAPI:
    """A real HTTP server answering /api/v1/query like a Mimir tenant gateway: 401 without the
    expected token and tenant header, an answer after `delay` seconds otherwise."""

    def __init__(self, delay: float = 0.0):
        self.seen: list[dict] = []
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
                allowed = (self.headers.get("Authorization") == "Bearer tok-123"
                           and self.headers.get("X-Scope-OrgID") == "tenant-a")
                body = ({"status": "success", "data": {"resultType": "vector", "result": [
                            {"metric": {}, "value": [0, "7"]}]}} if allowed else
                        {"status": "error", "errorType": "unauthorized", "error": "no org id or bad token tok-123"})
                time.sleep(delay)
                try:
                    self.send_response(200 if allowed else 401)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(json.dumps(body).encode())
                except OSError:
                    pass  # the client gave up waiting (the timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/prometheus"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tenant_api():
    api = TenantAPI()
    yield api
    api.close()


def test_headers_and_bearer_token_are_sent_and_the_path_prefix_kept(tenant_api):
    prom = source(tenant_api.url, bearer_token="tok-123", headers={"X-Scope-OrgID": "tenant-a"})
    assert prom.value("up", START, KEY) == 7.0
    request = tenant_api.seen[0]
    assert request["path"].startswith("/prometheus/api/v1/query?query=up&time=1793577600.000&timeout=5m")
    assert (request["authorization"], request["x-scope-orgid"]) == ("Bearer tok-123", "tenant-a")


def test_a_refused_token_is_exit_3_and_the_token_never_shows(tenant_api):
    prom = source(tenant_api.url, bearer_token="tok-123", headers={"X-Scope-OrgID": "tenant-b"})
    with pytest.raises(SourceError) as e:
        prom.query("up", START, KEY)
    assert str(e.value) == (f"source 'prom' ({tenant_api.url}) refused the request (HTTP 401): no org id or bad "
                            "token ***; check its bearer_token and headers")


def test_a_slow_answer_is_a_statement_timeout():
    api = TenantAPI(delay=3)
    try:
        prom = source(api.url, bearer_token="tok-123", headers={"X-Scope-OrgID": "tenant-a"}, statement_timeout=1)
        started = time.monotonic()
        with pytest.raises(SourceError) as e:
            prom.query("up", START, KEY)
        assert time.monotonic() - started < 2.5
        assert str(e.value) == "source 'prom': query exceeded its statement_timeout (1s)"
    finally:
        api.close()
