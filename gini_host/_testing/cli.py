"""Running ``gini-host`` from a test, in-process or as a subprocess: what ``gini_cli`` does."""

from __future__ import annotations

import json
import os
import subprocess as _subprocess
import sys
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, final

import attrs
import pytest

__all__ = ["CliInvoker", "CliResult"]


@final
@attrs.frozen(slots=True)
class CliResult:
    """What one ``gini-host`` invocation did.

    ``exception`` is set in-process when the command crashed (its traceback is then also at
    the end of ``stderr``, as a subprocess would print it).
    """

    args: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None = attrs.field(default=None, repr=False)

    @property
    def json(self) -> Any:
        """``stdout`` parsed as JSON; only for invocations that were given ``--json``."""
        if "--json" not in self.args:
            raise ValueError(f"gini-host {' '.join(self.args)}: .json needs --json in the args")
        try:
            return json.loads(self.stdout)
        except ValueError as exc:
            raise AssertionError(
                f"gini-host {' '.join(self.args)} did not print JSON ({exc}):\n{self.stdout}"
            ) from None

    def fnmatch_lines(self, lines: Sequence[str], *, stderr: bool = False) -> None:
        """Assert that ``lines`` (fnmatch patterns) match lines of stdout (or stderr), in order,
        with pytest's ``LineMatcher``; a failure shows the whole output."""
        __tracebackhide__ = True
        text = self.stderr if stderr else self.stdout
        pytest.LineMatcher(text.splitlines()).fnmatch_lines(list(lines))

    def __str__(self) -> str:
        return (
            f"gini-host {' '.join(self.args)} -> exit {self.exit_code}\n"
            f"--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr}"
        )


class CliInvoker:
    """Factory fixture: ``gini_cli(*args, subprocess=False, env=None, input=None, cwd=None)``.

    In-process, the command runs through click's ``CliRunner`` on ``gini_host.cli.cli``, so
    ``hook_recorder`` sees its hosts and a debugger reaches into it. As a subprocess it runs
    ``python -m gini_host`` with ``site`` (``plugin_dist``'s directory, when the test uses
    it) on ``PYTHONPATH``, exactly as an operator would run it.
    """

    def __init__(self, site: Path | None = None) -> None:
        self.site = site

    def __call__(
        self,
        *args: str | os.PathLike[str],
        subprocess: bool = False,
        env: Mapping[str, str] | None = None,
        input: str | None = None,
        cwd: str | os.PathLike[str] | None = None,
        timeout: float = 120,
    ) -> CliResult:
        """Run ``gini-host ARGS``; ``env`` entries are added to the environment for the run."""
        argv = tuple(os.fspath(a) for a in args)
        if subprocess:
            return self._subprocess(argv, env or {}, input, cwd, timeout)
        if cwd is not None:
            raise TypeError("gini_cli: cwd= needs subprocess=True; use monkeypatch.chdir()")
        return self._in_process(argv, env or {}, input)

    def _in_process(
        self, argv: tuple[str, ...], env: Mapping[str, str], input: str | None
    ) -> CliResult:
        from click.testing import CliRunner

        from gini_host.cli import cli

        runner = CliRunner()
        # CliRunner restores os.environ after the run; sys.path is plugin_dist's to manage.
        outcome = runner.invoke(
            cli, list(argv), input=input, env=dict(env), catch_exceptions=True
        )
        stderr = outcome.stderr
        crash = outcome.exception
        if crash is not None and not isinstance(crash, SystemExit):
            stderr += "".join(traceback.format_exception(crash))
        else:
            crash = None
        return CliResult(argv, outcome.exit_code, outcome.stdout, stderr, crash)

    def _subprocess(
        self,
        argv: tuple[str, ...],
        env: Mapping[str, str],
        input: str | None,
        cwd: str | os.PathLike[str] | None,
        timeout: float,
    ) -> CliResult:
        full_env = {**os.environ, **env}
        if self.site is not None:
            parts = [str(self.site), full_env.get("PYTHONPATH", "")]
            full_env["PYTHONPATH"] = os.pathsep.join(p for p in parts if p)
        done = _subprocess.run(
            [sys.executable, "-m", "gini_host", *argv],
            input=input,
            capture_output=True,
            text=True,
            env=full_env,
            cwd=cwd,
            timeout=timeout,
            check=False,
        )
        return CliResult(argv, done.returncode, done.stdout, done.stderr)
