"""new_plugin: the scaffolded project installs with pip and passes its own tests."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from gini_host import UsageError
from gini_host.authoring.scaffold import host_requirement, new_plugin


def test_scaffold_writes_a_complete_project(tmp_path):
    """pyproject (entry point, gini-host requirement), plugin module and harness tests."""
    written = new_plugin("disk-check", tmp_path / "disk")
    root = tmp_path / "disk"
    assert sorted(p.relative_to(root).as_posix() for p in written) == [
        "README.md",
        "gini_disk_check/__init__.py",
        "gini_disk_check/plugin.py",
        "pyproject.toml",
        "tests/test_disk_check.py",
    ]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    assert project["name"] == "gini-disk-check"
    # attrs: the plugin declares its stage config's schema with it.
    assert project["dependencies"] == [host_requirement(), "attrs>=23.1"]
    assert host_requirement() == "gini-host>=0.1,<1"
    assert project["entry-points"]["gini_host.plugins"] == {"disk-check": "gini_disk_check.plugin"}
    test_source = (root / "tests/test_disk_check.py").read_text()
    for helper in ("make_host", "run_pipeline", "assert_statuses", "check_plugin"):
        assert helper in test_source


def test_scaffold_refuses_a_directory_with_files(tmp_path):
    """An existing project is never overwritten."""
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(UsageError, match="already exists and is not an empty directory"):
        new_plugin("disk", tmp_path)
    assert (tmp_path / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize("name", ["Disk", "disk_check", "9lives", "disk--check", "-disk", ""])
def test_scaffold_refuses_names_that_cannot_be_plugin_names(tmp_path, name):
    """Plugin names are lowercase words joined by single dashes."""
    with pytest.raises(UsageError, match="invalid plugin name"):
        new_plugin(name, tmp_path / "p")


def test_scaffolded_project_passes_its_own_tests_after_pip_install(tmp_path):
    """In a fresh venv: pip install -e the scaffold, run its pytest, all green."""
    project = tmp_path / "gini-hello"
    new_plugin("hello", project)
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
        check=True,
    )
    python = venv / "bin" / "python"
    # A venv made from a venv does not see its parent's packages; this .pth adds them (gini-host
    # editable, pytest, pip) after the new venv's own site-packages, as a user's install would be.
    parent_site = sysconfig.get_paths()["purelib"]
    child_site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (child_site / "_gini_host_parent.pth").write_text(f"import site; site.addsitedir({parent_site!r})\n")
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-input"]
    # --no-deps: gini-host and pytest are there already; the build itself is isolated, as a
    # user's ``pip install -e .`` is (setuptools and wheel come from the package index).
    install = subprocess.run(
        [*pip, "--no-deps", "-e", str(project)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    tests = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "7 passed" in tests.stdout
