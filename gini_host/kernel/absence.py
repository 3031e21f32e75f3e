"""Why a name answers to no active plugin, said the same way wherever a name is looked up.

"unknown stage 'disk-certs::report'" alone sends the operator hunting through earlier
warnings (issue 12). The plugin may have failed (its reason), been disabled (by what), its
distribution may be installed without a ``gini_host.plugins`` entry point, or nothing by that
name may be installed at all: :func:`why_inactive` says which, in one clause that ``run``,
``show``, ``validate``, ``graph``, ``check``, ``make_host`` and ``run_pipeline`` append to
their own message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from packaging.utils import canonicalize_name

from gini_host.kernel.discovery import ENTRY_POINT_GROUP
from gini_host.kernel.plugins import PluginInfo
from gini_host.naming import SEPARATOR, did_you_mean, printable, suggest

__all__ = ["distribution_named", "no_entry_point", "plugin_part", "why_inactive"]

#: Distributions of plugins are often named ``gini-PLUGIN`` (``gini-env-check``).
_DIST_PREFIX = "gini-"


def plugin_part(target: str) -> str:
    """The plugin a target names: ``disk`` in ``disk::usage``; a bare name is itself."""
    return target.partition(SEPARATOR)[0] if SEPARATOR in target else target


def distribution_named(name: str, versions: Mapping[str, str]) -> tuple[str, str] | None:
    """(canonical distribution name, version) installed as ``name`` or ``gini-name``."""
    for candidate in (name, _DIST_PREFIX + name):
        try:
            key = canonicalize_name(candidate)
        except ValueError:
            continue
        if key in versions:
            return key, versions[key]
    return None


def no_entry_point(distribution: str) -> str:
    """The one wording of "installed, but no plugin" (``check`` says it too)."""
    return (
        f"distribution {distribution} declares no {ENTRY_POINT_GROUP!r} entry point, "
        "so gini-host does not discover it"
    )


def why_inactive(
    name: str,
    plugins: Iterable[PluginInfo],
    versions: Mapping[str, str] | None,
    *,
    quiet_when_absent: bool = False,
) -> str | None:
    """Why no active plugin is called ``name``; None when one is (nothing to explain).

    ``versions`` maps every installed distribution (canonical name) to its version.
    ``quiet_when_absent``: return None rather than "nothing installed" (a bare target may
    have meant a pipeline, which is not a plugin).
    """
    known = list(plugins)
    for info in known:
        if info.name == name:
            if info.active:
                return None
            why = printable(info.reason) if info.reason else "no reason given"  # plugin text
            return f"plugin {name!r} is {info.status.value}: {why}"
    dist = distribution_named(name, versions or {})
    if dist is not None:
        key, version = dist
        owned = [
            p.name
            for p in known
            if p.distribution and canonicalize_name(p.distribution) == key
        ]
        if owned:
            return f"distribution {key} {version} provides plugin(s) {', '.join(owned)}"
        return no_entry_point(f"{key} {version}")
    if quiet_when_absent:
        return None
    more = did_you_mean(suggest(name, [p.name for p in known]))
    return f"no plugin {name!r} is installed{more}"
