"""Deciding which loaded plugins can run together, and in what order.

Requirements come from each distribution's ``Requires-Dist``: one on ``gini-host`` is
checked against this host, one on another plugin's distribution makes a plugin dependency.
A dependency that is not active disables its dependents (the reason names it), and that
cascades. Conflicts between active plugins either stop the host or, by choice, disable the
later plugin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from gini_host._version import __version__
from gini_host.errors import PluginConflictError
from gini_host.kernel.plugins import Conflict, PluginInfo, PluginStatus, find_conflicts, load_order
from gini_host.logs import logger

__all__ = [
    "PluginConflictError",
    "cascade",
    "check_requirements",
    "order_plugins",
    "read_requirement",
    "resolve_conflicts",
    "version_matches",
]

_HOST = canonicalize_name("gini-host")


def version_matches(version: str | None, requirement: Requirement) -> bool:
    """Whether an installed ``version`` satisfies ``requirement`` (pre-releases count: an
    operator who installed one chose it)."""
    if version is None:
        return False
    try:
        return requirement.specifier.contains(Version(version), prereleases=True)
    except InvalidVersion:
        return False


def _installed_elsewhere(name: str) -> str | None:
    """Version of ``name`` found by importlib.metadata: the rare path, when a requirement
    is not among the distributions the scan saw (a host scanning only some paths)."""
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def read_requirement(text: str) -> tuple[Requirement, str, bool] | InvalidRequirement:
    """A parsed ``Requires-Dist`` line, its canonical name, and whether it applies here
    (its marker, if any, holds without extras); or why it does not parse."""
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        return exc
    applies = req.marker is None or req.marker.evaluate({"extra": ""})
    return req, canonicalize_name(req.name), applies


def check_requirements(plugins: Sequence[PluginInfo], installed: Mapping[str, str]) -> None:
    """Check each plugin's requirements; fill ``depends_on``; mark incompatible ones."""
    by_dist: dict[str, list[str]] = {}
    for p in plugins:
        if p.distribution and not p.builtin:
            by_dist.setdefault(canonicalize_name(p.distribution), []).append(p.name)
    # Plugins of one family repeat the same lines ("gini-host>=1"): parse each text once.
    parsed: dict[str, tuple[Requirement, str, bool] | InvalidRequirement] = {}
    host_ok: dict[str, bool] = {}
    for p in plugins:
        if p.status is not PluginStatus.ACTIVE or not p.requires:
            continue
        depends: list[str] = []
        for text in p.requires:
            read = parsed.get(text)
            if read is None:
                read = parsed[text] = read_requirement(text)
            if isinstance(read, InvalidRequirement):
                p.set_status(PluginStatus.FAILED, f"invalid Requires-Dist {text!r}: {read}")
                break
            req, name, applies = read
            if not applies:
                continue
            if name == _HOST:
                if not host_ok.setdefault(text, version_matches(__version__, req)):
                    p.set_status(
                        PluginStatus.INCOMPATIBLE,
                        f"requires gini-host{req.specifier}, this is {__version__}",
                    )
                continue
            if name in by_dist:
                depends.extend(n for n in by_dist[name] if n != p.name)
                if not version_matches(installed.get(name), req):
                    p.set_status(
                        PluginStatus.INCOMPATIBLE,
                        f"requires {req.name}{req.specifier}, installed is "
                        f"{installed.get(name, 'unknown')}",
                    )
            elif name not in installed and _installed_elsewhere(req.name) is None:
                p.set_status(PluginStatus.DISABLED, f"requires {req.name}, which is not installed")
        p.depends_on = tuple(dict.fromkeys(depends))


def cascade(plugins: Sequence[PluginInfo]) -> list[PluginInfo]:
    """Disable every active plugin whose dependency is not active; return those disabled."""
    by_name = {p.name: p for p in plugins}
    changed: list[PluginInfo] = []
    progress = True
    while progress:
        progress = False
        for p in plugins:
            if p.status is not PluginStatus.ACTIVE:
                continue
            for dep in p.depends_on:
                d = by_name.get(dep)
                if d is not None and d.status is not PluginStatus.ACTIVE:
                    p.set_status(
                        PluginStatus.DISABLED,
                        f"requires plugin {d.label()}, which is {d.status.value}",
                    )
                    changed.append(p)
                    progress = True
                    break
    return changed


def order_plugins(plugins: Sequence[PluginInfo]) -> list[PluginInfo]:
    """Order every plugin (whatever its status) so listings and hooks agree; fail cycles."""
    # A name claimed twice: the first claim is the plugin, later ones only get listed.
    unique = list({p.name: p for p in reversed(plugins)}.values())[::-1]
    # By name: discovery keeps importlib-metadata's order (a folder's listing order), which
    # decides the claims above; nothing after them (a cycle's message) may depend on it.
    order, cycles = load_order(sorted(unique, key=lambda p: p.name))
    by_name = {p.name: p for p in unique}
    for cycle in cycles:
        text = " -> ".join(cycle)
        for name in cycle[:-1]:
            by_name[name].set_status(PluginStatus.FAILED, f"plugin dependency cycle: {text}")
    placed = {id(p) for p in order}
    rest = sorted((p for p in plugins if id(p) not in placed), key=lambda p: p.name)
    cascade(unique)
    return order + rest


def _could_conflict(order: Sequence[PluginInfo]) -> list[PluginInfo]:
    """The plugins that can be part of a conflict, in order: those whose manifest declares
    conflicts, incompatibilities or resources, and those they name. Checking every pair of
    plugins is quadratic: 125,000 pairs at 500 plugins, a third of the boot (issue 6)."""
    declaring: set[str] = set()
    named: set[str] = set()
    for p in order:
        m = p.manifest
        if m.conflicts_with or m.incompatible_with or m.resources:
            declaring.add(p.name)
            named.update(m.conflicts_with)
            named.update(m.incompatible_with)
    if not declaring:
        return []
    return [p for p in order if p.name in declaring or p.name in named]


def resolve_conflicts(order: Sequence[PluginInfo], policy: str) -> list[Conflict]:
    """Apply the conflict policy; raise PluginConflictError when it is ``error``."""
    conflicts = find_conflicts(_could_conflict(order))
    for c in conflicts:
        if not c.critical:
            logger.warning("plugins {} and {} share a resource: {}", c.first, c.second, c.detail)
    critical = [c for c in conflicts if c.critical]
    if not critical:
        return conflicts
    if policy == "error":
        raise PluginConflictError(critical)
    by_name = {p.name: p for p in order}
    for c in critical:
        first, second = by_name[c.first], by_name[c.second]
        if first.active and second.active:
            second.set_status(
                PluginStatus.DISABLED,
                f"conflicts with {first.name} ({c.detail}); "
                'disabled by plugins.on_conflict = "disable-later"',
            )
    cascade(order)
    return conflicts
