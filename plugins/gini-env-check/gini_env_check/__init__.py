"""gini-env-check: can this machine run QEMU/KVM guests? A gini-host plugin.

The readers (``gini_env_check.cpu``, ``.memory``, ...) are plain functions of a root path and
import nothing from gini-host; the stages and the plugin object live in ``.stages`` and
``.plugin``, which the host loads through the ``env-check`` entry point.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
