from __future__ import annotations

from env_fake_root import FakeRoot
from gini_env_check.facts import is_unknown
from gini_env_check.network import read_network


def test_bridges_and_forwarding(fake_root: FakeRoot) -> None:
    """Interfaces with a bridge directory are bridges; ip_forward 1 means on."""
    fake_root.mkdir("/sys/class/net/eth0")
    fake_root.mkdir("/sys/class/net/virbr0/bridge")
    fake_root.mkdir("/sys/class/net/br0/bridge")
    fake_root.write("/proc/sys/net/ipv4/ip_forward", "1\n")
    assert read_network(fake_root.path) == {
        "status": "ok",
        "bridges": ["br0", "virbr0"],
        "ip_forward": True,
    }


def test_no_bridges_and_forwarding_off(fake_root: FakeRoot) -> None:
    """No bridge directories gives [], and ip_forward 0 gives False: both known."""
    fake_root.mkdir("/sys/class/net/lo")
    fake_root.write("/proc/sys/net/ipv4/ip_forward", "0\n")
    assert read_network(fake_root.path) == {"status": "ok", "bridges": [], "ip_forward": False}


def test_missing_sources_are_unknown_each_with_its_reason(fake_root: FakeRoot) -> None:
    """Without sysfs or procfs, both fields are unknown, each naming its path."""
    assert read_network(fake_root.path) == {
        "status": "ok",
        "bridges": {"status": "unknown", "reason": "/sys/class/net not found"},
        "ip_forward": {"status": "unknown", "reason": "/proc/sys/net/ipv4/ip_forward not found"},
    }


def test_malformed_ip_forward_is_unknown(fake_root: FakeRoot) -> None:
    """A value other than 0 or 1 is not guessed at."""
    fake_root.mkdir("/sys/class/net")
    fake_root.write("/proc/sys/net/ipv4/ip_forward", "yes\n")
    facts = read_network(fake_root.path)
    forward = facts["ip_forward"]
    assert is_unknown(forward)
    assert forward["reason"] == "/proc/sys/net/ipv4/ip_forward holds 'yes', expected 0 or 1"
