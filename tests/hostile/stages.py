"""Hostile stages: what a careless or hostile plugin's stage may print, return or raise.

Each stage is a module-level function, so the ``processes`` and ``dask`` workers find it by
name, and this file is also a plugin module: the CLI tests install its text as the plugin
``hostile`` (``plugin_dist("hostile", SOURCE)``), so the same stages run through the command
line, where workers find them by id. The host must survive each one with the same status
on every executor, and keep its stdout to itself.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

from gini_host import StageContext, hookimpl, stage

#: How deep :func:`deep` nests its value: far past the recursion limit (1000).
DEPTH = 100_000
#: The placeholder a stage's error gets when its ``__str__`` raises.
UNPRINTABLE_MESSAGE = "<unprintable UnprintableError: str() raised RuntimeError>"


class UnprintableError(Exception):
    """An exception that cannot be shown at all: ``str()`` and ``repr()`` both raise."""

    def __str__(self) -> str:
        raise RuntimeError("__str__ refuses")

    def __repr__(self) -> str:
        raise RuntimeError("__repr__ refuses")


class InterruptingStrError(Exception):
    """An exception whose ``__str__`` raises KeyboardInterrupt: plugin code, not a Ctrl-C."""

    def __str__(self) -> str:
        raise KeyboardInterrupt


class UnprintableInterrupt(KeyboardInterrupt):
    """A KeyboardInterrupt raised by plugin code, whose ``__str__`` raises."""

    def __str__(self) -> str:
        raise RuntimeError("no reason given")


class Unrepresentable:
    """A value whose ``repr()`` (and so ``str()``) raises."""

    def __repr__(self) -> str:
        raise ValueError("no repr for you")


#: What :class:`HangsWhenShown` waits for: set by the test when it is done (nobody else does).
RELEASE = threading.Event()


class HangsWhenShown:
    """A value whose ``repr()`` (so showing it, storing it) never returns until
    :data:`RELEASE` is set."""

    def __repr__(self) -> str:
        RELEASE.wait()
        return "HangsWhenShown()"

    def __reduce__(self) -> Any:
        RELEASE.wait()
        return (HangsWhenShown, ())


class HangsWhenLoaded:
    """A value whose unpickling (``__setstate__``, in the host for ``processes`` and
    ``dask``) never returns until :data:`RELEASE` is set."""

    def __setstate__(self, state: dict[str, Any]) -> None:
        RELEASE.wait()
        self.__dict__.update(state)


class InterruptingItems(dict[str, int]):
    """A dict whose ``items()`` raises KeyboardInterrupt: plugin code, not a Ctrl-C."""

    def items(self) -> Any:
        raise KeyboardInterrupt("raised by items(), not by a signal")

    def __iter__(self) -> Any:
        raise KeyboardInterrupt("raised by __iter__(), not by a signal")


@stage
def noisy(ctx: StageContext) -> str:
    print("noisy says hello")
    print("partial", end="")
    sys.stdout.write(" line\n")
    sys.stdout.flush()
    return "quiet result"


@stage
async def noisy_async(ctx: StageContext) -> str:
    print("async noise")
    return "async result"


@stage
def writes_bytes(ctx: StageContext) -> str:
    sys.stdout.buffer.write(b"bytes from a stage\n")
    sys.stdout.buffer.flush()
    return "bytes written"


@stage
def replaces_stdout(ctx: StageContext) -> str:
    """Not in :data:`STAGES` (it would take the test runner's stdout too): swaps
    ``sys.stdout`` for a stream of its own and never puts it back."""
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (left open on purpose)
    return "stdout replaced"


@stage
def prints_from_a_thread(ctx: StageContext) -> str:
    """A thread the stage starts has an empty context: its print is nobody's."""
    thread = threading.Thread(target=print, args=("printed from a thread",))
    thread.start()
    thread.join()
    return "threaded"


@stage
def noisy_describer(ctx: StageContext) -> str:
    return "ran"


@noisy_describer.dry_run
def _describe_noisily(ctx: StageContext) -> str:
    print("describing")
    return "described"


@stage
def raises_unprintable(ctx: StageContext) -> None:
    raise UnprintableError()


@stage
def raises_interrupting_str(ctx: StageContext) -> None:
    raise InterruptingStrError()


@stage
def raises_unprintable_interrupt(ctx: StageContext) -> None:
    """Not in :data:`STAGES`: what a KeyboardInterrupt from a stage means is the run's
    policy (it cancels the run today); only that nothing crashes is checked."""
    raise UnprintableInterrupt()


@stage
def self_referential(ctx: StageContext) -> dict[str, Any]:
    value: dict[str, Any] = {"name": "loop"}
    value["self"] = value
    return value


@stage
def deep(ctx: StageContext) -> list[Any]:
    value: list[Any] = ["bottom"]
    for _ in range(DEPTH):
        value = [value]
    return value


@stage
def unrepresentable(ctx: StageContext) -> dict[str, Any]:
    return {"thing": Unrepresentable()}


@stage
def huge(ctx: StageContext) -> dict[str, Any]:
    return {"blob": "x" * 1_000_000, "number": 10**5000}


@stage
def hangs_when_shown(ctx: StageContext) -> HangsWhenShown:
    """Not in :data:`STAGES`: its value hangs whoever shows it, until :data:`RELEASE`."""
    return HangsWhenShown()


@stage(timeout=1)
def hangs_when_loaded(ctx: StageContext) -> HangsWhenLoaded:
    """Not in :data:`STAGES`: its value hangs the host that unpickles it (other processes)."""
    value = HangsWhenLoaded()
    value.state = "set"  # type: ignore[attr-defined]
    return value


@stage
def interrupting_items(ctx: StageContext) -> InterruptingItems:
    """Not in :data:`STAGES`: its value raises KeyboardInterrupt when iterated."""
    return InterruptingItems(a=1)


@stage(requires=["self_referential", "deep", "unrepresentable", "huge"])
def reads_them_all(ctx: StageContext) -> str:
    """Values pass to dependents as they are (to workers too)."""
    # By name: in a plugin the ids are ``hostile::self_referential`` and so on.
    results = {sid.rpartition("::")[2]: value for sid, value in ctx.results.items()}
    loop = results["self_referential"]
    assert loop["self"] is loop
    return f"read {len(results['huge']['blob'])} characters"


#: Every stage above, in order, and what each ends as on every executor.
STAGES = (
    noisy,
    noisy_async,
    writes_bytes,
    prints_from_a_thread,
    noisy_describer,
    raises_unprintable,
    raises_interrupting_str,
    self_referential,
    deep,
    unrepresentable,
    huge,
    reads_them_all,
)
STATUSES = {
    "noisy": "succeeded",
    "noisy_async": "succeeded",
    "writes_bytes": "succeeded",
    "prints_from_a_thread": "succeeded",
    "noisy_describer": "succeeded",
    "raises_unprintable": "failed",
    "raises_interrupting_str": "failed",
    "self_referential": "succeeded",
    "deep": "succeeded",
    "unrepresentable": "succeeded",
    "huge": "succeeded",
    "reads_them_all": "succeeded",
}

#: This file's text: the ``hostile`` plugin for the CLI tests.
SOURCE = Path(__file__).read_text(encoding="utf-8")


@hookimpl
def gini_register_stages(host: Any) -> list[Any]:
    return [
        *STAGES,
        raises_unprintable_interrupt,
        replaces_stdout,
        hangs_when_shown,
        hangs_when_loaded,
        interrupting_items,
    ]
