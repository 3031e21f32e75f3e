"""Hook dispatch through the host (issue 6 item 3): target <= 1 µs added per call.

Per-plugin hooks (preflight, init, stages, shutdown) go through ``Host.call_plugin_hook``,
so each result and error is attributed to its plugin. Against pluggy's own call of the same
hook, ``pm.hook.gini_preflight(host=...)``, with one plugin implementing it. The target is
absolute (1 µs), so the table's target ratio is (pluggy's time + 1 µs) / pluggy's time.
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
    host = Host([_Checker()], autoload=False).boot()
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
    return [
        Figure(
            name="dispatch: per-plugin hook call through the host",
            value=per_call,
            floor_value=floor,
            target=round((floor + 1.0) / floor, 2),
            unit="µs/call",
            note=f"vs pm.hook.gini_preflight(); {per_call - floor:+.2f} µs added, target <= 1",
        )
    ]
