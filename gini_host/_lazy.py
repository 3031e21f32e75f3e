"""Lazy public names for a package (PEP 562): a table of ``name -> module`` resolved on use.

Shared by ``gini_host`` and ``gini_host.stages`` so a plugin module's ``from gini_host import
hookimpl, stage`` imports only what those two names need (issue 13). Moving a name to another
module is a one-line change in its package's table.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(
    package: str, table: Mapping[str, str], public: Iterable[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package`` for the names in ``table``.

    A resolved name is stored on the package, so later look-ups never come back here.
    """
    names = sorted(public)

    def __getattr__(name: str) -> Any:
        try:
            module = table[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *names})

    return __getattr__, __dir__
