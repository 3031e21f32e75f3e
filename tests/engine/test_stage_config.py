"""A stage's declared config schema holds however the stage is run: by a bare StageManager,
one stage alone, or a host (tests/kernel/test_typed_config.py)."""

from __future__ import annotations

import attrs
import pytest

from gini_host import StageContext, StageManager, StageStatus, stage
from gini_host.errors import ConfigError


@attrs.frozen
class Window:
    size: int = 3
    label: str = "w"


@stage(config=Window)
def sized(ctx: StageContext) -> tuple[int, str]:
    """Return what the typed config says."""
    return ctx.config.size, ctx.config.label


def test_a_bare_manager_gives_the_typed_defaulted_object() -> None:
    """execute_pipeline with a table: the stage sees an instance, defaults filled in."""
    manager = StageManager()
    manager.register_stage(sized)
    pipeline = manager.create_pipeline("p", ["sized"])
    result = manager.execute_pipeline(pipeline, stage_config={"sized": {"size": 5}})
    assert result["sized"].value == (5, "w")
    assert manager.execute_pipeline(pipeline)["sized"].value == (3, "w")


def test_one_stage_alone_gets_it_too() -> None:
    """execute_stage: a table is checked and typed; an instance is passed as it is."""
    manager = StageManager()
    manager.register_stage(sized)
    assert manager.execute_stage("sized", config={"label": "x"}).value == (3, "x")
    assert manager.execute_stage("sized", config=Window(size=1)).value == (1, "w")


def test_a_table_that_does_not_fit_is_refused_before_the_run() -> None:
    """A wrong type: ConfigError naming the stage's key path; the stage never ran."""
    manager = StageManager()
    manager.register_stage(sized)
    with pytest.raises(ConfigError) as caught:
        manager.execute_pipeline(
            manager.create_pipeline("p", ["sized"]), stage_config={"sized": {"size": "big"}}
        )
    assert caught.value.key == "stages.sized.config.size"
    assert "expected an integer, got a string ('big')" in str(caught.value)


def test_stages_without_a_schema_keep_their_table() -> None:
    """No schema: ctx.config is the read-only table, as before."""
    manager = StageManager()

    @stage
    def plain(ctx: StageContext) -> dict[str, object]:
        return dict(ctx.config)

    manager.register_stage(plain)
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["plain"]), stage_config={"plain": {"a": 1}}
    )
    assert result["plain"].status is StageStatus.SUCCEEDED
    assert result["plain"].value == {"a": 1}
