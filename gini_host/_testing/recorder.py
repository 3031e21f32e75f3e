"""Recording the hook calls of every host a test creates: what ``hook_recorder`` holds.

Two taps see every call. Per-plugin hooks (manifest, configure, preflight, init, stages,
pipelines, post-init, shutdown) are called by :meth:`gini_host.Host.call_plugin_hook`, which
notifies ``host.hook_monitors``; broadcast hooks (the run observers, ``gini_add_commands``)
go through pluggy, whose ``add_hookcall_monitoring`` sees them. New hosts are found through
:data:`gini_host.kernel.HOST_CREATED`, so hosts the CLI builds are recorded too.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, final

import attrs

from gini_host.kernel.host import HOST_CREATED

if TYPE_CHECKING:
    import pluggy

    from gini_host.kernel.host import Host

__all__ = ["HookCall", "HookRecorder", "watch_hosts"]


@final
@attrs.frozen(slots=True)
class HookCall:
    """One hook call: its name, the plugin called, the arguments, what came back.

    ``plugin`` is the one plugin called for per-plugin hooks and None for a broadcast to every
    implementation (``plugins`` then lists who implemented it, in call order). The return
    value is ``returned`` (a list of the implementations' non-None results for broadcasts);
    ``raised`` is the exception when the call raised. Arguments read as attributes, as in
    pytest's ``ParsedCall``: ``call.stage``, ``call.result`` (the StageResult handed to
    ``gini_stage_finish``; that is why the return value is not called ``result``).
    """

    name: str
    plugin: str | None
    kwargs: Mapping[str, Any]
    returned: Any = None
    raised: BaseException | None = None
    plugins: tuple[str, ...] = ()
    host: Host | None = attrs.field(default=None, repr=False)

    def __getattr__(self, key: str) -> Any:
        # Only reached when normal lookup failed; slots may still be empty during copying.
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return object.__getattribute__(self, "kwargs")[key]
        except KeyError:
            raise AttributeError(f"{self.name} was not called with an argument {key!r}") from None

    def label(self) -> str:
        """``hook:plugin`` for a per-plugin call, the bare hook name for a broadcast."""
        return f"{self.name}:{self.plugin}" if self.plugin is not None else self.name


class HookRecorder:
    """Every hook call of every host attached to it, in the order they happened.

    Like pytest's ``HookRecorder``: :meth:`calls` filters by hook name, :meth:`call` expects
    exactly one, :meth:`assert_called_in_order` checks a sequence. Observer hooks are only
    called when some active plugin implements them (the host skips them otherwise), so they
    are recorded only then: the recorder watches, it never changes what the host does.
    """

    def __init__(self) -> None:
        self.hosts: list[Host] = []
        self._calls: list[HookCall] = []
        self._undo: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    # -- attaching ----------------------------------------------------------------------------

    def attach(self, host: Host) -> None:
        """Record ``host``'s hook calls from now on (done for new hosts by ``watch_hosts``)."""
        if any(h is host for h in self.hosts):
            return
        self.hosts.append(host)

        def per_plugin(
            hook: str, plugin: str, kwargs: Mapping[str, Any], outcome: pluggy.Result[Any]
        ) -> None:
            raised = outcome.exception
            returned = outcome.get_result() if raised is None else None
            self._add(HookCall(hook, plugin, kwargs, returned, raised, (plugin,), host))

        def after(
            outcome: pluggy.Result[Any],
            hook_name: str,
            hook_impls: Sequence[pluggy.HookImpl],
            kwargs: Mapping[str, Any],
        ) -> None:
            raised = outcome.exception
            returned = outcome.get_result() if raised is None else None
            called = tuple(impl.plugin_name for impl in reversed(hook_impls))  # pluggy's order
            self._add(
                HookCall(
                    hook_name, None, MappingProxyType(dict(kwargs)), returned, raised, called, host
                )
            )

        host.hook_monitors.append(per_plugin)
        undo_pluggy = host.plugin_manager.add_hookcall_monitoring(_ignore, after)

        def undo() -> None:
            with contextlib.suppress(ValueError):
                host.hook_monitors.remove(per_plugin)
            undo_pluggy()

        self._undo.append(undo)

    def detach(self) -> None:
        """Stop recording (recorded calls stay readable)."""
        while self._undo:
            self._undo.pop()()

    def _add(self, call: HookCall) -> None:
        with self._lock:
            self._calls.append(call)

    # -- reading ------------------------------------------------------------------------------

    def calls(self, *names: str) -> list[HookCall]:
        """Recorded calls of the hooks ``names`` (every call when none is given), in order."""
        unknown = [n for n in names if not n.startswith("gini_")]
        if unknown:
            raise ValueError(f"not hook names: {', '.join(unknown)} (hooks start with gini_)")
        with self._lock:
            return [c for c in self._calls if not names or c.name in names]

    def call(self, name: str) -> HookCall:
        """The one call of hook ``name``; fails when there were none or several."""
        __tracebackhide__ = True
        found = self.calls(name)
        if len(found) != 1:
            raise AssertionError(
                f"expected exactly one call of {name}, got {len(found)}: "
                + (", ".join(c.label() for c in found) or "none")
            )
        return found[0]

    def plugins(self, name: str) -> list[str]:
        """The plugins whose ``name`` hook was called, in call order (broadcasts expanded)."""
        return [p for c in self.calls(name) for p in c.plugins]

    def clear(self) -> None:
        """Forget what was recorded so far (the hosts stay attached)."""
        with self._lock:
            self._calls.clear()

    def assert_called_in_order(self, *expected: str) -> None:
        """Each of ``expected`` was called, in this order (other calls may come in between).

        An entry is a hook name (``"gini_preflight"``) or a hook and a plugin
        (``"gini_plugin_init:disk"``), which matches the per-plugin call for that plugin or a
        broadcast that plugin implemented.
        """
        __tracebackhide__ = True
        with self._lock:
            recorded = list(self._calls)
        position = 0
        for index, entry in enumerate(expected):
            name, _, plugin = entry.partition(":")
            while position < len(recorded) and not _matches(recorded[position], name, plugin):
                position += 1
            if position == len(recorded):
                done = ", ".join(expected[:index]) or "nothing"
                raise AssertionError(
                    f"hook call {entry!r} not found after {done}\n"
                    + _listing(recorded, (name, plugin))
                )
            position += 1

    def __len__(self) -> int:
        return len(self._calls)

    def __repr__(self) -> str:
        return f"<HookRecorder {len(self._calls)} calls from {len(self.hosts)} host(s)>"


def _ignore(hook_name: str, hook_impls: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
    """pluggy's ``before`` callback; the record is made after, when the result is known."""


def _matches(call: HookCall, name: str, plugin: str) -> bool:
    return call.name == name and (not plugin or plugin in call.plugins)


def _listing(calls: Sequence[HookCall], wanted: tuple[str, str]) -> str:
    """The recorded calls, one a line, marking those of the wanted hook."""
    if not calls:
        return "no hook calls were recorded"
    lines = ["recorded calls:"]
    for number, call in enumerate(calls, 1):
        who = call.plugin if call.plugin is not None else ",".join(call.plugins) or "-"
        mark = ">" if call.name == wanted[0] else " "
        lines.append(f" {mark}{number:4}  {call.name}  [{who}]")
    return "\n".join(lines)


@contextlib.contextmanager
def watch_hosts(callback: Callable[[Host], None]) -> Iterator[None]:
    """Within the block, call ``callback`` with every :class:`gini_host.Host` created in this
    context (this thread), then restore what was watched before."""
    token = HOST_CREATED.set((*HOST_CREATED.get(), callback))
    try:
        yield
    finally:
        HOST_CREATED.reset(token)
