"""Hook dispatch through the host (issue 6 item 3): target <= 1 µs added per call.

Per-plugin hooks (preflight, init, stages, shutdown) go through ``Host.call_plugin_hook``,
so each result and error is attributed to its plugin. Against pluggy's own call of the same
hook, ``pm.hook.gini_preflight(host=...)``, with one plugin implementing it. The target is
absolute (1 µs), so the table's target ratio is (pluggy's time + 1 µs) / pluggy's time.

Two figures, because a time limit has a price (issue 11 item 1): with ``hook_timeout = 0``
the call runs on the caller's thread (the 1 µs target); under a limit it is handed to the
host's worker thread while the caller watches the clock, which costs a thread handoff (a
target of 15 µs a call: boot calls hooks in batches, so a boot pays it once per batch).
"""

from __future__ import annotations

from typing import Any

from bench._measure import Figure, compare
from gini_host import Host, hookimpl

__all__ = ["run"]

CALLS = 20_000


class _Checker:
    gini_name = "checker"

    @hookimpl
    def gini_preflight(self, host: Any) -> None:
        return None


def run() -> list[Figure]:
    """A few seconds."""
    return [
        _figure("dispatch: per-plugin hook call through the host", 0, 1.0),
        _figure("dispatch: per-plugin hook call under a time limit", 60, 15.0),
    ]


def _figure(name: str, hook_timeout: float, added: float) -> Figure:
    config = {"plugins": {"hook_timeout": hook_timeout}}
    host = Host([_Checker()], autoload=False, config=config).boot()
    try:
        info = host.plugin("checker")
        hook = host.plugin_manager.hook

        def through_host() -> None:
            for _ in range(CALLS):
                host.call_plugin_hook(info, "gini_preflight", host=host)

        def through_pluggy() -> None:
            for _ in range(CALLS):
                hook.gini_preflight(host=host)

        ours, pluggys = compare(through_host, through_pluggy, 31, warmup=3)
    finally:
        host.shutdown()
    per_call, floor = ours / CALLS * 1e6, pluggys / CALLS * 1e6
    return Figure(
        name=name,
        value=per_call,
        floor_value=floor,
        target=round((floor + added) / floor, 2),
        unit="µs/call",
        note=f"vs pm.hook.gini_preflight(); {per_call - floor:+.2f} µs added, "
        f"target <= {added:g} (hook_timeout = {hook_timeout:g})",
    )
