"""Report files on disk: `<dir>/runs/<run>.html|.json` and `<dir>/index.html`, written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from reconciler.report.html import RUNS_DIR, render_html, render_index
from reconciler.report.model import as_run_dict, run_basename

INDEX = "index.html"


def render_json(run) -> str:
    return json.dumps(as_run_dict(run), indent=2, ensure_ascii=False) + "\n"


def _write_atomically(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def write_index(store, directory, *, now: datetime | None = None, days: int = 7, gate: dict | None = None) -> Path:
    now = now or datetime.now(timezone.utc)
    return _write_atomically(Path(directory) / INDEX, render_index(store, now, days, gate=gate))


def write_reports(store, run_id, directory, *, now: datetime | None = None,
                  gate: dict | None = None) -> tuple[Path, Path]:
    """The stored run's HTML and JSON reports, and a refreshed index. Returns (html_path, json_path)."""
    now = now or datetime.now(timezone.utc)
    run = store.get_run(run_id)
    base = Path(directory) / RUNS_DIR / run_basename(run)
    html_path = _write_atomically(base.with_suffix(".html"),
                                  render_html(run, index_href=f"../{INDEX}", generated_at=now))
    json_path = _write_atomically(base.with_suffix(".json"), render_json(run))
    write_index(store, directory, now=now, gate=gate)
    return html_path, json_path
