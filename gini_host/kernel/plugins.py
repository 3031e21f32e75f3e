"""Plugins as the kernel sees them: identity, status, manifest, order and conflicts.

Packaging metadata is the manifest (name, version, summary, requirements come from the
installed distribution); :class:`PluginManifest` holds only what packaging cannot say.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import attrs
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from gini_host.graph import find_cycles, topological_order

__all__ = [
    "PRIORITY_CORE",
    "PRIORITY_CORE_CRITICAL",
    "PRIORITY_KERNEL",
    "PRIORITY_THIRD_PARTY",
    "PRIORITY_THIRD_PARTY_HIGH",
    "PRIORITY_THIRD_PARTY_LOW",
    "Conflict",
    "PluginInfo",
    "PluginManifest",
    "PluginStatus",
    "ResourceAccess",
    "ResourceClaim",
    "find_conflicts",
    "load_order",
]

# Priority bands, Gini's: lower starts earlier. A plugin picks a value inside its band.
PRIORITY_KERNEL: Final = 0  # 0-10: the host's own essentials
PRIORITY_CORE_CRITICAL: Final = 25  # 11-50
PRIORITY_CORE: Final = 75  # 51-100: the host's built-in features and bundled plugins
PRIORITY_THIRD_PARTY_HIGH: Final = 125  # 101-150
PRIORITY_THIRD_PARTY: Final = 175  # 151-200: the default
PRIORITY_THIRD_PARTY_LOW: Final = 225  # 201-255


class PluginStatus(enum.StrEnum):
    """Where a plugin stands; everything but ``active`` comes with a reason."""

    ACTIVE = "active"
    DISABLED = "disabled"
    INCOMPATIBLE = "incompatible"
    FAILED = "failed"


class ResourceAccess(enum.StrEnum):
    """How a plugin uses a resource it claims (Gini's access kinds)."""

    EXCLUSIVE_WRITE = "exclusive-write"
    EXCLUSIVE_READ = "exclusive-read"
    SHARED_WRITE = "shared-write"
    SHARED_READ = "shared-read"
    PROVIDES_UNIQUE_ID = "provides-unique-id"


_EXCLUSIVE = {ResourceAccess.EXCLUSIVE_WRITE, ResourceAccess.EXCLUSIVE_READ}


def is_critical_pair(a: ResourceAccess, b: ResourceAccess) -> bool:
    """Gini's access matrix: may two plugins claim one resource this way at once?

    Anything exclusive clashes with everything; two providers of one unique id clash, and a
    unique-id provider clashes with a shared writer. Shared readers and writers coexist.
    """
    if a in _EXCLUSIVE or b in _EXCLUSIVE:
        return True
    pair = {a, b}
    unique = ResourceAccess.PROVIDES_UNIQUE_ID
    return pair == {unique} or pair == {unique, ResourceAccess.SHARED_WRITE}


@attrs.frozen(slots=True)
class ResourceClaim:
    """A claim on a resource: ``ResourceClaim("device", "/dev/kvm", "exclusive-write")``."""

    kind: str
    id: str
    access: ResourceAccess = attrs.field(converter=ResourceAccess)


PRIORITY_RANGE: Final = range(0, 256)


def _specifiers(value: Mapping[str, str] | None) -> Mapping[str, str]:
    if value is not None and not isinstance(value, Mapping):
        raise TypeError(
            f"incompatible_with must be a mapping of plugin name to specifier, "
            f"got {type(value).__name__}"
        )
    return dict(value or {})


def _items(field: str, value: Any, kind: type, what: str) -> tuple[Any, ...]:
    """``value`` as a tuple of ``kind``, or a TypeError naming the manifest field."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TypeError(f"{field} must be a list of {what}, got {type(value).__name__}")
    items = tuple(value)
    for item in items:
        if not isinstance(item, kind):
            raise TypeError(f"{field} must hold {what}, got {type(item).__name__}")
    return items


def _conflict_names(value: Any) -> tuple[str, ...]:
    return _items("conflicts_with", value, str, "names")


def _tag_names(value: Any) -> tuple[str, ...]:
    return _items("tags", value, str, "names")


def _claims(value: Any) -> tuple[ResourceClaim, ...]:
    return _items("resources", value, ResourceClaim, "ResourceClaim")


def _check_priority(instance: Any, attribute: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(
            f"priority must be an integer from 0 to 255, got {type(value).__name__} {value!r:.40}"
        )
    if value not in PRIORITY_RANGE:
        raise ValueError(f"priority must be an integer from 0 to 255, got {value}")


@attrs.frozen(slots=True)
class PluginManifest:
    """What packaging metadata cannot say about a plugin; returned by ``gini_manifest()``.

    ``priority`` is an integer from 0 to 255 (lower starts earlier; see the bands above).
    ``incompatible_with`` maps a plugin name to a PEP 440 specifier of the versions this
    plugin cannot run beside (``{"old-disk": "<2"}``; ``""`` means every version). A wrong
    type or value raises TypeError/ValueError naming the field.
    """

    priority: int = attrs.field(default=PRIORITY_THIRD_PARTY, validator=_check_priority)
    conflicts_with: tuple[str, ...] = attrs.field(default=(), converter=_conflict_names)
    incompatible_with: Mapping[str, str] = attrs.field(factory=dict, converter=_specifiers)
    resources: tuple[ResourceClaim, ...] = attrs.field(default=(), converter=_claims)
    tags: tuple[str, ...] = attrs.field(default=(), converter=_tag_names)
    #: The schema of the plugin's ``[plugin.NAME]`` table: an attrs class. The host checks
    #: the table against it at boot (exit 2 naming the key) and hands ``gini_configure`` an
    #: instance, defaults filled in. None: the table is passed as a plain mapping.
    config: type | None = None

    def __attrs_post_init__(self) -> None:
        if self.config is not None and not (
            isinstance(self.config, type) and attrs.has(self.config)
        ):
            raise TypeError(f"config must be an attrs class (a schema), got {self.config!r}")
        for name, spec in self.incompatible_with.items():
            if not isinstance(name, str) or not isinstance(spec, str):
                raise TypeError(
                    f"incompatible_with must map plugin names to specifier strings, "
                    f"got {name!r:.40}: {spec!r:.40}"
                )
            try:
                SpecifierSet(spec)
            except InvalidSpecifier:
                raise ValueError(
                    f"incompatible_with[{name!r}]: {spec!r} is not a PEP 440 specifier"
                ) from None

    def check(self) -> None:
        """Re-run the checks (a manifest may have been altered after it was built)."""
        type(self)(
            priority=self.priority,
            conflicts_with=self.conflicts_with,
            incompatible_with=self.incompatible_with,
            resources=self.resources,
            tags=self.tags,
            config=self.config,
        )


@attrs.define(eq=False)
class PluginInfo:
    """One discovered plugin, whatever became of it.

    ``name`` is the entry point's name (stage ids are ``name::stage``); ``distribution`` and
    ``version`` come from the installed distribution (None for objects passed in directly).
    """

    name: str
    distribution: str | None = None
    version: str | None = None
    summary: str = ""
    entry_point: str | None = None
    builtin: bool = False
    essential: bool = False
    requires: tuple[str, ...] = ()
    status: PluginStatus = PluginStatus.ACTIVE
    reason: str | None = None
    manifest: PluginManifest = PluginManifest()
    hooks: tuple[str, ...] = ()
    obj: Any = attrs.field(default=None, repr=False)
    traceback: str | None = attrs.field(default=None, repr=False)
    #: Names of the plugins this one depends on (resolved from ``requires``).
    depends_on: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return self.status is PluginStatus.ACTIVE

    def set_status(self, status: PluginStatus, reason: str) -> None:
        """Record why the plugin is not active; the first reason given stays."""
        if self.status is PluginStatus.ACTIVE:
            self.status = status
            self.reason = reason

    def label(self) -> str:
        """``name (dist 1.2)`` for messages."""
        if self.distribution:
            return f"{self.name} ({self.distribution} {self.version or '?'})"
        return self.name


def load_order(plugins: Sequence[PluginInfo]) -> tuple[list[PluginInfo], list[tuple[str, ...]]]:
    """Order plugins: dependencies first; among ready ones lower priority, then name.

    Returns the order of the plugins that can be ordered, and the dependency cycles found
    (plugins on a cycle are left out of the order; the caller fails them).
    """
    by_name = {p.name: p for p in plugins}
    graph = {p.name: [d for d in p.depends_on if d in by_name] for p in plugins}
    cycles = find_cycles(graph)
    rank = {p.name: (p.manifest.priority, p.name) for p in plugins}
    names, _ = topological_order(graph, rank)
    order = [by_name[n] for n in names]
    # Plugins on a cycle, or behind one, never became ready and are not in the order.
    return order, cycles


@attrs.frozen(slots=True)
class Conflict:
    """Two plugins that cannot run together; ``first`` comes earlier in the load order."""

    first: str
    second: str
    kind: str
    detail: str
    critical: bool = True

    def __str__(self) -> str:
        return f"{self.first} and {self.second}: {self.detail}"


def find_conflicts(order: Iterable[PluginInfo]) -> list[Conflict]:
    """Every conflict between active plugins, in load order."""
    active = [p for p in order if p.active]
    found: list[Conflict] = []
    for i, a in enumerate(active):
        for b in active[i + 1 :]:
            found.extend(_pair_conflicts(a, b))
    return found


def _pair_conflicts(a: PluginInfo, b: PluginInfo) -> list[Conflict]:
    out: list[Conflict] = []
    if b.name in a.manifest.conflicts_with or a.name in b.manifest.conflicts_with:
        who = a.name if b.name in a.manifest.conflicts_with else b.name
        out.append(
            Conflict(a.name, b.name, "exclusive", f"{who} declares it cannot run beside the other")
        )
    for x, y in ((a, b), (b, a)):
        spec = x.manifest.incompatible_with.get(y.name)
        if spec is not None and _version_in(y.version, spec):
            shown = f"{y.name} {y.version}" if y.version else y.name
            rule = f" ({spec})" if spec else ""
            out.append(
                Conflict(
                    a.name, b.name, "incompatible", f"{x.name} is incompatible with {shown}{rule}"
                )
            )
    for ca in a.manifest.resources:
        for cb in b.manifest.resources:
            if (ca.kind, ca.id) != (cb.kind, cb.id):
                continue
            critical = is_critical_pair(ca.access, cb.access)
            detail = (
                f"both claim {ca.kind} {ca.id!r} ({a.name}: {ca.access}, {b.name}: {cb.access})"
            )
            out.append(Conflict(a.name, b.name, "resource", detail, critical))
    return out


def _version_in(version: str | None, spec: str) -> bool:
    if not spec:
        return True
    if version is None:
        return False
    try:
        return Version(version) in SpecifierSet(spec)
    except InvalidVersion:
        return False
