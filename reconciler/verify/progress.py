"""Progress of a verification on stderr (stdout holds the report): on a terminal a bar with
days done, rows/s and ETA; otherwise one JSON object per line (start, day, waiting, done)."""

from __future__ import annotations

import json
import sys
import threading
import time

from reconciler.timeutil import iso

WAITING_REPEAT = 60.0


class VerifyProgress:
    def __init__(self, stream=None, live: bool | None = None):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.lock = threading.Lock()
        self.t0 = time.monotonic()
        self.total = self.done = self.done_here = self.rows = 0
        self._bar = self._task = None
        self._waited = (None, 0.0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.stop()
        return False

    def _emit(self, event: str, **fields) -> None:
        print(json.dumps({"event": event, **fields}, ensure_ascii=False), file=self.stream, flush=True)

    def rate(self) -> float:
        return self.rows / max(time.monotonic() - self.t0, 1e-9)

    def eta(self) -> float | None:
        if not self.done_here:
            return None
        return (time.monotonic() - self.t0) / self.done_here * (self.total - self.done)

    def start(self, *, verification, dataset, start, end, days, done, resumed) -> None:
        self.total, self.done, self.t0 = days, done, time.monotonic()
        if not self.live:
            self._emit("start", verification=verification, dataset=dataset, start=iso(start), end=iso(end),
                       days=days, done=done, resumed=resumed)
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("days  {task.fields[rate]} rows/s  ETA"), TimeRemainingColumn(),
                             console=Console(file=self.stream))
        self._bar.start()
        self.label = f"verifying {dataset}"
        self._task = self._bar.add_task(self.label, total=days, completed=done, rate="-")

    def day(self, record: dict) -> None:
        with self.lock:
            self.done += 1
            self.done_here += 1
            self.rows += record["old_count"] + record["new_count"]
            if self._bar is not None:
                self._bar.update(self._task, completed=self.done, description=self.label,
                                 rate=f"{self.rate():,.0f}".replace(",", "\u2009"))
                return
            eta = self.eta()
            self._emit("day", day=record["day"].date().isoformat(), equal=record["equal"], old=record["old_count"],
                       new=record["new_count"], seconds=record["seconds"], done=self.done, total=self.total,
                       rows_per_second=round(self.rate()), eta_seconds=None if eta is None else round(eta, 1))

    def waiting(self, days: int) -> None:
        """Days another process holds; said again only when their number changes or a
        minute has passed (the caller polls twice a second)."""
        now = time.monotonic()
        if days == self._waited[0] and now - self._waited[1] < WAITING_REPEAT:
            return
        self._waited = (days, now)
        if self._bar is not None:
            self._bar.update(self._task, description=f"waiting for {days} day(s) held by another process")
        else:
            self._emit("waiting", days=days)

    def finish(self, report) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=self.total)
            self._bar.stop()
            self._bar = None
        else:
            self._emit("done", verification=report.verification["id"], status=report.status,
                       differences=report.differences, seconds=round(report.seconds, 3))
