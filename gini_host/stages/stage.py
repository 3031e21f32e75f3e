"""The stage model: one unit of work that a plugin contributes, and the ``@stage`` decorator."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, overload

import attrs

from gini_host.naming import SEPARATOR, name_problem

if TYPE_CHECKING:
    from gini_host.stages.context import StageContext

__all__ = ["SEPARATOR", "Stage", "StageFunction", "Describer", "stage", "qualify"]

StageFunction = Callable[["StageContext"], Any]
Describer = Callable[["StageContext"], str]


def qualify(ref: str, plugin: str | None) -> str:
    """Resolve a ``requires`` entry: one without ``::`` names a stage of the same plugin."""
    if plugin is None or SEPARATOR in ref:
        return ref
    return f"{plugin}{SEPARATOR}{ref}"


def _str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    # A lone string is one entry, not a sequence of characters.
    return (value,) if isinstance(value, str) else tuple(value)


def _check_name(instance: Stage, attribute: attrs.Attribute[str], value: str) -> None:
    problem = name_problem(value)
    if problem is None and SEPARATOR in value:
        problem = "it must hold no '::'"
    if problem is not None:
        raise ValueError(f"invalid stage name {value!r}: {problem}")


def _non_negative(instance: Stage, attribute: attrs.Attribute[Any], value: float) -> None:
    if attribute.name == "retries" and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError(f"stage {instance.name!r}: retries must be a whole number, got {value!r}")
    if value < 0:
        raise ValueError(f"stage {instance.name!r}: {attribute.name} must be >= 0, got {value!r}")


def _positive_or_none(
    instance: Stage, attribute: attrs.Attribute[Any], value: float | None
) -> None:
    if value is not None and value <= 0:
        raise ValueError(f"stage {instance.name!r}: timeout must be > 0 seconds, got {value!r}")


def _schema(instance: Stage, attribute: attrs.Attribute[Any], value: type | None) -> None:
    if value is not None and not (isinstance(value, type) and attrs.has(value)):
        raise TypeError(
            f"stage {instance.name!r}: config must be an attrs class (the schema of its "
            f"config table), got {value!r}"
        )


def _first_doc_line(function: Callable[..., Any]) -> str:
    doc = inspect.getdoc(function) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


@attrs.frozen(slots=True, eq=False)
class Stage:
    """A unit of work: a function of one :class:`StageContext`, with what it requires.

    A stage is immutable once registered. Its ``id`` is ``plugin::name`` when a plugin owns it
    and the bare ``name`` when it was registered directly on a :class:`StageManager`.
    ``requires`` holds fully qualified ids once the stage has an owner. ``config`` is the
    schema of the stage's config table, an attrs class: the host checks the table against
    it before the run starts, and ``ctx.config`` is then an instance of it.
    """

    name: str = attrs.field(validator=_check_name)
    function: StageFunction
    requires: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    description: str = ""
    tags: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    optional: bool = False
    retries: int = attrs.field(default=0, validator=_non_negative)
    retry_delay: float = attrs.field(default=0.0, validator=_non_negative)
    timeout: float | None = attrs.field(default=None, validator=_positive_or_none)
    supports_dry_run: bool = True
    describer: Describer | None = None
    config: type | None = attrs.field(default=None, validator=_schema)
    plugin: str | None = None
    id: str = attrs.field(init=False)
    is_async: bool = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        # Derived once: ids and async-ness are read on every scheduling step.
        object.__setattr__(self, "id", qualify(self.name, self.plugin))
        object.__setattr__(self, "is_async", inspect.iscoroutinefunction(self.function))
        if not self.description:
            object.__setattr__(self, "description", _first_doc_line(self.function))

    def __call__(self, ctx: StageContext) -> Any:
        """Call the stage body directly, as a plain function (handy in tests)."""
        return self.function(ctx)

    def __repr__(self) -> str:
        return f"<Stage {self.id} requires={list(self.requires)}>"

    def dry_run(self, describer: Describer) -> Describer:
        """Decorator: set the function that describes what this stage would do in a dry run.

        Used as ``@my_stage.dry_run`` right below the stage definition, before the stage is
        registered; it returns the describer unchanged so the module keeps a plain function.
        """
        object.__setattr__(self, "describer", describer)
        return describer

    def owned_by(self, plugin: str) -> Stage:
        """Return this stage as registered by ``plugin``: id and requires qualified."""
        return attrs.evolve(
            self, plugin=plugin, requires=tuple(qualify(r, plugin) for r in self.requires)
        )

    def with_overrides(self, **changes: Any) -> Stage:
        """Return a copy with operator overrides (retries, timeout, ...) applied."""
        return attrs.evolve(self, **changes) if changes else self


@overload
def stage(function: StageFunction, /) -> Stage: ...


@overload
def stage(
    *,
    name: str | None = None,
    requires: Iterable[str] = (),
    description: str | None = None,
    tags: Iterable[str] = (),
    optional: bool = False,
    retries: int = 0,
    retry_delay: float = 0,
    timeout: float | None = None,
    supports_dry_run: bool = True,
    config: type | None = None,
) -> Callable[[StageFunction], Stage]: ...


def stage(
    function: StageFunction | None = None,
    /,
    *,
    name: str | None = None,
    requires: Iterable[str] = (),
    description: str | None = None,
    tags: Iterable[str] = (),
    optional: bool = False,
    retries: int = 0,
    retry_delay: float = 0,
    timeout: float | None = None,
    supports_dry_run: bool = True,
    config: type | None = None,
) -> Stage | Callable[[StageFunction], Stage]:
    """Turn ``def fn(ctx)`` (or ``async def``) into a :class:`Stage`.

    Usable bare (``@stage``) or with options (``@stage(requires=["fetch"], retries=2)``).
    The name defaults to the function's name, the description to its docstring's first line.
    ``config`` is the schema of the stage's config (an attrs class; ``ctx.config`` is then an
    instance of it, checked and defaulted before the run starts).
    """

    def wrap(fn: StageFunction) -> Stage:
        if not callable(fn):
            raise TypeError(f"@stage needs a function, got {fn!r}")
        return Stage(
            name=fn.__name__ if name is None else name,
            function=fn,
            requires=_str_tuple(requires),
            description=description or "",
            tags=_str_tuple(tags),
            optional=optional,
            retries=retries,
            retry_delay=retry_delay,
            timeout=timeout,
            supports_dry_run=supports_dry_run,
            config=config,
        )

    if function is not None:
        return wrap(function)
    return wrap
