"""Booted hosts for tests (``make_host``) and running their pipelines (``run_pipeline``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gini_host.kernel.config import HostConfig
from gini_host.kernel.host import Host
from gini_host.stages.results import PipelineResult

__all__ = ["HostFactory", "run_pipeline"]


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
        """
        host = Host(plugins, config=config, autoload=autoload, **options)
        self.hosts.append(host)
        return host.boot()

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
    if not targets:
        raise TypeError("run_pipeline needs at least one target (a pipeline name or a stage id)")
    return host.run(list(targets), **options)
