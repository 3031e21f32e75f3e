"""Cancelling a run from outside it: a signal handler, another thread, or a test."""

from __future__ import annotations

import threading
from collections.abc import Callable

from gini_host.errors import RunInterrupted
from gini_host.stages.context import RunState, StageContext

__all__ = ["RunControl", "RunInterrupted"]


class RunControl:
    """Cancels a run: stops scheduling, sets ``ctx.cancelled`` of running stages, wakes the loop.

    The CLI installs signal handlers that call :meth:`interrupt`; the executor marks what did
    not finish ``cancelled`` and keeps every result already produced.
    """

    def __init__(self) -> None:
        self.reason: str | None = None
        self._lock = threading.Lock()
        self._run: RunState | None = None
        self._running: dict[str, StageContext] = {}
        self._wake: Callable[[], None] | None = None
        self._inline = 0

    @property
    def cancelled(self) -> bool:
        return self.reason is not None

    def cancel(self, reason: str = "cancelled") -> None:
        """Request cancellation; safe from any thread and from signal handlers."""
        if self.reason is None:
            self.reason = reason
        if self._run is not None:
            self._run.cancelled.set()
        for ctx in list(self._running.values()):
            ctx.cancel()
        if self._wake is not None:
            self._wake()

    def interrupt(self, reason: str) -> None:
        """Cancel, and if a stage body is running on this (main) thread, stop it now.

        Meant for signal handlers: a stage sleeping or blocked on the main thread would not
        see ``ctx.cancelled`` until it wakes, so the handler raises into it instead.
        """
        self.cancel(reason)
        if self._inline and threading.current_thread() is threading.main_thread():
            raise RunInterrupted(reason)

    # The executor's side -------------------------------------------------------------------

    def attach(self, run: RunState, wake: Callable[[], None]) -> None:
        self._run = run
        self._wake = wake
        if self.reason is not None:
            run.cancelled.set()

    def detach(self) -> None:
        self._run = None
        self._wake = None
        self._running.clear()

    def started(self, ctx: StageContext) -> None:
        self._running[ctx.stage.id] = ctx
        if self.reason is not None:
            ctx.cancel()

    def finished(self, stage_id: str) -> None:
        self._running.pop(stage_id, None)

    def enter_inline(self) -> None:
        """A stage body starts on the main thread (the executor calls this only there)."""
        self._inline += 1

    def exit_inline(self) -> None:
        self._inline -= 1
