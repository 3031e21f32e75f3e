"""The stage model and the ``@stage`` decorator."""

from __future__ import annotations

import pytest

from gini_host import Stage, StageContext, StageManager, stage


def test_bare_decorator_takes_name_and_description_from_function() -> None:
    """Bare ``@stage`` names the stage after the function and describes it by its docstring."""

    @stage
    def format_disk(ctx: StageContext) -> str:
        """Format the disk.

        More words that are not part of the description.
        """
        return "done"

    assert isinstance(format_disk, Stage)
    assert format_disk.name == "format_disk"
    assert format_disk.id == "format_disk"
    assert format_disk.description == "Format the disk."
    assert format_disk.plugin is None
    assert format_disk.requires == ()


def test_decorator_with_arguments_keeps_them() -> None:
    """``@stage(...)`` stores every option it is given."""

    @stage(
        name="fmt",
        requires=["probe", "other::thing"],
        description="explicit",
        tags=("disk", "slow"),
        optional=True,
        retries=2,
        retry_delay=0.5,
        timeout=3,
        supports_dry_run=False,
    )
    def format_disk(ctx: StageContext) -> None:
        """Docstring that the explicit description overrides."""

    assert format_disk.name == "fmt"
    assert format_disk.requires == ("probe", "other::thing")
    assert format_disk.description == "explicit"
    assert format_disk.tags == ("disk", "slow")
    assert format_disk.optional is True
    assert format_disk.retries == 2
    assert format_disk.retry_delay == 0.5
    assert format_disk.timeout == 3
    assert format_disk.supports_dry_run is False


def test_description_is_empty_without_docstring() -> None:
    """A function without docstring gives an empty description, not None."""

    @stage()
    def quiet(ctx: StageContext) -> None:
        pass

    assert quiet.description == ""


def test_lone_string_requires_and_tags_are_one_entry() -> None:
    """``requires="a"`` means one requirement, not the characters of a string."""

    @stage(requires="fetch", tags="net")
    def build(ctx: StageContext) -> None:
        pass

    assert build.requires == ("fetch",)
    assert build.tags == ("net",)


@pytest.mark.parametrize("name", ["a::b", " padded", "trailing ", "::"])
def test_invalid_name_raises(name: str) -> None:
    """A stage name must be non-empty, unpadded and hold no ``::``."""
    with pytest.raises(ValueError, match="invalid stage name"):
        stage(name=name)(lambda ctx: None)


def test_negative_retries_raise() -> None:
    """``retries`` below zero is rejected at declaration."""
    with pytest.raises(ValueError, match="retries must be >= 0"):

        @stage(retries=-1)
        def flaky(ctx: StageContext) -> None:
            pass


def test_negative_retry_delay_raises() -> None:
    """``retry_delay`` below zero is rejected at declaration."""
    with pytest.raises(ValueError, match="retry_delay must be >= 0"):

        @stage(retry_delay=-0.1)
        def flaky(ctx: StageContext) -> None:
            pass


@pytest.mark.parametrize("timeout", [0, -1.5])
def test_non_positive_timeout_raises(timeout: float) -> None:
    """A timeout must be a positive number of seconds."""
    with pytest.raises(ValueError, match="timeout must be > 0"):

        @stage(timeout=timeout)
        def slow(ctx: StageContext) -> None:
            pass


def test_decorating_a_non_callable_raises() -> None:
    """``@stage`` refuses something that is not a function."""
    with pytest.raises(TypeError, match="needs a function"):
        stage()(42)  # type: ignore[arg-type]


def test_dry_run_decorator_sets_describer_and_returns_the_function() -> None:
    """``@fn.dry_run`` sets the stage's describer and leaves the describer a plain function."""

    @stage
    def wipe(ctx: StageContext) -> None:
        raise AssertionError("never called here")

    @wipe.dry_run
    def describe(ctx: StageContext) -> str:
        return "would wipe /dev/sdz"

    assert wipe.describer is describe
    assert describe(None) == "would wipe /dev/sdz"  # type: ignore[arg-type]


def test_owned_by_qualifies_id_and_bare_requires_only() -> None:
    """Owned by plugin ``disk``: id becomes ``disk::name``, bare requires mean ``disk::...``."""

    @stage(requires=["probe", "net::up"])
    def fmt(ctx: StageContext) -> None:
        pass

    owned = fmt.owned_by("disk")
    assert owned.id == "disk::fmt"
    assert owned.plugin == "disk"
    assert owned.requires == ("disk::probe", "net::up")
    assert fmt.id == "fmt"  # the declaration itself is unchanged


def test_register_with_plugin_qualifies(manager: StageManager) -> None:
    """Registering a stage for a plugin stores it under ``plugin::name``."""

    @stage(requires="probe")
    def fmt(ctx: StageContext) -> None:
        pass

    registered = manager.register_stage(fmt, plugin="disk")
    assert manager.has_stage("disk::fmt")
    assert not manager.has_stage("fmt")
    assert registered.requires == ("disk::probe",)


def test_register_refuses_plain_function(manager: StageManager) -> None:
    """Only Stage objects can be registered; a plain function gets a clear TypeError."""

    def fmt(ctx: StageContext) -> None:
        pass

    with pytest.raises(TypeError, match="made with @stage"):
        manager.register_stage(fmt)  # type: ignore[arg-type]


def test_async_function_is_detected() -> None:
    """A coroutine function becomes an async stage."""

    @stage
    async def fetch(ctx: StageContext) -> int:
        return 1

    @stage
    def build(ctx: StageContext) -> int:
        return 1

    assert fetch.is_async
    assert not build.is_async


def test_stage_is_callable_directly() -> None:
    """Calling a Stage calls its function with the context (handy in plugin tests)."""

    from gini_host.stages import RunState

    @stage
    def double(ctx: StageContext) -> int:
        return 2 * int(ctx.config["n"])

    ctx = StageContext(double, RunState("r"), {"n": 21})
    assert double(ctx) == 42


def test_stage_is_immutable() -> None:
    """A Stage cannot be changed after creation."""

    @stage
    def fmt(ctx: StageContext) -> None:
        pass

    with pytest.raises(AttributeError):
        fmt.retries = 3  # type: ignore[misc]


def test_empty_name_is_rejected() -> None:
    """``@stage(name="")`` is a mistake, not a request for the function's name."""
    with pytest.raises(ValueError, match="invalid stage name ''"):

        @stage(name="")
        def anything(ctx: StageContext) -> None:
            pass


@pytest.mark.parametrize("retries", [1.5, True])
def test_retries_must_be_a_whole_number(retries: object) -> None:
    """``retries`` counts attempts: a fraction or a boolean is rejected."""
    with pytest.raises(ValueError, match="retries must be a whole number"):

        @stage(retries=retries)  # type: ignore[arg-type]
        def anything(ctx: StageContext) -> None:
            pass
