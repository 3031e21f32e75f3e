"""Where stage jobs run: inline (sequential) or on a pool of daemon threads.

A strategy only runs jobs and hands back their results; the one scheduling loop in
:mod:`gini_host.stages.executors` decides what runs when. Kedro's runners taught the shape:
strategies are small, the loop is shared.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from typing import ClassVar, Protocol

from gini_host.stages.results import StageResult

__all__ = ["Job", "SequentialStrategy", "Strategy", "ThreadStrategy"]

Job = Callable[[], StageResult]


class Strategy(Protocol):
    """Runs jobs the scheduling loop submits."""

    name: ClassVar[str]
    #: How many jobs may run at once; the loop never submits more.
    capacity: int

    def submit(self, job: Job, *, alone: bool) -> None:
        """Start ``job``; ``alone`` is True when nothing else is running or ready."""

    def wait(self, timeout: float | None) -> list[StageResult]:
        """Block until at least one job finished (or ``timeout``, or :meth:`wake`)."""

    def wake(self) -> None:
        """Make a blocked :meth:`wait` return now (cancellation)."""

    def close(self) -> None:
        """Release workers; jobs still running are abandoned, not joined."""


class SequentialStrategy:
    """Runs each job on the calling thread, at once: the cheapest way to run a plan."""

    name: ClassVar[str] = "sequential"

    def __init__(self, max_workers: int | None = None) -> None:
        self.capacity = 1
        self._done: list[StageResult] = []

    def submit(self, job: Job, *, alone: bool) -> None:
        self._done.append(job())

    def wait(self, timeout: float | None) -> list[StageResult]:
        done, self._done = self._done, []
        return done

    def wake(self) -> None:
        pass

    def close(self) -> None:
        pass


_WAKE = object()
_STOP = object()


class ThreadStrategy:
    """Runs jobs on up to ``max_workers`` daemon threads; a lone ready job runs inline.

    Daemon threads, not ``ThreadPoolExecutor``: the latter joins its workers at interpreter
    exit, so one stage blocked forever would keep a cancelled host from exiting.
    """

    name: ClassVar[str] = "threads"

    def __init__(self, max_workers: int | None = None) -> None:
        self.capacity = max(1, max_workers or os.cpu_count() or 1)
        self._jobs: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._done: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._lock = threading.Lock()

    def submit(self, job: Job, *, alone: bool) -> None:
        if alone:
            self._done.put(job())
            return
        with self._lock:
            # The loop never submits more than ``capacity`` jobs, so an idle worker or room
            # for a new one always exists.
            spawn = self._idle == 0
            if not spawn:
                self._idle -= 1
        if spawn:
            thread = threading.Thread(
                target=self._work, name=f"gini-stage-{len(self._threads)}", daemon=True
            )
            self._threads.append(thread)
            thread.start()
        self._jobs.put(job)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is _STOP:
                return
            assert callable(job)
            try:
                result = job()
            finally:
                with self._lock:
                    self._idle += 1
            self._done.put(result)

    def wait(self, timeout: float | None) -> list[StageResult]:
        try:
            first = self._done.get(timeout=timeout)
        except queue.Empty:
            return []
        items = [first]
        while True:
            try:
                items.append(self._done.get_nowait())
            except queue.Empty:
                break
        return [i for i in items if isinstance(i, StageResult)]

    def wake(self) -> None:
        self._done.put(_WAKE)

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put(_STOP)
