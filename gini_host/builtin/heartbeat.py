"""Off a terminal, a line now and then for stages that run long, so CI logs are not silent.

A live display shows running stages on a terminal; a log file or a CI job showed nothing
between a stage's start and its end, which for a twenty-minute stage looks like a hang
(issue 12). :class:`Heartbeat` is a daemon thread that, every ``interval`` seconds, writes
``still running: p::s (1m30s)`` for each stage that has been running at least that long.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

__all__ = ["DEFAULT_INTERVAL", "Heartbeat", "elapsed"]

#: Seconds between heartbeat lines; the reporter takes another (tests use a short one).
DEFAULT_INTERVAL = 30.0


def elapsed(seconds: float) -> str:
    """``45s``, ``1m30s``, ``2h05m``: how long, at the precision a log reader needs."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Heartbeat:
    """Writes a line per long-running stage every ``interval`` seconds until stopped.

    ``running`` returns stage id -> ``time.perf_counter()`` at its start (a snapshot, taken
    under the caller's lock); ``write`` writes one line (the caller serialises writes).
    """

    def __init__(
        self,
        interval: float,
        running: Callable[[], Mapping[str, float]],
        write: Callable[[str], None],
    ) -> None:
        self.interval = interval
        self._running = running
        self._write = write
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="gini-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            now = time.perf_counter()
            for stage_id, started in self._running().items():
                if now - started >= self.interval and not self._stop.is_set():
                    self._write(f"still running: {stage_id} ({elapsed(now - started)})")
