"""What a running stage sees: its config, earlier results, a typed shared store, a logger.

One :class:`RunState` is shared by every stage of a run; each stage gets its own light
:class:`StageContext` view over it, so parallel stages never share mutable per-stage fields.
"""

from __future__ import annotations

import pickle
import sys
import threading
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast, final, overload

from gini_host.logs import logger
from gini_host.naming import import_object

if TYPE_CHECKING:
    from loguru import Logger

    from gini_host.stages.stage import Stage

__all__ = ["CancelEvent", "ContextKey", "ResultsView", "RunState", "SharedStore", "StageContext"]

T = TypeVar("T")
D = TypeVar("D")

_EMPTY: Mapping[str, Any] = MappingProxyType({})
#: Guards the lazy creation of each context's ``cancelled`` event (rare: only when polled).
_CREATE_EVENT = threading.Lock()


class CancelEvent(threading.Event):
    """``ctx.cancelled``: a ``threading.Event`` whose truth value is whether it is set.

    A plain Event is always true, so ``if ctx.cancelled: return`` (how the name reads) stopped
    every body at once and passed for a success; ``while not ctx.cancelled`` never ran.
    """

    def __bool__(self) -> bool:
        return self.is_set()


@final
class ContextKey(Generic[T]):
    """A typed key of the shared store, like pytest's ``StashKey``.

    Create one at module level (``REPORT = ContextKey[str]("report")``) and share the object:
    the store is keyed on identity, so two plugins can never clash on a string.

    A key crosses to worker processes (``processes`` and ``dask`` executors) by reference:
    it pickles as "the module-level name ``REPORT`` of module ``m``", so the worker finds its
    own object of the same identity. A key that is not a module-level name does not pickle.
    """

    __slots__ = ("_attribute", "module", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        #: The module that created the key, where pickling looks for its name.
        self.module: str | None = _creator_module()
        self._attribute: str | None = None

    def __repr__(self) -> str:
        return f"ContextKey({self.name!r})"

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        module = sys.modules.get(self.module or "")
        attribute = self._attribute
        stale = attribute is None or getattr(module, attribute, None) is not self
        if module is not None and stale:
            attribute = next((n for n, v in vars(module).items() if v is self), None)
            self._attribute = attribute
        if module is None or attribute is None or self.module in (None, "__main__"):
            raise pickle.PicklingError(
                f"{self!r} is not a module-level name of an importable module "
                f"(created in {self.module or 'an unknown module'}): keys that cross to worker "
                "processes must be defined at module level"
            )
        return (_key_by_reference, (self.module, attribute))


def _creator_module() -> str | None:
    """The module whose code created a key: ``ContextKey[str]("x")`` calls in via typing."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__") == "typing":
        frame = frame.f_back  # type: ignore[assignment]
    return frame.f_globals.get("__name__") if frame is not None else None


def _key_by_reference(module: str, attribute: str) -> ContextKey[Any]:
    key = import_object(f"{module}:{attribute}")
    if not isinstance(key, ContextKey):
        raise pickle.UnpicklingError(f"{module}.{attribute} is not a ContextKey")
    return key


@final
class SharedStore:
    """The typed store shared by the stages of one run; safe to use from parallel stages."""

    __slots__ = ("_lock", "_values", "_writers")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[ContextKey[Any], Any] = {}
        self._writers: dict[ContextKey[Any], str] = {}

    def get(self, key: ContextKey[T]) -> T:
        try:
            return cast(T, self._values[key])
        except KeyError:
            raise KeyError(self._missing_message(key)) from None

    def set(self, key: ContextKey[T], value: T, writer: str) -> None:
        with self._lock:
            self._values[key] = value
            self._writers[key] = writer

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def writers(self) -> dict[str, str]:
        """Key name -> id of the stage that last wrote it."""
        with self._lock:
            return {key.name: stage for key, stage in self._writers.items()}

    def items(self) -> list[tuple[ContextKey[Any], Any]]:
        with self._lock:
            return list(self._values.items())

    def entries(self) -> list[tuple[ContextKey[Any], Any, str]]:
        """Every (key, value, id of the stage that wrote it)."""
        with self._lock:
            return [(k, v, self._writers[k]) for k, v in self._values.items()]

    def _missing_message(self, key: ContextKey[Any]) -> str:
        written = self.writers()
        if not written:
            return f"no value for {key!r}: nothing has been written to the shared store yet"
        known = ", ".join(f"{name!r} (by {stage})" for name, stage in sorted(written.items()))
        return f"no value for {key!r}; keys written so far: {known}"


@final
class ResultsView(Mapping[str, Any]):
    """``ctx.results``: a read-only, live view of the return values of finished stages.

    Iterating it is safe while parallel stages finish: it iterates over a snapshot of the ids
    taken when the iteration starts (``list(dict)`` is one C call, atomic under the GIL), so
    the loop recording a result meanwhile cannot raise "dictionary changed size during
    iteration", as a plain dict view did. Values are never removed during a run, so every id
    of the snapshot can be looked up. Lookups cost what a dict lookup does; nothing is copied
    per stage.
    """

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getitem__(self, stage_id: str) -> Any:
        return self._values[stage_id]

    def __contains__(self, stage_id: object) -> bool:
        return stage_id in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._values))

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"ResultsView({self._values.copy()!r})"


class RunState:
    """State shared by every stage of one pipeline run."""

    __slots__ = ("cancelled", "dry_run", "host", "results", "run_id", "store", "values")

    def __init__(self, run_id: str, *, dry_run: bool = False, host: Any = None) -> None:
        self.run_id = run_id
        self.dry_run = dry_run
        self.host = host
        self.store = SharedStore()
        #: Return values of finished stages, by stage id; written only by the scheduling loop
        #: (or ``StageManager.execute_stage``), never removed.
        self.values: dict[str, Any] = {}
        self.results: Mapping[str, Any] = ResultsView(self.values)
        #: Set when the whole run is cancelled (``RunControl.cancel``: a signal, another
        #: thread, a KeyboardInterrupt in a stage). Fail-fast does not set it: it starts
        #: nothing new and lets running stages finish.
        self.cancelled: threading.Event = CancelEvent()


class StageContext:
    """The one argument of a stage function.

    ``ctx.config`` is this stage's own config table (an instance of its schema when the stage
    declares one with ``@stage(config=...)``), ``ctx.results["plugin::stage"]`` the return
    value of a finished stage, ``ctx[key]`` the typed shared store, ``ctx.log`` a loguru logger
    bound to the run and the stage, ``ctx.cancelled`` an event set when the stage should stop
    (timeout or cancelled run; true when set), ``ctx.host`` the running host or None.
    """

    __slots__ = ("_cancelled", "_log", "_run", "config", "stage", "worker")

    def __init__(self, stage: Stage, run: RunState, config: object = None) -> None:
        self.stage = stage
        #: Where the current attempt's body runs when not on the thread that runs the stage
        #: (``pid N``, a Dask scheduler): set by executors that send bodies elsewhere, read
        #: into :attr:`StageResult.worker`. None: the running thread, by its name.
        self.worker: str | None = None
        #: The stage's config table (read-only), or an instance of the stage's config schema
        #: (``@stage(config=Settings)``), which the host checked and defaulted before the run.
        # Inline, not a helper: this runs once per stage on the engine's hot path.
        if not config:
            self.config: Any = _EMPTY
        elif isinstance(config, Mapping):
            self.config = MappingProxyType(dict(config))
        else:
            self.config = config
        self._run = run
        self._log: Logger | None = None
        self._cancelled: threading.Event | None = None

    @property
    def stage_id(self) -> str:
        return self.stage.id

    @property
    def run_id(self) -> str:
        return self._run.run_id

    @property
    def dry_run(self) -> bool:
        return self._run.dry_run

    @property
    def host(self) -> Any:
        return self._run.host

    @property
    def results(self) -> Mapping[str, Any]:
        return self._run.results

    @property
    def log(self) -> Logger:
        # Bound lazily: most stages never log, and binding costs more than the rest of a no-op.
        if self._log is None:
            self._log = logger.bind(
                run_id=self._run.run_id, stage=self.stage.id, plugin=self.stage.plugin
            )
        return self._log

    @property
    def cancelled(self) -> threading.Event:
        # Created lazily, under a lock: without it a timeout's cancel() racing the body's first
        # poll made two events, and the body kept the one that was never set.
        event = self._cancelled
        if event is None:
            with _CREATE_EVENT:
                event = self._cancelled
                if event is None:
                    event = CancelEvent()
                    if self._run.cancelled.is_set():
                        event.set()
                    self._cancelled = event
        return event

    def next_attempt(self) -> StageContext:
        """A context for a retry after a timeout: same stage, run and config, not cancelled."""
        return StageContext(self.stage, self._run, self.config)

    def cancel(self) -> None:
        """Ask this stage to stop (its timeout passed or the run is cancelled)."""
        self.cancelled.set()

    @overload
    def get(self, key: ContextKey[T]) -> T | None: ...

    @overload
    def get(self, key: ContextKey[T], default: D) -> T | D: ...

    def get(self, key: ContextKey[T], default: object = None) -> object:
        """The stored value for ``key``, or ``default`` when no stage wrote it."""
        return self._run.store.get(key) if key in self._run.store else default

    def __getitem__(self, key: ContextKey[T]) -> T:
        return self._run.store.get(key)

    def __setitem__(self, key: ContextKey[T], value: T) -> None:
        if not isinstance(key, ContextKey):
            raise TypeError(f"shared store keys are ContextKey objects, got {key!r}")
        self._run.store.set(key, value, self.stage.id)

    def __contains__(self, key: object) -> bool:
        return key in self._run.store

    def __repr__(self) -> str:
        return f"<StageContext {self.stage.id} run={self._run.run_id}>"
