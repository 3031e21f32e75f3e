"""Waiting on what another process does: files it writes, its end. Polls, with a deadline:
a file or a pid is all the other process leaves to wait on."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gini_host.testing import CliProcess


def gone(pid: int) -> bool:
    """Whether ``pid`` is dead (a zombie waiting for init to reap it counts as dead)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def until(condition: Callable[[], bool], timeout: float = 20) -> bool:
    """Poll ``condition()`` until it is true (True) or ``timeout`` passed (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def wait_for_file(proc: CliProcess, folder: Path, pattern: str, timeout: float = 60) -> Path:
    """The first file matching ``pattern`` in ``folder`` that ``proc`` wrote; fail the test if
    ``proc`` exits first or none appears within ``timeout``."""

    def found() -> list[Path]:
        return sorted(folder.glob(pattern))

    def ready() -> bool:
        if not proc.running:
            pytest.fail(f"gini-host exited early:\n{proc.finish()}")
        return bool(found())

    assert until(ready, timeout), f"no {pattern} appeared in {folder}"
    return found()[0]
