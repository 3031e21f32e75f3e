"""Host networking for guests: Linux bridges and IPv4 forwarding."""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal, TypedDict

from gini_env_check.facts import ROOT, FactUnavailable, Unknown, host_path, read_text, unknown

__all__ = [
    "IP_FORWARD",
    "NET_CLASS",
    "NetworkFacts",
    "list_bridges",
    "read_ip_forward",
    "read_network",
]

NET_CLASS: Final = "/sys/class/net"
IP_FORWARD: Final = "/proc/sys/net/ipv4/ip_forward"


class NetworkFacts(TypedDict):
    status: Literal["ok"]
    bridges: list[str] | Unknown
    ip_forward: bool | Unknown


def list_bridges(root: Path = ROOT) -> list[str]:
    """Names of the interfaces that are bridges (they have a ``bridge`` directory in sysfs)."""
    path = host_path(root, NET_CLASS)
    try:
        interfaces = sorted(path.iterdir())
    except FileNotFoundError:
        raise FactUnavailable(f"{NET_CLASS} not found") from None
    except OSError as exc:
        raise FactUnavailable(f"{NET_CLASS} could not be listed: {exc.strerror or exc}") from None
    return [interface.name for interface in interfaces if (interface / "bridge").is_dir()]


def read_ip_forward(root: Path = ROOT) -> bool:
    """Whether the kernel forwards IPv4 packets (needed for routed or NAT guest networks)."""
    value = read_text(root, IP_FORWARD).strip()
    if value not in ("0", "1"):
        raise FactUnavailable(f"{IP_FORWARD} holds {value!r}, expected 0 or 1")
    return value == "1"


def read_network(root: Path = ROOT) -> NetworkFacts:
    """Read bridges and IPv4 forwarding; each may be unknown on its own."""
    bridges: list[str] | Unknown
    ip_forward: bool | Unknown
    try:
        bridges = list_bridges(root)
    except FactUnavailable as exc:
        bridges = unknown(exc.reason)
    try:
        ip_forward = read_ip_forward(root)
    except FactUnavailable as exc:
        ip_forward = unknown(exc.reason)
    return {"status": "ok", "bridges": bridges, "ip_forward": ip_forward}
