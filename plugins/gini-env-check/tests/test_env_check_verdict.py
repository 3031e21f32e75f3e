from __future__ import annotations

import copy
from typing import Any

import pytest
from gini_env_check.facts import unknown
from gini_env_check.settings import ReportConfig
from gini_env_check.verdict import CHECKS, decide

from gini_host import UsageError
from gini_host.stages.schema import structure

GIB = 1024**3

HEALTHY: dict[str, Any] = {
    "os_release": {
        "status": "ok",
        "name": "Debian GNU/Linux",
        "version_id": "12",
        "pretty_name": "Debian GNU/Linux 12 (bookworm)",
        "kernel_release": "6.1.0",
    },
    "cpu": {
        "status": "ok",
        "model_name": "AMD EPYC",
        "vendor": "AuthenticAMD",
        "logical_cores": 4,
        "physical_cores": 2,
        "virtualization_flags": ["svm"],
    },
    "memory": {"status": "ok", "total_bytes": 16 * GIB, "available_bytes": 12 * GIB},
    "kvm": {
        "status": "ok",
        "path": "/dev/kvm",
        "exists": True,
        "readable": True,
        "writable": True,
        "api_version": 12,
    },
    "iommu": {"status": "ok", "groups": 12, "enabled": True},
    "hugepages": {"status": "ok", "total": 0, "free": 0, "page_size_bytes": 2 * 1024 * 1024},
    "swap": {"status": "ok", "total_bytes": 0, "free_bytes": 0, "devices": []},
    "network": {"status": "ok", "bridges": ["virbr0"], "ip_forward": True},
    "executables": {
        "status": "ok",
        "found": {
            "qemu-system-x86_64": "/usr/bin/qemu-system-x86_64",
            "qemu-img": "/usr/bin/qemu-img",
        },
        "missing": [],
    },
}


def healthy(**changes: Any) -> dict[str, Any]:
    facts = copy.deepcopy(HEALTHY)
    for name, fields in changes.items():
        facts[name] = fields if fields.get("status") == "unknown" else {**facts[name], **fields}
    return facts


def test_healthy_machine_is_ready() -> None:
    """All facts known and good: ready, no reasons, no warnings, a summary per check."""
    verdict = decide(healthy())
    assert verdict["ready"] is True
    assert verdict["verdict"] == "ready"
    assert verdict["reasons"] == []
    assert verdict["warnings"] == []
    assert list(verdict["checks"]) == list(CHECKS)
    assert verdict["checks"]["kvm"] == "/dev/kvm present, read-write for this user, KVM API 12"
    assert verdict["checks"]["memory"] == "16.0 GiB total, 12.0 GiB available"


def test_missing_kvm_blocks() -> None:
    """No /dev/kvm: not ready, and the reason says what is missing."""
    verdict = decide(
        healthy(kvm={"exists": False, "readable": False, "writable": False, "api_version": None})
    )
    assert verdict["ready"] is False
    assert verdict["verdict"] == "not ready"
    assert len(verdict["reasons"]) == 1
    assert verdict["reasons"][0].startswith("/dev/kvm does not exist")


def test_kvm_without_write_access_blocks() -> None:
    """/dev/kvm that this user cannot open read-write blocks, suggesting the kvm group."""
    verdict = decide(healthy(kvm={"writable": False, "api_version": None}))
    assert verdict["ready"] is False
    assert "kvm" in verdict["reasons"][0]
    assert "not readable and writable" in verdict["reasons"][0]


def test_no_virtualization_flags_blocks_unless_kvm_answers() -> None:
    """A CPU known to lack vmx and svm blocks when /dev/kvm has not proven KVM works."""
    verdict = decide(healthy(cpu={"virtualization_flags": []}, kvm={"api_version": None}))
    assert verdict["ready"] is False
    assert "no virtualization extensions" in verdict["reasons"][0]


def test_hidden_flags_with_a_working_kvm_only_warn() -> None:
    """Nested guests may hide vmx/svm; a /dev/kvm that answers outweighs the missing flag."""
    verdict = decide(healthy(cpu={"virtualization_flags": []}))
    assert verdict["ready"] is True
    assert len(verdict["warnings"]) == 1
    assert "but /dev/kvm answers (KVM API 12)" in verdict["warnings"][0]


def test_missing_executables_block_one_reason_each() -> None:
    """Every missing required executable is its own blocking reason."""
    verdict = decide(
        healthy(executables={"found": {}, "missing": ["qemu-system-x86_64", "qemu-img"]})
    )
    assert verdict["reasons"] == [
        "required executable 'qemu-system-x86_64' is not on PATH",
        "required executable 'qemu-img' is not on PATH",
    ]


def test_too_little_memory_blocks_with_the_configured_minimum() -> None:
    """MemTotal below min_memory_gib blocks; the reason gives both sizes."""
    facts = healthy(memory={"total_bytes": 3 * GIB, "available_bytes": 3 * GIB})
    assert decide(facts)["ready"] is True
    verdict = decide(facts, min_memory_gib=4)
    assert verdict["reasons"] == ["only 3.0 GiB of memory; at least 4.0 GiB is required"]


def test_low_available_memory_only_warns() -> None:
    """Enough memory installed but little free right now is a warning, not a block."""
    verdict = decide(healthy(memory={"available_bytes": GIB}))
    assert verdict["ready"] is True
    assert verdict["warnings"] == ["only 1.0 GiB of memory is available now (minimum 2.0 GiB)"]


def test_several_blocking_problems_are_all_reported() -> None:
    """Every blocking problem is listed, not just the first."""
    verdict = decide(
        healthy(
            kvm={"exists": False, "readable": False, "writable": False, "api_version": None},
            cpu={"virtualization_flags": []},
            memory={"total_bytes": GIB},
        )
    )
    assert len(verdict["reasons"]) == 3


def test_unknown_kvm_is_a_warning_not_a_pass_or_a_block() -> None:
    """An unknown fact neither blocks nor passes silently: it becomes a warning."""
    verdict = decide(healthy(kvm=unknown("cannot inspect /dev/kvm: Permission denied")))
    assert verdict["ready"] is True
    assert verdict["warnings"] == ["kvm: unknown (cannot inspect /dev/kvm: Permission denied)"]
    assert verdict["checks"]["kvm"] == "unknown: cannot inspect /dev/kvm: Permission denied"


def test_unknown_fields_are_warnings() -> None:
    """A single unknown field of a known fact is a warning naming fact and field."""
    reason = "no 'flags' field in /proc/cpuinfo (not an x86 CPU?)"
    verdict = decide(healthy(cpu={"virtualization_flags": unknown(reason)}))
    assert verdict["ready"] is True
    assert verdict["warnings"] == [f"cpu.virtualization_flags: unknown ({reason})"]
    assert "virtualization: unknown" in verdict["checks"]["cpu"]


def test_missing_or_malformed_results_are_warnings() -> None:
    """A check with no result, or a result of the wrong shape, is unknown, hence a warning."""
    facts = healthy()
    del facts["iommu"]
    facts["swap"] = {"status": "ok"}
    facts["network"] = "garbage"
    verdict = decide(facts)
    assert verdict["ready"] is True
    assert len(verdict["warnings"]) == 3
    assert verdict["warnings"][0] == "iommu: unknown (no result from the iommu stage)"


def test_min_memory_gib_default_and_validation() -> None:
    """min_memory_gib defaults to 2; a non-number or negative value names the key."""
    assert ReportConfig().min_memory_gib == 2.0
    assert structure(ReportConfig, {"min_memory_gib": 1}, source="t", path="p").min_memory_gib == 1.0
    for bad in ("2", True, -1):
        with pytest.raises(UsageError, match=r"p.*min_memory_gib|'min_memory_gib' must be >= 0"):
            structure(ReportConfig, {"min_memory_gib": bad}, source="t", path="p")
