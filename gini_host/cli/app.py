"""The ``gini-host`` command group: global options, exit codes, and the host's lifetime.

Exit codes (the contract in ``docs/operators.md``): 0 success; 1 a stage failed (or, for
``preflight``, a plugin did), or a plugin's ``gini_shutdown`` raised in a command that
otherwise succeeded; 2 bad input (click usage errors and every
:class:`gini_host.errors.UsageError`: config, unknown names, cycles, conflicts, strict
mode); 130 interrupted. Bad input prints one message, and a traceback only with ``-v``.

Plugin commands (``gini_add_commands``) are looked up after the host boots, and only when
the command name is not a built-in one, so ``--help`` never boots the host.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from gini_host.cli import authoring, guide, history, listing, planning, reporting, running
from gini_host.cli.console import PROG_NAME, version_line
from gini_host.cli.session import CliSession, GlobalOptions
from gini_host.cli.signals import Interrupted
from gini_host.errors import ExitCode, GiniHostError, UsageError

__all__ = ["GiniGroup", "cli", "run"]


class GiniGroup(click.Group):
    """The root group: one :class:`CliSession` per invocation, errors mapped to exit codes."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None or ctx.resilient_parsing:
            return command
        session = ctx.find_object(CliSession)
        if session is None:  # --help and completion: no session, no boot
            return None
        session.open_host()
        return session.plugin_commands.get(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = super().list_commands(ctx)
        session = ctx.find_object(CliSession)
        if session is not None:
            names.extend(sorted(session.plugin_commands))
        return names

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.NoSuchCommand as exc:
            session = ctx.find_object(CliSession)
            extra = list(session.plugin_commands) if session is not None else []
            raise click.NoSuchCommand(
                exc.command_name, possibilities=[*self.commands, *extra], ctx=ctx
            ) from None

    def invoke(self, ctx: click.Context) -> Any:
        session = CliSession(GlobalOptions.from_params(ctx.params), root=self)
        ctx.obj = session
        code: int = ExitCode.OK
        result: Any = None
        session.start()
        try:
            result = super().invoke(ctx)
        except click.exceptions.Exit as exc:  # ctx.exit(N) in a command
            code = exc.exit_code
        except KeyboardInterrupt as exc:
            # Interrupted names its signal; another KeyboardInterrupt (the kernel's "interrupted
            # while booting", or one from a stage body) by the first signal the guard received.
            name = exc.signal_name if isinstance(exc, Interrupted) else session.signals.received
            session.report_error(f"interrupted by {name}" if name else "interrupted", exc)
            code = ExitCode.INTERRUPTED
        except UsageError as exc:
            session.report_error(str(exc), exc)
            code = ExitCode.USAGE
        except GiniHostError as exc:
            session.report_error(str(exc), exc)
            code = ExitCode.FAILED
        finally:
            shut_down_cleanly = session.close()
        if not shut_down_cleanly and code == ExitCode.OK:
            code = ExitCode.FAILED  # a failing shutdown hook fails the command (docs/operators.md)
        if session.signals.received is not None and code != ExitCode.INTERRUPTED:
            # A signal that arrived while the shutdown hooks ran (counted, not acted on, so no
            # hook was cut short) still means the command was interrupted.
            session.report_error(f"interrupted by {session.signals.received}")
            code = ExitCode.INTERRUPTED
        if code != ExitCode.OK:
            ctx.exit(code)
        return result


@click.group(
    cls=GiniGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=(
        "Plugins may add commands (hook gini_add_commands); they work like the ones above. "
        "Exit codes: 0 ok, 1 a stage failed or a shutdown or observer hook raised, 2 bad input, "
        "130 interrupted. The operator guide: gini-host help operators."
    ),
)
@click.version_option(
    "", "--version", prog_name=PROG_NAME, message=version_line(), help="Show the version and exit."
)
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    help="Config file (default: $GINI_HOST_CONFIG, else ./gini.toml when present).",
)
@click.option(
    "-p",
    "plugin_names",
    metavar="NAME",
    multiple=True,
    help="Load plugin NAME (even with --no-autoload), or disable it with -p no:NAME. Repeatable.",
)
@click.option(
    "--no-autoload",
    is_flag=True,
    help="Load only built-ins and -p plugins (also GINI_HOST_DISABLE_PLUGIN_AUTOLOAD=1).",
)
@click.option(
    "--refresh-plugins",
    is_flag=True,
    help="Rescan installed distributions instead of trusting the entry-point index.",
)
@click.option(
    "-v", "--verbose", count=True, help="More detail: DEBUG logs, tracebacks; -vv: TRACE."
)
@click.option("-q", "--quiet", count=True, help="Fewer logs: WARNING; -qq: ERROR.")
@click.option("--log-json", is_flag=True, help="Logs as one JSON object per line on stderr.")
def cli(**options: Any) -> None:
    """Run pipelines of stages that installed plugins contribute.

    TARGET is a pipeline name or a stage id (plugin::stage); a stage pulls in what it requires.
    """


def run(argv: Sequence[str] | None = None) -> NoReturn:
    """Run the click group as the console script does (:func:`gini_host.cli.console.main`)."""
    try:
        result = cli.main(args=argv, prog_name=PROG_NAME, standalone_mode=False)
        code = result if isinstance(result, int) else ExitCode.OK
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except click.Abort:  # Ctrl-C before a command started
        click.echo("interrupted", err=True)
        code = ExitCode.INTERRUPTED
    from gini_host.cli import leftovers

    if leftovers.leftover_threads():
        # Named in a warning when the session closed; the interpreter would join them.
        leftovers.exit_process(code)
    sys.exit(code)


for _command in (
    *listing.COMMANDS,
    *planning.COMMANDS,
    *running.COMMANDS,
    *history.COMMANDS,
    *reporting.COMMANDS,
    *authoring.COMMANDS,
    *guide.COMMANDS,
):
    cli.add_command(_command)
