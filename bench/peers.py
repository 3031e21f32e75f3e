"""gini-host against its peers on the same work (issue 6 item 3, issue 3 item 11).

(a) Discovery + load of N = 10, 100, 500 fake plugin distributions (fresh process per
    sample, interleaved): ``Host(autoload=True, paths=[site]).boot()`` against pluggy's
    ``load_setuptools_entrypoints`` and stevedore's ``ExtensionManager`` (each plugin then
    registered in a pluggy PluginManager). The peers read ``sys.path`` through
    ``importlib.metadata``; they get it cut down to the site and the standard library.
(b) The engine suite's 1,000-stage chain and wide graphs (``bench.engine.chain``/``wide``),
    gini-host's sequential and threads executors against Kedro's ``SequentialRunner`` and
    ``ThreadRunner`` with the same number of workers.

Each ratio is gini-host over the peer; the target, ours, is to be no slower (<= 1x).
stevedore and Kedro run from ``bench/.env/peers`` (see ``bench/_peerenv.py``), never from
the project's environment; when that venv cannot be made, their rows say so.
"""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import time
from typing import Any

from bench._measure import Figure
from bench._peerenv import Peers, peers
from bench._process import BENCH, environment, probe, rounds, site, workdir
from bench.engine import chain, wide
from gini_host import StageManager, stage

__all__ = ["run"]

SIZES = (10, 100, 500)
SAMPLES = 9
KEDRO_SAMPLES = 3
WORKERS = 4


def _unavailable(name: str, unit: str, problem: str) -> Figure:
    """A row that says why it has no numbers."""
    nan = math.nan
    return Figure(name, nan, nan, nan, 1.0, unit, note=f"not measured: {problem}", guarded=False)


def _discovery(plugins: int, env_peers: Peers) -> list[Figure]:
    where = site(plugins)
    env = environment(where)
    variants = {
        "host": lambda: probe("host", where, env=env),
        "pluggy": lambda: probe("pluggy", where, env=env),
    }
    if env_peers.python is not None:
        python = env_peers.python
        variants["stevedore"] = lambda: probe("stevedore", where, python=python, env=env)
    medians = rounds(variants, SAMPLES)
    host = medians["host"]
    figures = []
    for peer, label in (
        ("pluggy", f"pluggy {env_peers.version('pluggy')} load_setuptools_entrypoints"),
        ("stevedore", f"stevedore {env_peers.version('stevedore')} ExtensionManager"),
    ):
        name = f"peers: discovery + load, N={plugins}, vs {peer}"
        if peer not in medians:
            figures.append(_unavailable(name, "ms", env_peers.problem))
            continue
        figures.append(
            Figure(
                name=name,
                value=host * 1e3,
                floor_value=medians[peer] * 1e3,
                target=1.0,
                unit="ms",
                note=f"{label}; gini-host with its index warm",
            )
        )
    return figures


def _manager(graph: dict[str, list[str]]) -> StageManager:
    manager = StageManager()
    for sid, requires in graph.items():
        manager.register_stage(stage(name=sid, requires=requires)(lambda ctx: 0))
    return manager


def _engine(graph: dict[str, list[str]], executor: str) -> float:
    manager = _manager(graph)
    pipeline = manager.create_pipeline("bench", list(graph))
    times = []
    for _ in range(KEDRO_SAMPLES + 2):
        started = time.perf_counter()
        result = manager.execute_pipeline(pipeline, executor=executor, max_workers=WORKERS)
        times.append(time.perf_counter() - started)
        assert result.ok
    return statistics.median(times[1:])


def _kedro(env_peers: Peers) -> list[Figure]:
    graphs = {"chain": chain(1000), "wide": wide(1000)}
    names = {
        (shape, runner): f"peers: {runner}, {shape}, 1,000 no-op stages, vs Kedro"
        for shape in graphs
        for runner in ("sequential", "threads")
    }
    if env_peers.python is None:
        return [_unavailable(name, "ms", env_peers.problem) for name in names.values()]
    spec = workdir() / "kedro-graphs.json"
    spec.write_text(json.dumps(graphs))
    done = subprocess.run(
        [
            str(env_peers.python),
            str(BENCH / "_kedro_probe.py"),
            str(spec),
            str(KEDRO_SAMPLES),
            str(WORKERS),
        ],
        env=environment(None, KEDRO_DISABLE_TELEMETRY="true", DO_NOT_TRACK="1"),
        cwd=workdir(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        problem = f"Kedro run failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}"
        return [_unavailable(name, "ms", problem) for name in names.values()]
    kedro: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    version = env_peers.version("kedro")
    figures = []
    for (shape, runner), name in names.items():
        executor = "sequential" if runner == "sequential" else "threads"
        ours = _engine(graphs[shape], executor)
        theirs = float(kedro[f"{shape}/{runner}"])
        peer = "SequentialRunner" if runner == "sequential" else f"ThreadRunner({WORKERS})"
        figures.append(
            Figure(
                name=name,
                value=ours * 1e3,
                floor_value=theirs * 1e3,
                target=1.0,
                unit="ms",
                note=f"Kedro {version} {peer}, one run, median of {KEDRO_SAMPLES}; not guarded",
                # Kedro's own run time (seconds, +-25% between runs) is the ratio's noise.
                guarded=False,
            )
        )
    return figures


def run() -> list[Figure]:
    """About 90 seconds on 2 cores (Kedro takes seconds per 1,000-node run); the first run
    also installs the peers (about 10 seconds with a package cache)."""
    env_peers = peers()
    figures: list[Figure] = []
    for plugins in SIZES:
        figures.extend(_discovery(plugins, env_peers))
    return figures + _kedro(env_peers)
