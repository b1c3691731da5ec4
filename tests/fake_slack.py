"""A small local Slack: the Web API methods the notifier uses (chat.postMessage, chat.update,
conversations.history, conversations.replies) and an incoming-webhook endpoint, over real
HTTP, so the tests drive the real slack-sdk. It records every request it received."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

GOOD_TOKEN = "xoxb-test-SECRET-token-123"
WEBHOOK_PATH = "/services/T000/B000/WEBHOOKSECRET456"
CHANNEL_ID = "C0TESTCHAN"


class FakeSlack:
    def __init__(self, port: int = 0):
        self.messages: list[dict] = []      # chat.postMessage, in order
        self.updates: list[dict] = []       # chat.update
        self.webhook_posts: list[dict] = []
        self.webhook_answer = "ok"          # the body of the webhook's HTTP 200 (Slack's own: ok)
        self.raw_requests: list[str] = []   # every request line, header and body, for secret checks
        self.rate_limits = 0                # answer this many next requests with 429
        self.retry_after = "1"
        self.errors: list[str] = []         # next chat.postMessage calls answer ok=false with these
        self.needed = None
        self.hold = None                    # (posted Event, release Event): pause after recording a post
        self.lock = threading.Lock()
        self._ts = 1_700_000_000.0
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{WEBHOOK_PATH}"

    def start(self) -> "FakeSlack":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def next_ts(self) -> str:
        with self.lock:
            self._ts = max(self._ts + 0.000100, time.time())
            return f"{self._ts:.6f}"

    def top_level(self) -> list[dict]:
        return [m for m in self.messages if not m.get("thread_ts")]

    def replies(self, ts: str) -> list[dict]:
        return [m for m in self.messages if m.get("thread_ts") == ts]

    def _handler(self):
        return type("Handler", (_Handler,), {"fake": self})


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSlack  # set per server by FakeSlack._handler
    def log_message(self, *args):
        pass

    def _answer(self, status: int, body, headers=None):
        data = (json.dumps(body) if not isinstance(body, str) else body).encode()
        try:
            self._send(status, body, data, headers)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client was killed while we held its answer

    def _send(self, status, body, data, headers):
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if not isinstance(body, str) else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _args(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        self.fake.raw_requests.append(f"{self.command} {self.path}\n{self.headers}\n{raw}")
        args = dict(parse_qsl(urlsplit(self.path).query))
        if raw:
            if "json" in (self.headers.get("Content-Type") or ""):
                args.update(json.loads(raw))
            else:
                args.update(dict(parse_qsl(raw)))
        return args

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def _dispatch(self):
        args = self._args()
        with self.fake.lock:
            limited = self.fake.rate_limits > 0
            if limited:
                self.fake.rate_limits -= 1
        if limited:
            return self._answer(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": self.fake.retry_after})
        path = urlsplit(self.path).path
        if path == WEBHOOK_PATH:
            self.fake.webhook_posts.append(args)
            return self._answer(200, self.fake.webhook_answer)
        if path.startswith("/services/"):
            return self._answer(404, "no_service")
        method = path.rsplit("/", 1)[-1]
        if self.headers.get("Authorization") != f"Bearer {GOOD_TOKEN}":
            return self._answer(200, {"ok": False, "error": "invalid_auth"})
        handler = {"chat.postMessage": self._post, "chat.update": self._update,
                   "conversations.history": self._history,
                   "conversations.replies": self._replies,
                   "conversations.list": self._list}.get(method)
        if handler is None:
            return self._answer(200, {"ok": False, "error": "unknown_method"})
        return handler(args)

    def _post(self, args):
        if self.fake.errors:
            error = self.fake.errors.pop(0)
            body = {"ok": False, "error": error}
            if error == "missing_scope":
                body["needed"] = self.fake.needed or "chat:write"
            return self._answer(200, body)
        metadata = args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        message = {"channel": CHANNEL_ID, "ts": self.fake.next_ts(), "text": args.get("text"),
                   "blocks": args.get("blocks"), "thread_ts": args.get("thread_ts"), "metadata": metadata}
        self.fake.messages.append(message)
        if self.fake.hold is not None:
            posted, release = self.fake.hold
            posted.set()
            release.wait(30)
        return self._answer(200, {"ok": True, "channel": CHANNEL_ID, "ts": message["ts"],
                                  "message": {"text": message["text"]}})

    def _update(self, args):
        found = [m for m in self.fake.messages if m["ts"] == args.get("ts")]
        if not found:
            return self._answer(200, {"ok": False, "error": "message_not_found"})
        found[0].update(text=args.get("text"), blocks=args.get("blocks"))
        self.fake.updates.append(args)
        return self._answer(200, {"ok": True, "channel": CHANNEL_ID, "ts": args["ts"]})

    def _listing(self, messages):
        body = [{"ts": m["ts"], "text": m["text"], "metadata": m["metadata"]} for m in messages]
        return self._answer(200, {"ok": True, "messages": body, "has_more": False})

    def _list(self, args):
        return self._answer(200, {"ok": True, "channels": [{"id": "C0OTHER", "name": "general"},
                                                           {"id": CHANNEL_ID, "name": "migration-updates"}],
                                  "response_metadata": {"next_cursor": ""}})

    def _history(self, args):
        oldest = float(args.get("oldest") or 0)
        return self._listing([m for m in reversed(self.fake.messages)
                              if not m.get("thread_ts") and float(m["ts"]) >= oldest])

    def _replies(self, args):
        parent = args.get("ts")
        return self._listing([m for m in self.fake.messages if m["ts"] == parent or m.get("thread_ts") == parent])
