"""One command-line invocation: the global options, the console log sink, the signal
handlers, and the host, booted on first need and always shut down.

Commands reach the session through click's context object (``ctx.obj``); commands that
plugins add use :func:`current_host`. The kernel is imported only when a host is needed, so
``gini-host --help`` and ``gini-host run --help`` stay fast.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import click

from gini_host import logs
from gini_host.cli.signals import SignalGuard
from gini_host.errors import PluginHookError
from gini_host.logs import logger

if TYPE_CHECKING:
    from gini_host.kernel.host import Host
    from gini_host.kernel.plugins import PluginInfo

__all__ = ["CliSession", "GlobalOptions", "current_host", "pass_session"]

#: ``-p no:NAME`` disables NAME, as in pytest.
DISABLE_PREFIX = "no:"


class GlobalOptions(NamedTuple):
    """The options given before the command name (a NamedTuple: cheaper to define at import
    time than an attrs class, and this module is on every command's start-up path)."""

    config: str | None = None
    enable: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    #: None: decided by ``GINI_HOST_DISABLE_PLUGIN_AUTOLOAD``; False: ``--no-autoload``.
    autoload: bool | None = None
    verbosity: int = 0
    log_json: bool = False
    refresh_plugins: bool = False

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> GlobalOptions:
        enable: list[str] = []
        disable: list[str] = []
        for value in params.get("plugin_names") or ():
            if value.startswith(DISABLE_PREFIX):
                name = value[len(DISABLE_PREFIX) :].strip()
                if not name:
                    raise click.BadParameter("give a plugin name after 'no:'", param_hint="-p")
                disable.append(name)
            else:
                enable.append(value)
        return cls(
            config=params.get("config_path"),
            enable=tuple(enable),
            disable=tuple(disable),
            autoload=False if params.get("no_autoload") else None,
            verbosity=int(params.get("verbose") or 0) - int(params.get("quiet") or 0),
            log_json=bool(params.get("log_json")),
            refresh_plugins=bool(params.get("refresh_plugins")),
        )


class CliSession:
    """State of one invocation; :meth:`close` undoes everything :meth:`start` and boot did."""

    def __init__(self, options: GlobalOptions, root: click.Group) -> None:
        self.options = options
        self.root = root
        self.signals = SignalGuard()
        self.host: Host | None = None
        self.log_handler_id: int | None = None
        #: Whether :meth:`start` removed loguru's default handler (:meth:`close` puts it back).
        self.removed_default_handler = False
        #: Commands plugins added through ``gini_add_commands``, by name.
        self.plugin_commands: dict[str, click.Command] = {}
        #: Ids of the stages the command ran (``run``), to name a leftover thread's stage.
        self.ran_stages: tuple[str, ...] = ()
        #: Threads alive before the command started (not plugin leftovers).
        self._threads_before: frozenset[threading.Thread] = frozenset()

    @property
    def verbose(self) -> bool:
        return self.options.verbosity > 0

    def start(self) -> None:
        self._threads_before = frozenset(threading.enumerate())
        self.removed_default_handler = logs.remove_default_handler()
        self.log_handler_id = logs.add_console_sink(
            self.options.verbosity, json=self.options.log_json
        )
        self.signals.install()

    def open_host(self) -> Host:
        """The booted host (booted on the first call); its plugins' commands are added."""
        if self.host is not None:
            return self.host
        from gini_host.kernel.host import Host

        host = Host.from_environment(
            config_path=self.options.config,
            enable=self.options.enable,
            disable=self.options.disable,
            autoload=self.options.autoload,
            refresh_plugins=self.options.refresh_plugins,
        )
        # The console is the operator's when they chose -v/-q/--log-json: publish no handler,
        # so a logging plugin adds its file sink but leaves the console as asked.
        explicit = self.options.verbosity != 0 or self.options.log_json
        host.log_handler_id = None if explicit else self.log_handler_id
        # Tells the operator's Ctrl-C from a KeyboardInterrupt that plugin code raised.
        host.plugins.runner.signal_received = self.signals.signal_received
        self.host = host  # set before boot: a boot that fails halfway is still shut down
        host.boot()
        # The boot pipeline turns an interrupt into cancelled boot stages; honour it here.
        self.signals.check()
        self._add_plugin_commands(host)
        return host

    def _add_plugin_commands(self, host: Host) -> None:
        """Call ``gini_add_commands`` per active plugin with a fresh view of the root group.

        A view rather than the root itself: the root is module state, and a plugin's commands
        must not outlive the host that loaded it (a second invocation in the same process).
        """
        view = click.Group(self.root.name, commands=dict(self.root.commands))
        for info in host.active_plugins():
            if "gini_add_commands" not in info.hooks:
                continue
            before = dict(view.commands)
            try:
                host.call_plugin_hook(info, "gini_add_commands", cli=view)
            except PluginHookError as exc:
                from gini_host.kernel.plugins import PluginStatus

                host.fail_plugin(info, PluginStatus.FAILED, exc.detail)
                view.commands = before
                continue
            self._harvest(info, before, view)

    def _harvest(
        self, info: PluginInfo, before: dict[str, click.Command], view: click.Group
    ) -> None:
        for name, command in list(view.commands.items()):
            if before.get(name) is command:
                continue
            owner = "gini-host" if name in self.root.commands else "another plugin"
            if name in before:
                logger.warning(
                    "plugin {}: command {!r} is already defined by {}; ignored",
                    info.name,
                    name,
                    owner,
                )
                view.commands[name] = before[name]
                continue
            self.plugin_commands[name] = command

    def attach_reporter(self) -> None:
        """Turn on the built-in terminal reporter (when it is active) for this run."""
        if self.host is None:
            return
        from gini_host.builtin.reporter import ReporterPlugin

        reporter = self.host.plugin_manager.get_plugin("reporter")
        if isinstance(reporter, ReporterPlugin):
            reporter.attach(self.host)

    def report_error(self, message: str, exc: BaseException | None = None) -> None:
        """One error message on stderr (a JSON log record under ``--log-json``); ``-v`` adds
        the traceback of ``exc``."""
        detail = ""
        if exc is not None and self.verbose:
            import traceback

            detail = "".join(traceback.format_exception(exc)).rstrip()
        if self.options.log_json:
            logger.error("{}{}", message, "\n" + detail if detail else "")
            return
        from gini_host.cli.output import echo, styled

        if detail:
            echo(detail, err=True)
        echo(f"{styled('error:', 'failed')} {message}", err=True)

    def close(self) -> bool:
        """Shut the host down (every plugin's ``gini_shutdown``), then undo logging/signals
        (loguru's default handler is back if :meth:`start` removed it).

        Returns False when a shutdown hook failed. Each failure is reported here, one line per
        plugin, and not left to the kernel's log record alone: a logging plugin has removed
        its console sink by then (in its own ``gini_shutdown``), so that record may reach no
        one.
        """
        failed: BaseExceptionGroup[BaseException] | None = None
        try:
            if self.host is not None:
                with self.signals.shutting_down():
                    failed = self.host.shutdown()
            if failed is not None:
                for exc in failed.exceptions:
                    self.report_error(str(exc), exc)
            self._warn_leftover_threads()
        finally:
            self.signals.restore()
            logs.remove_sink(self.log_handler_id)
            if self.removed_default_handler:
                logs.restore_default_handler()
        return failed is None

    def _warn_leftover_threads(self) -> None:
        """Name the threads plugin code left running (the command line exits without them)."""
        from gini_host.cli.leftovers import describe, leftover_threads

        for thread in leftover_threads():
            if thread in self._threads_before:
                continue  # not this command's: an embedder's or a test runner's
            logger.warning(
                "{} is still running after the plugins shut down; gini-host exits without "
                "waiting for it",
                describe(thread, self.host, self.ran_stages),
            )


pass_session = click.make_pass_decorator(CliSession)


def current_host() -> Host:
    """The booted host of the running ``gini-host`` command, for commands plugins add."""
    session = click.get_current_context().find_object(CliSession)
    if session is None:
        raise RuntimeError("current_host() is only available inside a gini-host command")
    return session.open_host()
