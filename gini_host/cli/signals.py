"""SIGINT and SIGTERM while the command line runs: stop a run cleanly, always shut down.

During a run the first signal asks the run to stop (:meth:`RunControl.interrupt`): nothing new
is scheduled, running stages see ``ctx.cancelled`` and get a grace period, the rest is marked
``cancelled`` and the partial result is still printed. A second signal stops waiting at once.
Outside a run a signal raises :class:`Interrupted` where the main thread is. Either way the
plugins' shutdown hooks run before the process exits with 130; signals that arrive while they
run are counted, not acted on, so no shutdown hook is cut short.

The handler only sets flags and calls ``RunControl.interrupt``: it must not log or print,
because it may run while the main thread holds the lock of a log sink or of ``sys.stderr``.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from gini_host.stages.control import RunControl

__all__ = ["Interrupted", "SignalGuard"]

#: 128 + SIGINT, what shells report for a process stopped by Ctrl-C.
_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """Raised into the main thread by a signal; a KeyboardInterrupt so the engine stops too."""

    def __init__(self, signal_name: str) -> None:
        self.signal_name = signal_name
        super().__init__(signal_name)


class SignalGuard:
    """Installs the handlers for one command and tells the command what happened."""

    def __init__(self) -> None:
        #: Name of the first signal received (``SIGINT`` or ``SIGTERM``), or None.
        self.received: str | None = None
        self.count = 0
        self._control: RunControl | None = None
        self._shutting_down = False
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        """Take over SIGINT and SIGTERM (only possible on the main thread; else a no-op)."""
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in _SIGNALS:
            self._previous[signum] = signal.getsignal(signum)
            signal.signal(signum, self._handle)

    def restore(self) -> None:
        """Put back the handlers that were there before :meth:`install`."""
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    @contextmanager
    def watching(self, control: RunControl) -> Iterator[RunControl]:
        """Route the first signal to ``control`` while a run is in progress."""
        self._control = control
        try:
            yield control
        finally:
            self._control = None

    @contextmanager
    def shutting_down(self) -> Iterator[None]:
        """Count but ignore signals while shutdown hooks run."""
        self._shutting_down = True
        try:
            yield
        finally:
            self._shutting_down = False

    def signal_received(self) -> bool:
        """Whether a real SIGINT/SIGTERM arrived (what a KeyboardInterrupt alone cannot say:
        plugin code may raise one itself, and that is the plugin's failure)."""
        return self.received is not None

    def check(self) -> None:
        """Raise :class:`Interrupted` if a signal arrived (e.g. one the boot pipeline absorbed)."""
        if self.received is not None:
            raise Interrupted(self.received)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        self.count += 1
        if self.received is None:
            self.received = name
        if self._shutting_down:
            return
        control = self._control
        if control is not None and self.count == 1:
            # May raise RunInterrupted into a stage body running on this thread.
            control.interrupt(name)
            return
        raise Interrupted(name)
