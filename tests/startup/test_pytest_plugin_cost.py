"""The pytest11 plugin weighs nothing on test runs that do not use it."""

from __future__ import annotations

import json

import pytest

CONFTEST = """
import json, sys

def pytest_unconfigure(config):
    with open("modules.json", "w") as fh:
        json.dump(sorted(sys.modules), fh)
"""


@pytest.fixture
def unrelated(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_one="def test_one():\n    assert 1 + 1 == 2\n")
    return pytester


def loaded(pytester: pytest.Pytester, *args: str) -> set[str]:
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=1)
    return set(json.loads((pytester.path / "modules.json").read_text()))


def test_an_unrelated_run_imports_none_of_the_host(unrelated):
    """With the plugin loaded, only the plugin module and the package itself are imported."""
    # Without hypothesis's plugin: it imports trio (and with it attrs) whenever trio is
    # installed, as selenium's dependencies are; what it loads is not ours to count.
    modules = loaded(unrelated, "-p", "no:hypothesispytest")
    assert "gini_host.testing" in modules  # the plugin did load
    ours = {m for m in modules if m.startswith("gini_host")}
    assert ours == {"gini_host", "gini_host._lazy", "gini_host._version", "gini_host.testing"}
    assert not {"loguru", "attrs", "click", "rich", "asyncio"} & modules


def test_a_fixture_imports_the_host_on_first_use(unrelated):
    """A test that asks for make_host gets a working factory: the import happened lazily."""
    unrelated.makepyfile(
        test_one="""
        def test_one(make_host):
            host = make_host()
            assert host.active_plugins()
        """
    )
    assert "gini_host.kernel" in loaded(unrelated)


def test_the_helpers_still_import_from_the_plugin_module():
    """`from gini_host.testing import run_pipeline, ...` works: the names resolve on use."""
    import gini_host.testing as testing

    for name in testing.__all__:
        assert getattr(testing, name) is not None, name
