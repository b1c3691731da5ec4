"""The report directory served read-only under /reports/ (by `reconciler schedule` and
`reconciler report serve`), over real HTTP: files inside it are served, nothing is listed,
and every way out of it (`..`, encoded or not, absolute paths, symlinks) is refused. Slack
links default to that address unless notify.report_base_url is set."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.config import load_config
from reconciler.service.http import HealthServer, served_at
from reconciler.service.report_files import find_report_file

ROOT = Path(__file__).resolve().parent.parent
INDEX = "<html><body>index of the last 7 days</body></html>"
RUN = "<html><body>run 1</body></html>"
SECRET = "the password is hunter2"


@pytest.fixture
def reports(tmp_path):
    """tmp/reports with an index, a run (html + json), the SQLite store, a hidden file and two
    symlinks (one to a run, one out of the directory); tmp/secret.txt outside it."""
    directory = tmp_path / "reports"
    (directory / "runs").mkdir(parents=True)
    (directory / "index.html").write_text(INDEX)
    (directory / "runs" / "000001-hourly-20261127T1000Z.html").write_text(RUN)
    (directory / "runs" / "000001-hourly-20261127T1000Z.json").write_text('{"id": 1}')
    (directory / "reconciler.db").write_bytes(b"SQLite format 3\x00")
    (directory / ".hidden.html").write_text(SECRET)
    (tmp_path / "secret.txt").write_text(SECRET)
    (tmp_path / "secret.html").write_text(SECRET)
    (directory / "latest.html").symlink_to(directory / "runs" / "000001-hourly-20261127T1000Z.html")
    (directory / "escape.html").symlink_to(tmp_path / "secret.html")
    (directory / "up").symlink_to(tmp_path)
    return directory


@pytest.mark.parametrize("path, status", [
    ("", 200),
    ("index.html", 200),
    ("runs/000001-hourly-20261127T1000Z.html", 200),
    ("runs/000001-hourly-20261127T1000Z.json", 200),
    ("latest.html", 200),                        # a symlink inside the directory
    ("runs/", 404),                              # no listing
    ("runs", 404),
    ("runs/missing.html", 404),
    (".hidden.html", 404),
    ("reconciler.db", 403),                      # the report store is never served
    ("../secret.txt", 403),
    ("runs/../../secret.html", 403),
    ("%2e%2e/secret.html", 403),
    ("%2E%2E/secret.html", 403),
    ("runs/%2e%2e/%2e%2e/secret.html", 403),
    ("..%2fsecret.html", 403),
    ("%252e%252e/secret.html", 404),             # decoded once: a file named '%2e%2e', which is not there
    ("/etc/passwd", 403),
    ("%2fetc%2fpasswd", 403),
    ("..%5csecret.html", 403),
    ("index.html%00.json", 403),
    ("escape.html", 403),                        # a symlink pointing outside
    ("up/secret.html", 403),                     # a directory symlink pointing outside
    ("%ff.html", 404),
])
def test_what_a_path_under_reports_reads(reports, path, status):
    found = find_report_file(reports, path)
    assert found.status == status, found.reason
    if status == 200:
        assert found.path.resolve().is_relative_to(reports.resolve())


def request(port: int, method: str, path: str) -> tuple[int, dict, bytes]:
    """The request line exactly as given (http.client does not normalise `..`)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@pytest.fixture
def server(reports):
    server = HealthServer(None, "127.0.0.1", 0, reports=reports).start()
    yield server
    server.close()


def test_reports_over_http_are_served_and_nothing_else(server):
    port = server.port
    status, headers, body = request(port, "GET", "/reports/")
    assert (status, body.decode()) == (200, INDEX)
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, headers, body = request(port, "GET", "/reports/runs/000001-hourly-20261127T1000Z.html?x=1")
    assert (status, body.decode()) == (200, RUN)
    status, headers, body = request(port, "GET", "/reports/runs/000001-hourly-20261127T1000Z.json")
    assert (status, headers["Content-Type"], body) == (200, "application/json", b'{"id": 1}')
    status, headers, body = request(port, "HEAD", "/reports/")
    assert (status, headers["Content-Length"], body) == (200, str(len(INDEX)), b"")
    for path in ("/reports", "/"):
        status, headers, _ = request(port, "GET", path)
        assert (status, headers["Location"]) == (301, "/reports/")
    assert request(port, "GET", "/health/liveness")[0] == 200
    assert request(port, "GET", "/health/readiness")[0] == 404   # no scheduler behind `report serve`
    assert request(port, "POST", "/reports/index.html")[0] == 501


@pytest.mark.parametrize("path, status", [
    ("/reports/../secret.txt", 403),
    ("/reports/%2e%2e/secret.html", 403),
    ("/reports/runs/%2E%2E/%2E%2E/secret.html", 403),
    ("/reports/..%2Fsecret.html", 403),
    ("/reports//etc/passwd", 403),
    ("/reports/escape.html", 403),
    ("/reports/up/secret.txt", 403),
    ("/reports/reconciler.db", 403),
    ("/reports/runs/", 404),
    ("/reports/.hidden.html", 404),
    ("/secret.txt", 404),
    ("/../secret.txt", 404),
])
def test_traversal_and_listing_are_refused_over_http(server, path, status):
    code, _, body = request(server.port, "GET", path)
    assert code == status
    assert b"hunter2" not in body and b"SQLite" not in body and b"000001" not in body


def test_an_empty_report_directory_says_no_report_yet(tmp_path):
    server = HealthServer(None, "127.0.0.1", 0, reports=tmp_path / "not-yet").start()
    try:
        status, _, body = request(server.port, "GET", "/reports/")
    finally:
        server.close()
    assert (status, body.decode()) == (404, "no report yet: the index is written after the first stored run "
                                             "(or by `reconciler report open`)\n")


# -- notify.report_base_url defaults to the service's own /reports/ -----------------------------------------------

def config_with(tmp_path, service: str = "", notify: str = "") -> Path:
    path = tmp_path / "schedule.yaml"
    path.write_text("sources:\n  old: {url: 'sqlite:///old.db'}\n  new: {url: 'sqlite:///new.db'}\n"
                    + (f"service: {service}\n" if service else "") + (f"notify: {notify}\n" if notify else ""))
    return path


@pytest.mark.parametrize("service, notify, expected", [
    ("", "", "http://127.0.0.1:9108/reports/"),
    ("{port: 9200}", "{report_base_url: ''}", "http://127.0.0.1:9200/reports/"),
    ("{host: reconciler.internal, port: 80}", "{locale: es}", "http://reconciler.internal:80/reports/"),
    ("{host: '::1'}", "", "http://[::1]:9108/reports/"),
    ("{port: 0}", "", None),                                     # no fixed address: links stay file paths
    ("", "{report_base_url: 'https://reports.example.com/shadow'}", "https://reports.example.com/shadow"),
    ("{host: 0.0.0.0}", "{report_base_url: 'https://lb.example.com/reports/'}", "https://lb.example.com/reports/"),
])
def test_report_links_default_to_the_service_unless_set(tmp_path, service, notify, expected):
    assert load_config(config_with(tmp_path, service, notify)).config.notify.report_base_url == expected


def test_a_wildcard_address_links_to_this_machine_by_name(tmp_path):
    loaded = load_config(config_with(tmp_path, "{host: 0.0.0.0}"))
    assert loaded.config.notify.report_base_url == f"http://{socket.gethostname()}:9108/reports/"


def test_the_address_the_service_bound_is_the_default_and_a_set_one_still_wins(tmp_path):
    loaded = served_at(load_config(config_with(tmp_path, "{port: 0}")), "127.0.0.1", 43210)
    assert (loaded.config.service.port, loaded.config.notify.report_base_url) == (
        43210, "http://127.0.0.1:43210/reports/")
    loaded = served_at(load_config(config_with(tmp_path)), "127.0.0.1", 9300)   # schedule --port 9300
    assert loaded.config.notify.report_base_url == "http://127.0.0.1:9300/reports/"
    explicit = config_with(tmp_path, "", "{report_base_url: 'https://reports.example.com'}")
    assert served_at(load_config(explicit), "0.0.0.0", 9300).config.notify.report_base_url == (
        "https://reports.example.com")


# -- reconciler report serve ----------------------------------------------------------------------------------------

def test_report_serve_serves_the_directory_until_sigterm(tmp_path, reports):
    path = config_with(tmp_path, "{port: 0}")
    with open(path, "a") as f:
        f.write(f"report_store: {{url: 'sqlite:///{tmp_path}/store.db', directory: {reports}}}\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-m", "reconciler", "report", "serve", "--config", str(path)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = child.stdout.readline()
        assert line.startswith(f"serving {reports} read-only at http://127.0.0.1:"), line + child.stderr.read()
        port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
        assert line == f"serving {reports} read-only at http://127.0.0.1:{port}/reports/ (Ctrl-C to stop)\n"
        assert request(port, "GET", "/reports/")[2].decode() == INDEX
        assert request(port, "GET", "/reports/%2e%2e/secret.txt")[0] == 403
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert (child.returncode, err) == (0, "")


def _lookup_error(host: str) -> str:
    try:
        socket.getaddrinfo(host, 0)
    except socket.gaierror as e:
        return e.strerror
    pytest.skip(f"{host} resolves here")


def test_a_host_that_does_not_resolve_is_not_called_a_busy_port(tmp_path, capfd):
    from integrity_fixtures import run_cli

    path = tmp_path / "schedule.yaml"
    path.write_text('sources:\n  old: {url: "sqlite:///old.db"}\nreport_store: {url: "sqlite:///r.db", directory: out}\n')
    host = "no.such.host.invalid"
    assert run_cli(capfd, "report", "serve", "--host", host, "--port", "0", "--config", path) == (
        2, "", f"reconciler: cannot listen on {host}:0: {_lookup_error(host)} (the host name does not resolve: use "
               "--host with an address of this machine, 127.0.0.1 or 0.0.0.0, or service.host)\n")


def test_a_busy_port_says_so():
    from reconciler.errors import UsageError

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with pytest.raises(UsageError) as e:
            HealthServer(None, "127.0.0.1", port)
    assert str(e.value) == (f"cannot listen on 127.0.0.1:{port}: Address already in use "
                            "(another process has the port? use --port N or service.port)")
