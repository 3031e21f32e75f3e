"""The peers' own environment: ``bench/.env/peers``, a venv the bench makes for itself.

Peers (stevedore, Kedro) are never gini-host dependencies: they are installed here, with
pip, the first time the bench needs them, next to gini-host's own runtime dependencies; a
``.pth`` file puts this checkout on the venv's path so the fake plugins can import
``gini_host``. When the venv cannot be made (no network, no pip), the peer figures say so
and the rest of the bench runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

from bench._process import BENCH

__all__ = ["PEERS", "Peers", "peers"]

PEERS = BENCH / ".env" / "peers"
#: The peers, and gini-host's runtime dependencies (gini_host itself comes from the checkout).
PACKAGES = ("stevedore", "kedro", "pluggy", "attrs", "loguru", "packaging", "click", "rich")
_READY = PEERS / ".bench-ready"


class Peers:
    """The venv's interpreter and the peers' versions, or why there is none."""

    def __init__(self, python: Path | None, versions: dict[str, str], problem: str) -> None:
        self.python = python
        self.versions = versions
        self.problem = problem

    def version(self, name: str) -> str:
        return self.versions.get(name, "?")


def _python() -> Path:
    return PEERS / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def _run(command: list[str], timeout: float) -> str | None:
    """None when the command worked, else the tail of what it said."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{type(exc).__name__}: {exc}"
    if done.returncode == 0:
        return None
    lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
    return lines[-1] if lines else f"exit code {done.returncode}"


@cache
def peers() -> Peers:
    """Make (once) and describe the peers' venv."""
    python = _python()
    wanted = " ".join(PACKAGES)
    if not (_READY.exists() and _READY.read_text() == wanted and python.exists()):
        print(f"setting up {PEERS.relative_to(BENCH.parent)} ...", file=sys.stderr, flush=True)
        base = getattr(sys, "_base_executable", sys.executable)
        problem = _run([base, "-m", "venv", "--clear", str(PEERS)], timeout=300) or _run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                *PACKAGES,
            ],
            timeout=600,
        )
        if problem is not None:
            return Peers(None, {}, f"could not install peers into bench/.env: {problem}")
        purelib = subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        Path(purelib, "gini_host_checkout.pth").write_text(f"{BENCH.parent}\n")
        _READY.write_text(wanted)
    probe = (
        "import importlib.metadata as m, json; "
        f"print(json.dumps({{n: m.version(n) for n in {list(PACKAGES)!r}}}))"
    )
    done = subprocess.run([str(python), "-c", probe], capture_output=True, text=True)
    if done.returncode != 0:
        return Peers(None, {}, f"bench/.env/peers is broken: {done.stderr.strip()[-300:]}")
    return Peers(python, json.loads(done.stdout), "")
