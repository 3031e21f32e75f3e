"""Run the benchmark suites: ``python -m bench [--check | --update-baseline] [--suite NAME]``.

Every suite is a module with ``run() -> list[Figure]``, listed once in :data:`SUITES`. A plain
run prints the table and writes it into ``docs/performance.md`` between the bench markers;
``--update-baseline`` also stores every ratio in ``bench/baseline.json``; ``--check`` compares
the ratios with that committed baseline and exits 1 when one is more than 25% worse.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from bench import discovery, dispatch, engine, history, peers, scale, startup
from bench._measure import Figure

#: Every suite, in report order. A suite is a module exposing ``run() -> list[Figure]``.
SUITES: tuple[ModuleType, ...] = (engine, scale, startup, discovery, dispatch, peers, history)

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "bench" / "baseline.json"
DOCS = ROOT / "docs" / "performance.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
#: How much worse than the baseline a ratio may get before ``--check`` fails.
TOLERANCE = 1.25


def suite_name(suite: ModuleType) -> str:
    return suite.__name__.rpartition(".")[2]


def table(figures: Sequence[Figure]) -> str:
    """The figures as a Markdown table, plus the machine they were measured on."""
    lines = [
        "| Figure | gini-host | Floor | Ratio | Target | Met |",
        "|---|---:|---:|---:|---:|:-:|",
    ]
    for f in figures:
        lines.append(
            f"| {f.name} | {f.value:,.2f} {f.unit} | {f.floor_value:,.2f} {f.unit} "
            f"({f.note}) | {f.ratio:.2f}x | <= {f.target:g}x | {'yes' if f.met else '**no**'} |"
        )
    machine = (
        f"Measured with Python {platform.python_version()} on {platform.system()} "
        f"{platform.machine()}, {os.cpu_count()} CPU cores; ratios of medians from one run."
    )
    return "\n".join([*lines, "", machine])


def write_docs(text: str, path: Path = DOCS) -> None:
    """Replace what lies between the bench markers of ``path`` with ``text``."""
    block = f"{START}\n{text}\n{END}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# Performance\n\n{block}\n", encoding="utf-8")
        return
    current = path.read_text(encoding="utf-8")
    if START in current and END in current:
        head, _, rest = current.partition(START)
        _, _, tail = rest.partition(END)
        path.write_text(head + block + tail, encoding="utf-8")
    else:
        path.write_text(current.rstrip("\n") + f"\n\n{block}\n", encoding="utf-8")


def load_baseline(path: Path = BASELINE) -> dict[str, float]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(name): float(ratio) for name, ratio in data.get("ratios", {}).items()}


def save_baseline(figures: Sequence[Figure], path: Path = BASELINE) -> None:
    """Store the ratios of ``figures``, keeping baseline entries of suites that did not run."""
    ratios = load_baseline(path) | {f.name: round(f.ratio, 4) for f in figures if f.guarded}
    data = {
        "note": "Ratios to floors (lower is better); `python -m bench --check` fails on one "
        f"more than {TOLERANCE - 1:.0%} above its value here.",
        "ratios": dict(sorted(ratios.items())),
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def regressions(figures: Sequence[Figure], baseline: dict[str, float]) -> list[str]:
    """One line per figure whose ratio is more than TOLERANCE times its baseline."""
    return [
        f"{f.name}: {f.ratio:.2f}x, baseline {baseline[f.name]:.2f}x "
        f"(limit {baseline[f.name] * TOLERANCE:.2f}x)"
        for f in figures
        if f.guarded and f.name in baseline and f.ratio > baseline[f.name] * TOLERANCE
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check", action="store_true", help="compare with bench/baseline.json; write nothing"
    )
    mode.add_argument(
        "--update-baseline", action="store_true", help="also store the ratios as the baseline"
    )
    parser.add_argument(
        "--suite",
        action="append",
        choices=[suite_name(s) for s in SUITES],
        help="run only this suite (repeatable); the docs are then left alone",
    )
    args = parser.parse_args(argv)

    chosen = [s for s in SUITES if not args.suite or suite_name(s) in args.suite]
    figures: list[Figure] = []
    began = time.perf_counter()
    for suite in chosen:
        print(f"running {suite_name(suite)} ...", file=sys.stderr, flush=True)
        figures.extend(suite.run())
    text = table(figures)
    print(text)
    print(f"\n({time.perf_counter() - began:.0f} s)", file=sys.stderr)

    if args.check:
        baseline = load_baseline()
        if not baseline:
            print(f"no baseline at {BASELINE}; run with --update-baseline", file=sys.stderr)
            return 1
        missing = [f.name for f in figures if f.guarded and f.name not in baseline]
        for name in missing:
            print(f"note: {name!r} has no baseline yet", file=sys.stderr)
        worse = regressions(figures, baseline)
        for line in worse:
            print(f"REGRESSION {line}", file=sys.stderr)
        return 1 if worse else 0

    if len(chosen) == len(SUITES):
        write_docs(text)
    if args.update_baseline:
        save_baseline(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
