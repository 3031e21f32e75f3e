"""The processor: model, vendor, core counts and hardware virtualization flags."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Final, Literal, TypedDict

from gini_env_check.facts import ROOT, FactUnavailable, Unknown, read_text, unknown

__all__ = ["CPUINFO", "VIRTUALIZATION_FLAGS", "CpuFacts", "parse_cpuinfo", "read_cpu"]

CPUINFO: Final = "/proc/cpuinfo"
#: Intel VT-x and AMD-V: what KVM needs on x86.
VIRTUALIZATION_FLAGS: Final = ("svm", "vmx")


class CpuFacts(TypedDict):
    status: Literal["ok"]
    model_name: str | Unknown
    vendor: str | Unknown
    logical_cores: int
    physical_cores: int | Unknown
    virtualization_flags: list[str] | Unknown


def parse_cpuinfo(text: str) -> list[dict[str, str]]:
    """Split /proc/cpuinfo into one ``key -> value`` dict per blank-line separated block."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
                current = {}
            continue
        key, sep, value = line.partition(":")
        if sep:
            current[key.strip()] = value.strip()
    if current:
        blocks.append(current)
    return blocks


def _first(processors: Sequence[dict[str, str]], key: str) -> str | Unknown:
    value = processors[0].get(key)
    return value if value else unknown(f"no '{key}' field in {CPUINFO}")


def _physical_cores(processors: Sequence[dict[str, str]]) -> int | Unknown:
    # A core is a (socket, core) pair; without both ids for every processor we cannot tell
    # threads from cores, and counting logical processors instead would overstate them.
    cores: set[tuple[str, str]] = set()
    for block in processors:
        socket, core = block.get("physical id"), block.get("core id")
        if socket is None or core is None:
            return unknown(f"{CPUINFO} has no 'physical id' / 'core id' fields")
        cores.add((socket, core))
    return len(cores)


def _virtualization_flags(processors: Sequence[dict[str, str]]) -> list[str] | Unknown:
    if any("flags" not in block for block in processors):
        return unknown(f"no 'flags' field in {CPUINFO} (not an x86 CPU?)")
    # KVM needs the extension on every CPU it may schedule a vCPU on, so keep only common flags.
    common = set(VIRTUALIZATION_FLAGS)
    for block in processors:
        common &= set(block["flags"].split())
    return sorted(common)


def read_cpu(root: Path = ROOT) -> CpuFacts | Unknown:
    """Read the CPU facts from /proc/cpuinfo; fields it does not hold are unknown."""
    try:
        blocks = parse_cpuinfo(read_text(root, CPUINFO))
    except FactUnavailable as exc:
        return unknown(exc.reason)
    processors = [block for block in blocks if "processor" in block]
    if not processors:
        return unknown(f"no 'processor' entries in {CPUINFO}")
    return {
        "status": "ok",
        "model_name": _first(processors, "model name"),
        "vendor": _first(processors, "vendor_id"),
        "logical_cores": len(processors),
        "physical_cores": _physical_cores(processors),
        "virtualization_flags": _virtualization_flags(processors),
    }
