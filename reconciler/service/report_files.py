"""Which file of the reports directory a `/reports/...` request may read, and nothing else.

Served read-only: the HTML and JSON reports (and images, stylesheets) under the directory,
`/reports/` itself being its index.html. Refused: any `.` or `..` segment, percent-encoded or
not; an absolute path; a symlink whose target is outside the directory; hidden files; every
other kind of file (the SQLite report store usually lives in the same directory); directories,
since nothing is listed."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

PREFIX = "/reports/"
INDEX = "index.html"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".css": "text/css; charset=utf-8",
}


@dataclass(frozen=True)
class Lookup:
    """`status` 200 with the file to send, or the refusal (403, 404) and why."""

    status: int
    path: Path | None = None
    content_type: str | None = None
    reason: str = ""


def find_report_file(directory: Path | str, request_path: str) -> Lookup:
    """`request_path` is the URL path after `/reports/`, still percent-encoded, no query."""
    try:
        relative = unquote(request_path, errors="strict")
    except UnicodeDecodeError:
        return Lookup(404, reason="not found")
    if "\x00" in relative or "\\" in relative:
        return Lookup(403, reason="refused: a NUL or backslash in the path")
    if relative.startswith("/"):
        return Lookup(403, reason="refused: an absolute path")
    parts = relative.split("/")
    if any(part in (".", "..") for part in parts):
        return Lookup(403, reason="refused: '.' and '..' are not followed")
    if any(part.startswith(".") for part in parts):
        return Lookup(404, reason="not found")
    if relative == "":
        relative = INDEX
    root = os.path.realpath(directory)
    target = os.path.realpath(os.path.join(root, relative))
    if os.path.commonpath([root, target]) != root:
        return Lookup(403, reason="refused: the path leads outside the reports directory")
    if os.path.isdir(target):
        return Lookup(404, reason="not found: directories are not listed")
    content_type = CONTENT_TYPES.get(os.path.splitext(target)[1].lower())
    if content_type is None:
        return Lookup(403, reason="refused: only reports (.html, .json) and their images are served")
    if not os.path.isfile(target):
        if relative == INDEX:
            return Lookup(404, reason="no report yet: the index is written after the first stored run "
                                      "(or by `reconciler report open`)")
        return Lookup(404, reason="not found")
    return Lookup(200, Path(target), content_type)
