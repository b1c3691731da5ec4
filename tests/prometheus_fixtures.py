"""A real Prometheus server holding nine days of planted history of the migration
interceptor's metrics, for the traffic-split and latency tests.

The history is written as OpenMetrics text with timestamps, turned into TSDB blocks with
`promtool tsdb create-blocks-from openmetrics`, and served by `prometheus` on a free port
(session scope). Without the two binaries the tests skip, or fail in CI (conftest.unavailable).

What is planted, from START (Monday 2026-11-02 00:00Z) for 9 days, one sample every 5 minutes,
every series labelled service="booking-api":

- Traffic: 20 000 requests per 5 minutes in all (240 000 an hour), split by day: day 0 10 %
  to the new system, day 1 50 %, days 2-8 (the last 7 days) 100 %. The gauge
  `traffic_split_percent` holds the same 10 / 50 / 100.
- Errors: the new system fails 0.05 % of its requests, the old one 0.1 %; in SPIKE_HOUR
  (day 1, 06:00) the new one fails 2 %.
- Latency histograms (seconds; buckets 0.05 0.1 0.25 0.5 1 +Inf), as shares of the requests:
  new 50 / 45 / 4.5 / 0.5 / 0 / 0 %, old 30 / 50 / 18 / 2 / 0 / 0 %; in SLOW_HOUR (day 1,
  12:00) the new one 10 / 20 / 30 / 30 / 10 / 0 %.
- A decoy series `traffic_split_new_system_total{service="other"}` (1 request per 5 minutes)
  that a query without the configured selector would add in.
- An error counter created by its first error and gone two hours later (a pod that restarted
  without initialising it): `late_errors_new_system_total`, with samples only from SPIKE_HOUR
  to LATE_ERRORS_END, counting the new system's errors from SPIKE_HOUR (2 400, then 60).

Why `increase()` gives the planted numbers exactly: a counter sample sits on every hour
boundary, and the increments of the 5 minutes after a sample belong to the hour that sample
starts. Prometheus 2 includes both range ends, so increase(x[1h]) at an hour's end is
x(end) - x(start), no extrapolation (the first and last samples are the range's ends). The
increments are even within each hour, so Prometheus 3 (which drops the left end and
extrapolates the 55 minutes it sees to 60) would give the same numbers."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import unavailable

UTC = timezone.utc
START = datetime(2026, 11, 2, tzinfo=UTC)
DAYS = 9
STEP = timedelta(minutes=5)
HOUR = timedelta(hours=1)
SPIKE_HOUR = START + timedelta(hours=30)
SLOW_HOUR = START + timedelta(hours=36)
END = START + timedelta(days=DAYS)
LATE_ERRORS_END = SPIKE_HOUR + 2 * HOUR

TOTAL_PER_STEP = 20_000
BOUNDS = ("0.05", "0.1", "0.25", "0.5", "1.0", "+Inf")
MIDPOINTS = (0.025, 0.075, 0.175, 0.375, 0.75, 1.0)
SHARES_PER_MILLE = {"new": (500, 450, 45, 5, 0, 0), "old": (300, 500, 180, 20, 0, 0),
                    "slow": (100, 200, 300, 300, 100, 0)}
LABELS = 'service="booking-api"'


def split_pct(t: datetime) -> int:
    day = (t - START) // timedelta(days=1)
    return 10 if day == 0 else 50 if day == 1 else 100


def step_traffic(t: datetime) -> dict:
    """Requests, errors and latency bucket counts (not cumulative) of each system in the 5
    minutes that start at t."""
    hour = t.replace(minute=0)
    new = TOTAL_PER_STEP * split_pct(t) // 100
    old = TOTAL_PER_STEP - new
    new_errors = new * (20 if hour == SPIKE_HOUR else 0.5) // 1000
    new_profile = SHARES_PER_MILLE["slow" if hour == SLOW_HOUR else "new"]
    return {
        "new": (new, int(new_errors), [new * s // 1000 for s in new_profile]),
        "old": (old, old // 1000, [old * s // 1000 for s in SHARES_PER_MILLE["old"]]),
    }


def _counter(name: str, series: dict[str, list[tuple[float, int]]]) -> list[str]:
    lines = [f"# TYPE {name} counter"]
    for labels, points in series.items():
        lines += [f"{name}_total{{{labels}}} {value} {ts}" for value, ts in points]
    return lines


def _histogram(name: str, points: list[tuple[list[int], float, int]]) -> list[str]:
    lines = [f"# TYPE {name} histogram"]
    for counts, total_s, ts in points:
        cumulative = 0
        for le, count in zip(BOUNDS, counts):
            cumulative += count
            lines.append(f'{name}_bucket{{{LABELS},le="{le}"}} {cumulative} {ts}')
        lines.append(f"{name}_count{{{LABELS}}} {cumulative} {ts}")
        lines.append(f"{name}_sum{{{LABELS}}} {total_s:.3f} {ts}")
    return lines


def history_text() -> str:
    """The planted history as OpenMetrics text, one family after another, ending in # EOF."""
    requests = {s: [] for s in ("old", "new")}
    errors = {s: [] for s in ("old", "new")}
    latency = {s: [] for s in ("old", "new")}
    decoy, gauge, late_errors = [], [], []
    totals = {s: [0, 0, [0] * len(BOUNDS), 0.0] for s in ("old", "new")}
    t = START
    while t <= END:
        ts = int(t.timestamp())
        for system, (n_requests, n_errors, buckets) in step_traffic(t).items():
            acc = totals[system]
            requests[system].append((acc[0], ts))
            errors[system].append((acc[1], ts))
            latency[system].append((list(acc[2]), acc[3], ts))
            acc[0] += n_requests
            acc[1] += n_errors
            acc[2] = [a + b for a, b in zip(acc[2], buckets)]
            acc[3] += sum(c * m for c, m in zip(buckets, MIDPOINTS))
        decoy.append((len(decoy), ts))
        if SPIKE_HOUR <= t <= LATE_ERRORS_END:
            late_errors.append((errors["new"][-1][0] - errors["new"][-1 - (t - SPIKE_HOUR) // STEP][0], ts))
        gauge.append(f"traffic_split_percent{{{LABELS}}} {split_pct(t)} {ts}")
        t += STEP
    lines = []
    for system in ("old", "new"):
        series = {LABELS: requests[system]}
        if system == "new":
            series['service="other"'] = decoy
        lines += _counter(f"traffic_split_{system}_system", series)
        lines += _counter(f"errors_{system}_system", {LABELS: errors[system]})
        lines += _histogram(f"latency_{system}_system_seconds", latency[system])
    lines += _counter("late_errors_new_system", {LABELS: late_errors})
    lines += ["# TYPE traffic_split_percent gauge", *gauge, "# EOF"]
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


class PrometheusServer:
    """`prometheus` serving the blocks in `data`, on 127.0.0.1, until stop()."""

    def __init__(self, workdir: Path, data: Path):
        config = workdir / "prometheus.yml"
        config.write_text("global:\n  scrape_interval: 1h\n")  # no scrape job: history only
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "prometheus.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                ["prometheus", f"--storage.tsdb.path={data}", "--storage.tsdb.retention.time=10y",
                 f"--web.listen-address=127.0.0.1:{self.port}", f"--config.file={config}"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not _ready(self.url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"prometheus did not become ready:\n{self.log.read_text()[-2000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def require_prometheus() -> None:
    missing = [tool for tool in ("prometheus", "promtool") if shutil.which(tool) is None]
    if missing:
        unavailable(f"{' and '.join(missing)} not installed (Debian package `prometheus`)")


@pytest.fixture(scope="session")
def prometheus_url(tmp_path_factory) -> str:
    """URL of a real Prometheus holding the planted history."""
    require_prometheus()
    workdir = tmp_path_factory.mktemp("prometheus")
    history = workdir / "history.om"
    history.write_text(history_text())
    data = workdir / "data"
    subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", "--quiet", str(history), str(data)],
                   check=True, capture_output=True, timeout=300)
    server = PrometheusServer(workdir, data)
    yield server.url
    server.stop()
