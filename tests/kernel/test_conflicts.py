"""Conflicts between active plugins: refuse to start, or disable the later plugin."""

from __future__ import annotations

import pytest

from gini_host.kernel.plugins import ResourceAccess, is_critical_pair
from gini_host.kernel.resolution import PluginConflictError


def manifest_source(**fields: str) -> str:
    args = ", ".join(f"{k}={v}" for k, v in fields.items())
    return (
        "from gini_host import hookimpl, PluginManifest, ResourceClaim\n"
        f"@hookimpl\ndef gini_manifest():\n    return PluginManifest({args})\n"
    )


def test_mutual_exclusion_refuses_to_start(plugin_dist, boot):
    """By default a declared conflict stops the host, naming both and how to resolve it."""
    plugin_dist("alpha", manifest_source(conflicts_with="['beta']"))
    plugin_dist("beta", "")
    with pytest.raises(PluginConflictError) as info:
        boot()
    (conflict,) = info.value.conflicts
    assert (conflict.first, conflict.second, conflict.kind) == ("alpha", "beta", "exclusive")
    assert "-p no:beta" in str(info.value)
    assert 'plugins.on_conflict = "disable-later"' in str(info.value)


def test_disable_later_policy_disables_the_later_plugin(plugin_dist, boot, statuses):
    """on_conflict = disable-later keeps the earlier plugin and says why the other is off."""
    plugin_dist("alpha", manifest_source(conflicts_with="['beta']"))
    plugin_dist("beta", "")
    plugin_dist("gamma", "", requires=["beta"])
    host = boot(config={"plugins": {"on_conflict": "disable-later"}})
    s = statuses(host)
    assert s["alpha"] == ("active", None)
    assert s["beta"][0] == "disabled"
    assert s["beta"][1].startswith("conflicts with alpha (")
    assert s["gamma"] == ("disabled", "requires plugin beta (beta 0.1.0), which is disabled")


def test_incompatible_with_matching_version_conflicts(plugin_dist, boot):
    """incompatible_with names a plugin and a version range; a match is a conflict."""
    plugin_dist("alpha", manifest_source(incompatible_with="{'beta': '<2'}"))
    plugin_dist("beta", "", version="1.5")
    with pytest.raises(PluginConflictError, match=r"alpha is incompatible with beta 1.5 \(<2\)"):
        boot()


def test_incompatible_with_other_version_is_fine(plugin_dist, boot):
    """A version outside the incompatible range runs beside it."""
    plugin_dist("alpha", manifest_source(incompatible_with="{'beta': '<2'}"))
    plugin_dist("beta", "", version="2.1")
    assert boot().plugin("beta").active


def test_exclusive_resource_claims_conflict(plugin_dist, boot):
    """Two plugins claiming /dev/kvm exclusively cannot both run."""
    claim = "[ResourceClaim('device', '/dev/kvm', 'exclusive-write')]"
    plugin_dist("alpha", manifest_source(resources=claim))
    plugin_dist("beta", manifest_source(resources=claim))
    with pytest.raises(PluginConflictError, match="both claim device '/dev/kvm'"):
        boot()


def test_shared_resource_claims_coexist(plugin_dist, boot):
    """Shared readers and writers of one resource run together (a warning, not a conflict)."""
    plugin_dist("alpha", manifest_source(resources="[ResourceClaim('dir', '/srv', 'shared-write')]"))
    plugin_dist("beta", manifest_source(resources="[ResourceClaim('dir', '/srv', 'shared-read')]"))
    host = boot()
    assert host.plugin("alpha").active
    assert host.plugin("beta").active


def test_access_matrix():
    """Gini's matrix: exclusive clashes with all; unique-id with unique-id and shared-write."""
    A = ResourceAccess
    assert is_critical_pair(A.EXCLUSIVE_READ, A.SHARED_READ)
    assert is_critical_pair(A.SHARED_READ, A.EXCLUSIVE_WRITE)
    assert is_critical_pair(A.PROVIDES_UNIQUE_ID, A.PROVIDES_UNIQUE_ID)
    assert is_critical_pair(A.PROVIDES_UNIQUE_ID, A.SHARED_WRITE)
    assert not is_critical_pair(A.PROVIDES_UNIQUE_ID, A.SHARED_READ)
    assert not is_critical_pair(A.SHARED_WRITE, A.SHARED_WRITE)
    assert not is_critical_pair(A.SHARED_WRITE, A.SHARED_READ)


def test_conflict_with_a_disabled_plugin_is_no_conflict(plugin_dist, boot):
    """Disabling one side (-p no:NAME) is the documented way out."""
    plugin_dist("alpha", manifest_source(conflicts_with="['beta']"))
    plugin_dist("beta", "")
    host = boot(disable=["beta"])
    assert host.plugin("alpha").active
