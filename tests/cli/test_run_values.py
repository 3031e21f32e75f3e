"""``run --json`` carries what stages returned: ``value`` when it is JSON, else ``value_repr``;
a dry run carries each stage's ``description``."""

from __future__ import annotations

import pytest

from gini_host.shown import REPR_LIMIT
from gini_host.testing import CliInvoker, PluginDists

VALUES = """
    import math

    from gini_host import hookimpl, stage

    class Unprintable:
        def __repr__(self):
            raise RuntimeError("repr refuses")

    class Exiting:
        def __repr__(self):
            raise SystemExit(3)

    class Huge:
        def __repr__(self):
            return "x" * 1_000_000

    def loop():
        items = [1]
        items.append(items)
        return items

    def deep():
        top = current = []
        for _ in range(100_000):
            current.append([])
            current = current[0]
        return top

    RETURNS = {
        "plain": lambda: {"n": 3, "names": ["a", "b"], "ok": True, "none": None},
        "text": lambda: "hello",
        "loop": loop,
        "deep": deep,
        "nan": lambda: {"ratio": math.nan},
        "colliding": lambda: {1: "int key", "1": "str key"},
        "unprintable": Unprintable,
        "exiting": Exiting,
        "huge": Huge,
        "a_set": lambda: {1, 2},
        "nothing": lambda: None,
    }

    def make(name, make_value):
        @stage(name=name)
        def body(ctx):
            return make_value()
        return body

    @hookimpl
    def gini_register_stages(host):
        return [make(name, value) for name, value in RETURNS.items()]
"""

JSON_VALUES = {
    "plain": {"n": 3, "names": ["a", "b"], "ok": True, "none": None},
    "text": "hello",
    "nothing": None,
}
NOT_JSON = ["loop", "deep", "nan", "colliding", "unprintable", "exiting", "huge", "a_set"]


@pytest.fixture
def values(plugin_dist: PluginDists) -> None:
    plugin_dist("values", source=VALUES)


def run_json(gini_cli: CliInvoker, *targets: str) -> dict[str, dict[str, object]]:
    out = gini_cli("--no-autoload", "-p", "values", "run", *targets, "--json")
    assert out.exit_code == 0, out
    stages: dict[str, dict[str, object]] = out.json["stages"]
    return stages


@pytest.mark.usefixtures("values")
def test_json_values_are_given_as_they_are(gini_cli: CliInvoker) -> None:
    """A JSON-serializable return value is ``value``; ``value_repr`` is then null."""
    stages = run_json(gini_cli, *(f"values::{name}" for name in JSON_VALUES))
    for name, expected in JSON_VALUES.items():
        assert stages[f"values::{name}"]["value"] == expected
        assert stages[f"values::{name}"]["value_repr"] is None
        assert stages[f"values::{name}"]["description"] is None


@pytest.mark.usefixtures("values")
@pytest.mark.parametrize("name", NOT_JSON)
def test_other_values_get_a_bounded_repr(gini_cli: CliInvoker, name: str) -> None:
    """Self-referential, too deep, NaN, keys colliding as strings, unprintable, huge, sets:
    ``value`` null, ``value_repr`` a bounded repr, the document still one valid JSON."""
    stage = run_json(gini_cli, f"values::{name}")[f"values::{name}"]
    assert stage["status"] == "succeeded"
    assert stage["value"] is None
    shown = stage["value_repr"]
    assert isinstance(shown, str) and shown
    # safe_repr's bound: the limit, and a note of how much was left out.
    assert len(shown) <= REPR_LIMIT + len("... (999999 more characters)")


@pytest.mark.usefixtures("values")
def test_a_repr_that_raises_is_named_by_type(gini_cli: CliInvoker) -> None:
    """A value whose repr raises SystemExit is shown as a placeholder naming its type."""
    stage = run_json(gini_cli, "values::exiting")["values::exiting"]
    assert stage["value_repr"] == "<unprintable Exiting: repr() raised SystemExit>"


def test_dry_run_json_carries_each_description(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """``--dry-run --json``: each stage's description (its describer's, or the default)."""
    out = gini_cli("--no-autoload", "-p", "demo", "run", "demo", "--dry-run", "--json")
    assert out.exit_code == 0, out
    stages = out.json["stages"]
    assert stages["demo::fetch"]["description"] == "would fetch from the shelf"
    assert stages["demo::build"]["description"].startswith("would run demo::build (plugin demo)")
    assert stages["demo::fetch"]["value"] is None
