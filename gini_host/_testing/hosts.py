"""Booted hosts for tests (``make_host``) and running their pipelines (``run_pipeline``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from gini_host.errors import InactivePluginsError, UnknownNameError, UsageError
from gini_host.kernel.config import HostConfig
from gini_host.kernel.host import Host
from gini_host.stages.results import PipelineResult

__all__ = ["HostFactory", "run_pipeline"]

E = TypeVar("E", bound=BaseException)


class HostFactory:
    """Factory fixture: ``make_host(*plugins, config=None, autoload=False, **options)``."""

    def __init__(self) -> None:
        self.hosts: list[Host] = []

    def __call__(
        self,
        *plugins: object,
        config: HostConfig | Mapping[str, Any] | str | None = None,
        autoload: bool = False,
        **options: Any,
    ) -> Host:
        """A booted host with ``plugins`` (modules, classes, instances); shut down at teardown.

        ``config`` is a mapping or TOML text like ``gini.toml``; ``options`` go to
        :class:`gini_host.Host` (``enable``, ``disable``, ``paths``, ...).

        A plugin named in ``enable`` that never got to boot (not installed, no entry point,
        its import or hooks failed, disabled, incompatible) raises
        :class:`~gini_host.errors.InactivePluginsError` at once, saying why for each. One
        that loaded but failed its own configure, preflight or init is returned, so a test
        can assert on its reason.
        """
        __tracebackhide__ = True
        host = Host(plugins, config=config, autoload=autoload, **options)
        self.hosts.append(host)
        enable = tuple(options.get("enable", ()))
        try:
            host.boot()
        except UnknownNameError as exc:
            # The host names the flag the CLI would have used (-p NAME); the test used enable=.
            flags = {
                f"-p {exc.name}": f"make_host(enable=[{exc.name!r}])",
                f"-p no:{exc.name}": f"make_host(disable=[{exc.name!r}])",
            }
            where = flags.get(exc.where, exc.where)
            raise _short(
                UnknownNameError(where, exc.name, exc.kind, exc.suggestions, exc.cause)
            ) from None
        except UsageError as exc:
            raise _short(exc) from None
        inactive = _inactive(host, enable)
        if inactive:
            raise _short(InactivePluginsError(f"make_host(enable={list(enable)!r})", inactive))
        return host

    def close(self) -> None:
        """Shut every host down, newest first; a host's shutdown errors are its own to report."""
        for host in reversed(self.hosts):
            host.shutdown()


def run_pipeline(host: Host, *targets: str, **options: Any) -> PipelineResult:
    """Plan ``targets`` (pipeline names or stage ids) on ``host`` and run them.

    ``options`` are those of :meth:`gini_host.Host.run`: ``dry_run``, ``executor``,
    ``max_workers``, ``keep_going``, ``stage_config``. Stage failures do not raise; the
    result holds them (check it with ``assert_statuses``). Bad targets raise
    :class:`gini_host.PipelineError`, as ``gini-host run`` exits 2 for them.
    """
    __tracebackhide__ = True
    if not targets:
        raise TypeError("run_pipeline needs at least one target (a pipeline name or a stage id)")
    try:
        return host.run(list(targets), **options)
    except UsageError as exc:
        # Bad targets or config: the message says it all; the host's frames would bury it.
        raise _short(exc) from None


def _inactive(host: Host, names: Sequence[str]) -> dict[str, str]:
    """Each of ``names`` that never got to boot, with why."""
    from gini_host.kernel.absence import why_inactive

    versions = host.installed.versions if host.installed is not None else None
    found: dict[str, str] = {}
    for name in names:
        # An enabled module (``enable=["pkg.hooks"]``) is the plugin ``hooks``.
        info = next((p for p in host.plugins if name in (p.name, p.entry_point)), None)
        if info is not None and host.was_configured(info.name):
            continue  # it booted; a failed preflight or init is what the test may check
        why = why_inactive(info.name if info else name, host.plugins, versions)
        if why is not None:
            found[name] = why
    return found


def _short(exc: E) -> E:
    """``exc`` without the frames it was raised through (host internals)."""
    return exc.with_traceback(None)
