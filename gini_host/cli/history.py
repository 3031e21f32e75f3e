"""``gini-host runs [show RUN | prune --keep N]``, and the history side of ``run --resume``.

The listing reads the database only: it boots no plugin, so it costs about what the
history's own start does, however many runs are recorded (the listing reads one row per run
shown). RUN is a run id, a unique prefix of one, or ``last``; one that names no run, or
several, is bad input (exit 2).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from gini_host.cli import output
from gini_host.cli.listing import json_option
from gini_host.cli.session import CliSession, pass_session

if TYPE_CHECKING:
    from gini_host.builtin.history.resume import ResumePlan
    from gini_host.builtin.history.store import HistoryStore
    from gini_host.kernel import Host

__all__ = ["COMMANDS", "resume_plan", "run_document"]

RUN_STATUSES = ("succeeded", "failed", "cancelled", "interrupted", "running")
#: How many runs ``gini-host runs`` lists without ``--limit``.
DEFAULT_LIMIT = 20


def _config_path(session: CliSession) -> str:
    """The history database the config names, read without booting the host."""
    from gini_host.builtin.history import history_path_for
    from gini_host.kernel.config import HostConfig, find_config_file, load_config

    if session.host is not None:
        return history_path_for(session.host.config)
    path = find_config_file(session.options.config)
    config = load_config(path) if path is not None else HostConfig()
    return history_path_for(config)


def _open(session: CliSession) -> HistoryStore | None:
    """The history store, or None when nothing was ever recorded (no database yet)."""
    from gini_host.builtin.history.store import HistoryStore

    return HistoryStore.open(_config_path(session), create=False)


def _when(epoch: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch)) if epoch else "-"


def _seconds(value: float | None) -> str:
    return f"{value:.2f}s" if value is not None else "-"


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {status}" for status, n in counts.items() if n) or "-"


@click.group("runs", invoke_without_command=True, short_help="Recorded runs, newest first.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=DEFAULT_LIMIT,
    show_default=True,
    metavar="N",
    help="Show the newest N runs.",
)
@click.option("--status", type=click.Choice(RUN_STATUSES), help="Only runs that ended so.")
@json_option
@click.pass_context
def runs_command(ctx: click.Context, limit: int, status: str | None, as_json: bool) -> None:
    """Recorded runs, newest first: id, targets, status, start, duration, stage counts.

    RUN (for show, run --resume, report) is a run id, a unique prefix of one, or 'last'.
    """
    if ctx.invoked_subcommand is not None:
        return
    from gini_host.builtin.history.document import list_runs

    session = ctx.find_object(CliSession)
    assert session is not None
    store = _open(session)
    entries = []
    if store is not None:
        with store:
            entries = list_runs(store, limit, status)
    if as_json:
        output.emit_json(entries)
        return
    if not entries:
        output.echo("no recorded runs" + (f" with status {status}" if status else ""))
        return
    rows = [
        [
            e["run_id"],
            " ".join(e["targets"]) or "-",
            output.styled(e["status"], e["status"]),
            _when(e["started_at"]),
            _seconds(e["duration"]),
            _counts(e["counts"]),
        ]
        for e in entries
    ]
    output.echo(output.table(["run", "targets", "status", "started", "duration", "stages"], rows))


@runs_command.command("show", short_help="One run with every stage.")
@click.argument("run_ref", metavar="RUN")
@json_option
@pass_session
def show_command(session: CliSession, run_ref: str, as_json: bool) -> None:
    """One recorded run with every stage: status, attempts, duration, error, value.

    With --json, the run document (its shape in docs/operators.md).
    """
    doc = run_document(session, run_ref)
    if as_json:
        output.emit_json(doc)
        return
    _print_document(doc, session.verbose)


def run_document(session: CliSession, run_ref: str) -> dict[str, Any]:
    """The run document of RUN (what ``runs show RUN --json`` prints and ``report RUN``
    renders), read from the database without booting a plugin."""
    from gini_host.builtin.history import load_run_document
    from gini_host.errors import UnknownRunError

    store = _open(session)
    if store is None:
        raise UnknownRunError(run_ref, path=_config_path(session))
    with store:
        return load_run_document(store, run_ref)


def _print_document(doc: Mapping[str, Any], verbose: bool) -> None:
    head = [
        ["run", doc["run_id"]],
        ["targets", " ".join(doc["targets"]) or "-"],
        ["status", output.styled(doc["status"], doc["status"])],
        ["started", _when(doc["started_at"])],
        ["duration", _seconds(doc["duration"])],
        ["executor", f"{doc['executor'] or '-'}" + (f" (-j {doc['jobs']})" if doc["jobs"] else "")],
        ["stages", _counts(doc["counts"])],
    ]
    if doc["resumed_from"]:
        head.append(["resumed from", doc["resumed_from"]])
    if doc["dry_run"]:
        head.append(["dry run", "yes"])
    output.echo(output.table([], head))
    output.echo()
    rows = []
    for s in doc["stages"]:
        detail = s["error"] and f"{s['error']['type']}: {s['error']['message']}"
        detail = (detail or s["reason"] or "").splitlines()[0] if (detail or s["reason"]) else ""
        if s.get("reused_from"):
            detail = f"reused from run {s['reused_from']}"
        rows.append(
            [
                s["stage_id"],
                output.styled(s["status"], s["status"]),
                str(s["attempts"]) if s["attempts"] else "-",
                _seconds(s["duration"]) if s["attempts"] else "-",
                _value_text(s),
                detail,
            ]
        )
    headers = ["stage", "status", "attempts", "duration", "value", "error / reason"]
    output.echo(output.table(headers, rows))
    if verbose:
        for s in doc["stages"]:
            if s["error"] and s["error"].get("traceback"):
                output.echo(f"\n{s['stage_id']} traceback:\n{s['error']['traceback'].rstrip()}")


def _value_text(stage: Mapping[str, Any], limit: int = 40) -> str:
    import json

    if "value" in stage:
        text = json.dumps(stage["value"], ensure_ascii=False)
    elif stage.get("value_stored"):
        text = stage.get("value_repr") or "?"
    else:
        return "(not stored)" if stage.get("value_note") and stage["attempts"] else "-"
    return text if len(text) <= limit else text[: limit - 3] + "..."


@runs_command.command("prune", short_help="Keep only the newest N runs.")
@click.option("--keep", type=click.IntRange(min=0), required=True, metavar="N")
@json_option
@pass_session
def prune_command(session: CliSession, keep: int, as_json: bool) -> None:
    """Delete every recorded run but the newest N (with their stages and logs)."""
    store = _open(session)
    pruned = kept = 0
    if store is not None:
        with store, store.reading():
            pruned = store.prune(keep)
            kept = store.count_runs()
    if as_json:
        output.emit_json({"pruned": pruned, "kept": kept})
    else:
        output.echo(f"pruned {pruned} run(s); {kept} kept")


def resume_plan(session: CliSession, host: Host, run_ref: str, force: bool) -> ResumePlan:
    """What ``run --resume RUN`` runs (see :mod:`gini_host.builtin.history.resume`)."""
    from gini_host.builtin.history import load_run_document
    from gini_host.builtin.history.resume import plan_resume
    from gini_host.errors import UnknownRunError

    store = _open(session)
    if store is None:
        raise UnknownRunError(run_ref, path=_config_path(session))
    with store, store.reading():
        doc = load_run_document(store, run_ref)
        return plan_resume(doc, store, host, force=force)


COMMANDS: Sequence[click.Command] = (runs_command,)
