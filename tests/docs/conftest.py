"""The docs are tested: the plugin guide is followed in a fresh venv, the hook reference is
regenerated and compared."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def author_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv where gini-host is installed, as a plugin author's venv would be.

    It sees this venv's packages (gini-host, pytest, pip) through a .pth file, after its own,
    and has its own ``gini-host`` script, so what the guide installs lands in it alone.
    """
    venv = tmp_path_factory.mktemp("author") / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
        check=True,
    )
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    parent = sysconfig.get_paths()["purelib"]
    Path(site, "_gini_host_parent.pth").write_text(f"import site; site.addsitedir({parent!r})\n")
    script = venv / "bin" / "gini-host"
    script.write_text(f"#!{python}\nfrom gini_host.cli import main\nmain()\n")
    script.chmod(0o755)
    return venv
