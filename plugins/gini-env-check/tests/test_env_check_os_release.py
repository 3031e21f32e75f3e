from __future__ import annotations

import platform
from pathlib import Path

import pytest
from env_fake_root import FakeRoot
from gini_env_check import os_release
from gini_env_check.facts import ROOT, FactUnavailable, is_unknown
from gini_env_check.os_release import parse_os_release, read_os_release

DEBIAN = """\
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
# a comment
ID=debian
"""


def test_parse_os_release_keeps_raw_values_and_skips_comments() -> None:
    """KEY=value lines are split; comments and other lines are skipped."""
    values = parse_os_release(DEBIAN + "not a pair\n")
    assert values["ID"] == "debian"
    assert values["NAME"] == '"Debian GNU/Linux"'
    assert "# a comment" not in values


def test_os_release_facts(fake_root: FakeRoot) -> None:
    """NAME, VERSION_ID and PRETTY_NAME are unquoted; the kernel comes from /proc."""
    fake_root.write("/etc/os-release", DEBIAN)
    fake_root.write("/proc/sys/kernel/osrelease", "6.1.0-18-amd64\n")
    assert read_os_release(fake_root.path) == {
        "status": "ok",
        "name": "Debian GNU/Linux",
        "version_id": "12",
        "pretty_name": "Debian GNU/Linux 12 (bookworm)",
        "kernel_release": "6.1.0-18-amd64",
    }


def test_usr_lib_os_release_is_the_fallback(fake_root: FakeRoot) -> None:
    """Without /etc/os-release, /usr/lib/os-release is read (os-release(5))."""
    fake_root.write("/usr/lib/os-release", "NAME='Fedora Linux'\nVERSION_ID=40\n")
    facts = read_os_release(fake_root.path)
    assert facts["name"] == "Fedora Linux"
    assert facts["version_id"] == "40"
    assert facts["pretty_name"] == {
        "status": "unknown",
        "reason": "PRETTY_NAME not set in /usr/lib/os-release",
    }


def test_missing_os_release_is_unknown_naming_both_files(fake_root: FakeRoot) -> None:
    """With neither os-release file, the distribution fields say both were looked for."""
    facts = read_os_release(fake_root.path)
    name = facts["name"]
    assert is_unknown(name)
    assert name["reason"] == "/etc/os-release not found; /usr/lib/os-release not found"


def test_unbalanced_quotes_are_unknown(fake_root: FakeRoot) -> None:
    """A malformed value is unknown with the key named, not passed through raw."""
    fake_root.write("/etc/os-release", 'NAME="Broken\nVERSION_ID=1\nPRETTY_NAME=x\n')
    facts = read_os_release(fake_root.path)
    name = facts["name"]
    assert is_unknown(name)
    assert "NAME has unbalanced quotes" in name["reason"]
    assert facts["version_id"] == "1"


def test_kernel_release_of_a_fake_tree_is_never_taken_from_this_machine(
    fake_root: FakeRoot,
) -> None:
    """Without osrelease in a tree that is not /, uname would describe another kernel."""
    facts = read_os_release(fake_root.path)
    assert facts["kernel_release"] == {
        "status": "unknown",
        "reason": "/proc/sys/kernel/osrelease not found",
    }


def test_kernel_release_of_the_real_root_falls_back_to_uname(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On the real root, an unreadable /proc still gives the running kernel's release."""

    def unreadable(root: Path, logical: str) -> str:
        raise FactUnavailable(f"{logical} not found")

    monkeypatch.setattr(os_release, "read_text", unreadable)
    assert os_release.read_os_release(ROOT)["kernel_release"] == platform.release()
