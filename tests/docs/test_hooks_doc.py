"""docs/hooks.md is generated from the hookspec docstrings, and kept complete and current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gini_host import hookspec
from gini_host.authoring import hookdoc
from gini_host.kernel import hookspecs

PAGE = Path(__file__).resolve().parents[2] / "docs" / "hooks.md"
REGENERATE = "python -m gini_host.authoring.hookdoc > docs/hooks.md"


def test_every_hookspec_is_documented():
    """Each hook has a summary, a :param: per argument and a closing note on how it is called."""
    assert hookdoc.problems() == []


def test_the_page_is_current():
    """The committed page is what the generator prints today."""
    assert PAGE.read_text(encoding="utf-8") == hookdoc.render(), f"stale: run {REGENERATE}"


def test_the_generator_runs_as_a_module():
    """python -m gini_host.authoring.hookdoc prints the page and exits 0."""
    done = subprocess.run(
        [sys.executable, "-m", "gini_host.authoring.hookdoc"], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == hookdoc.render()


def test_an_undocumented_hook_is_reported(monkeypatch):
    """A hookspec without docs, or one missing from HOOK_NAMES, is named with what is missing."""

    @hookspec
    def gini_fake(host, extra):
        """Do something.

        :param host: The host.
        :param other: Not an argument.
        """

    monkeypatch.setattr(hookspecs, "gini_fake", gini_fake, raising=False)
    assert hookdoc.problems() == [
        "gini_fake is only in the hookspecs",
        "gini_fake: argument 'extra' has no :param extra:",
        "gini_fake: :param other: documents no argument",
        "gini_fake: no closing note on when and how it is called",
    ]


def test_every_hook_has_a_section():
    """Each hook name is a heading of the page, in HOOK_NAMES order."""
    text = PAGE.read_text(encoding="utf-8")
    positions = [text.index(f"## `{name}`") for name in hookspecs.HOOK_NAMES]
    assert positions == sorted(positions)
