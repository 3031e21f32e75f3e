"""The verdict: can this machine run QEMU/KVM guests, and if not, why not.

Blocking problems (no usable /dev/kvm, no virtualization extensions, missing executables, too
little memory) make the machine "not ready". Anything unknown becomes a warning: the report never
turns "could not tell" into a pass, and never into a failure it cannot prove either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, Literal, NamedTuple, TypedDict

from gini_env_check.cpu import CpuFacts
from gini_env_check.devices import IommuFacts, KvmFacts
from gini_env_check.executables import ExecutablesFacts
from gini_env_check.facts import Unknown, is_unknown, unknown
from gini_env_check.memory import HugepagesFacts, MemoryFacts, SwapFacts
from gini_env_check.network import NetworkFacts
from gini_env_check.os_release import OsReleaseFacts

__all__ = ["CHECKS", "DEFAULT_MIN_MEMORY_GIB", "Verdict", "decide"]

#: The fact-gathering stages the report combines, in report order.
CHECKS: Final = (
    "os_release",
    "cpu",
    "memory",
    "kvm",
    "iommu",
    "hugepages",
    "swap",
    "network",
    "executables",
)
DEFAULT_MIN_MEMORY_GIB: Final = 2.0
_GIB: Final = 1024**3


class Verdict(TypedDict):
    ready: bool
    verdict: Literal["ready", "not ready"]
    reasons: list[str]
    warnings: list[str]
    checks: dict[str, str]


class _Policy(NamedTuple):
    """What an assessment may need beyond its own fact."""

    min_bytes: float
    #: The API version /dev/kvm answered with, or None when KVM was not proven to work.
    kvm_api_version: int | None


class _Assessment(NamedTuple):
    summary: str
    blocking: list[str]
    advisory: list[str]


def _show(value: object, suffix: str = "") -> str:
    return "unknown" if is_unknown(value) else f"{value}{suffix}"


def _gib(value: int | Unknown) -> str:
    return "unknown" if is_unknown(value) else f"{value / _GIB:.1f} GiB"


def _os_release(fact: OsReleaseFacts, policy: _Policy) -> _Assessment:
    summary = f"{_show(fact['pretty_name'])}, kernel {_show(fact['kernel_release'])}"
    return _Assessment(summary, [], [])


def _cpu(fact: CpuFacts, policy: _Policy) -> _Assessment:
    flags = fact["virtualization_flags"]
    shown_flags = "unknown" if is_unknown(flags) else ", ".join(flags) or "none"
    summary = (
        f"{_show(fact['model_name'])}, {fact['logical_cores']} logical cores "
        f"({_show(fact['physical_cores'])} physical), virtualization: {shown_flags}"
    )
    blocking, advisory = [], []
    if not is_unknown(flags) and not flags:
        if policy.kvm_api_version is None:
            blocking.append(
                "the CPU reports no virtualization extensions (vmx for Intel VT-x, svm for "
                "AMD-V): enable them in the firmware setup, or nested virtualization on the "
                "hypervisor"
            )
        else:
            # The device answering is stronger evidence than a flag a hypervisor may hide.
            advisory.append(
                "the CPU reports no virtualization extensions (vmx/svm), but /dev/kvm answers "
                f"(KVM API {policy.kvm_api_version}): KVM works, likely nested under a hypervisor"
            )
    return _Assessment(summary, blocking, advisory)


def _memory(fact: MemoryFacts, policy: _Policy) -> _Assessment:
    total, available = fact["total_bytes"], fact["available_bytes"]
    summary = f"{_gib(total)} total, {_gib(available)} available"
    blocking, advisory = [], []
    minimum = _gib(round(policy.min_bytes))
    if not is_unknown(total) and total < policy.min_bytes:
        blocking.append(f"only {_gib(total)} of memory; at least {minimum} is required")
    elif not is_unknown(available) and available < policy.min_bytes:
        advisory.append(f"only {_gib(available)} of memory is available now (minimum {minimum})")
    return _Assessment(summary, blocking, advisory)


def _kvm(fact: KvmFacts, policy: _Policy) -> _Assessment:
    if not fact["exists"]:
        reason = (
            f"{fact['path']} does not exist: the kvm kernel module is not loaded "
            "or virtualization is disabled"
        )
        return _Assessment(f"{fact['path']} missing", [reason], [])
    if not (fact["readable"] and fact["writable"]):
        reason = (
            f"{fact['path']} is not readable and writable by this user "
            "(add the user to the group that owns it, usually 'kvm')"
        )
        return _Assessment(f"{fact['path']} present, no read-write access", [reason], [])
    api = fact["api_version"]
    answer = f"KVM API {api}" if isinstance(api, int) else "KVM API unknown"
    return _Assessment(f"{fact['path']} present, read-write for this user, {answer}", [], [])


def _iommu(fact: IommuFacts, policy: _Policy) -> _Assessment:
    if fact["enabled"]:
        return _Assessment(f"IOMMU enabled, {fact['groups']} groups", [], [])
    return _Assessment("IOMMU not enabled (no PCI passthrough)", [], [])


def _hugepages(fact: HugepagesFacts, policy: _Policy) -> _Assessment:
    size = fact["page_size_bytes"]
    shown_size = "unknown size" if is_unknown(size) else f"{size // 1024} KiB each"
    summary = f"{_show(fact['free'])} of {_show(fact['total'])} huge pages free, {shown_size}"
    return _Assessment(summary, [], [])


def _swap(fact: SwapFacts, policy: _Policy) -> _Assessment:
    devices = fact["devices"]
    areas = "unknown" if is_unknown(devices) else str(len(devices))
    summary = (
        f"{_gib(fact['total_bytes'])} swap, {_gib(fact['free_bytes'])} free, {areas} swap areas"
    )
    return _Assessment(summary, [], [])


def _network(fact: NetworkFacts, policy: _Policy) -> _Assessment:
    bridges, forward = fact["bridges"], fact["ip_forward"]
    shown_bridges = "unknown" if is_unknown(bridges) else ", ".join(bridges) or "none"
    shown_forward = "unknown" if is_unknown(forward) else ("on" if forward else "off")
    return _Assessment(f"bridges: {shown_bridges}; IPv4 forwarding {shown_forward}", [], [])


def _executables(fact: ExecutablesFacts, policy: _Policy) -> _Assessment:
    found, missing = fact["found"], fact["missing"]
    parts = []
    if found:
        parts.append("found " + ", ".join(found))
    if missing:
        parts.append("missing " + ", ".join(missing))
    blocking = [f"required executable {name!r} is not on PATH" for name in missing]
    return _Assessment("; ".join(parts) or "none required", blocking, [])


# Any: each assessor takes its own TypedDict; which one is decided by the check's name.
_ASSESSORS: Final[Mapping[str, Callable[[Any, _Policy], _Assessment]]] = {
    "os_release": _os_release,
    "cpu": _cpu,
    "memory": _memory,
    "kvm": _kvm,
    "iommu": _iommu,
    "hugepages": _hugepages,
    "swap": _swap,
    "network": _network,
    "executables": _executables,
}


def _kvm_api_version(fact: object) -> int | None:
    if not isinstance(fact, dict) or is_unknown(fact):
        return None
    version = fact.get("api_version")
    # bool is an int subclass and no API version; only a real answer counts as proof.
    return version if isinstance(version, int) and not isinstance(version, bool) else None


def decide(facts: Mapping[str, object], min_memory_gib: float = DEFAULT_MIN_MEMORY_GIB) -> Verdict:
    """Combine the facts (check name -> stage result) into the verdict."""
    reasons: list[str] = []
    warnings: list[str] = []
    checks: dict[str, str] = {}
    policy = _Policy(min_memory_gib * _GIB, _kvm_api_version(facts.get("kvm")))
    for name in CHECKS:
        fact = facts.get(name, unknown(f"no result from the {name} stage"))
        if not isinstance(fact, dict):
            fact = unknown(f"unexpected result from the {name} stage: {fact!r}")
        if is_unknown(fact):
            checks[name] = f"unknown: {fact['reason']}"
            warnings.append(f"{name}: unknown ({fact['reason']})")
            continue
        warnings.extend(
            f"{name}.{field}: unknown ({value['reason']})"
            for field, value in fact.items()
            if is_unknown(value)
        )
        try:
            assessment = _ASSESSORS[name](fact, policy)
        except (KeyError, TypeError) as exc:
            # A result of another shape (another plugin's stage, an old version) is not a fact.
            checks[name] = f"unknown: unexpected result shape ({exc!r})"
            warnings.append(f"{name}: unknown (unexpected result shape: {exc!r})")
            continue
        checks[name] = assessment.summary
        reasons.extend(assessment.blocking)
        warnings.extend(assessment.advisory)
    ready = not reasons
    return {
        "ready": ready,
        "verdict": "ready" if ready else "not ready",
        "reasons": reasons,
        "warnings": warnings,
        "checks": checks,
    }
