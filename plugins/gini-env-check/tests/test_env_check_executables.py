from __future__ import annotations

from pathlib import Path

import pytest
from gini_env_check.executables import DEFAULT_REQUIRED, find_executables
from gini_env_check.stages import executables_stage

from gini_host import StageManager, UsageError


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
    manager = StageManager()
    manager.register_stage(executables_stage)
    pipeline = manager.create_pipeline("p", ["executables"])
    described = manager.execute_pipeline(pipeline, dry_run=True)["executables"].value
    assert described == f"would look up {', '.join(DEFAULT_REQUIRED)} on PATH"
    config = {"executables": {"required": ["virsh"]}}
    described = manager.execute_pipeline(pipeline, dry_run=True, stage_config=config)
    assert described["executables"].value == "would look up virsh on PATH"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("qemu-img", "expected an array of strings, got a string"),
        ([1], "expected a string, got an integer"),
        ([""], "an executable name cannot be empty"),
    ],
)
def test_bad_required_config_names_the_key(bad: object, message: str) -> None:
    """A required value that is not a list of names is refused before the stage runs,
    naming the config key (the schema, ExecutablesConfig)."""
    manager = StageManager()
    manager.register_stage(executables_stage)
    with pytest.raises(UsageError, match=r'stages\.executables\.config') as caught:
        manager.execute_pipeline(
            manager.create_pipeline("p", ["executables"]),
            stage_config={"executables": {"required": bad}},
        )
    assert message in str(caught.value)
