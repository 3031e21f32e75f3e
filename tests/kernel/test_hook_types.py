"""Hookspecs carry real types, so an author's type checker checks their implementations."""

from __future__ import annotations

import inspect
import textwrap
from pathlib import Path

import pytest

from gini_host.kernel import hookspecs

HOST_HOOKS = [
    name
    for name in hookspecs.HOOK_NAMES
    if "host" in inspect.signature(getattr(hookspecs, name)).parameters
]


@pytest.mark.parametrize("name", HOST_HOOKS)
def test_host_parameters_are_typed_as_host(name):
    """Every ``host`` parameter of a hookspec is a ``Host``, not ``Any``."""
    annotation = inspect.signature(getattr(hookspecs, name)).parameters["host"].annotation
    assert annotation == "Host"


def test_the_built_ins_need_no_type_ignore():
    """The host's own plugins type-check against the hookspecs without silencing mypy."""
    builtin = Path(hookspecs.__file__).parent.parent / "builtin"
    silenced = [
        f"{path.name}:{number}"
        for path in sorted(builtin.glob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "type: ignore" in line
    ]
    assert silenced == []


def test_mypy_checks_what_an_implementation_does_with_the_host(tmp_path):
    """A typo in what a hook implementation calls on the host is a mypy error."""
    api = pytest.importorskip("mypy.api")
    plugin = tmp_path / "typo_plugin.py"
    plugin.write_text(
        textwrap.dedent(
            """
            from __future__ import annotations

            from gini_host import Host, hookimpl


            @hookimpl
            def gini_post_init(host: Host) -> None:
                host.active_plugin()
            """
        )
    )
    out, _, status = api.run(
        ["--strict", "--no-incremental", "--follow-imports=silent", str(plugin)]
    )
    assert status == 1, out
    assert 'has no attribute "active_plugin"' in out
