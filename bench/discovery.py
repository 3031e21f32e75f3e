"""Discovery listing figures, one fresh process per sample (issue 6 item 3).

What ``gini_host.kernel.discovery.scan`` costs for a site of N = 10, 100, 500 plugin distributions
and 200 unrelated ones, against the raw scan floor (list the folder, read every dist-info's
``entry_points.txt``, keep our section):

- cold: no usable index, so scan, stamp and write the index (target <= 1.3x);
- warm: the index is valid, so stat the folder and the N plugins' ``entry_points.txt`` and
  read one JSON file (target <= 0.3x).

The note gives ``importlib.metadata.entry_points(group=...)`` on the same site, import
included, for scale.

A zip file on ``sys.path`` is read through importlib-metadata (issue 15), so its figure's
floor is ``importlib_metadata.entry_points(group=...)`` on the same zip (100 plugins, 200
unrelated distributions), import included on both sides: cold (target <= 1.1x; discovery
also reads the plugins' METADATA and writes the index) and warm (the index keys the zip by
its stamp).
"""

from __future__ import annotations

import dataclasses

from bench._measure import Figure
from bench._process import environment, probe, rounds, site, zipped_site

__all__ = ["run"]

SIZES = (10, 100, 500)
ZIPPED = 100
SAMPLES = 11


def _figures(
    label: str, medians: dict[str, float], floor: float, targets: tuple[float, float], note: str
) -> list[Figure]:
    """The cold and warm figures of one site (``label``), against ``floor`` seconds."""
    cold, warm = targets
    return [
        Figure(
            name=f"discovery listing, {label}, cold (scan + write index)",
            value=medians["scan-cold"] * 1e3,
            floor_value=floor * 1e3,
            target=cold,
            unit="ms",
            note=note,
        ),
        Figure(
            name=f"discovery listing, {label}, warm index",
            value=medians["scan-warm"] * 1e3,
            floor_value=floor * 1e3,
            target=warm,
            unit="ms",
            note=note.partition(";")[0],
        ),
    ]


def _listing(plugins: int) -> list[Figure]:
    where = site(plugins)
    env = environment(where)
    medians = rounds(
        {
            kind: (lambda kind=kind: probe(kind, where, env=env))
            for kind in ("scan-floor", "scan-cold", "scan-warm", "importlib-metadata")
        },
        SAMPLES,
    )
    floor = medians["scan-floor"]
    reference = f"importlib.metadata: {medians['importlib-metadata'] / floor:.1f}x"
    note = f"raw entry_points.txt scan; {reference}"
    return _figures(f"N={plugins}", medians, floor, (1.3, 0.3), note)


def _zipped(plugins: int) -> list[Figure]:
    where = zipped_site(plugins)
    env = environment(where)
    medians = rounds(
        {
            kind: (lambda kind=kind: probe(kind, where, env=env))
            for kind in ("importlib-metadata-package", "scan-cold", "scan-warm")
        },
        SAMPLES,
    )
    note = "importlib_metadata.entry_points on the zip"
    cold, warm = _figures(
        f"N={plugins} in one zip", medians, medians["importlib-metadata-package"], (1.1, 0.3), note
    )
    # A warm ratio of ~0.005: a quarter of it is the noise of a 0.3 ms sample, so the guard
    # would fail at random; the cold figure is the guarded one.
    return [cold, dataclasses.replace(warm, guarded=False)]


def run() -> list[Figure]:
    """About 30 seconds on 2 cores."""
    figures = [figure for plugins in SIZES for figure in _listing(plugins)]
    return figures + _zipped(ZIPPED)
