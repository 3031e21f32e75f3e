"""Stage values in the history: JSON when they round-trip exactly, else pickled, else noted
as not stored with the reason. Hostile values never break the recording or the run."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from gini_host.builtin.history import values
from gini_host.testing import CliInvoker, PluginDists

from .sources import ENCODING, HOSTILE


class Custom:
    def __init__(self, n: int) -> None:
        self.n = n

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Custom) and other.n == self.n

    __hash__ = None  # type: ignore[assignment]


class DictLike(dict[str, int]):
    pass


@pytest.mark.parametrize(
    "value",
    [None, True, 3, -2.5, "text", [1, "a", None], {"k": [1, {"n": False}]}, {}, []],
)
def test_json_values_are_stored_as_json(value: Any) -> None:
    """Values JSON gives back unchanged are stored as JSON text."""
    stored = values.encode(value)
    assert stored.kind == values.JSON
    assert values.decode(stored.kind, stored.data) == value


@pytest.mark.parametrize(
    "value",
    [
        (1, 2),
        {1: "int key"},
        {"x": (1,)},
        DictLike(a=1),
        1.0e400 - 1.0e400,  # NaN: not JSON
        b"bytes",
        Custom(3),
        {True: "bool key"},
        10**5000,  # beyond int -> str conversion's limit
    ],
    ids=lambda v: type(v).__name__,
)
def test_values_json_would_change_are_pickled_and_come_back_equal(value: Any) -> None:
    """A tuple, a non-string key, a subclass, NaN, bytes, an object: pickled, and read back
    with its own type."""
    stored = values.encode(value)
    assert stored.kind == values.PICKLE
    assert stored.repr
    back = values.decode(stored.kind, stored.data)
    assert type(back) is type(value)
    if value == value:  # not NaN
        assert back == value


def test_a_self_referential_list_is_pickled() -> None:
    loop: list[Any] = []
    loop.append(loop)
    stored = values.encode(loop)
    assert stored.kind == values.PICKLE
    assert stored.repr == "[[[[[[[[[...]]]]]]]]]"  # safe_repr: eight levels, then "..."
    back = values.decode(stored.kind, stored.data)
    assert back[0] is back


def test_unpicklable_and_hostile_values_are_noted_not_stored() -> None:
    """A lock, a __reduce__ raising KeyboardInterrupt, a __repr__ raising: noted, no raise."""

    class Loud:
        def __repr__(self) -> str:
            raise RuntimeError("repr refused")

        def __reduce__(self) -> Any:
            raise KeyboardInterrupt("pickle refused")

    lock = values.encode(threading.Lock())
    assert lock.kind == values.NOT_STORED
    assert lock.note is not None and lock.note.startswith("cannot be pickled: TypeError")
    loud = values.encode(Loud())
    assert loud.kind == values.NOT_STORED
    assert loud.note == "cannot be pickled: KeyboardInterrupt: pickle refused"
    assert loud.repr is not None
    assert loud.repr.endswith("<locals>.Loud: repr() raised RuntimeError>")
    with pytest.raises(values.ValueNotRestorable):
        values.decode(loud.kind, loud.data)


def test_values_larger_than_the_limit_are_not_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(values, "MAX_VALUE_BYTES", 1000)
    big = values.encode(b"x" * 5000)
    assert big.kind == values.NOT_STORED
    assert big.note is not None and "too large to store" in big.note
    assert values.encode("y" * 5000).kind == values.NOT_STORED


def test_a_pickle_that_no_longer_loads_is_not_restorable() -> None:
    with pytest.raises(values.ValueNotRestorable, match="cannot be unpickled"):
        values.decode(values.PICKLE, b"\x80\x05garbage")


def test_hostile_values_are_recorded_and_the_run_is_not_broken(
    plugin_dist: PluginDists, gini_cli: CliInvoker, tmp_path: Path
) -> None:
    """Self-referential, unpicklable, repr raising, an exception whose str() raises: the run
    ends as it would without the history, and every stage is in it."""
    plugin_dist("hostile", source=HOSTILE)
    ran = gini_cli(
        "--no-autoload",
        "-p",
        "hostile",
        "run",
        "hostile::selfref",
        "hostile::lock",
        "hostile::loud",
        "hostile::tuple",
        "hostile::bad_error",
        "--keep-going",
        "--json",
    )
    assert ran.exit_code == 1, ran
    assert "Traceback" not in ran.stderr
    shown = gini_cli("runs", "show", "last", "--json")
    stages = {s["stage_id"]: s for s in shown.json["stages"]}
    assert stages["hostile::selfref"]["value_stored"] is True
    assert stages["hostile::selfref"]["value_repr"] == "[[[[[[[[[...]]]]]]]]]"
    assert stages["hostile::lock"]["value_stored"] is False
    assert "cannot be pickled" in stages["hostile::lock"]["value_note"]
    assert stages["hostile::loud"]["value_stored"] is False
    assert stages["hostile::loud"]["value_repr"] == "<unprintable Loud: repr() raised RuntimeError>"
    assert stages["hostile::tuple"]["value_repr"] == "({1: 'one'}, (2, 3))"
    assert "value" not in stages["hostile::tuple"]
    error = stages["hostile::bad_error"]["error"]
    assert error["type"] == "BadStr"
    assert error["message"] == "<unprintable BadStr: str() raised ValueError>"
    text = gini_cli("runs", "show", "last")
    assert text.exit_code == 0, text


def test_what_a_value_prints_while_it_is_recorded_goes_to_stderr(
    plugin_dist: PluginDists, gini_cli: CliInvoker
) -> None:
    """Pickling a value for the history calls its ``__reduce__`` (plugin code) after the run's
    JSON was printed: its print went to stdout, behind the document."""
    plugin_dist("encoding", source=ENCODING)
    ran = gini_cli("--no-autoload", "-p", "encoding", "run", "encoding::loud", "--json")
    assert ran.exit_code == 0, ran
    assert ran.json["stages"]["encoding::loud"]["status"] == "succeeded"
    assert "[encoding::loud] pickling Loud" in ran.stderr.splitlines()


def test_a_value_whose_encoding_hangs_costs_only_that_value(
    plugin_dist: PluginDists, gini_cli: CliInvoker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ``__reduce__`` that never returns held the history's writer: the whole run went
    unrecorded. Now that value is noted as not stored and the rest of the run is kept."""
    monkeypatch.setattr(values, "ENCODE_LIMIT", 0.2)
    plugin_dist("encoding", source=ENCODING)
    try:
        ran = gini_cli(
            "--no-autoload", "-p", "encoding", "run", "encoding::stuck", "encoding::plain"
        )
        assert ran.exit_code == 0, ran
        shown = gini_cli("runs", "show", "last", "--json")
    finally:
        import sys

        sys.modules["encoding"].RELEASE.set()
    assert shown.exit_code == 0, shown
    stages = {s["stage_id"]: s for s in shown.json["stages"]}
    assert stages["encoding::stuck"]["value_stored"] is False
    assert "took longer than 0.2s" in stages["encoding::stuck"]["value_note"]
    assert stages["encoding::plain"]["value"] == {"kept": [1, 2]}
