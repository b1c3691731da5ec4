"""Write latency: a Prometheus histogram served by a real local HTTP endpoint (built with
prometheus-client), parsed with its parser, the quantile taken from the buckets over the
delta between two scrapes or since the last stored run; and from SQL on the new system.

Hand computation, buckets 1 / 5 / 10 / 25 ms / +Inf: before the first scrape 100 writes of
0.5 ms; between the scrapes 98 of 3 ms and 2 of 20 ms. Delta p99: rank 99 of 100 lies in
(10, 25] ms holding ranks 99-100: 10 + 15 * (99 - 98) / 2 = 17.5 ms. p50: rank 50 in (1, 5]
holding ranks 1-98: 1 + 4 * 50 / 98 = 3.040816 ms (p95: 1 + 4 * 95 / 98 = 4.877551 ms). Over the whole histogram instead, p99 is
rank 198 of 200, which lies in (1, 5] ms: 5 ms — the delta is what shows the slow writes."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from integrity_fixtures import run_cli
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from reconciler.checks.health.latency import histogram_percentiles, histogram_quantile, measure_histogram
from reconciler.checks.registry import CheckContext, run_check
from reconciler.config import load_config
from reconciler.errors import SourceError
from reconciler.sources.connection import opened_sources
from reconciler.store import open_report_store
from reconciler.thresholds import Threshold
from reconciler.timeutil import Window

UTC = timezone.utc
WINDOW = Window(datetime(2026, 11, 27, 10, tzinfo=UTC), datetime(2026, 11, 27, 11, tzinfo=UTC))
METRIC = "db_write_duration_seconds"


class MetricsEndpoint:
    """A real HTTP server on 127.0.0.1 serving one registry's /metrics."""

    def __init__(self):
        self.registry = CollectorRegistry()
        self.histogram = Histogram(METRIC, "Write latency of the new system", ["table"],
                                   buckets=(0.001, 0.005, 0.01, 0.025), registry=self.registry)
        registry = self.registry

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                body = generate_latest(registry)
                self.send_response(200 if self.path == "/metrics" else 404)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/metrics"

    def observe(self, seconds: float, times: int, table: str = "device_events"):
        for _ in range(times):
            self.histogram.labels(table).observe(seconds)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint():
    served = MetricsEndpoint()
    yield served
    served.close()


def test_the_quantile_of_the_writes_between_two_scrapes(endpoint):
    endpoint.observe(0.0005, 100)

    def between():
        endpoint.observe(0.003, 98, table="bookings")  # other label values are summed
        endpoint.observe(0.020, 2)

    delta, current, basis = measure_histogram(endpoint.url, METRIC, between=between)
    assert basis == "two scrapes"
    assert delta == {0.001: 0.0, 0.005: 98.0, 0.01: 98.0, 0.025: 100.0, float("inf"): 100.0}
    observed = histogram_percentiles(delta, 1000.0)
    assert observed == {"count": 100, "p50": pytest.approx(3.040816, abs=1e-6), "p95": pytest.approx(4.877551, abs=1e-6),
                        "p99": 17.5, "max": 25.0}
    assert histogram_percentiles(current, 1000.0)["p99"] == 5.0


def test_quantile_edges():
    assert histogram_quantile(0.99, {0.01: 0, float("inf"): 0}) is None        # no writes
    assert histogram_quantile(0.99, {0.01: 90, float("inf"): 100}) == 0.01     # in +Inf: the highest finite bound
    assert histogram_quantile(0.5, {0.001: 10, 0.005: 10, float("inf"): 10}) == 0.0005


def config(tmp_path, body: str):
    path = tmp_path / "schedule.yaml"
    path.write_text(body + "jobs:\n  health: {cron: \"*/5 * * * *\", checks: [write], settle: 0m}\n"
                    "report_store: {url: \"sqlite:///store/reconciler.db\", directory: out}\n")
    return load_config(path)


def prometheus_config(tmp_path, url):
    return config(tmp_path, "sources:\n  new: {url: \"sqlite:///new.db\"}\n"
                  f"checks:\n  write: {{type: latency, metrics_url: \"{url}\", histogram: {METRIC}}}\n")


def run_health(capfd, loaded):
    code, out, _ = run_cli(capfd, "--config", loaded.path, "run", "health", "--start", "2026-11-27T10:00Z",
                           "--end", "2026-11-27T11:00Z", "--format", "json")
    run_id = json.loads(out)["runs"][0]["id"]
    store = open_report_store(loaded)
    try:
        [result] = store.get_run(run_id)["results"]
    finally:
        store.close()
    return code, run_id, result


def test_since_the_last_run_from_the_stored_scrape(tmp_path, endpoint, monkeypatch, capfd):
    loaded = prometheus_config(tmp_path, endpoint.url)
    monkeypatch.chdir(tmp_path)
    endpoint.observe(0.0005, 100)
    code, first_run, first = run_health(capfd, loaded)
    assert (code, first["status"], first["details"]["basis"]) == (0, "pass", "since the service started")
    assert (first["check"], first["observed"]["p99"], Threshold.from_dict(first["threshold"])) == (
        "write.write_latency", 0.99, Threshold(max=10.0, unit="ms", text="at p99"))
    endpoint.observe(0.003, 98)
    endpoint.observe(0.020, 2)
    code, _, second = run_health(capfd, loaded)
    assert (code, second["status"], second["observed"]["p99"], second["observed"]["count"]) == (1, "fail", 17.5, 100)
    assert (second["details"]["basis"], second["details"]["since_run"]) == ("since the last run", first_run)


def test_an_unreachable_metrics_endpoint_is_a_source_error():
    with pytest.raises(SourceError, match=r"^metrics endpoint http://127.0.0.1:1/metrics is unreachable: "):
        measure_histogram("http://127.0.0.1:1/metrics", METRIC)


def test_a_missing_histogram_is_named(endpoint):
    with pytest.raises(SourceError, match="has no histogram named 'nope_seconds'"):
        measure_histogram(endpoint.url, "nope_seconds")


def sql_results(loaded):
    with opened_sources(loaded) as sources:
        return run_check(CheckContext(loaded, sources, WINDOW, now=WINDOW.end), "write").results


def test_latency_rows_from_sql_get_their_percentiles_from_the_database(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path}/new.db")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE write_latencies (at TEXT, latency_ms REAL)")
        conn.exec_driver_sql("INSERT INTO write_latencies VALUES " + ", ".join(f"('x', {i})" for i in range(1, 101)))
        conn.exec_driver_sql("CREATE TABLE latency_summary (p99_ms REAL, p50_ms REAL)")
        conn.exec_driver_sql("INSERT INTO latency_summary VALUES (8.5, 2.0)")
    engine.dispose()
    rows = config(tmp_path, f"sources:\n  new: {{url: \"sqlite:///{tmp_path}/new.db\"}}\n"
                  "checks:\n  write: {type: latency, source: new, latency_query: \"SELECT latency_ms FROM write_latencies\"}\n")
    [result] = sql_results(rows)
    # p99 of 1..100 ms: rank 1 + 0.99 * 99 = 99.01 -> 99.01 ms
    assert (result.status, result.observed["p99"], result.observed["p50"], result.observed["count"]) == (
        "fail", pytest.approx(99.01, abs=1e-6), 50.5, 100)
    summary = config(tmp_path, f"sources:\n  new: {{url: \"sqlite:///{tmp_path}/new.db\"}}\n"
                     "checks:\n  write: {type: latency, source: new, latency_query: \"SELECT * FROM latency_summary\"}\n")
    [result] = sql_results(summary)
    assert (result.status, result.observed, result.details["method"]) == (
        "pass", {"p50": 2.0, "p95": None, "p99": 8.5, "max": None}, "sql percentiles")
