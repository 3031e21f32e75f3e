"""Calling the methods of a plugin's *values* from the host's own threads, under a time limit.

A stage's return value is plugin data, and showing or storing it calls the plugin's code:
``repr()``, a ``dict`` subclass's ``items()``, ``__reduce__`` when it is pickled for the
history. That code may hang, print, or raise ``KeyboardInterrupt``. Called on the main thread,
a ``__repr__`` that never returns hung ``gini-host run`` after its summary (the target values
and the JSON document never came, nor the shutdown hooks), and a ``KeyboardInterrupt`` from an
``items()`` looked like the operator's Ctrl-C.

So such calls run here: on one reused daemon thread (a handoff, a few microseconds), with what
they print sent to stderr under a label (:mod:`gini_host.capture`), and anything they raise
kept as the outcome, never raised in the caller. Past the limit the call is abandoned: its
thread is left to hang on its own (a daemon, it cannot keep the process alive) and a fresh
thread takes the next call. The caller's wait stays interruptible by a real signal.

Like :mod:`gini_host.capture`, it imports nothing from the kernel, the engine or the CLI, so
any of them may use it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import attrs

__all__ = ["BoundedCaller", "Outcome", "call_with_limit"]

T = TypeVar("T")


@attrs.define
class Outcome(Generic[T]):
    """How a bounded call ended: ``finished`` with ``value``, or with ``error`` (anything
    it raised); not finished when it ran past its limit and was abandoned."""

    finished: bool = False
    value: T | None = None
    error: BaseException | None = None


_Job = tuple[Callable[[], Any], str | None, Outcome[Any], threading.Event]


class BoundedCaller:
    """Runs calls one at a time on a daemon thread named ``name``, each within a limit."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._jobs: queue.SimpleQueue[_Job] | None = None
        self._lock = threading.Lock()

    def call(self, function: Callable[[], T], limit: float, label: str | None) -> Outcome[T]:
        """``function()`` on the worker thread; what it prints goes to stderr as
        ``[label] ...`` (``label`` None: as the calling context would have it)."""
        outcome: Outcome[T] = Outcome()
        done = threading.Event()
        with self._lock:
            if self._jobs is None:
                self._jobs = queue.SimpleQueue()
                thread = threading.Thread(
                    target=_work, args=(self._jobs,), name=self.name, daemon=True
                )
                thread.start()
            jobs = self._jobs
        jobs.put((function, label, outcome, done))
        if not done.wait(limit):
            with self._lock:
                if self._jobs is jobs:
                    self._jobs = None  # its thread is stuck: the next call gets a new one
        return outcome


def _work(jobs: queue.SimpleQueue[_Job]) -> None:
    from gini_host.capture import stdout_to_stderr

    while True:
        function, label, outcome, done = jobs.get()
        try:
            if label is None:
                outcome.value = function()
            else:
                with stdout_to_stderr(label):
                    outcome.value = function()
        except BaseException as exc:  # plugin code: KeyboardInterrupt is its own failure here
            outcome.error = exc
        outcome.finished = True
        done.set()
        del function, outcome, done  # keep no reference to the last value while idle


def call_with_limit(function: Callable[[], T], limit: float, name: str) -> Outcome[T]:
    """``function()`` on a daemon thread of its own, given ``limit`` seconds: for calls that
    may legitimately take long and must not queue behind one another (a stage's value
    unpickled in the host). Abandoned past the limit, as :meth:`BoundedCaller.call`."""
    outcome: Outcome[T] = Outcome()

    def run() -> None:
        try:
            outcome.value = function()
        except BaseException as exc:  # plugin code: reported to the caller, never raised here
            outcome.error = exc
        outcome.finished = True

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    thread.join(limit)
    return outcome
