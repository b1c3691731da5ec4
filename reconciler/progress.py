"""Progress on stderr: a live status line on a terminal, plain log lines otherwise."""

from __future__ import annotations

import sys
import time


class Reporter:
    def __init__(self, enabled: bool = True, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.live = self.enabled and self.stream.isatty()
        self._status = None
        self._t0 = time.monotonic()

    def __enter__(self):
        if self.live:
            from rich.console import Console

            self._status = Console(file=self.stream).status("starting")
            self._status.__enter__()
        return self

    def __call__(self, message: str) -> None:
        if not self.enabled:
            return
        elapsed = time.monotonic() - self._t0
        if self._status is not None:
            self._status.update(f"{message}  [{elapsed:.1f}s]")
        else:
            print(f"[{elapsed:6.1f}s] {message}", file=self.stream, flush=True)

    def __exit__(self, *exc):
        if self._status is not None:
            self._status.__exit__(*exc)
        return False


class window_progress:
    """A bar over the windows of a backfill on a terminal; one log line per window otherwise."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self._bar = None
        self._task = None

    def __enter__(self):
        return self

    def __call__(self, done: int, total: int, window) -> None:
        if total <= 1:
            return
        if self.stream.isatty():
            if self._bar is None:
                from rich.console import Console
                from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

                self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TimeRemainingColumn(), console=Console(file=self.stream))
                self._bar.start()
                self._task = self._bar.add_task("judging", total=total)
            label = window.to_dict()["start"] if window is not None else "done"
            self._bar.update(self._task, completed=done, description=f"judging {label}")
        elif window is not None:
            print(f"[{done + 1}/{total}] judging {window.to_dict()['start']} → {window.to_dict()['end']}",
                  file=self.stream, flush=True)

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.stop()
        return False
