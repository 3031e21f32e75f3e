"""What the command line prints: the stable JSON shapes, and text for people.

The JSON builders are the contract documented in ``docs/operators.md``; change a shape only
through an issue. Text output is plain aligned columns (easy to grep) with colour only on a
terminal and never under ``NO_COLOR``.
"""

from __future__ import annotations

import enum
import json
import math
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Final, TypeVar

import click

from gini_host import capture
from gini_host.logs import color_enabled

if TYPE_CHECKING:
    from gini_host.bounded import BoundedCaller, Outcome
    from gini_host.kernel.plugins import PluginInfo
    from gini_host.stages.pipeline import Pipeline, PipelineSpec
    from gini_host.stages.results import PipelineResult, StageResult
    from gini_host.stages.stage import Stage

__all__ = [
    "echo",
    "emit_json",
    "json_value",
    "pipeline_json",
    "plan_json",
    "plugin_json",
    "preflight_json",
    "render_value",
    "run_json",
    "shown_json_value",
    "shown_value",
    "stage_json",
    "styled",
    "table",
    "table_lines",
]

T = TypeVar("T")

#: Colours of statuses in text output (plugin and stage statuses share the words).
STATUS_COLORS: Final = {
    "active": "green",
    "succeeded": "green",
    "passed": "green",
    "failed": "red",
    "incompatible": "red",
    "cancelled": "yellow",
    "skipped": "yellow",
    "disabled": "yellow",
    "not checked": "yellow",
    "dry_run": "cyan",
    "interrupted": "magenta",
    "running": "blue",
}


# -- JSON shapes ------------------------------------------------------------------------------


def plugin_json(info: PluginInfo) -> dict[str, Any]:
    """``{name, version, distribution, status, reason, builtin, hooks}``."""
    return {
        "name": info.name,
        "version": info.version,
        "distribution": info.distribution,
        "status": info.status.value,
        "reason": info.reason,
        "builtin": info.builtin,
        "hooks": list(info.hooks),
    }


def stage_json(stage: Stage) -> dict[str, Any]:
    """``{id, plugin, requires, description, tags}``."""
    return {
        "id": stage.id,
        "plugin": stage.plugin,
        "requires": list(stage.requires),
        "description": stage.description,
        "tags": list(stage.tags),
    }


def pipeline_json(spec: PipelineSpec) -> dict[str, Any]:
    """``{name, description, stages, source}``; source is a plugin name or ``config``."""
    return {
        "name": spec.name,
        "description": spec.description,
        "stages": list(spec.stages),
        "source": spec.source,
    }


def plan_json(pipeline: Pipeline) -> dict[str, Any]:
    """``show --json``: the plan with its layers and why each stage is in it."""
    layer_of = {sid: i for i, layer in enumerate(pipeline.layers) for sid in layer}
    return {
        "name": pipeline.name,
        "description": pipeline.description,
        "targets": list(pipeline.targets),
        "layers": [list(layer) for layer in pipeline.layers],
        "stages": [
            {
                "id": sid,
                "plugin": stage.plugin,
                "layer": layer_of[sid],
                "requires": list(pipeline.requires[sid]),
                "required_by": list(pipeline.required_by[sid]),
                "why": pipeline.why(sid),
                "description": stage.description,
            }
            for sid, stage in pipeline.stages.items()
        ],
    }


def preflight_json(info: PluginInfo, verdict: str, problems: Sequence[str]) -> dict[str, Any]:
    """``{name, version, distribution, status, reason, verdict, problems}``."""
    return {
        "name": info.name,
        "version": info.version,
        "distribution": info.distribution,
        "status": info.status.value,
        "reason": info.reason,
        "verdict": verdict,
        "problems": list(problems),
    }


def stage_result_json(result: StageResult) -> dict[str, Any]:
    """``{status, plugin, duration_s, attempts, error, reason, reused_from, value,
    value_repr, description}``; error is one line or null.

    ``value`` is the stage's return value when it is JSON (it survives a round trip),
    else null with ``value_repr``, a bounded repr, saying what it was; ``description`` is
    what a dry run says the stage would do (null outside dry runs).
    """
    from gini_host.stages.results import StageStatus

    dry = result.status is StageStatus.DRY_RUN
    value, value_repr = (None, None) if dry else shown_json_value(result.value, result.stage_id)
    return {
        "status": result.status.value,
        "plugin": result.plugin,
        "duration_s": round(result.duration, 6),
        "attempts": result.attempts,
        "error": result.error.one_line() if result.error is not None else None,
        "reason": result.reason,
        # Set for a resumed run's stages taken from the run it resumed (not run again).
        "reused_from": result.reused_from,
        "value": value,
        "value_repr": value_repr,
        "description": str(result.value) if dry else None,
    }


def json_value(value: object) -> tuple[Any, str | None]:
    """``(value, None)`` when ``value`` is JSON that round-trips, else ``(None, repr)``.

    Plugin data: it may hold itself (``json`` says "circular reference"), nest deeper than
    the interpreter recurses, hold NaN (not JSON) or keys that collide once made strings
    (``{1: a, "1": b}``); each gives the bounded repr instead of a broken document.
    """
    from gini_host.shown import safe_repr

    if value is None:
        return None, None
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False)
        again = json.loads(text)
        if json.dumps(again, allow_nan=False, ensure_ascii=False) == text:
            return again, None
    except KeyboardInterrupt:
        raise
    except BaseException:  # TypeError, ValueError, RecursionError, or a subclass's own
        pass
    return None, safe_repr(value)


#: Seconds showing one stage value (its ``repr``, its ``items()``: plugin code) may take before
#: a placeholder is shown instead and the call is abandoned (:mod:`gini_host.bounded`).
SHOW_LIMIT: Final = 5.0
#: Values of these types are shown without calling any method a plugin could have written.
_INERT: Final = (type(None), str, int, float, bool)


def shown_json_value(value: object, label: str) -> tuple[Any, str | None]:
    """:func:`json_value` run as the plugin code it is: within :data:`SHOW_LIMIT`, what it
    prints labelled ``[label]``, anything it raises (``KeyboardInterrupt`` too) a
    placeholder: a stage's value can neither hang the host's output nor pass for a Ctrl-C."""
    if type(value) in _INERT:
        return json_value(value)
    outcome = _bounded(lambda: json_value(value), label)
    if outcome.finished and outcome.error is None and outcome.value is not None:
        return outcome.value
    return None, _not_shown(value, outcome.error)


def shown_value(value: object, label: str, indent: int = 0) -> str:
    """:func:`render_value` run as plugin code, as :func:`shown_json_value` runs
    :func:`json_value`."""
    if type(value) in _INERT:
        return render_value(value, indent)
    outcome = _bounded(lambda: render_value(value, indent), label)
    if outcome.finished and outcome.error is None and outcome.value is not None:
        return outcome.value
    return " " * indent + _not_shown(value, outcome.error)


def _bounded(function: Callable[[], T], label: str) -> Outcome[T]:
    global _shower
    from gini_host.bounded import BoundedCaller  # here: a listing never needs it

    if _shower is None:
        _shower = BoundedCaller("gini-host values shown")
    return _shower.call(function, SHOW_LIMIT, label)


_shower: BoundedCaller | None = None


def _not_shown(value: object, error: BaseException | None) -> str:
    from gini_host.shown import type_name

    if error is not None:
        return f"<unprintable {type_name(value)}: showing it raised {type_name(error)}>"
    return f"<not shown: showing this {type_name(value)} took longer than {SHOW_LIMIT:g}s>"


def run_json(
    result: PipelineResult, targets: Sequence[str], resumed_from: str | None = None
) -> dict[str, Any]:
    """``{run_id, targets, status, duration_s, resumed_from, stages: {id: ...}}``; targets
    as typed (or as recorded, for a resumed run)."""
    return {
        "run_id": result.run_id,
        "resumed_from": resumed_from,
        "targets": list(targets),
        "status": result.status,
        "duration_s": round(result.duration, 6),
        "stages": {sid: stage_result_json(r) for sid, r in result.items()},
    }


def _json_default(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    from gini_host.shown import safe_repr

    return safe_repr(value)


#: Deeper than this, :func:`emit_json` shows a value as a bounded repr string.
JSON_DEPTH: Final = 100


def emit_json(data: object) -> None:
    """Write ``data`` as indented JSON to stdout, nothing else on that line.

    Whatever stages returned, this stays one JSON document: when ``json`` cannot encode the
    data (a cycle, nesting past the recursion limit, an int too long, a key that is not a
    string), it is encoded again with those parts as :func:`~gini_host.shown.safe_repr`
    strings, placeholders included.
    """
    try:
        text = json.dumps(data, indent=2, ensure_ascii=False, default=_json_default)
    except Exception:  # ValueError (a cycle), RecursionError, or what _json_default met
        text = json.dumps(_json_safe(data, ()), indent=2, ensure_ascii=False)
    click.echo(text, file=capture.host_stdout())


def _json_safe(value: object, path: tuple[int, ...]) -> object:
    """``value`` with what JSON cannot hold replaced by a bounded repr string."""
    from gini_host.shown import safe_repr

    if value is None or isinstance(value, bool | str | float):
        return value
    if isinstance(value, int):
        return value if value.bit_length() < 10_000 else safe_repr(value)
    if len(path) >= JSON_DEPTH or id(value) in path:
        return safe_repr(value)
    inner = (*path, id(value))
    try:
        if isinstance(value, Mapping):
            return {
                key if isinstance(key, str) else safe_repr(key): _json_safe(item, inner)
                for key, item in value.items()
            }
        if isinstance(value, list | tuple | set | frozenset):
            return [_json_safe(item, inner) for item in value]
        return _json_safe(_json_default(value), inner)
    except Exception:
        return safe_repr(value)


# -- text ---------------------------------------------------------------------------------


def echo(text: str = "", *, err: bool = False) -> None:
    """``click.echo`` with colour decided once: a terminal, and no ``NO_COLOR``."""
    stream = sys.stderr if err else capture.host_stdout()
    click.echo(text, file=stream, color=color_enabled(stream))


def styled(text: str, status: str | None = None, **style: Any) -> str:
    """``text`` coloured for its status (or with explicit click styles); echo strips it."""
    color = STATUS_COLORS.get(status or "")
    if color is None and not style:
        return text
    if color is not None:
        style.setdefault("fg", color)
    return click.style(text, **style)


def _visible_len(text: str) -> int:
    return len(click.unstyle(text))


def table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], *, indent: int = 0, gap: int = 2
) -> str:
    """Left-aligned columns (no header line when ``headers`` is empty); the last column is
    not padded, since it holds the long text."""
    return "\n".join(table_lines(headers, rows, indent=indent, gap=gap))


def table_lines(
    headers: Sequence[str], rows: Iterable[Sequence[str]], *, indent: int = 0, gap: int = 2
) -> list[str]:
    """:func:`table` as a list of lines: the header line (if any), then one per row."""
    body = [list(r) for r in rows]
    all_rows = [list(headers), *body] if headers else body
    columns = max((len(r) for r in all_rows), default=0)
    widths = [0] * columns
    for row in all_rows:
        for i, cell in enumerate(row[:-1]):
            widths[i] = max(widths[i], _visible_len(cell))
    lines = []
    for row in all_rows:
        cells = [c + " " * (widths[i] - _visible_len(c)) for i, c in enumerate(row[:-1])]
        cells.append(row[-1] if row else "")
        lines.append(" " * indent + (" " * gap).join(cells).rstrip())
    if headers:
        lines[0] = styled(lines[0], bold=True)
    return lines


#: How deep and how long :func:`render_value` goes before it shows the rest as a bounded
#: repr: a self-referential or 100,000-deep return value must still print.
RENDER_DEPTH: Final = 8
RENDER_ITEMS: Final = 200


def _scalar(value: object) -> str:
    """One leaf value as text; what cannot be shown gets the placeholder of ``safe_repr``."""
    from gini_host.shown import safe_repr

    try:
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float):
            return repr(value) if math.isfinite(value) else str(value)
        if isinstance(value, enum.Enum):
            return str(value.value)
        if isinstance(value, str):
            return value if value.strip() == value and value and "\n" not in value else repr(value)
        if isinstance(value, int):
            return safe_repr(value)  # an int too long for str() says so
        return str(value)
    except Exception:
        return safe_repr(value)


def _as_data(value: object) -> object:
    """attrs classes, dataclasses and named tuples as mappings; everything else as is (also
    when converting runs into a hostile attribute)."""
    import dataclasses

    import attrs

    try:
        if attrs.has(type(value)):
            return attrs.asdict(value, recurse=False)  # type: ignore[arg-type]
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        asdict = getattr(value, "_asdict", None)
        if isinstance(value, tuple) and callable(asdict):
            return asdict()
    except Exception:
        return value
    return value


def render_value(value: object, indent: int = 0) -> str:
    """A stage's return value as indented ``key: value`` lines, lists as ``- item``.

    Never raises: deeper than :data:`RENDER_DEPTH`, past :data:`RENDER_ITEMS` items or back
    at a container already being shown, the rest is a bounded repr; what cannot be shown at
    all is a placeholder (``<unprintable T: repr() raised E>``).
    """
    from gini_host.shown import safe_repr

    try:
        return "\n".join(_render(value, indent, ()))
    except Exception:  # a container whose iteration raises: show what repr can
        return " " * indent + safe_repr(value)


def _render(value: object, indent: int, path: tuple[int, ...]) -> list[str]:
    from gini_host.shown import safe_repr, type_name

    pad = " " * indent
    value = _as_data(value)
    if not _nested(value):
        if _empty(value):
            return [pad + ("{}" if isinstance(value, Mapping) else "[]")]
        text = value if isinstance(value, str) else _scalar(value)
        return [pad + line for line in text.splitlines()] if text else [pad]
    if id(value) in path:
        return [f"{pad}<cycle: the {type_name(value)} shown above>"]
    if len(path) >= RENDER_DEPTH:
        return [pad + safe_repr(value)]
    inner = (*path, id(value))
    lines: list[str] = []
    items: Iterable[Any] = value.items() if isinstance(value, Mapping) else value  # type: ignore[assignment]
    for count, item in enumerate(items):
        if count == RENDER_ITEMS:
            lines.append(f"{pad}... ({len(value) - count} more)")  # type: ignore[arg-type]
            break
        if isinstance(value, Mapping):
            key, item = item
            label = f"{pad}{_scalar(key)}:"
        else:
            label = f"{pad}-"
        item = _as_data(item)
        if _nested(item):
            below = _render(item, indent + 2, inner)
            if isinstance(value, Mapping):
                lines.append(label)
                lines.extend(below)
            else:
                lines.append(f"{label} {below[0].lstrip()}")
                lines.extend(below[1:])
        elif _empty(item):
            lines.append(f"{label} []" if not isinstance(item, Mapping) else f"{label} {{}}")
        else:
            lines.append(f"{label} {_scalar(item)}")
    return lines


def _nested(value: object) -> bool:
    return isinstance(value, Mapping | list | tuple | set | frozenset) and bool(value)


def _empty(value: object) -> bool:
    return isinstance(value, Mapping | list | tuple | set | frozenset) and not value
