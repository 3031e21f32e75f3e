"""``[plugin.env-check]``: the plugin's own settings, a schema the host checks at boot."""

from __future__ import annotations

from typing import Final

import attrs

__all__ = ["EnvCheckSettings", "NotReady", "settings_of"]


@attrs.frozen
class EnvCheckSettings:
    """What an empty ``[plugin.env-check]`` table means: a report, never a failure."""

    #: "not ready" fails the ``report`` stage (so ``gini-host run env-check`` exits 1).
    strict: bool = False


_DEFAULTS: Final = EnvCheckSettings()


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
