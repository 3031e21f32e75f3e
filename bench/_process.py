"""Fresh-process sampling for the start-up suites, and the environments they run in.

Start-up is what an operator feels, so those figures take one fresh process per sample.
Variants are sampled round-robin (one of each per round), so drift on a shared machine hits
them alike, and the first round is thrown away (it writes bytecode and warms the index).
"""

from __future__ import annotations

import atexit
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path

from bench import fakeenv

__all__ = [
    "BENCH",
    "PROBE",
    "environment",
    "probe",
    "rounds",
    "process_cpu",
    "site",
    "workdir",
    "zipped_site",
]

BENCH = Path(__file__).resolve().parent
PROBE = BENCH / "_startup_probe.py"
#: Variables that would change what a sample measures; the samples run without them.
_DROPPED = (
    "PYTHONPATH",
    "PYTHONDONTWRITEBYTECODE",  # real installs have bytecode; without it every import compiles
    "PYTHONSTARTUP",
    "GINI_HOST_CONFIG",
    "GINI_HOST_NO_CACHE",
    "GINI_HOST_DISABLE_PLUGIN_AUTOLOAD",
    "GINI_LOG_LEVEL",
)


@cache
def workdir() -> Path:
    """One temporary folder per bench run (fake sites, caches), removed at exit."""
    path = Path(tempfile.mkdtemp(prefix="gini-bench-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@cache
def site(plugins: int) -> Path:
    """The fake site with ``plugins`` plugin distributions and 200 unrelated ones."""
    return fakeenv.write_site(workdir(), plugins)


@cache
def zipped_site(plugins: int) -> Path:
    """The same environment in one zip file."""
    return fakeenv.write_zip(workdir(), plugins)


def environment(site_dir: Path | None, **extra: str) -> dict[str, str]:
    """The environment of a sample: ours, less what would skew it, plus the fake site on
    ``PYTHONPATH`` and a cache directory of the bench's own (the user's stays untouched)."""
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    if site_dir is not None:
        env["PYTHONPATH"] = str(site_dir)
    env["XDG_CACHE_HOME"] = str(workdir() / "cache")
    env.update(extra)
    return env


def probe(
    kind: str,
    site_dir: Path,
    *,
    python: str | Path = sys.executable,
    env: Mapping[str, str] | None = None,
) -> float:
    """CPU seconds the measured work took inside a fresh process (``_startup_probe.py``)."""
    done = subprocess.run(
        [str(python), str(PROBE), kind, str(site_dir)],
        env=dict(env) if env is not None else environment(site_dir),
        cwd=workdir(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"probe {kind} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return float(done.stdout.split()[0])


def process_cpu(command: Sequence[str], env: Mapping[str, str]) -> float:
    """CPU seconds (user + system) of a whole process, from exec to exit: on a shared
    machine its wall time also counts the moments it waited for a core."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        list(command), env=dict(env), cwd=workdir(), capture_output=True, timeout=120
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        stderr = done.stderr.decode(errors="replace")[-2000:]
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{stderr}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def rounds(variants: Mapping[str, Callable[[], float]], samples: int) -> dict[str, float]:
    """Median seconds of each variant over ``samples`` round-robin rounds, after one more
    round that is thrown away."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for round_ in range(samples + 1):
        for name, sample in variants.items():
            seconds = sample()
            if round_:
                times[name].append(seconds)
    return {name: statistics.median(values) for name, values in times.items()}
