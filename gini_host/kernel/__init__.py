"""The kernel: finds the installed plugins, checks and orders them, boots them into a Host.

Modules, each with one job: ``discovery`` and ``index`` (what is installed), ``config``
(gini.toml), ``loading`` (selection and import), ``resolution`` (requirements, order,
conflicts), ``plugins`` (the plugin records), ``plugin_set`` (per-plugin hook calls),
``hookspecs`` (the lifecycle hooks), ``recipe`` (how a worker boots the same plugin set) and
``host`` (the :class:`Host` that ties them together). The kernel uses the stage engine
(:mod:`gini_host.stages`); the engine never imports the kernel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gini_host.kernel.host import HOST_CREATED, Host

__all__ = ["HOST_CREATED", "Host"]


def __getattr__(name: str) -> Any:
    # Lazy: importing one kernel module (say, config) must not boot-load all of them.
    if name in __all__:
        from gini_host.kernel import host

        return getattr(host, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
