"""The worker side of running a stage in another process: boot the host once, run calls.

The ``processes`` executor's worker processes (:func:`process_main`) and the ``dask``
executor's worker plugin each hold one :class:`WorkerSide`;
:mod:`gini_host.stages.executors.remote` is the protocol and the host side.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import threading
import traceback
from multiprocessing.connection import Connection
from types import FrameType
from typing import TYPE_CHECKING, Any, Protocol, final

import attrs

from gini_host.errors import BoundaryError
from gini_host.logs import logger
from gini_host.shown import safe_repr
from gini_host.stages.attempt import call_body
from gini_host.stages.context import RunState, StageContext
from gini_host.stages.executors.remote import (
    PICKLE_PROTOCOL,
    TO_WORKER,
    ActivePlugin,
    StageCall,
    StageReply,
    dumps,
    plugin_fingerprint,
    resolve_function,
)
from gini_host.stages.results import ErrorInfo
from gini_host.stages.stage import Stage

if TYPE_CHECKING:
    from collections.abc import Sequence

    from gini_host.stages.manager import StageManager

__all__ = ["STOP", "BootedHost", "HostRecipe", "WorkerSide", "WorkerTerminated", "process_main"]

#: What the host sends a worker process to make it shut its host down and exit.
STOP = b""


def _log_sink(conn: Connection, lock: threading.Lock) -> Any:
    """A loguru sink in the worker that forwards each record to the host, which logs it."""

    def sink(message: Any) -> None:
        record = message.record
        extra = {
            k: v if isinstance(v, str | int | float | bool | None) else safe_repr(v)
            for k, v in record["extra"].items()
        }
        with lock:
            conn.send(("log", record["level"].name, record["message"], extra))

    return sink


def process_main(conn: Connection, boot: bytes | None) -> None:
    """A ``processes`` worker: boot once, then run calls until told to stop (or killed).

    It says ``("ready", fingerprint)`` or ``("boot-failed", traceback)`` once booted, then
    answers each call with ``("reply", bytes)``, forwarding log records as ``("log", ...)``.
    """
    # A process group of its own: what its stages start goes with it (the host ends the
    # group). The host decides what a Ctrl-C means (it ends workers); a terminal's SIGINT
    # must not kill a stage halfway.
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The worker inherited the host's stdout, which is the host's alone (``run --json``):
    # whatever reaches this process's descriptor 1 (a stage's print outside its label, a
    # subprocess it starts, a C extension) goes to stderr instead.
    os.dup2(2, 1)
    terminated = _on_sigterm()
    lock = threading.Lock()
    logger.remove()  # boot logs repeat the host's own; stage logs are forwarded below
    try:
        side = WorkerSide(boot)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            conn.send(("boot-failed", "".join(traceback.format_exception(exc))))
        return
    try:
        conn.send(("ready", side.fingerprint))
        logger.add(_log_sink(conn, lock), level=0, format="{message}")
        while not terminated.is_set():
            try:
                data = conn.recv_bytes()
            except (EOFError, OSError):
                break
            if data == STOP:
                break
            reply = side.run(data)
            if terminated.is_set():
                break  # the host gave this attempt up (a timeout, a cancel): no reply
            with lock:
                conn.send(("reply", reply))
    except WorkerTerminated:
        pass
    finally:
        logger.remove()
        # SIGTERM from now on only ends the shutdown hooks' grace early: the host SIGKILLs.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        side.shutdown()


class WorkerTerminated(BaseException):
    """Raised into a worker's main thread by SIGTERM: the host ended the worker (a timeout,
    a cancelled run, the end of the pool); what runs unwinds, then the host shuts down."""


def _on_sigterm() -> threading.Event:
    """Turn SIGTERM into :class:`WorkerTerminated` (once), and say that it came."""
    terminated = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        if terminated.is_set():
            return  # already unwinding: a second raise could cut the shutdown hooks short
        terminated.set()
        raise WorkerTerminated()

    signal.signal(signal.SIGTERM, handler)
    return terminated


class _SentResults(dict[str, Any]):
    """``ctx.results`` in a worker: a missing id says which results cross, not just KeyError."""

    def __missing__(self, key: str) -> Any:
        raise KeyError(
            f"{key!r}: in a worker process, ctx.results holds only the results of the stages "
            f"this stage requires ({', '.join(sorted(self)) or 'none'}); add {key!r} to its "
            "requires"
        )


class BootedHost(Protocol):
    """The host a worker boots from the run's recipe, as the worker side uses it (the
    kernel's ``Host`` satisfies it: the engine imports nothing from the kernel)."""

    stage_manager: StageManager

    def active_plugins(self) -> Sequence[ActivePlugin]: ...

    def shutdown(self) -> object: ...


class HostRecipe(Protocol):
    """What the host sends to boot a worker's host (the kernel's ``HostRecipe``)."""

    def build(self) -> BootedHost: ...


@final
class WorkerSide:
    """Worker side: the host booted from the recipe (once), and running calls against it."""

    def __init__(self, boot: bytes | None) -> None:
        self.host: BootedHost | None = None
        if boot is not None:
            recipe: HostRecipe = pickle.loads(boot)
            self.host = recipe.build()
        self._stages: dict[tuple[str, tuple[str, str] | None], Stage] = {}

    @property
    def fingerprint(self) -> tuple[tuple[str, str | None], ...]:
        return () if self.host is None else plugin_fingerprint(self.host)

    def shutdown(self) -> None:
        if self.host is not None:
            self.host.shutdown()

    def run(self, data: bytes) -> bytes:
        """Run one call, catching everything: the reply says what happened."""
        call: StageCall = pickle.loads(data)
        try:
            stage = self._stage(call)
            run = self._run_state(call)
            config = self._load(call.config, call.stage_id, "its config")
        except Exception as exc:  # a BoundaryError naming the value, or a stage not found
            return _reply_error(exc)
        ctx = StageContext(stage, run, config)
        try:
            value = call_body(stage, ctx)
        except BaseException as exc:
            return _reply_error(exc, _writes(run, stage.id))
        writes = _writes(run, stage.id)
        if isinstance(writes, StageReply):
            return pickle.dumps(writes, PICKLE_PROTOCOL)
        try:
            pickled = dumps(value)
        except BaseException as exc:  # plugin code (__reduce__) may raise anything
            crossing = ("its return value", ErrorInfo.describe(exc))
            return pickle.dumps(StageReply(writes=writes, crossing=crossing), PICKLE_PROTOCOL)
        return pickle.dumps(StageReply(value=pickled, writes=writes), PICKLE_PROTOCOL)

    def _stage(self, call: StageCall) -> Stage:
        cache_key = (call.stage_id, call.ref)
        stage = self._stages.get(cache_key)
        if stage is not None:
            return stage
        if call.spec is None:
            if self.host is None:
                raise LookupError(f"stage {call.stage_id!r}: this worker has no host")
            stage = self.host.stage_manager.get_stage(call.stage_id)
        elif call.ref is None:
            raise LookupError(f"stage {call.stage_id!r}: its function has no import name")
        else:
            stage = attrs.evolve(call.spec, function=resolve_function(*call.ref))
        assert stage is not None
        self._stages[cache_key] = stage
        return stage

    def _run_state(self, call: StageCall) -> RunState:
        run = RunState(call.run_id, host=self.host)
        values = _SentResults(
            (sid, self._load(blob, call.stage_id, f"results[{sid!r}]"))
            for sid, blob in call.results
        )
        run.values = values
        run.results = values  # the stage only reads it; _SentResults explains a missing id
        for blob, writer in call.store:
            key, value = self._load(blob, call.stage_id, "a shared-store value")
            run.store.set(key, value, writer)
        return run

    @staticmethod
    def _load(blob: bytes, sid: str, what: str) -> Any:
        try:
            return pickle.loads(blob)
        except Exception as exc:
            raise BoundaryError(sid, what, TO_WORKER, ErrorInfo.describe(exc)) from exc


def _writes(run: RunState, sid: str) -> tuple[bytes, ...] | StageReply:
    """The store entries this stage wrote, each pickled; or a reply naming one that won't."""
    writes = []
    for key, value, writer in run.store.entries():
        if writer != sid:
            continue
        try:
            writes.append(dumps((key, value)))
        except Exception as exc:
            return StageReply(
                writes=tuple(writes),
                crossing=(f"shared-store value ctx[{key!r}]", ErrorInfo.describe(exc)),
            )
    return tuple(writes)


def _reply_error(exc: BaseException, writes: tuple[bytes, ...] | StageReply = ()) -> bytes:
    if isinstance(writes, StageReply):  # the error wins; the unpicklable write is lost
        writes = writes.writes
    info = ErrorInfo.from_exception(exc)
    try:
        pickled: bytes | None = pickle.dumps(exc, PICKLE_PROTOCOL)
    except BaseException:  # a hostile __reduce__ may raise anything: the type name is kept
        pickled = None
    return pickle.dumps(StageReply(error=info, exception=pickled, writes=writes), PICKLE_PROTOCOL)
