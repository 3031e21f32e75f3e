"""Fixtures of the env-check tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from env_fake_root import FakeRoot


@pytest.fixture
def fake_root(tmp_path: Path) -> FakeRoot:
    return FakeRoot(tmp_path)
