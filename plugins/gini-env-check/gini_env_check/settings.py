"""``[plugin.env-check]``: the plugin's own settings, a schema the host checks at boot."""

from __future__ import annotations

from typing import Final

import attrs

from gini_env_check.executables import DEFAULT_REQUIRED
from gini_env_check.verdict import DEFAULT_MIN_MEMORY_GIB

__all__ = ["EnvCheckSettings", "ExecutablesConfig", "NotReady", "ReportConfig", "settings_of"]


@attrs.frozen
class EnvCheckSettings:
    """What an empty ``[plugin.env-check]`` table means: a report, never a failure."""

    #: "not ready" fails the ``report`` stage (so ``gini-host run env-check`` exits 1).
    strict: bool = False


_DEFAULTS: Final = EnvCheckSettings()


def _names(
    instance: object, attribute: attrs.Attribute[tuple[str, ...]], value: tuple[str, ...]
) -> None:
    if not all(value):
        raise ValueError(f"{attribute.name}: an executable name cannot be empty")


@attrs.frozen
class ExecutablesConfig:
    """``[stages."env-check::executables".config]``: the programs to look up on PATH."""

    required: tuple[str, ...] = attrs.field(default=DEFAULT_REQUIRED, validator=_names)


@attrs.frozen
class ReportConfig:
    """``[stages."env-check::report".config]``: what "ready" needs."""

    min_memory_gib: float = attrs.field(
        default=DEFAULT_MIN_MEMORY_GIB, validator=attrs.validators.ge(0)
    )


def settings_of(host: object) -> EnvCheckSettings:
    """The settings the host checked at boot; the defaults when a stage runs without a host
    (called directly in a test) or the plugin was registered under another name."""
    plugin_config = getattr(host, "plugin_config", None)
    if plugin_config is None:
        return _DEFAULTS
    settings = plugin_config("env-check")
    return settings if isinstance(settings, EnvCheckSettings) else _DEFAULTS


class NotReady(Exception):
    """Strict mode: the machine is not ready; ``verdict`` is the report that says why."""

    def __init__(self, verdict: dict[str, object]) -> None:
        self.verdict = verdict
        reasons = verdict.get("reasons") or []
        detail = "; ".join(str(r) for r in reasons) if isinstance(reasons, list) else ""
        super().__init__(f"not ready: {detail}" if detail else "not ready")
