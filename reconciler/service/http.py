"""GET /health/liveness, /health/readiness and /metrics for the scheduler service.

Liveness: the process answers. Readiness: 200 when the config is loaded, the report store
answers and the scheduler runs; 503 with the reason otherwise (the ECS health check)."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

log = logging.getLogger(__name__)


def readiness(service) -> tuple[bool, dict]:
    checks = {"config": "loaded", "store": "ok", "scheduler": "running"}
    try:
        service.store.ping()
    except Exception as e:  # noqa: BLE001 - any failure means not ready; the reason is shown
        checks["store"] = f"unavailable: {e}"
    if not service.scheduler_running():
        checks["scheduler"] = "stopping" if service.stop.is_set() else "not running"
    ready = checks["store"] == "ok" and checks["scheduler"] == "running"
    return ready, {"status": "ready" if ready else "not ready", "checks": checks}


def _handler(service):
    class Handler(BaseHTTPRequestHandler):
        server_version = "reconciler"

        def do_GET(self):  # noqa: N802 - http.server's name
            path = self.path.split("?", 1)[0].rstrip("/")
            if path == "/health/liveness":
                self._send(200, json.dumps({"status": "alive"}).encode(), "application/json")
            elif path == "/health/readiness":
                ready, doc = readiness(service)
                self._send(200 if ready else 503, json.dumps(doc).encode(), "application/json")
            elif path == "/metrics":
                service.refresh_metrics()
                body, content_type = service.metrics.render()
                self._send(200, body, content_type)
            else:
                self._send(404, b'{"error": "not found: /health/liveness, /health/readiness, /metrics"}',
                           "application/json")

        def _send(self, code: int, body: bytes, content_type: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):  # requests are not worth a log line each
            return

    return Handler


class HealthServer:
    """The HTTP endpoints in a daemon thread; `port` 0 takes any free port (see `.port`)."""

    def __init__(self, service, host: str, port: int):
        try:
            self.server = ThreadingHTTPServer((host, port), _handler(service))
        except OSError as e:
            from reconciler.errors import UsageError

            raise UsageError(f"cannot listen on {host}:{port} for health and metrics: {e.strerror} "
                             "(another process has the port? use --port N or service.port)") from None
        self.server.daemon_threads = True
        self.host, self.port = host, self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="health-http", daemon=True)

    def start(self) -> "HealthServer":
        self.thread.start()
        log.info("health and metrics on http://%s:%d", self.host, self.port,
                 extra={"event": "listening", "host": self.host, "port": self.port})
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
