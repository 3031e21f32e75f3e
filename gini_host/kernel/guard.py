"""Running untrusted plugin code at boot: under a time limit, with stdout kept for the host,
and whatever it raises turned into a :class:`~gini_host.errors.PluginHookError`.

Plugin code (an import, a boot hook) runs on a daemon worker thread while the calling thread
watches the clock (``[plugins] hook_timeout`` seconds per call). Past the limit the call is
abandoned: its thread is left to finish or hang on its own (a daemon, it cannot keep the
process alive), whatever it returns later is dropped, a new worker takes the next calls, and
the plugin fails with :class:`~gini_host.errors.PluginTimeoutError`. The waiting thread stays
interruptible: a real SIGINT/SIGTERM raises in it (Python runs signal handlers on the main
thread, and a timed lock wait is interrupted by them), so Ctrl-C during boot exits 130 at
once, even while a hook hangs.

Because plugin code runs on another thread, a ``KeyboardInterrupt`` or ``SystemExit`` it
raises cannot be mistaken for the operator's signal: it is the plugin's failure like any
other exception. With the limit off (``hook_timeout = 0``) the code runs on the calling
thread, and ``signal_received`` (the CLI's signal guard) tells a real Ctrl-C from a plugin's
``raise KeyboardInterrupt``.

Cost, measured (2 cores, Python 3.11, 500 plugins): a new thread per call tripled the boot's
CPU time. So one worker thread is reused, and work is handed over in batches (the imports of
all plugins; the hooks of plugins that do not depend on each other): the worker runs the calls
back to back, noting which one runs since when, and the caller sleeps until that call's
deadline instead of waking for each. The forwarder of stdout is held for the batch, so each
call only sets its label. A single call through :meth:`PluginCodeRunner.call` still costs a
handoff, about 7 us.
"""

from __future__ import annotations

import contextvars
import signal
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

import attrs

from gini_host import capture
from gini_host.capture import stdout_to_stderr
from gini_host.errors import PluginHookError, PluginTimeoutError

__all__ = ["PluginCall", "PluginCodeRunner", "SignalProbe"]

T = TypeVar("T")

#: Whether a real SIGINT/SIGTERM has arrived (the CLI's signal guard knows); None: unknown,
#: so a KeyboardInterrupt on the calling thread is taken as the operator's.
SignalProbe = Callable[[], bool] | None

_PENDING: Final = object()


@attrs.define
class PluginCall:
    """One piece of plugin code to run: ``function()`` for ``plugin`` (``what`` names the
    import or hook, for messages). A function that calls several hooks in turn calls
    :meth:`mark` before each: the limit then applies to each hook, and a timeout names it."""

    plugin: str
    what: str
    function: Callable[[], Any]
    since: float = 0.0

    def mark(self, what: str) -> None:
        """A new hook starts now (on the worker thread)."""
        self.what, self.since = what, time.monotonic()


class _Batch:
    """Calls handed to a worker, and how far it got; guarded by ``cond``."""

    def __init__(self, calls: Sequence[PluginCall]) -> None:
        self.calls = calls
        self.outcomes: list[Any] = [_PENDING] * len(calls)
        self.cond = threading.Condition()
        #: Which call runs, since when (monotonic); -1 before the first.
        self.current = -1
        self.started = 0.0
        #: Bumped when a worker is abandoned: an older worker's results are dropped.
        self.generation = 0
        self.finished = False

    def work(self, generation: int, start: int) -> None:
        """Run calls ``start`` onwards (on a worker thread) until done or abandoned."""
        for index in range(start, len(self.calls)):
            with self.cond:
                if generation != self.generation:
                    return
                self.current, self.started = index, time.monotonic()
            call = self.calls[index]
            entry = capture.enter(call.plugin)  # the caller holds the forwarder: cheap
            try:
                outcome: Any = (True, call.function())
            except BaseException as exc:  # the plugin's, whatever it is
                outcome = (False, exc)
            finally:
                capture.leave(entry)
            with self.cond:
                if generation != self.generation:
                    return  # abandoned meanwhile: its outcome is no longer wanted
                self.outcomes[index] = outcome
        with self.cond:
            if generation == self.generation:
                self.finished = True
                self.cond.notify_all()


class _Worker:
    """A daemon thread that runs one batch after another until abandoned."""

    def __init__(self) -> None:
        self._tasks: list[tuple[_Batch, int, int, contextvars.Context]] = []
        self._ready = threading.Condition()
        thread = threading.Thread(target=self._loop, name="gini-host plugin code", daemon=True)
        thread.start()

    def submit(self, batch: _Batch, generation: int, start: int) -> None:
        context = contextvars.copy_context()  # the caller's log bindings and plugin follow
        with self._ready:
            self._tasks.append((batch, generation, start, context))
            self._ready.notify()

    def _loop(self) -> None:
        # The operator's SIGINT/SIGTERM must reach the main thread, which waits for this one:
        # a signal the kernel hands to a thread blocked here would leave the main thread
        # asleep until the limit (seen: 30 s after Ctrl-C). Threads plugin code starts from
        # here inherit the mask.
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        while True:
            with self._ready:
                while not self._tasks:
                    self._ready.wait()
                batch, generation, start, context = self._tasks.pop(0)
            context.run(batch.work, generation, start)


class PluginCodeRunner:
    """Runs plugin code for the kernel; one per host (its worker is reused across calls)."""

    def __init__(self) -> None:
        #: Limit on each call, in seconds (None: none; the code then runs on the caller).
        self.timeout: float | None = 60.0
        #: Tells a real signal from a plugin's own KeyboardInterrupt (set by the CLI).
        self.signal_received: SignalProbe = None
        self._worker: _Worker | None = None
        self._pins: list[Any] = []

    def call(self, plugin: str, what: str, function: Callable[[], T]) -> T:
        """``function()`` as plugin code: anything it raises, ``KeyboardInterrupt`` and
        ``SystemExit`` included, comes out as :class:`PluginHookError` (the original as
        ``__cause__``); past the limit :class:`PluginTimeoutError`. Only a real signal's
        ``KeyboardInterrupt`` goes through as itself."""
        outcome = self.run([PluginCall(plugin, what, function)])[0]
        if isinstance(outcome, PluginHookError):
            raise outcome
        return outcome  # type: ignore[no-any-return]

    def run(self, calls: Sequence[PluginCall]) -> list[Any]:
        """Run ``calls`` in order; each outcome is what the call returned, or the
        :class:`PluginHookError` (a :class:`PluginTimeoutError` past the limit) it caused."""
        if not self.timeout:
            return [self._here(call) for call in calls]
        batch = _Batch(calls)
        with capture.hold():
            self._submit(batch, 0)
            self._watch(batch, self.timeout)
        return [
            self._outcome(call, outcome)
            for call, outcome in zip(calls, batch.outcomes, strict=True)
        ]

    def _submit(self, batch: _Batch, start: int) -> None:
        if self._worker is None:
            self._worker = _Worker()
        self._worker.submit(batch, batch.generation, start)

    def _watch(self, batch: _Batch, timeout: float) -> None:
        """Sleep until the batch is done or its running call is past its deadline; abandon
        such a call (and its worker) and go on with the next one on a new worker."""
        with batch.cond:
            try:
                while not batch.finished:
                    if batch.current < 0:
                        batch.cond.wait(timeout)  # woken when done; the worker is starting
                        continue
                    started = max(batch.started, batch.calls[batch.current].since)
                    left = started + timeout - time.monotonic()
                    if left > 0:
                        batch.cond.wait(left)
                        continue
                    stuck = batch.current
                    call = batch.calls[stuck]
                    batch.outcomes[stuck] = PluginTimeoutError(call.plugin, call.what, timeout)
                    batch.generation += 1
                    self._worker = None  # stuck in that call: the next calls need another
                    self._keep_forwarder()
                    if stuck + 1 < len(batch.calls):
                        batch.current = -1
                        self._submit(batch, stuck + 1)
                    else:
                        batch.finished = True
            except BaseException:
                # A real signal (or another error of the host's) while waiting: the worker's
                # results are no longer wanted, and it must start no further call.
                batch.generation += 1
                self._worker = None
                raise

    def _keep_forwarder(self) -> None:
        """An abandoned call may print whenever it wakes up: keep stdout forwarded for the
        rest of the process (its label is still set on its thread)."""
        pin = capture.hold()
        pin.__enter__()
        self._pins.append(pin)

    @staticmethod
    def _outcome(call: PluginCall, outcome: Any) -> Any:
        if isinstance(outcome, PluginTimeoutError):
            return outcome
        ok, value = outcome
        if ok:
            return value
        error = PluginHookError(call.plugin, call.what, value)
        error.__cause__ = value
        return error

    def _here(self, call: PluginCall) -> Any:
        try:
            with stdout_to_stderr(call.plugin):
                return call.function()
        except KeyboardInterrupt as exc:
            if self.signal_received is None or self.signal_received():
                raise
            return self._outcome(call, (False, exc))
        except BaseException as exc:  # the plugin's, whatever it is
            return self._outcome(call, (False, exc))
