"""Running ``gini-host`` from a test, in-process or as a subprocess: what ``gini_cli`` does."""

from __future__ import annotations

import json
import os
import signal
import subprocess as _subprocess
import sys
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, final

import attrs
import pytest

__all__ = ["CliInvoker", "CliProcess", "CliResult"]


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


@final
class CliProcess:
    """A ``gini-host`` subprocess still running (from :meth:`CliInvoker.start`), for tests
    that act while it runs: send it a signal, then :meth:`finish` it."""

    def __init__(self, args: tuple[str, ...], popen: _subprocess.Popen[str]) -> None:
        self.args = args
        self.popen = popen

    @property
    def running(self) -> bool:
        """True until the process has exited."""
        return self.popen.poll() is None

    def send_signal(self, signum: int = signal.SIGTERM) -> None:
        """Send ``signum`` (SIGTERM by default) to the process."""
        self.popen.send_signal(signum)

    def finish(self, timeout: float = 60) -> CliResult:
        """Wait for the process to exit (killed after ``timeout`` seconds); its result."""
        try:
            stdout, stderr = self.popen.communicate(timeout=timeout)
        except _subprocess.TimeoutExpired:
            self.popen.kill()
            stdout, stderr = self.popen.communicate()
            stderr += f"\n[gini_cli: killed after {timeout} s]\n"
        return CliResult(self.args, self.popen.returncode, stdout, stderr)


class CliInvoker:
    """Factory fixture: ``gini_cli(*args, subprocess=False, env=None, input=None, cwd=None)``.

    In-process, the command runs through click's ``CliRunner`` on ``gini_host.cli.cli``, so
    ``hook_recorder`` sees its hosts and a debugger reaches into it. As a subprocess it runs
    ``python -m gini_host`` with ``site`` (``plugin_dist``'s directory, when the test uses
    it) on ``PYTHONPATH``, exactly as an operator would run it. :meth:`start` starts such a
    subprocess without waiting for it.
    """

    def __init__(self, site: Path | None = None) -> None:
        self.site = site
        self._started: list[CliProcess] = []

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

    def start(
        self,
        *args: str | os.PathLike[str],
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> CliProcess:
        """Start ``python -m gini_host ARGS`` and return at once; the fixture kills it at
        teardown if the test did not :meth:`CliProcess.finish` it."""
        argv = tuple(os.fspath(a) for a in args)
        popen = _subprocess.Popen(
            [sys.executable, "-m", "gini_host", *argv],
            stdin=_subprocess.DEVNULL,
            stdout=_subprocess.PIPE,
            stderr=_subprocess.PIPE,
            text=True,
            env=self._subprocess_env(env or {}),
            cwd=cwd,
        )
        process = CliProcess(argv, popen)
        self._started.append(process)
        return process

    def close(self) -> None:
        """Kill every started process that is still running (fixture teardown)."""
        for process in self._started:
            if process.running:
                process.popen.kill()
            process.popen.communicate()
        self._started.clear()

    def _subprocess_env(self, env: Mapping[str, str]) -> dict[str, str]:
        full_env = {**os.environ, **env}
        if self.site is not None:
            parts = [str(self.site), full_env.get("PYTHONPATH", "")]
            full_env["PYTHONPATH"] = os.pathsep.join(p for p in parts if p)
        return full_env

    def _subprocess(
        self,
        argv: tuple[str, ...],
        env: Mapping[str, str],
        input: str | None,
        cwd: str | os.PathLike[str] | None,
        timeout: float,
    ) -> CliResult:
        done = _subprocess.run(
            [sys.executable, "-m", "gini_host", *argv],
            input=input,
            capture_output=True,
            text=True,
            env=self._subprocess_env(env),
            cwd=cwd,
            timeout=timeout,
            check=False,
        )
        return CliResult(argv, done.returncode, done.stdout, done.stderr)
