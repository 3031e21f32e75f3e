"""The ``watcher`` plugin: an observer whose every hook raises (the CLI tests install this
file's text with ``plugin_dist("watcher", SOURCE)``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gini_host import hookimpl

HOOKS = ("gini_pipeline_start", "gini_stage_start", "gini_stage_finish", "gini_pipeline_finish")


class ObserverBug(Exception):
    """What the watcher raises; its ``__str__`` raises too, for good measure."""

    def __str__(self) -> str:
        raise RuntimeError("no message either")


class Watcher:
    """Raises from every observer hook, after printing to stdout (or, with ``raises=False``,
    only records each call)."""

    def __init__(self, name: str = "watcher", raises: bool = True) -> None:
        self.name = name
        self.raises = raises
        self.calls: list[str] = []

    def _fail(self, hook: str) -> None:
        self.calls.append(hook)
        if self.raises:
            print(f"{self.name} was here: {hook}")
            raise ObserverBug(hook)

    @hookimpl
    def gini_pipeline_start(self, pipeline: Any, run_id: str) -> None:
        self._fail("gini_pipeline_start")

    @hookimpl
    def gini_stage_start(self, stage: Any, context: Any) -> None:
        self._fail("gini_stage_start")

    @hookimpl
    def gini_stage_finish(self, stage: Any, result: Any) -> None:
        self._fail("gini_stage_finish")

    @hookimpl
    def gini_pipeline_finish(self, pipeline: Any, result: Any) -> None:
        self._fail("gini_pipeline_finish")


#: This file's text: the ``watcher`` plugin for the CLI tests.
SOURCE = Path(__file__).read_text(encoding="utf-8")
gini_plugin = Watcher()
