"""Kedro's runners on the engine suite's graphs, run as a script in the peers' venv.

``python _kedro_probe.py GRAPHS.json SAMPLES WORKERS`` prints, as JSON, the median seconds of
one run of each graph under ``SequentialRunner`` and ``ThreadRunner(max_workers=WORKERS)``.
A stage becomes a node whose output dataset is named after it and whose inputs are the
outputs of the stages it requires; node functions return 0 (Kedro refuses to save None).
Kedro's INFO logging (a line per node) is switched off, as the engine logs nothing per stage.
"""

from __future__ import annotations

import json
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Any


def _noop(*inputs: Any) -> int:
    return 0


def main() -> None:
    from kedro.io import DataCatalog
    from kedro.pipeline import node, pipeline
    from kedro.runner import SequentialRunner, ThreadRunner

    logging.disable(logging.INFO)
    graphs: dict[str, dict[str, list[str]]] = json.loads(Path(sys.argv[1]).read_text())
    samples, workers = int(sys.argv[2]), int(sys.argv[3])

    def build(graph: dict[str, list[str]]) -> Any:
        return pipeline(
            [node(_noop, inputs=deps or None, outputs=sid, name=sid) for sid, deps in graph.items()]
        )

    runners = {"sequential": SequentialRunner, "threads": lambda: ThreadRunner(workers)}
    warm = build({"w0": [], "w1": ["w0"]})
    for make in runners.values():
        make().run(warm, DataCatalog())  # Kedro imports some of itself on first use
    medians: dict[str, float] = {}
    for shape, graph in graphs.items():
        built = build(graph)
        for runner, make in runners.items():
            times = []
            for _ in range(samples):
                catalog = DataCatalog()
                start = time.perf_counter()
                make().run(built, catalog)
                times.append(time.perf_counter() - start)
            medians[f"{shape}/{runner}"] = statistics.median(times)
    print(json.dumps(medians))


if __name__ == "__main__":
    main()
