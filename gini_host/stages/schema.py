"""Typed configuration: a ``[plugin.NAME]`` table or a stage's config as an attrs instance.

A plugin declares the schema of its table with ``PluginManifest(config=Settings)``, a stage
with ``@stage(config=Settings)``; ``Settings`` is an attrs class whose defaults are what an
absent key means. :func:`structure` turns the TOML table into an instance with cattrs
(structure + its detailed validation errors, as STYLE.md's "Solved problems" says) and
turns every problem into one :class:`~gini_host.errors.ConfigError` naming the file, the key
path and the expected type. :func:`structure_configs` does it for every stage of a run, so a
stage gets its typed object however it is run (a host, a bare ``StageManager``,
``execute_stage``).

cattrs converts leniently (``int("90")``, ``bool("false") is True``): TOML already has
types, so a string where a number is meant is the operator's mistake, and the hooks below
accept only the TOML type. cattrs is imported on first use: hosts whose plugins declare no
schema never pay for it (start-up time is a feature).
"""

from __future__ import annotations

import collections.abc
import functools
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from gini_host.errors import ConfigError, SchemaError
from gini_host.naming import did_you_mean, quote_key, suggest

if TYPE_CHECKING:
    import cattrs

    from gini_host.stages.stage import Stage

__all__ = ["WrongType", "describe_type", "structure", "structure_configs", "value_kind"]

T = TypeVar("T")

_SCALARS: dict[Any, str] = {
    bool: "a boolean (true or false)",
    int: "an integer",
    float: "a number",
    str: "a string",
    Path: "a path (a string)",
}


def structure(schema: type[T], table: object, *, source: str, path: str) -> T:
    """``table`` as an instance of ``schema``; ConfigError lists every problem found.

    ``source`` is where the table came from (the config file, ``--set``), ``path`` its key
    path (``plugin.disk-space``, ``stages."disk::usage".config``).
    """
    if not isinstance(table, Mapping):
        raise ConfigError(source, f"expected a table, got {value_kind(table)}", path)
    if not table:
        # No table (the common case): the defaults, without importing cattrs, which costs
        # 14-22 ms of a ~300 ms `gini-host` start (env-check, bundled, declares a schema).
        try:
            return schema()
        except KeyboardInterrupt:
            raise
        except BaseException:  # a required key, or a misbehaving schema: cattrs says which
            pass
    from cattrs.errors import BaseValidationError, ForbiddenExtraKeysError

    try:
        return _converter().structure(dict(table), schema)
    except (BaseValidationError, ForbiddenExtraKeysError) as exc:
        problems = list(_problems(exc, path, schema))
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # the schema is plugin code: SystemExit, a str() that raises
        from gini_host.shown import safe_repr

        raise SchemaError(path, safe_repr(schema), safe_repr(exc)) from exc
    key, message = problems[0]
    more = "".join(f"\n  - {k}: {m}" for k, m in problems[1:])
    raise ConfigError(source, message + more, key) from None


def structure_configs(
    stages: Iterable[Stage],
    configs: Mapping[str, Any],
    *,
    source: str = "stage_config",
    sources: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``configs`` with each config of a stage that declares a schema as an instance of it
    (an absent one: the schema's defaults); ConfigError names the first stage whose table
    does not fit. ``sources`` names where a stage's table came from, else ``source``."""
    typed = dict(configs)
    for stage in stages:
        schema = stage.config
        if schema is None:
            continue
        value = typed.get(stage.id)
        if isinstance(value, schema):
            continue  # checked already (the host does it, naming the file)
        where = (sources or {}).get(stage.id, source)
        path = f"stages.{quote_key(stage.id)}.config"
        typed[stage.id] = structure(schema, {} if value is None else value, source=where, path=path)
    return typed


def describe_type(kind: Any) -> str:
    """How a config key's type reads in an error: ``an integer``, ``an array of strings``."""
    if kind in _SCALARS:
        return _SCALARS[kind]
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(describe_type(a) for a in args if a is not type(None))
    if origin in (list, tuple, set, frozenset) or origin is typing.Sequence:
        inner = f" of {_plural(describe_type(args[0]))}" if args else ""
        return "an array" + inner
    if origin is dict or (isinstance(kind, type) and attrs.has(kind)) or origin is Mapping:
        return "a table"
    return getattr(kind, "__name__", repr(kind))


def _plural(text: str) -> str:
    for article in ("an ", "a "):
        if text.startswith(article):
            return text[len(article) :] + "s"
    return text


def value_kind(value: object) -> str:
    """What a TOML value is, in an error message: ``a string``, ``an array``."""
    return {
        dict: "a table",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a float",
    }.get(type(value), type(value).__name__)


class WrongType(TypeError):
    """A value of another TOML type than the schema says."""

    def __init__(self, kind: Any, value: object) -> None:
        self.expected = describe_type(kind)
        super().__init__(f"expected {self.expected}, got {value_kind(value)} ({value!r:.60})")


def _strict(kind: Any, accepted: tuple[type, ...]) -> Any:
    def hook(value: Any, _: object) -> Any:
        # bool is an int in Python, not in TOML: ``retries = true`` is a typo.
        if isinstance(value, bool) and bool not in accepted:
            raise WrongType(kind, value)
        if not isinstance(value, accepted):
            raise WrongType(kind, value)
        return kind(value) if kind in (float, Path) else value

    return hook


@functools.cache
def _converter() -> cattrs.Converter:
    import cattrs

    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    converter.register_structure_hook(bool, _strict(bool, (bool,)))
    converter.register_structure_hook(int, _strict(int, (int,)))
    converter.register_structure_hook(float, _strict(float, (int, float)))
    converter.register_structure_hook(str, _strict(str, (str,)))
    converter.register_structure_hook(Path, _strict(Path, (str,)))
    converter.register_structure_hook_factory(_is_array, functools.partial(_array, converter))
    return converter


def _is_array(kind: Any) -> bool:
    origin = typing.get_origin(kind) or kind
    if origin is tuple:  # only tuple[X, ...]: a fixed-length tuple is cattrs' own
        args = typing.get_args(kind)
        return not args or (len(args) == 2 and args[1] is Ellipsis)
    return origin in (list, collections.abc.Sequence)


def _array(converter: cattrs.Converter, kind: Any) -> Any:
    """cattrs' own list/tuple hook behind a type check: it would take a string as an
    iterable of characters (``paths = "/srv"`` becoming ``["/", "s", ...]``)."""
    from cattrs.cols import homogenous_tuple_structure_factory, list_structure_factory

    is_tuple = (typing.get_origin(kind) or kind) is tuple
    make = homogenous_tuple_structure_factory if is_tuple else list_structure_factory
    inner = make(kind, converter)

    def hook(value: object, target: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise WrongType(kind, value)
        return inner(value, target)

    return hook


def _problems(exc: BaseException, path: str, kind: Any) -> Iterator[tuple[str, str]]:
    """(key path, message) for every leaf of cattrs' tree of validation errors."""
    from cattrs.errors import (
        ClassValidationError,
        ForbiddenExtraKeysError,
        IterableValidationError,
    )

    if isinstance(exc, ForbiddenExtraKeysError):
        known = [a.name for a in attrs.fields(exc.cl)]
        for key in sorted(exc.extra_fields):
            hint = did_you_mean(suggest(key, known))
            yield f"{path}.{key}", f"unknown key{hint} (known: {', '.join(known) or 'none'})"
    elif isinstance(exc, ClassValidationError | IterableValidationError):
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            where = getattr(note, "name", None)
            sub_path = f"{path}.{where}" if where else f"{path}[{getattr(note, 'index', '?')!r}]"
            yield from _problems(sub, sub_path, note.type)
        for sub in without:
            if isinstance(exc, ClassValidationError) and not isinstance(
                sub, ForbiddenExtraKeysError
            ):
                # Raised by the class itself: an attrs validator says what is wrong
                # (``'threshold' must be <= 100: 150``).
                yield path, str(sub) or type(sub).__name__
            else:
                yield from _problems(sub, path, kind)
    elif isinstance(exc, KeyError):
        yield path, f"required key missing (expected {describe_type(kind)})"
    elif isinstance(exc, WrongType):
        yield path, str(exc)
    elif isinstance(exc, ValueError) and typing.get_origin(kind) is not typing.Literal:
        # An attrs validator of the schema says what is wrong (``must be <= 100: 150``).
        yield path, f"expected {describe_type(kind)}: {exc}"
    else:  # cattrs' own TypeError/ValueError says nothing the expected type does not
        yield path, f"expected {describe_type(kind)}"
