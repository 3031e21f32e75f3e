from __future__ import annotations

from pathlib import Path

import pytest
from gini_env_check.executables import DEFAULT_REQUIRED, find_executables, required_executables


def _install(directory: Path, name: str) -> Path:
    program = directory / name
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    return program


def test_found_and_missing_executables(tmp_path: Path) -> None:
    """Each name is looked up on the search path: a path when found, listed when missing."""
    qemu = _install(tmp_path, "qemu-system-x86_64")
    facts = find_executables(["qemu-system-x86_64", "qemu-img"], search_path=str(tmp_path))
    assert facts == {
        "status": "ok",
        "found": {"qemu-system-x86_64": str(qemu)},
        "missing": ["qemu-img"],
    }


def test_a_file_that_is_not_executable_is_missing(tmp_path: Path) -> None:
    """A non-executable file of the right name does not count."""
    (tmp_path / "qemu-img").write_text("")
    assert find_executables(["qemu-img"], search_path=str(tmp_path))["missing"] == ["qemu-img"]


def test_default_required_executables_are_qemu() -> None:
    """Without config the stage looks for qemu-system-x86_64 and qemu-img."""
    assert required_executables({}) == list(DEFAULT_REQUIRED)
    assert required_executables({"required": ["virsh"]}) == ["virsh"]


@pytest.mark.parametrize("bad", ["qemu-img", [1], [""], None])
def test_bad_required_config_names_the_key(bad: object) -> None:
    """A required value that is not a list of names is rejected, naming the config key."""
    with pytest.raises(ValueError, match=r'stages\."env-check::executables"\.config\.required'):
        required_executables({"required": bad})
