"""Memory, huge pages and swap, from /proc/meminfo and /proc/swaps.

Sizes are reported in bytes; the kernel writes them in KiB (its "kB" means 1024 bytes).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Final, Literal, TypedDict

from gini_env_check.facts import ROOT, FactUnavailable, Unknown, read_text, unknown

__all__ = [
    "MEMINFO",
    "SWAPS",
    "HugepagesFacts",
    "MemoryFacts",
    "SwapDevice",
    "SwapFacts",
    "meminfo_value",
    "parse_meminfo",
    "parse_swaps",
    "read_hugepages",
    "read_memory",
    "read_swap",
]

MEMINFO: Final = "/proc/meminfo"
SWAPS: Final = "/proc/swaps"
_KIB: Final = 1024


class MemoryFacts(TypedDict):
    status: Literal["ok"]
    total_bytes: int | Unknown
    available_bytes: int | Unknown


class HugepagesFacts(TypedDict):
    status: Literal["ok"]
    total: int | Unknown
    free: int | Unknown
    page_size_bytes: int | Unknown


class SwapDevice(TypedDict):
    filename: str
    type: str
    size_bytes: int
    used_bytes: int
    priority: int


class SwapFacts(TypedDict):
    status: Literal["ok"]
    total_bytes: int | Unknown
    free_bytes: int | Unknown
    devices: list[SwapDevice] | Unknown


def parse_meminfo(text: str) -> dict[str, str]:
    """Split /proc/meminfo into raw ``field -> "value [unit]"`` strings."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            values[key.strip()] = value.strip()
    return values


def meminfo_value(values: Mapping[str, str], key: str) -> int | Unknown:
    """One meminfo field as a number: bytes for "N kB" fields, a count for unit-less ones."""
    raw = values.get(key)
    if raw is None:
        return unknown(f"{key} not in {MEMINFO}")
    parts = raw.split()
    try:
        if len(parts) == 2 and parts[1] == "kB":
            return int(parts[0]) * _KIB
        if len(parts) == 1:
            return int(parts[0])
    except ValueError:
        pass
    return unknown(f"{MEMINFO}: {key} value {raw!r} is not a number")


def _meminfo(root: Path) -> dict[str, str]:
    return parse_meminfo(read_text(root, MEMINFO))


def read_memory(root: Path = ROOT) -> MemoryFacts | Unknown:
    """Read MemTotal and MemAvailable, in bytes."""
    try:
        values = _meminfo(root)
    except FactUnavailable as exc:
        return unknown(exc.reason)
    return {
        "status": "ok",
        "total_bytes": meminfo_value(values, "MemTotal"),
        "available_bytes": meminfo_value(values, "MemAvailable"),
    }


def read_hugepages(root: Path = ROOT) -> HugepagesFacts | Unknown:
    """Read the default-size huge page pool: pages in total, pages free, and the page size."""
    try:
        values = _meminfo(root)
    except FactUnavailable as exc:
        return unknown(exc.reason)
    return {
        "status": "ok",
        "total": meminfo_value(values, "HugePages_Total"),
        "free": meminfo_value(values, "HugePages_Free"),
        "page_size_bytes": meminfo_value(values, "Hugepagesize"),
    }


def parse_swaps(text: str) -> list[SwapDevice]:
    """Parse /proc/swaps (a header, then one line per swap area, sizes in KiB)."""
    devices: list[SwapDevice] = []
    for number, line in enumerate(text.splitlines()[1:], start=2):
        if not line.strip():
            continue
        # Split from the right: the kernel escapes blanks in file names, but be safe anyway.
        fields = line.rsplit(None, 4)
        try:
            filename, kind, size, used, priority = fields
            devices.append(
                {
                    "filename": filename,
                    "type": kind,
                    "size_bytes": int(size) * _KIB,
                    "used_bytes": int(used) * _KIB,
                    "priority": int(priority),
                }
            )
        except ValueError:
            raise FactUnavailable(f"{SWAPS}: line {number} is malformed: {line!r}") from None
    return devices


def read_swap(root: Path = ROOT) -> SwapFacts:
    """Read SwapTotal / SwapFree and the swap areas; either source may be unknown."""
    total: int | Unknown
    free: int | Unknown
    try:
        values = _meminfo(root)
    except FactUnavailable as exc:
        total = free = unknown(exc.reason)
    else:
        total = meminfo_value(values, "SwapTotal")
        free = meminfo_value(values, "SwapFree")
    devices: list[SwapDevice] | Unknown
    try:
        devices = parse_swaps(read_text(root, SWAPS))
    except FactUnavailable as exc:
        devices = unknown(exc.reason)
    return {"status": "ok", "total_bytes": total, "free_bytes": free, "devices": devices}
