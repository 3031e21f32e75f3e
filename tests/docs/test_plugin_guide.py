"""docs/plugin-guide.md, followed to the letter: every file written, every command run and its output checked."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import attrs
import pytest

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugin-guide.md"
FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```\s*$", re.MULTILINE | re.DOTALL)


@attrs.frozen
class Snippet:
    """A fenced block of the guide: a file to write, or console commands with their output."""

    line: int
    info: str
    body: str

    @property
    def file(self) -> str | None:
        match = re.search(r"\bfile=(\S+)", self.info)
        return match[1] if match else None

    @property
    def is_console(self) -> bool:
        return self.info.strip() == "console"

    def commands(self) -> list[tuple[str, list[str]]]:
        """``$ command`` lines, each with the output lines printed under it."""
        steps: list[tuple[str, list[str]]] = []
        for text in self.body.splitlines():
            if text.startswith("$ "):
                steps.append((text[2:], []))
            elif steps:
                steps[-1][1].append(text)
            elif text.strip():
                raise AssertionError(f"line {self.line}: output before any command: {text!r}")
        return steps


def snippets(text: str) -> list[Snippet]:
    return [
        Snippet(text.count("\n", 0, m.start()) + 1, m["info"], m["body"])
        for m in FENCE.finditer(text)
    ]


def pattern(expected: str) -> str:
    """A printed line as an fnmatch pattern: runs of spaces collapsed (column widths depend on
    what else is installed), glob characters literal, ``...`` a wildcard."""
    text = " ".join(expected.split())
    text = re.sub(r"([*?\[])", r"[\1]", text)
    return text.replace("...", "*")


def test_every_snippet_is_a_file_or_console_commands():
    """A snippet the test cannot run would go stale unnoticed: none is allowed."""
    found = snippets(GUIDE.read_text(encoding="utf-8"))
    assert found, "no snippet found in the guide"
    idle = [f"line {s.line}: ```{s.info}" for s in found if s.file is None and not s.is_console]
    assert idle == []


@pytest.mark.slow
def test_the_guide_builds_a_working_tested_plugin(author_venv: Path, tmp_path: Path):
    """From an empty folder: write each file, run each command, see the output the guide shows."""
    project = tmp_path / "disk-space"
    project.mkdir()
    env = {
        **os.environ,
        "PATH": f"{author_venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "VIRTUAL_ENV": str(author_venv),
        "NO_COLOR": "1",
        "PYTHONUNBUFFERED": "1",  # stdout and stderr interleave as on a terminal
        "COLUMNS": "120",
    }
    for name in ("PYTHONPATH", "GINI_HOST_CONFIG", "GINI_HOST_DISABLE_PLUGIN_AUTOLOAD"):
        env.pop(name, None)
    for snippet in snippets(GUIDE.read_text(encoding="utf-8")):
        if snippet.file is not None:
            target = project / snippet.file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(snippet.body, encoding="utf-8")
            continue
        for command, expected in snippet.commands():
            done = subprocess.run(
                ["bash", "-c", command],
                cwd=project,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=600,
                check=False,
            )
            where = f"guide line {snippet.line}: $ {command}"
            assert done.returncode == 0, f"{where}\nexit {done.returncode}\n{done.stdout}"
            wanted = [pattern(line) for line in expected if line.strip() and line.strip() != "..."]
            actual = [" ".join(line.split()) for line in done.stdout.splitlines()]
            try:
                pytest.LineMatcher(actual).fnmatch_lines(wanted)
            except pytest.fail.Exception as exc:
                raise AssertionError(f"{where}\n{exc}") from None
