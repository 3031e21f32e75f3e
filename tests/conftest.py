"""Shared fixtures: the executors every engine rule is checked under."""

from __future__ import annotations

import pytest

from gini_host import StageManager

EXECUTOR_NAMES = ("sequential", "threads")


@pytest.fixture(params=EXECUTOR_NAMES)
def executor(request: pytest.FixtureRequest) -> str:
    """Each test that takes ``executor`` runs once per executor."""
    return str(request.param)


@pytest.fixture
def manager() -> StageManager:
    """A standalone stage manager with its own pluggy PluginManager."""
    return StageManager()
