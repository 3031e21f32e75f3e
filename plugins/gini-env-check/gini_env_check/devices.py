"""Virtualization devices: /dev/kvm and the IOMMU groups the kernel exposes in /sys."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Final, Literal, TypedDict

from gini_env_check.facts import ROOT, Unknown, host_path, unknown

__all__ = [
    "IOMMU_GROUPS",
    "KVM_DEVICE",
    "IommuFacts",
    "KvmFacts",
    "probe_kvm_api",
    "read_iommu",
    "read_kvm",
]

KVM_DEVICE: Final = "/dev/kvm"
IOMMU_GROUPS: Final = "/sys/kernel/iommu_groups"
#: ``_IO(KVMIO, 0x00)``; a working KVM answers 12, the stable API version since Linux 2.6.22.
_KVM_GET_API_VERSION: Final = 0xAE00


class KvmFacts(TypedDict):
    status: Literal["ok"]
    path: str
    exists: bool
    readable: bool
    writable: bool
    #: None when not probed (the device is absent or this user may not open it).
    api_version: int | Unknown | None


class IommuFacts(TypedDict):
    status: Literal["ok"]
    groups: int
    enabled: bool


def read_kvm(root: Path = ROOT) -> KvmFacts | Unknown:
    """Tell whether /dev/kvm exists and whether this user may open it read-write."""
    path = host_path(root, KVM_DEVICE)
    try:
        path.stat()
    except FileNotFoundError:
        absent: KvmFacts = {
            "status": "ok",
            "path": KVM_DEVICE,
            "exists": False,
            "readable": False,
            "writable": False,
            "api_version": None,
        }
        return absent
    except OSError as exc:
        # E.g. /dev not searchable: absence is not proven, so do not claim it.
        return unknown(f"cannot inspect {KVM_DEVICE}: {exc.strerror or exc}")
    # os.access answers for the real uid, which is who will open the device to start a guest.
    readable, writable = os.access(path, os.R_OK), os.access(path, os.W_OK)
    return {
        "status": "ok",
        "path": KVM_DEVICE,
        "exists": True,
        "readable": readable,
        "writable": writable,
        "api_version": probe_kvm_api(path) if readable and writable else None,
    }


def probe_kvm_api(path: Path) -> int | Unknown:
    """Open the device and ask its API version: proof that KVM works, beyond permissions.

    Some hypervisors hide vmx/svm from a guest's /proc/cpuinfo while giving it a working
    nested KVM; only asking the device tells those apart from a device node without a driver.
    Opening /dev/kvm creates no VM and changes nothing.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except OSError as exc:
        return unknown(f"{KVM_DEVICE} could not be opened: {exc.strerror or exc}")
    try:
        return fcntl.ioctl(fd, _KVM_GET_API_VERSION)
    except OSError as exc:
        return unknown(f"{KVM_DEVICE} did not answer KVM_GET_API_VERSION: {exc.strerror or exc}")
    finally:
        os.close(fd)


def read_iommu(root: Path = ROOT) -> IommuFacts | Unknown:
    """Count IOMMU groups; the kernel creates groups only when an IOMMU is active."""
    path = host_path(root, IOMMU_GROUPS)
    try:
        groups = sum(1 for _ in path.iterdir())
    except FileNotFoundError:
        return unknown(f"{IOMMU_GROUPS} not found")
    except NotADirectoryError:
        return unknown(f"{IOMMU_GROUPS} is not a directory")
    except OSError as exc:
        return unknown(f"{IOMMU_GROUPS} could not be listed: {exc.strerror or exc}")
    return {"status": "ok", "groups": groups, "enabled": groups > 0}
