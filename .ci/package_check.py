"""Prove the install a package index user gets (``make package-check``, part of ``make test``).

1. Build the sdist and the wheel of gini-host and of every bundled plugin with ``python -m
   build`` (the wheel is built from the sdist, so a file the sdist lacks fails here), and fail
   on any deprecation warning in the build output.
2. Check that every wheel and sdist carries the LICENSE file.
3. Install the wheels into a fresh venv outside the source tree, run ``gini-host --version``
   and ``gini-host run env-check --json`` there, and check the run.
4. Unpack the gini-env-check sdist and run its tests with the installed wheels.

Runs in a temporary folder that is removed at the end; pip's cache and the configured package
index are used as usual.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = (ROOT, ROOT / "plugins" / "gini-env-check", ROOT / "plugins" / "gini-logging")
#: The plugin whose tests run from its unpacked sdist.
TESTED_SDIST = "gini_env_check"
#: Variables that would let the fresh venv see the source tree or another environment.
DROPPED = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "GINI_HOST_CONFIG", "PYTHONSTARTUP")
DEPRECATION = re.compile(r"deprecat", re.IGNORECASE)


class CheckFailed(Exception):
    """One packaging problem, said in one line."""


def run(
    command: Sequence[str | Path], *, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run ``command``; what it printed, or CheckFailed with the output's tail."""
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise CheckFailed(
            f"{' '.join(map(str, command))} exited {done.returncode}:\n{output[-3000:]}"
        )
    return done


def build(dist: Path, env: dict[str, str]) -> None:
    for project in PROJECTS:
        done = run([sys.executable, "-m", "build", "--outdir", dist, project], cwd=dist, env=env)
        output = done.stdout + done.stderr
        warned = [line for line in output.splitlines() if DEPRECATION.search(line)]
        if warned:
            raise CheckFailed(f"building {project.name} warned:\n" + "\n".join(warned))


def check_license(dist: Path) -> None:
    for wheel in dist.glob("*.whl"):
        with zipfile.ZipFile(wheel) as archive:
            if not any(n.endswith(".dist-info/licenses/LICENSE") for n in archive.namelist()):
                raise CheckFailed(f"{wheel.name} has no LICENSE")
    for sdist in dist.glob("*.tar.gz"):
        with tarfile.open(sdist) as archive:
            if not any(n.count("/") == 1 and n.endswith("/LICENSE") for n in archive.getnames()):
                raise CheckFailed(f"{sdist.name} has no LICENSE")
    if len(list(dist.glob("*.whl"))) != len(PROJECTS):
        raise CheckFailed(f"expected {len(PROJECTS)} wheels in {dist}")


def install(work: Path, dist: Path, env: dict[str, str]) -> Path:
    venv = work / "venv"
    run([sys.executable, "-m", "venv", venv], cwd=work, env=env)
    python = venv / "bin" / "python"
    wheels = sorted(dist.glob("*.whl"))
    run([python, "-m", "pip", "install", "-q", *wheels, "pytest"], cwd=work, env=env)
    return venv


def check_env_check(venv: Path, work: Path, env: dict[str, str]) -> None:
    version = run([venv / "bin" / "gini-host", "--version"], cwd=work, env=env).stdout
    if not version.startswith("gini-host, version "):
        raise CheckFailed(f"gini-host --version printed {version!r}")
    done = run([venv / "bin" / "gini-host", "run", "env-check", "--json"], cwd=work, env=env)
    try:
        result = json.loads(done.stdout)
    except ValueError as exc:
        raise CheckFailed(f"run env-check --json printed no JSON ({exc}):\n{done.stdout}") from None
    stages = result.get("stages", {})
    not_ok = {sid: s["status"] for sid, s in stages.items() if s["status"] != "succeeded"}
    if result.get("status") != "succeeded" or "env-check::report" not in stages or not_ok:
        raise CheckFailed(f"env-check did not succeed: {result.get('status')!r}, {not_ok}")


def check_sdist_tests(venv: Path, dist: Path, work: Path, env: dict[str, str]) -> None:
    (sdist,) = dist.glob(f"{TESTED_SDIST}-*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(work / "sdist", filter="data")
    (project,) = (work / "sdist").iterdir()
    # Exit code 5 (nothing collected) fails here as any other non-zero code does.
    pytest = [venv / "bin" / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    run(pytest, cwd=project, env=env)


def main() -> int:
    env = {k: v for k, v in os.environ.items() if k not in DROPPED}
    with tempfile.TemporaryDirectory(prefix="gini-package-check-") as tmp:
        work = Path(tmp)
        env["XDG_CACHE_HOME"] = str(work / "cache")
        env["XDG_STATE_HOME"] = str(work / "state")
        dist = work / "dist"
        dist.mkdir()
        try:
            build(dist, env)
            print("ok: wheels and sdists built without deprecation warnings", flush=True)
            check_license(dist)
            print("ok: LICENSE in every wheel and sdist", flush=True)
            venv = install(work, dist, env)
            print("ok: wheels installed into a fresh venv", flush=True)
            check_env_check(venv, work, env)
            print("ok: gini-host run env-check --json", flush=True)
            check_sdist_tests(venv, dist, work, env)
            print(f"ok: {TESTED_SDIST} tests pass from its unpacked sdist", flush=True)
        except CheckFailed as exc:
            print(f"package-check failed: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
