"""How a worker process builds the same host as the one running a pipeline.

A :class:`HostRecipe` is everything :class:`~gini_host.kernel.Host` was made from (config,
autoload, enable / disable, built-ins, search paths, plugin objects given by import name),
in a form that pickles. The ``processes`` and ``dask`` executors send it to each worker once;
the worker boots its own host from it and finds stages by id there, so stage functions are
never pickled. Plugin objects passed to ``Host(plugins=[...])`` cross only when importable
by name (a module, or a module-level class or object): anything else is refused, naming it.
"""

from __future__ import annotations

import copyreg
import io
import pickle
from collections.abc import Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from gini_host.errors import ExecutorError
from gini_host.kernel.config import HostConfig
from gini_host.kernel.loading import Builtin
from gini_host.naming import import_name, import_object
from gini_host.stages.executors.remote import plugin_fingerprint

if TYPE_CHECKING:
    from gini_host.kernel.host import Host

__all__ = ["HostRecipe"]


def _proxy(mapping: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(mapping)


def _reduce_proxy(proxy: MappingProxyType[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    # The type itself has no importable name (``mappingproxy``): rebuild it through _proxy.
    return (_proxy, (dict(proxy),))


def _dumps(obj: object) -> bytes:
    """Pickle ``obj``, read-only mappings (all over HostConfig) included."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = copyreg.dispatch_table.copy()
    pickler.dispatch_table[MappingProxyType] = _reduce_proxy
    pickler.dump(obj)
    return buffer.getvalue()


@attrs.frozen(slots=True)
class HostRecipe:
    """What a host was built from, picklable; :meth:`build` boots an equal host."""

    config: HostConfig
    autoload: bool
    enable: tuple[str, ...]
    disable: tuple[str, ...]
    builtins: tuple[Builtin, ...]
    paths: tuple[str, ...] | None
    #: Plugin objects given directly, by import name (``module`` or ``module:qualname``).
    plugins: tuple[str, ...]
    #: The active plugins and versions of the host the recipe was taken from.
    fingerprint: tuple[tuple[str, str | None], ...]

    @classmethod
    def of(cls, host: Host, explicit: Sequence[object]) -> HostRecipe:
        """The recipe of ``host``; ExecutorError names plugin objects no worker can import."""
        names: list[str] = []
        problems: list[str] = []
        for obj in explicit:
            name = import_name(obj)
            if name is None:
                problems.append(
                    f"plugin object {obj!r} cannot be rebuilt in a worker process: pass a "
                    "module, or a module-level class or object, importable by name"
                )
            else:
                names.append(name)
        if problems:
            raise ExecutorError("worker", problems)
        return cls(
            config=host.config,
            autoload=host.autoload,
            enable=host.enable,
            disable=host.disable,
            builtins=host.builtins,
            paths=tuple(host.paths) if host.paths is not None else None,
            plugins=tuple(names),
            fingerprint=plugin_fingerprint(host),
        )

    def dumps(self) -> bytes:
        return _dumps(self)

    def build(self) -> Host:
        """Boot a host from the recipe (in the worker process)."""
        from gini_host.kernel.host import Host

        host = Host(
            [import_object(name) for name in self.plugins],
            config=self.config,
            autoload=self.autoload,
            enable=self.enable,
            disable=self.disable,
            builtins=self.builtins,
            paths=self.paths,
        )
        return host.boot()


if TYPE_CHECKING:
    from gini_host.stages.executors import remote, worker

    def _host_serves_workers(host: Host) -> remote.WorkerHost:
        """mypy checks here that Host is what the remote executors expect of a host."""
        return host

    def _recipe_boots_workers(recipe: HostRecipe) -> worker.HostRecipe:
        """mypy checks here that a recipe builds what the worker side expects."""
        return recipe
