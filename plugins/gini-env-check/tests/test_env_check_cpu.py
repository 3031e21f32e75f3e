from __future__ import annotations

from env_fake_root import FakeRoot
from gini_env_check.cpu import parse_cpuinfo, read_cpu
from gini_env_check.facts import is_unknown

# Two hyperthreads of one Intel core, then a second core: 3 logical, 2 physical.
INTEL = """\
processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz
physical id\t: 0
core id\t\t: 0
flags\t\t: fpu vme de pse vmx sse2 ht

processor\t: 1
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz
physical id\t: 0
core id\t\t: 0
flags\t\t: fpu vme de pse vmx sse2 ht

processor\t: 2
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz
physical id\t: 0
core id\t\t: 1
flags\t\t: fpu vme de pse vmx sse2 ht
"""

AMD_NO_SVM = """\
processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC
physical id\t: 0
core id\t\t: 0
flags\t\t: fpu sse2 hypervisor
"""

ARM = """\
processor\t: 0
BogoMIPS\t: 50.00
Features\t: fp asimd evtstrm

processor\t: 1
BogoMIPS\t: 50.00
Features\t: fp asimd evtstrm

Hardware\t: Some SoC
"""


def test_parse_cpuinfo_splits_blocks_on_blank_lines() -> None:
    """Each blank-line separated block of /proc/cpuinfo becomes one dict."""
    blocks = parse_cpuinfo(INTEL)
    assert len(blocks) == 3
    assert blocks[2]["core id"] == "1"


def test_intel_cpu_facts(fake_root: FakeRoot) -> None:
    """Model, vendor, logical and physical cores and vmx are read from /proc/cpuinfo."""
    fake_root.write("/proc/cpuinfo", INTEL)
    facts = read_cpu(fake_root.path)
    assert facts == {
        "status": "ok",
        "model_name": "Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz",
        "vendor": "GenuineIntel",
        "logical_cores": 3,
        "physical_cores": 2,
        "virtualization_flags": ["vmx"],
    }


def test_cpu_without_virtualization_flags_reports_an_empty_list(fake_root: FakeRoot) -> None:
    """Flags that lack vmx and svm give [] (known: none), not unknown."""
    fake_root.write("/proc/cpuinfo", AMD_NO_SVM)
    facts = read_cpu(fake_root.path)
    assert not is_unknown(facts)
    assert facts["virtualization_flags"] == []


def test_cpu_fields_missing_from_cpuinfo_are_unknown_with_reason(fake_root: FakeRoot) -> None:
    """An ARM-style cpuinfo without model, vendor, ids or flags gives per-field unknowns."""
    fake_root.write("/proc/cpuinfo", ARM)
    facts = read_cpu(fake_root.path)
    assert not is_unknown(facts)
    assert facts["logical_cores"] == 2
    assert facts["model_name"] == {
        "status": "unknown",
        "reason": "no 'model name' field in /proc/cpuinfo",
    }
    assert is_unknown(facts["vendor"])
    assert is_unknown(facts["physical_cores"])
    flags = facts["virtualization_flags"]
    assert is_unknown(flags)
    assert "flags" in flags["reason"]


def test_missing_cpuinfo_is_unknown_with_reason(fake_root: FakeRoot) -> None:
    """No /proc/cpuinfo: the whole fact is unknown, naming the file."""
    assert read_cpu(fake_root.path) == {"status": "unknown", "reason": "/proc/cpuinfo not found"}


def test_cpuinfo_without_processors_is_unknown(fake_root: FakeRoot) -> None:
    """A cpuinfo with no processor entries is malformed, not zero cores."""
    fake_root.write("/proc/cpuinfo", "garbage\nmore garbage\n")
    facts = read_cpu(fake_root.path)
    assert is_unknown(facts)
    assert "processor" in facts["reason"]


def test_undecodable_cpuinfo_is_unknown(fake_root: FakeRoot) -> None:
    """Bytes that are not UTF-8 are reported as such."""
    fake_root.write("/proc/cpuinfo", b"processor\t: 0\nmodel name\t: \xff\xfe\n")
    assert read_cpu(fake_root.path) == {
        "status": "unknown",
        "reason": "/proc/cpuinfo is not UTF-8 text",
    }


def test_cpuinfo_that_is_a_directory_is_unknown(fake_root: FakeRoot) -> None:
    """An unreadable path gives the OS's reason rather than an exception."""
    fake_root.mkdir("/proc/cpuinfo")
    facts = read_cpu(fake_root.path)
    assert is_unknown(facts)
    assert facts["reason"].startswith("/proc/cpuinfo could not be read")
