from __future__ import annotations

from env_fake_root import FakeRoot
from gini_env_check.facts import is_unknown
from gini_env_check.memory import (
    meminfo_value,
    parse_meminfo,
    parse_swaps,
    read_hugepages,
    read_memory,
    read_swap,
)

MEMINFO = """\
MemTotal:       16315304 kB
MemFree:         1000000 kB
MemAvailable:   12000000 kB
SwapTotal:       2097148 kB
SwapFree:        2000000 kB
HugePages_Total:      16
HugePages_Free:        8
Hugepagesize:       2048 kB
"""

SWAPS = """\
Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority
/dev/sda2                               partition\t2097148\t\t97148\t\t-2
/swap file                              file\t\t1024\t\t0\t\t5
"""


def test_meminfo_kb_values_become_bytes() -> None:
    """The kernel's "kB" is KiB: 1 kB is 1024 bytes; unit-less fields are counts."""
    values = parse_meminfo(MEMINFO)
    assert meminfo_value(values, "MemTotal") == 16315304 * 1024
    assert meminfo_value(values, "HugePages_Total") == 16


def test_meminfo_missing_or_malformed_field_is_unknown() -> None:
    """A field that is absent or not a number is unknown, naming the field."""
    values = parse_meminfo("MemTotal: lots kB\n")
    assert meminfo_value(values, "MemTotal") == {
        "status": "unknown",
        "reason": "/proc/meminfo: MemTotal value 'lots kB' is not a number",
    }
    assert meminfo_value(values, "MemAvailable") == {
        "status": "unknown",
        "reason": "MemAvailable not in /proc/meminfo",
    }


def test_memory_facts(fake_root: FakeRoot) -> None:
    """MemTotal and MemAvailable are reported in bytes."""
    fake_root.write("/proc/meminfo", MEMINFO)
    assert read_memory(fake_root.path) == {
        "status": "ok",
        "total_bytes": 16315304 * 1024,
        "available_bytes": 12000000 * 1024,
    }


def test_memory_without_meminfo_is_unknown(fake_root: FakeRoot) -> None:
    """No /proc/meminfo: memory is unknown with the reason."""
    assert read_memory(fake_root.path) == {
        "status": "unknown",
        "reason": "/proc/meminfo not found",
    }


def test_old_kernel_without_memavailable_leaves_only_that_field_unknown(
    fake_root: FakeRoot,
) -> None:
    """Kernels before 3.14 have no MemAvailable: it is unknown, MemTotal still known."""
    fake_root.write("/proc/meminfo", "MemTotal: 1024 kB\nMemFree: 512 kB\n")
    facts = read_memory(fake_root.path)
    assert not is_unknown(facts)
    assert facts["total_bytes"] == 1024 * 1024
    assert is_unknown(facts["available_bytes"])


def test_hugepages_facts(fake_root: FakeRoot) -> None:
    """Huge pages: total and free are counts, the page size is in bytes."""
    fake_root.write("/proc/meminfo", MEMINFO)
    assert read_hugepages(fake_root.path) == {
        "status": "ok",
        "total": 16,
        "free": 8,
        "page_size_bytes": 2048 * 1024,
    }


def test_hugepages_without_meminfo_is_unknown(fake_root: FakeRoot) -> None:
    """No /proc/meminfo: huge pages are unknown with the reason."""
    facts = read_hugepages(fake_root.path)
    assert is_unknown(facts)
    assert facts["reason"] == "/proc/meminfo not found"


def test_parse_swaps_reads_every_area() -> None:
    """Each /proc/swaps line after the header is one area, sizes in bytes."""
    devices = parse_swaps(SWAPS)
    assert devices[0] == {
        "filename": "/dev/sda2",
        "type": "partition",
        "size_bytes": 2097148 * 1024,
        "used_bytes": 97148 * 1024,
        "priority": -2,
    }
    assert devices[1]["filename"] == "/swap file"


def test_swap_facts(fake_root: FakeRoot) -> None:
    """Swap totals come from meminfo and the areas from /proc/swaps."""
    fake_root.write("/proc/meminfo", MEMINFO)
    fake_root.write("/proc/swaps", SWAPS)
    facts = read_swap(fake_root.path)
    assert facts["total_bytes"] == 2097148 * 1024
    assert facts["free_bytes"] == 2000000 * 1024
    devices = facts["devices"]
    assert not is_unknown(devices)
    assert len(devices) == 2


def test_swap_with_no_areas_is_an_empty_list(fake_root: FakeRoot) -> None:
    """A /proc/swaps with only its header means no swap, which is known."""
    fake_root.write("/proc/meminfo", "SwapTotal: 0 kB\nSwapFree: 0 kB\n")
    fake_root.write("/proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n")
    assert read_swap(fake_root.path) == {
        "status": "ok",
        "total_bytes": 0,
        "free_bytes": 0,
        "devices": [],
    }


def test_malformed_swaps_and_missing_meminfo_are_unknown(fake_root: FakeRoot) -> None:
    """Each swap source fails on its own, with its own reason."""
    fake_root.write(
        "/proc/swaps", "Filename Type Size Used Priority\n/dev/sda2 partition big 0 -2\n"
    )
    facts = read_swap(fake_root.path)
    assert facts["total_bytes"] == {"status": "unknown", "reason": "/proc/meminfo not found"}
    devices = facts["devices"]
    assert is_unknown(devices)
    assert devices["reason"].startswith("/proc/swaps: line 2 is malformed")
