"""verify's progress when stderr is not a terminal: one JSON object per line; a process
waiting for days another holds says so once per change (it polls twice a second)."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

from reconciler.verify.progress import VerifyProgress

UTC = timezone.utc


def test_json_lines_and_waiting_said_once_per_change():
    stream = io.StringIO()
    progress = VerifyProgress(stream, live=False)
    progress.start(verification=3, dataset="device_events", start=datetime(2026, 11, 20, tzinfo=UTC),
                   end=datetime(2026, 11, 22, tzinfo=UTC), days=2, done=0, resumed=True)
    progress.waiting(2)
    progress.waiting(2)
    progress.day({"day": datetime(2026, 11, 20, tzinfo=UTC), "equal": True, "old_count": 10, "new_count": 10,
                  "seconds": 0.5})
    progress.waiting(1)
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [e["event"] for e in events] == ["start", "waiting", "day", "waiting"]
    assert events[0] == {"event": "start", "verification": 3, "dataset": "device_events",
                         "start": "2026-11-20T00:00:00Z", "end": "2026-11-22T00:00:00Z", "days": 2, "done": 0,
                         "resumed": True}
    assert {k: events[2][k] for k in ("day", "equal", "old", "new", "done", "total")} == {
        "day": "2026-11-20", "equal": True, "old": 10, "new": 10, "done": 1, "total": 2}
    assert events[2]["eta_seconds"] is not None and events[2]["rows_per_second"] > 0
    assert (events[1]["days"], events[3]["days"]) == (2, 1)
