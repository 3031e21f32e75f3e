"""``gini-host preflight | run``: checking plugins and running plans."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from gini_host import capture
from gini_host.cli import output
from gini_host.cli.listing import json_option
from gini_host.cli.session import CliSession, pass_session
from gini_host.errors import ExitCode

if TYPE_CHECKING:
    from gini_host.kernel.host import Host
    from gini_host.stages.pipeline import Pipeline
    from gini_host.stages.results import PipelineResult

#: gini_host.kernel.limits.MAX_JOBS, as a literal: ``--help`` imports no kernel module.
_MAX_JOBS = 1024

__all__ = ["COMMANDS"]

_PREFLIGHT_STAGE = "core::preflight"
#: One line after a failed run: the traceback is there, one flag away.
_TRACEBACK_HINT = "run again with -v to see the traceback of each failed stage"
#: Plugin statuses that mean "broken", as opposed to disabled on purpose.
_BROKEN = ("failed", "incompatible")


@click.command("preflight", short_help="Each plugin's preflight verdict; 1 if any failed.")
@json_option
@pass_session
def preflight_command(session: CliSession, as_json: bool) -> None:
    """Each plugin's preflight verdict and problems; exit 1 when any plugin failed.

    Verdicts: passed, failed (preflight problems, or the plugin is broken: import, version,
    init), not checked (disabled, so never asked).
    """
    host = session.open_host()
    verdicts = _preflight_verdicts(host)
    entries = [(info, *verdicts[info.name]) for info in host.plugins]
    failed = any(verdict == "failed" for _, verdict, _ in entries)
    if as_json:
        output.emit_json([output.preflight_json(i, v, p) for i, v, p in entries])
    else:
        rows = [
            [info.name, output.styled(verdict, verdict), "; ".join(problems) or info.reason or ""]
            for info, verdict, problems in entries
        ]
        output.echo(output.table(["plugin", "verdict", "problems"], rows))
    if failed:
        click.get_current_context().exit(ExitCode.FAILED)


def _preflight_verdicts(host: Host) -> dict[str, tuple[str, list[str]]]:
    """Verdicts from the boot's own preflight stage (hooks are not called twice)."""
    ran: Mapping[str, list[str]] = {}
    if host.boot_result is not None and _PREFLIGHT_STAGE in host.boot_result:
        ran = host.boot_result[_PREFLIGHT_STAGE].value or {}
    verdicts: dict[str, tuple[str, list[str]]] = {}
    for info in host.plugins:
        problems = list(ran.get(info.name, ()))
        if problems:
            verdicts[info.name] = ("failed", problems)
        elif info.status.value in _BROKEN:
            verdicts[info.name] = ("failed", [info.reason or info.status.value])
        elif info.name in ran:
            verdicts[info.name] = ("passed", [])
        else:
            verdicts[info.name] = ("not checked", [])
    return verdicts


@click.command("run", short_help="Run pipelines and stages (TARGET...), or resume a run.")
@click.argument("targets", metavar="TARGET...", nargs=-1)
@click.option(
    "--resume",
    "resume",
    metavar="RUN",
    help="Run again what did not succeed in recorded run RUN (an id, a prefix, or 'last').",
)
@click.option(
    "--force",
    is_flag=True,
    help="With --resume: resume even though the plan, config or plugin versions changed.",
)
@click.option("--dry-run", is_flag=True, help="Describe what each stage would do; run none.")
@click.option(
    "-j",
    "--jobs",
    # The bound of [run] jobs: a typo (-j 100000) must not start that many worker processes.
    type=click.IntRange(min=1, max=_MAX_JOBS),
    metavar="N",
    help="Run up to N stages at once (N > 1 picks the threads executor unless one is chosen).",
)
@click.option(
    "--executor",
    metavar="NAME",
    help="sequential, threads, async, processes or dask (default: [run].executor).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Dask scheduler address for --executor dask (default: a local cluster for the run).",
)
@click.option(
    "--keep-going",
    is_flag=True,
    default=None,
    help="After a failure, still run the stages that do not depend on it.",
)
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="Stage config override, plugin::stage.key=value (value is TOML). Repeatable.",
)
@json_option
@pass_session
def run_command(
    session: CliSession,
    targets: tuple[str, ...],
    dry_run: bool,
    jobs: int | None,
    executor: str | None,
    scheduler: str | None,
    keep_going: bool | None,
    settings: tuple[str, ...],
    as_json: bool,
    resume: str | None,
    force: bool,
) -> None:
    """Run TARGET... as one plan: pipeline names and stage ids with what they require.

    --resume RUN runs the recorded run's targets again, taking the results of the stages
    that succeeded then instead of running them (docs/operators.md, History and resume).
    Exit 0 when every stage succeeded, 1 when one failed (or an observer hook raised), 130
    when interrupted.
    """
    from gini_host.kernel.config import parse_set_options
    from gini_host.stages.control import RunControl
    from gini_host.stages.observers import ObserverError

    if resume is not None and targets:
        raise click.UsageError("give TARGET... or --resume RUN, not both")
    if resume is None and not targets:
        raise click.UsageError("Missing argument 'TARGET...' (or --resume RUN).")
    if force and resume is None:
        raise click.UsageError("--force is for --resume RUN")
    overrides = parse_set_options(settings)  # bad input fails before anything boots
    chosen = _scheduled_executor(executor, scheduler)
    # stdout is the host's from here on: what any plugin code prints (threads its stages
    # started included) goes to stderr, and only the host's own output reaches stdout.
    with capture.host_owns_stdout():
        host = session.open_host()
        pipeline, reuse, labels, targets = _what_to_run(session, host, targets, resume, force)
        stage_config = _stage_config(host, pipeline, overrides)
        if not as_json:
            session.attach_reporter()
        observers_failed: ObserverError | None = None
        with session.signals.watching(RunControl()) as control:
            try:
                result = host.run(
                    pipeline,
                    dry_run=dry_run,
                    executor=chosen,
                    max_workers=jobs,
                    keep_going=keep_going,
                    control=control,
                    stage_config=stage_config,
                    reuse=reuse,
                    labels=labels,
                    asked_for=targets,
                )
            except ObserverError as exc:
                # Each plugin and hook that raised was named as it happened; the run is whole.
                observers_failed, result = exc, exc.result
        session.ran_stages = tuple(result)
        if as_json:
            output.emit_json(output.run_json(result, targets, labels.get("resumed_from")))
        else:
            _print_outcome(session, pipeline, result)
        code = _exit_code(result, session)
        if code == ExitCode.OK and observers_failed is not None:
            # An observer that raised is a plugin bug to see (docs/operators.md).
            code = ExitCode.FAILED
        if code == ExitCode.INTERRUPTED:
            _warn_interrupted(session, result)
        if code:
            click.get_current_context().exit(code)


def _what_to_run(
    session: CliSession, host: Host, targets: Sequence[str], resume: str | None, force: bool
) -> tuple[Pipeline, Mapping[str, Any], dict[str, str], tuple[str, ...]]:
    """The plan, the results it reuses, the run's labels and its targets: those given, or
    for ``--resume RUN`` those of the recorded run (see gini_host.builtin.history.resume)."""
    if resume is None:
        return host.plan(targets), {}, {}, tuple(targets)
    from gini_host.cli.history import resume_plan

    plan = resume_plan(session, host, resume, force)
    return plan.pipeline, plan.reuse, dict(plan.labels), plan.targets


def _warn_interrupted(session: CliSession, result: PipelineResult) -> None:
    from gini_host.logs import logger

    cancelled = sum(1 for r in result.values() if r.status.value == "cancelled")
    logger.warning(
        "run {} interrupted by {}: {} stage(s) cancelled",
        result.run_id,
        session.signals.received or "an interrupt",
        cancelled,
    )


def _scheduled_executor(executor: str | None, scheduler: str | None) -> Any:
    """``--scheduler`` binds the dask executor to a cluster; it means nothing elsewhere."""
    if scheduler is None:
        return executor
    if executor not in (None, "dask"):
        raise click.UsageError(f"--scheduler is for --executor dask, not {executor}")
    import functools

    from gini_host.stages.executors.dask import DaskStrategy

    return functools.partial(DaskStrategy, scheduler=scheduler)


def _stage_config(
    host: Host, pipeline: Pipeline, overrides: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """``--set`` overrides merged over each stage's ``[stages."id".config]``; unknown ids
    are typos (exit 2), stages outside this plan are ignored with a warning."""
    from gini_host.kernel.config import SET_FLAG, ConfigError, merge_tables
    from gini_host.logs import logger
    from gini_host.naming import did_you_mean, suggest

    merged: dict[str, dict[str, Any]] = {}
    known = [s.id for s in host.stages]
    for sid, extra in overrides.items():
        if sid not in known:
            more = did_you_mean(suggest(sid, known))
            raise ConfigError(SET_FLAG, f"unknown stage {sid!r}{more}")
        if sid not in pipeline:
            logger.warning("{} {}: stage is not in this plan; ignored", SET_FLAG, sid)
            continue
        settings = host.config.stage_settings(sid)
        base = settings.config if settings is not None else {}
        merged[sid] = merge_tables(base, extra)
    return merged


def _print_outcome(session: CliSession, pipeline: Pipeline, result: PipelineResult) -> None:
    """Dry run: each stage's description. Run: the targets' return values, and with -v the
    traceback of every failed stage."""
    from gini_host.stages.results import StageStatus

    reporter_on = _reporter_attached(session)
    if result.dry_run:
        output.echo(output.styled(f"dry run of {pipeline.name}: nothing was executed", bold=True))
        for sid, r in result.items():
            if r.status is StageStatus.DRY_RUN:
                text = str(r.value)
            else:
                text = output.styled(f"({r.status.value}: {r.detail})", r.status.value)
            output.echo(f"  {sid}: {text}")
    else:
        for sid in pipeline.targets:
            r = result[sid]
            if r.status is StageStatus.SUCCEEDED and r.value is not None:
                output.echo()
                output.echo(output.styled(sid, bold=True))
                output.echo(output.shown_value(r.value, sid, indent=2))
    traced = {
        sid: r.error.traceback
        for sid, r in result.failures.items()
        if r.error is not None and r.error.traceback
    }
    if session.verbose:
        for sid, traceback in traced.items():
            output.echo(f"{sid} traceback:\n{traceback.rstrip()}", err=True)
    elif traced:
        output.echo(f"hint: {_TRACEBACK_HINT}", err=True)
    if not reporter_on:
        # Without the reporter (-p no:reporter), still say how the run ended and why.
        for sid, r in result.failures.items():
            output.echo(f"{output.styled('failed:', 'failed')} {sid}: {r.detail}", err=True)
        output.echo(f"{result.pipeline}: {result.status} (run {result.run_id})", err=True)


def _reporter_attached(session: CliSession) -> bool:
    from gini_host.builtin.reporter import ReporterPlugin

    if session.host is None:
        return False
    reporter = session.host.plugin_manager.get_plugin("reporter")
    return isinstance(reporter, ReporterPlugin) and reporter.attached


def _exit_code(result: PipelineResult, session: CliSession) -> int:
    if result.interrupted or session.signals.received is not None:
        return ExitCode.INTERRUPTED
    return ExitCode.OK if result.ok else ExitCode.FAILED


COMMANDS: Sequence[click.Command] = (preflight_command, run_command)
