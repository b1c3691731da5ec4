"""Log lines for the service: one JSON object per line when stderr is not a terminal (log
collectors), plain text on a terminal. Passwords in URLs, Slack tokens and bearer tokens are masked in
every line, whatever the caller wrote."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import datetime, timezone

_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+@", re.IGNORECASE)
_SLACK_TOKEN = re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+")
_HOOK = re.compile(r"(hooks\.slack\.com/services/)\S+")
_BEARER = re.compile(r"(\bBearer\s+)[^\s\"',;]+", re.IGNORECASE)
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


def redact(text: str) -> str:
    text = _URL_PASSWORD.sub(r"\1***@", text)
    text = _SLACK_TOKEN.sub("xox*-***", text)
    text = _BEARER.sub(r"\1***", text)
    return _HOOK.sub(r"\1***", text)


class JsonFormatter(logging.Formatter):
    """{"time", "level", "logger", "message", ...extra fields, "error"}: one line each."""

    def format(self, record: logging.LogRecord) -> str:
        doc = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
               .replace("+00:00", "Z"), "level": record.levelname.lower(), "logger": record.name,
               "message": redact(record.getMessage())}
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and value is not None:
                doc[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            doc["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(doc, default=str, ensure_ascii=False)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure(level: int = logging.INFO, stream=None) -> None:
    """Replace the root handlers: JSON lines unless `stream` (stderr) is a terminal."""
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    if stream.isatty():
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    # our own lines at `level`; libraries' (Alembic, Great Expectations, APScheduler) from warnings on
    root.setLevel(level if level <= logging.DEBUG else logging.WARNING)
    logging.getLogger("reconciler").setLevel(level)
