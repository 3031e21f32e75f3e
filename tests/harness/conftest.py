"""The harness is tested black-box with pytest's ``pytester`` (loaded by ``-p pytester`` in
pyproject.toml: a conftest below the rootdir may not load plugins itself)."""

from __future__ import annotations

import pytest


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester project whose warnings are errors, as in gini-host's own suite."""
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    return pytester
