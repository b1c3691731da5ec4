"""Report files on disk: `<dir>/runs/<run>.html|.json` and `<dir>/index.html`, written
atomically (a temporary file renamed over the old one) and readable by the group (0644)."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from reconciler.report.html import RUNS_DIR, render_html, render_index
from reconciler.report.model import as_run_dict, context_hours, run_basename
from reconciler.timeutil import parse_time

INDEX = "index.html"
FILE_MODE = 0o644


def render_json(run) -> str:
    return json.dumps(as_run_dict(run), indent=2, ensure_ascii=False) + "\n"


def _write_atomically(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _clock() -> datetime:
    return datetime.now(timezone.utc)


def write_index(store, directory, *, now: datetime | None = None, days: int = 7,
                generated_at: datetime | None = None, gate: dict | None = None) -> Path:
    """`now` places the timeline; `generated_at` (default: the clock, read after the runs
    were stored) is the time the page says it was made; `gate` heads the page when given."""
    now = now or _clock()
    generated_at = generated_at or max(now, _clock())
    return _write_atomically(Path(directory) / INDEX, render_index(store, now, days, generated_at=generated_at,
                                                                   gate=gate))


def run_context(store, run: dict) -> dict[str, list[dict]]:
    """Per dataset of the run, the day of hours before its window's end, from the ledger."""
    end = parse_time(run["window"]["end"], _clock())
    out = {}
    for compare in run.get("compares", []):
        if compare.get("mode") == "snapshot" or compare["dataset"] in out:
            continue
        ledger = store.ledger(compare["dataset"], since=end - timedelta(days=1), until=end)
        out[compare["dataset"]] = context_hours(ledger, end)
    return out


def write_reports(store, run_id, directory, *, now: datetime | None = None,
                  generated_at: datetime | None = None, gate: dict | None = None) -> tuple[Path, Path]:
    """The stored run's HTML and JSON reports, and a refreshed index. Returns (html_path, json_path)."""
    now = now or _clock()
    generated_at = generated_at or max(now, _clock())
    run = store.get_run(run_id)
    base = Path(directory) / RUNS_DIR / run_basename(run)
    html_path = _write_atomically(base.with_suffix(".html"),
                                  render_html(run, index_href=f"../{INDEX}", generated_at=generated_at,
                                              context=run_context(store, run)))
    json_path = _write_atomically(base.with_suffix(".json"), render_json(run))
    write_index(store, directory, now=now, generated_at=generated_at, gate=gate)
    return html_path, json_path
