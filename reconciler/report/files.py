"""Report files on disk: `<dir>/runs/<run>.html|.json` and `<dir>/index.html`, written
atomically (a temporary file renamed over the old one) and readable by the group (0644)."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from reconciler.report.html import RUNS_DIR, index_period, render_html, render_index
from reconciler.report.model import as_run_dict, context_hours, run_basename
from reconciler.results import RunResult, StoredRun

INDEX = "index.html"
FILE_MODE = 0o644


def render_json(run: RunResult | dict) -> str:
    """A run report's JSON: the stored run's dict (`ReportStore.get_run`, with its provenance) as
    it is, or a RunResult's `to_dict`."""
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


def missing_reports(store, directory, *, now: datetime, days: int = 7, gate: dict | None = None) -> list[dict]:
    """The runs the index lists whose HTML or JSON report is not on disk: stored by a process
    that stopped (killed, crashed, the disk full) between its commit and writing its files."""
    period, _ = index_period(now, days, gate)
    runs_dir = Path(directory) / RUNS_DIR
    return [run for run in store.runs_overlapping(period.start, max(period.end, now) + timedelta(seconds=1))
            if not all((runs_dir / f"{run_basename(run)}{suffix}").is_file() for suffix in (".html", ".json"))]


def write_index(store, directory, *, now: datetime | None = None, days: int = 7,
                generated_at: datetime | None = None, gate: dict | None = None) -> Path:
    """`now` places the timeline; `generated_at` (default: the clock, read after the runs
    were stored) is the time the page says it was made; `gate` heads the page when given.
    A run it lists whose report files are missing gets them first, so no link is dead."""
    now = now or _clock()
    generated_at = generated_at or max(now, _clock())
    for run in missing_reports(store, directory, now=now, days=days, gate=gate):
        write_reports(store, run["id"], directory, now=now, generated_at=generated_at, index=False)
    return _write_atomically(Path(directory) / INDEX, render_index(store, now, days, generated_at=generated_at,
                                                                   gate=gate))


def run_context(store, run: StoredRun | RunResult) -> dict[str, list[dict]]:
    """Per dataset of the run, the day of hours before its window's end, from the ledger."""
    run = run.run if isinstance(run, StoredRun) else run
    end = run.window.end if run.window is not None else run.as_of
    out = {}
    for compare in run.compares:
        if compare.window is None or compare.dataset in out:  # a snapshot has no hours
            continue
        ledger = store.ledger(compare.dataset, since=end - timedelta(days=1), until=end)
        out[compare.dataset] = context_hours(ledger, end)
    return out


def run_stories(store, run: StoredRun | RunResult) -> dict[str, dict[str, list[dict]]]:
    """Per dataset of the run with findings, per failing hour, the stories it belongs to, read
    from the store (only the failing stretches around the run's window: nothing for a run
    without findings)."""
    from reconciler.compare.findings.stories import build_stories
    from reconciler.report.html import run_href
    from reconciler.report.why import story_notes

    run_id = run.id if isinstance(run, StoredRun) else None
    run = run.run if isinstance(run, StoredRun) else run
    out = {}
    for compare in run.compares:
        if not compare.findings or compare.window is None or compare.dataset in out:
            continue
        stories = build_stories(store.findings.hours(compare.dataset, compare.window.start, compare.window.end))
        out[compare.dataset] = story_notes(stories, run_id, lambda first: run_href(first, from_runs_dir=True))
    return out


def write_reports(store, run_id, directory, *, now: datetime | None = None,
                  generated_at: datetime | None = None, gate: dict | None = None,
                  index: bool = True) -> tuple[Path, Path]:
    """The stored run's HTML and JSON reports, and a refreshed index unless `index` is false (a
    job storing several runs refreshes it once, after the last). Returns (html_path, json_path)."""
    now = now or _clock()
    generated_at = generated_at or max(now, _clock())
    document = store.get_run(run_id)
    stored = StoredRun.from_dict(document)
    base = Path(directory) / RUNS_DIR / run_basename(stored)
    html_path = _write_atomically(base.with_suffix(".html"),
                                  render_html(stored, index_href=f"../{INDEX}", generated_at=generated_at,
                                              context=run_context(store, stored), stories=run_stories(store, stored)))
    json_path = _write_atomically(base.with_suffix(".json"), render_json(document))
    if index:
        write_index(store, directory, now=now, generated_at=generated_at, gate=gate)
    return html_path, json_path
