from __future__ import annotations

import os

import pytest
from env_fake_root import FakeRoot
from gini_env_check import devices
from gini_env_check.devices import read_iommu, read_kvm
from gini_env_check.facts import is_unknown


def test_kvm_present_and_accessible(fake_root: FakeRoot, monkeypatch: pytest.MonkeyPatch) -> None:
    """/dev/kvm that exists, opens read-write and answers its API version is reported so."""
    fake_root.write("/dev/kvm", "")
    monkeypatch.setattr(devices, "probe_kvm_api", lambda path: 12)
    assert read_kvm(fake_root.path) == {
        "status": "ok",
        "path": "/dev/kvm",
        "exists": True,
        "readable": True,
        "writable": True,
        "api_version": 12,
    }


def test_kvm_node_that_does_not_answer_has_an_unknown_api_version(fake_root: FakeRoot) -> None:
    """A /dev/kvm that is no KVM device (here a plain file) leaves the API version unknown."""
    fake_root.write("/dev/kvm", "")
    facts = read_kvm(fake_root.path)
    assert not is_unknown(facts)
    api = facts["api_version"]
    assert is_unknown(api)
    assert api["reason"].startswith("/dev/kvm did not answer KVM_GET_API_VERSION")


def test_kvm_that_cannot_be_opened_has_an_unknown_api_version(fake_root: FakeRoot) -> None:
    """An open error is the reason, not a guess."""
    assert devices.probe_kvm_api(fake_root.path / "nothing") == {
        "status": "unknown",
        "reason": "/dev/kvm could not be opened: No such file or directory",
    }


def test_kvm_missing(fake_root: FakeRoot) -> None:
    """A missing /dev/kvm is a known fact (exists False), not an unknown."""
    facts = read_kvm(fake_root.path)
    assert not is_unknown(facts)
    assert facts["exists"] is False
    assert facts["readable"] is False
    assert facts["api_version"] is None


def test_kvm_access_is_asked_of_the_os(
    fake_root: FakeRoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Readable / writable come from os.access for this user, so root or not, it is the truth."""
    fake_root.write("/dev/kvm", "")
    monkeypatch.setattr(os, "access", lambda path, mode: mode == os.R_OK)
    facts = read_kvm(fake_root.path)
    assert not is_unknown(facts)
    assert (facts["readable"], facts["writable"]) == (True, False)
    # Not probed: this user could not open it to start a guest either.
    assert facts["api_version"] is None


def test_kvm_that_cannot_be_inspected_is_unknown(fake_root: FakeRoot) -> None:
    """When /dev cannot be searched, absence is not proven: unknown with the reason."""
    fake_root.write("/dev", "a file where a directory should be")
    facts = read_kvm(fake_root.path)
    assert is_unknown(facts)
    assert facts["reason"].startswith("cannot inspect /dev/kvm")


def test_iommu_groups_are_counted(fake_root: FakeRoot) -> None:
    """Each entry of /sys/kernel/iommu_groups is one group; any group means enabled."""
    for group in ("0", "1", "2"):
        fake_root.mkdir(f"/sys/kernel/iommu_groups/{group}")
    assert read_iommu(fake_root.path) == {"status": "ok", "groups": 3, "enabled": True}


def test_empty_iommu_groups_means_disabled(fake_root: FakeRoot) -> None:
    """The kernel creates the directory even without an active IOMMU; empty means off."""
    fake_root.mkdir("/sys/kernel/iommu_groups")
    assert read_iommu(fake_root.path) == {"status": "ok", "groups": 0, "enabled": False}


def test_missing_iommu_groups_is_unknown(fake_root: FakeRoot) -> None:
    """No /sys/kernel/iommu_groups: unknown with the reason, not "disabled"."""
    assert read_iommu(fake_root.path) == {
        "status": "unknown",
        "reason": "/sys/kernel/iommu_groups not found",
    }


def test_iommu_groups_that_is_a_file_is_unknown(fake_root: FakeRoot) -> None:
    """A malformed sysfs entry is reported as such."""
    fake_root.write("/sys/kernel/iommu_groups", "")
    assert read_iommu(fake_root.path) == {
        "status": "unknown",
        "reason": "/sys/kernel/iommu_groups is not a directory",
    }
