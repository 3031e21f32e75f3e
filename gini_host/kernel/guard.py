"""Running untrusted plugin code at boot: under a time limit, with stdout kept for the host,
and whatever it raises turned into a :class:`~gini_host.errors.PluginHookError`.

A plugin's import or boot hook runs on a daemon thread while the calling thread waits for it
(``[plugins] hook_timeout`` seconds). Past the limit the call is abandoned: the thread is left
to finish or hang on its own (it is a daemon, so it cannot keep the process alive) and the
plugin fails with :class:`~gini_host.errors.PluginTimeoutError`. The waiting thread stays
interruptible: a real SIGINT/SIGTERM raises in it (Python runs signal handlers on the main
thread, and a lock wait with a timeout is interrupted by them), so Ctrl-C during boot exits
130 at once, even while a hook hangs.

Because the plugin's code runs on another thread, a ``KeyboardInterrupt`` or ``SystemExit``
it raises cannot be mistaken for the operator's signal: it is the plugin's failure like any
other exception. With the limit off (``hook_timeout = 0``) the code runs on the calling
thread, and ``signal_received`` (the CLI's signal guard) tells a real Ctrl-C from a plugin's
``raise KeyboardInterrupt``.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from gini_host.capture import stdout_to_stderr
from gini_host.errors import PluginHookError, PluginTimeoutError

__all__ = ["SignalProbe", "call_plugin_code"]

T = TypeVar("T")

#: Whether a real SIGINT/SIGTERM has arrived (the CLI's signal guard knows); None: unknown,
#: so a KeyboardInterrupt on the calling thread is taken as the operator's.
SignalProbe = Callable[[], bool] | None


def call_plugin_code(
    function: Callable[[], T],
    *,
    plugin: str,
    what: str,
    timeout: float | None,
    signal_received: SignalProbe = None,
) -> T:
    """``function()`` for ``plugin`` (``what`` names the import or hook, for messages).

    Anything it raises, ``KeyboardInterrupt`` and ``SystemExit`` included, comes out as
    :class:`PluginHookError` with the original as ``__cause__``; past ``timeout`` seconds
    (None or 0: no limit) :class:`PluginTimeoutError`. What it prints goes to stderr as
    ``[plugin] ...``. Only a real signal's ``KeyboardInterrupt`` goes through as itself.
    """
    if not timeout:
        return _call_here(function, plugin, what, signal_received)
    outcome: list[tuple[bool, Any]] = []
    done = threading.Event()

    def run() -> None:
        with stdout_to_stderr(plugin):
            try:
                outcome.append((True, function()))
            except BaseException as exc:  # the plugin's, whatever it is
                outcome.append((False, exc))
        done.set()

    context = contextvars.copy_context()  # the caller's log bindings and labels follow
    thread = threading.Thread(
        target=context.run, args=(run,), name=f"gini-host {plugin}: {what}", daemon=True
    )
    thread.start()
    if not done.wait(timeout):
        raise PluginTimeoutError(plugin, what, timeout)
    ok, value = outcome[0]
    if ok:
        return value  # type: ignore[no-any-return]
    raise PluginHookError(plugin, what, value) from value


def _call_here(
    function: Callable[[], T], plugin: str, what: str, signal_received: SignalProbe
) -> T:
    try:
        with stdout_to_stderr(plugin):
            return function()
    except KeyboardInterrupt as exc:
        if signal_received is None or signal_received():
            raise
        raise PluginHookError(plugin, what, exc) from exc
    except BaseException as exc:  # the plugin's, whatever it is
        raise PluginHookError(plugin, what, exc) from exc
