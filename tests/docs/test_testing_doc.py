"""docs/testing.md: every example test file in it passes when pytest runs it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```\s*$", re.MULTILINE | re.DOTALL)


def examples() -> dict[str, str]:
    """``file=NAME`` python blocks, by file name."""
    found = {}
    for match in FENCE.finditer(PAGE.read_text(encoding="utf-8")):
        name = re.search(r"\bfile=(\S+)", match["info"])
        if name:
            found[name[1]] = match["body"]
    return found


def test_every_python_block_is_a_runnable_file():
    """Each python example names the file it is, so the test below runs it."""
    text = PAGE.read_text(encoding="utf-8")
    blocks = [m["info"] for m in FENCE.finditer(text) if m["info"].startswith("python")]
    assert blocks and all("file=" in info for info in blocks)


@pytest.mark.parametrize("name", sorted(examples()))
def test_example_passes(pytester: pytest.Pytester, name: str):
    """The example runs green in a pytest session of its own, warnings as errors."""
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    pytester.makepyfile(**{name.removesuffix(".py"): examples()[name]})
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == 0, result.stdout.str()
    assert result.parseoutcomes().get("failed", 0) == 0
