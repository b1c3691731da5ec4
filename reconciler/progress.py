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
