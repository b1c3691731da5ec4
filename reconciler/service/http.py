"""The service's HTTP endpoints: GET /health/liveness, /health/readiness, /metrics, and the
report directory, read-only, under /reports/.

Liveness: the process answers. Readiness: 200 when the config is loaded, the report store
answers and the scheduler runs; 503 with the reason otherwise (the ECS health check).
`reconciler report serve` runs the same server with no scheduler: liveness and /reports/."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from reconciler.service.report_files import PREFIX, find_report_file

log = logging.getLogger(__name__)


def store_answers(service) -> tuple[bool, str]:
    """Ping the report store; the answer also sets the `reconciler_store_up` gauge."""
    try:
        service.store.ping()
        ok, why = True, "ok"
    except Exception as e:  # noqa: BLE001 - any failure means unreachable; the reason is shown
        ok, why = False, f"unavailable: {e}"
    service.metrics.store_up.set(1 if ok else 0)
    return ok, why


def readiness(service) -> tuple[bool, dict]:
    checks = {"config": "loaded", "store": "ok", "scheduler": "running"}
    _, checks["store"] = store_answers(service)
    if not service.scheduler_running():
        checks["scheduler"] = "stopping" if service.stop.is_set() else "not running"
    ready = checks["store"] == "ok" and checks["scheduler"] == "running"
    return ready, {"status": "ready" if ready else "not ready", "checks": checks}


class Handler(BaseHTTPRequestHandler):
    """Routes of one request; `self.server.service` (None for `report serve`) and
    `self.server.reports` (the report directory, or None) say what is served."""

    server_version = "reconciler"

    def do_GET(self):  # noqa: N802 - http.server's name
        self._route(body=True)

    def do_HEAD(self):  # noqa: N802
        self._route(body=False)

    def _route(self, body: bool) -> None:
        self.body = body
        path = urlsplit(self.path).path
        service, reports = self.server.service, self.server.reports
        if reports is not None and path.startswith(PREFIX):
            return self._report_file(reports, path[len(PREFIX):])
        if reports is not None and path in ("", "/", PREFIX.rstrip("/")):
            return self._redirect(PREFIX)
        path = path.rstrip("/")
        if path == "/health/liveness":
            return self._json(200, {"status": "alive"})
        if service is not None and path == "/health/readiness":
            ready, doc = readiness(service)
            return self._json(200 if ready else 503, doc)
        if service is not None and path == "/metrics":
            store_answers(service)
            service.refresh_metrics()
            return self._send(200, *service.metrics.render())
        self._json(404, {"error": "not found", "paths": self.server.paths})

    def _report_file(self, directory: Path, relative: str) -> None:
        found = find_report_file(directory, relative)
        if found.status != 200:
            return self._send(found.status, (found.reason + "\n").encode(), "text/plain; charset=utf-8")
        try:
            data = found.path.read_bytes()
        except OSError:
            return self._send(404, b"not found\n", "text/plain; charset=utf-8")
        self._send(200, data, found.content_type, {"Cache-Control": "no-cache"})

    def _redirect(self, location: str) -> None:
        self._send(301, f"see {location}\n".encode(), "text/plain; charset=utf-8", {"Location": location})

    def _json(self, code: int, doc: dict) -> None:
        self._send(code, json.dumps(doc).encode(), "application/json")

    def _send(self, code: int, data: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.body:
            self.wfile.write(data)

    def log_message(self, fmt, *args):  # requests are not worth a log line each
        return


def _listen_hint(e: OSError) -> str:
    """What to do about a socket that cannot be bound, by cause: a host name that does not
    resolve is not a busy port."""
    import errno
    import socket

    if isinstance(e, socket.gaierror):
        return (" (the host name does not resolve: use --host with an address of this machine, 127.0.0.1 or "
                "0.0.0.0, or service.host)")
    if e.errno == errno.EADDRINUSE:
        return " (another process has the port? use --port N or service.port)"
    if e.errno == errno.EADDRNOTAVAIL:
        return " (not an address of this machine: use --host 127.0.0.1, 0.0.0.0 or service.host)"
    if e.errno == errno.EACCES:
        return " (ports below 1024 need privileges: use --port N above 1023 or service.port)"
    return ""


class HealthServer:
    """The HTTP endpoints in a daemon thread. The socket is bound at construction (`port` 0
    takes any free port: see `.port`), so the address is known before the service starts;
    `service` may be attached later, and None serves only liveness and the reports."""

    def __init__(self, service, host: str, port: int, reports: Path | str | None = None):
        try:
            self.server = ThreadingHTTPServer((host, port), Handler)
        except OSError as e:
            from reconciler.errors import UsageError

            raise UsageError(f"cannot listen on {host}:{port}: {e.strerror}{_listen_hint(e)}") from None
        self.server.daemon_threads = True
        self.server.reports = Path(reports) if reports is not None else None
        self.attach(service)
        self.host, self.port = host, self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="health-http", daemon=True)

    def attach(self, service) -> "HealthServer":
        self.server.service = service
        paths = ["/health/liveness"] + (["/health/readiness", "/metrics"] if service is not None else [])
        self.server.paths = paths + ([PREFIX] if self.server.reports is not None else [])
        return self

    @property
    def url(self) -> str:
        return f"http://{display_host(self.host)}:{self.port}"

    def start(self) -> "HealthServer":
        self.thread.start()
        log.info("serving %s on %s", ", ".join(self.server.paths), self.url,
                 extra={"event": "listening", "host": self.host, "port": self.port})
        return self

    def close(self) -> None:
        if self.thread.is_alive():  # shutdown() waits for serve_forever, which never ran otherwise
            self.server.shutdown()
        self.server.server_close()


def display_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def served_at(loaded, host: str, port: int):
    """The config as the server bound at host:port sees it: `service.host`/`port` are the real
    ones, and links default to its /reports/ unless `notify.report_base_url` was set."""
    cfg = loaded.config
    service = cfg.service.model_copy(update={"host": host, "port": port})
    notify = cfg.notify
    if not notify.report_base_url or notify.report_base_url == cfg.service.reports_url:
        notify = notify.model_copy(update={"report_base_url": service.reports_url})
    return replace(loaded, config=cfg.model_copy(update={"service": service, "notify": notify}))
