"""Threads that plugin code leaves behind, and how the command line still exits.

Python joins every non-daemon thread before the interpreter exits, so one thread a stage
started and never ended kept ``gini-host`` alive after it printed its result, deaf to
Ctrl-C (issue 11). After the command's result is printed and the plugins are shut down, the
command line names each such thread (with the stage or plugin whose code it runs, when its
code says so) in a warning, and :func:`exit_process` exits without joining them.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from gini_host.kernel.host import Host

__all__ = ["describe", "exit_process", "leftover_threads"]


def leftover_threads() -> list[threading.Thread]:
    """Live non-daemon threads besides the main one: what interpreter exit would wait for."""
    main = threading.main_thread()
    return [t for t in threading.enumerate() if t is not main and not t.daemon and t.is_alive()]


def _modules(thread: threading.Thread) -> list[str]:
    """The modules of the thread's code: its target, then every frame of its stack."""
    names: list[str] = []
    target = getattr(thread, "_target", None)  # Thread(target=...); a subclass has run()
    code_owner = target if target is not None else type(thread).run
    module = getattr(code_owner, "__module__", None)
    if isinstance(module, str):
        names.append(module)
    frame = sys._current_frames().get(thread.ident or -1)
    while frame is not None:
        name = frame.f_globals.get("__name__")
        if isinstance(name, str) and name not in names:
            names.append(name)
        frame = frame.f_back
    return [n for n in names if n != "threading"]


def _owners(modules: Iterable[str], host: Host | None, ran: Collection[str]) -> str:
    """Which stages (of those that ran, when some did) or else plugins of ``host`` the
    modules belong to, for the warning."""
    if host is None:
        return ""
    modules = set(modules)
    stages = sorted(
        s.id
        for s in host.stages
        if getattr(s.function, "__module__", None) in modules and (not ran or s.id in ran)
    )
    if stages:
        return f" started by stage {' or '.join(stages)}"
    plugins = sorted(
        info.name for info in host.plugins if _plugin_module(info.obj, info.entry_point) in modules
    )
    return f" started by plugin {', '.join(plugins)}" if plugins else ""


def _plugin_module(obj: object, entry_point: str | None) -> str | None:
    name = getattr(obj, "__name__", None) if type(obj).__name__ == "module" else None
    if isinstance(name, str):
        return name
    if entry_point:
        return entry_point.partition(":")[0].strip() or None
    module = getattr(type(obj), "__module__", None)
    return module if isinstance(module, str) else None


def describe(thread: threading.Thread, host: Host | None, ran: Collection[str] = ()) -> str:
    """``thread 'worker' (leaky) started by stage leaky::spawn``, as far as is known; ``ran``
    are the ids of the stages the command ran, the likelier owners."""
    modules = _modules(thread)
    where = f" ({modules[0]})" if modules else ""
    return f"thread {thread.name!r}{where}{_owners(modules, host, ran)}"


def exit_process(code: int) -> NoReturn:
    """Exit with ``code`` now, even though non-daemon threads still run.

    ``atexit`` handlers run first (the interpreter runs them after joining threads, which is
    the step skipped here), then the streams are flushed and the process ends.
    """
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    os._exit(code)
