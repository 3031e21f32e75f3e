"""The registry of every stage the host knows, keyed by stage id."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from gini_host.errors import DuplicateStageError
from gini_host.stages.stage import Stage

__all__ = ["StageRegistry"]


class StageRegistry:
    """Stages by id, with the owner each was registered by; safe to use from several threads.

    Ownership is recorded at registration, so removing a plugin's stages never guesses from
    an id prefix (a plugin named ``disk`` must not take ``disk-extra::...`` with it).
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._stages: dict[str, Stage] = {}
        self._owned: dict[str | None, list[str]] = {}

    def register(self, stage: Stage) -> Stage:
        """Add ``stage``; a second stage with the same id raises, naming both owners."""
        with self._lock:
            existing = self._stages.get(stage.id)
            if existing is not None:
                raise DuplicateStageError(stage.id, existing.plugin, stage.plugin)
            self._stages[stage.id] = stage
            self._owned.setdefault(stage.plugin, []).append(stage.id)
        return stage

    def unregister_plugin(self, plugin: str | None) -> list[str]:
        """Remove every stage ``plugin`` registered; return their ids."""
        with self._lock:
            ids = self._owned.pop(plugin, [])
            for stage_id in ids:
                del self._stages[stage_id]
        return ids

    def get(self, stage_id: str) -> Stage:
        return self._stages[stage_id]

    def find(self, stage_id: str) -> Stage | None:
        """The stage registered as ``stage_id``, or None (one lookup, for planning)."""
        return self._stages.get(stage_id)

    def has(self, stage_id: str) -> bool:
        return stage_id in self._stages

    def ids(self) -> list[str]:
        """Every stage id, in registration order."""
        with self._lock:
            return list(self._stages)

    def stages(self) -> list[Stage]:
        with self._lock:
            return list(self._stages.values())

    def by_tag(self, tag: str) -> list[Stage]:
        return [s for s in self.stages() if tag in s.tags]

    def by_plugin(self, plugin: str | None) -> list[Stage]:
        with self._lock:
            return [self._stages[i] for i in self._owned.get(plugin, [])]

    def search(self, text: str) -> list[Stage]:
        """Stages whose id, description or tags contain ``text`` (case-insensitive)."""
        needle = text.lower()
        return [
            s
            for s in self.stages()
            if needle in s.id.lower()
            or needle in s.description.lower()
            or any(needle in t.lower() for t in s.tags)
        ]

    def __contains__(self, stage_id: object) -> bool:
        return stage_id in self._stages

    def __len__(self) -> int:
        return len(self._stages)

    def __iter__(self) -> Iterator[Stage]:
        return iter(self.stages())
