"""Measuring: medians of interleaved samples, and the Figure a suite reports.

Every figure is a ratio of two medians taken in the same process and the same run, the
engine against a floor (the least work that could do the same job), so figures compare
across machines and runs far better than absolute times do.

Single-threaded, CPU-bound work is timed with :func:`time.thread_time` (CPU time of the
calling thread): on a shared 2-core machine, wall time also counts the moments the process
waits for a core, which made the same figure swing by 50% between runs. Work that sleeps or
runs on several threads is timed with :func:`time.perf_counter`.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["CPU", "WALL", "Clock", "Figure", "compare", "median_seconds"]

Clock = Callable[[], float]
#: CPU time of the calling thread: for single-threaded, CPU-bound work.
CPU: Clock = time.thread_time
#: Wall time: for work that sleeps or runs on other threads.
WALL: Clock = time.perf_counter


@dataclass(frozen=True, slots=True)
class Figure:
    """One reported figure: ``value`` (the engine) against ``floor_value``; ``ratio`` is their
    quotient, derived so no suite can report a ratio its two values do not give.

    ``target`` is the highest acceptable ratio; ``unit`` is the unit of both values.
    ``guarded`` False leaves the figure out of ``--check`` and the baseline: for ratios whose
    noise is another program's (a peer's run time), which would fail the guard at random.
    """

    name: str
    value: float
    floor_value: float
    target: float
    unit: str
    note: str = ""
    guarded: bool = True

    @property
    def ratio(self) -> float:
        return self.value / self.floor_value

    @property
    def met(self) -> bool:
        return self.ratio <= self.target


def _sample(
    function: Callable[[], object], setup: Callable[[], object] | None, clock: Clock
) -> float:
    if setup is not None:
        setup()
    # As timeit does: collections would land on whichever side happened to allocate last.
    gc.collect()
    gc.disable()
    try:
        start = clock()
        function()
        return clock() - start
    finally:
        gc.enable()


def median_seconds(
    function: Callable[[], object],
    samples: int,
    *,
    setup: Callable[[], object] | None = None,
    warmup: int = 1,
    clock: Clock = WALL,
) -> float:
    """Median time of ``samples`` calls of ``function`` (``setup`` untimed before each)."""
    for _ in range(warmup):
        _sample(function, setup, clock)
    return statistics.median(_sample(function, setup, clock) for _ in range(samples))


def compare(
    subject: Callable[[], object],
    floor: Callable[[], object],
    samples: int,
    *,
    warmup: int = 1,
    clock: Clock = CPU,
) -> tuple[float, float]:
    """Medians of ``subject`` and ``floor``, sampled alternately so drift hits both alike."""
    for _ in range(warmup):
        _sample(subject, None, clock)
        _sample(floor, None, clock)
    subject_times: list[float] = []
    floor_times: list[float] = []
    for _ in range(samples):
        subject_times.append(_sample(subject, None, clock))
        floor_times.append(_sample(floor, None, clock))
    return statistics.median(subject_times), statistics.median(floor_times)
