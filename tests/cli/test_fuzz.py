"""Fuzzing the operator's inputs: config files, ``--set`` values and command lines.

Whatever is typed, the host answers with an exit code (0, 1 or 2), never a traceback, and
with ``--json`` stdout is one JSON document. Modest example counts keep it in ``make test``;
the inputs are built from the host's own vocabulary so they reach past the first parse.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gini_host.testing import CliInvoker

FUZZ = settings(
    max_examples=int(os.environ.get("GINI_HOST_FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

KEYS = (
    "plugins", "plugin", "pipelines", "stages", "run", "limits", "enable", "disable", "only",
    "strict", "on_conflict", "hook_timeout", "retries", "retry_delay", "timeout", "optional",
    "config", "jobs", "executor", "keep_going", "description", "requires", "env-check",
    "env-check::python", "core::discover", "x",
)
NUMBERS = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 1e300, 60, 0.5]),
)
SCALARS = st.one_of(NUMBERS, st.booleans(), st.text(max_size=12), st.sampled_from(KEYS))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)
    ),
    max_leaves=20,
)
DOCUMENTS = st.dictionaries(
    st.sampled_from(("plugins", "plugin", "pipelines", "stages", "run", "other")),
    st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=5),
    max_size=4,
)


def _toml_key(key: str) -> str:
    return json.dumps(key)  # a basic string: TOML accepts JSON's escapes for these


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


def _toml(document: dict[str, dict[str, Any]]) -> str:
    lines = []
    for table, body in document.items():
        lines.append(f"[{_toml_key(table)}]")
        lines.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in body.items())
    return "\n".join(lines) + "\n"


def _answered(done: Any, as_json: bool, verbose: bool = False) -> None:
    assert done.exception is None, done  # an uncaught exception, even under -v
    assert done.exit_code in (0, 1, 2), done
    if not verbose:  # -v asks for the traceback of an error, on purpose
        assert "Traceback" not in done.stderr, done
    if as_json and done.exit_code in (0, 1) and done.stdout.strip():
        json.loads(done.stdout)


@FUZZ
@given(document=DOCUMENTS, raw=st.one_of(st.none(), st.text(max_size=200)))
def test_any_config_file(gini_cli: CliInvoker, tmp_path: Path, document: Any, raw: str | None) -> None:
    """A structured or raw config file: an answer, never a crash."""
    text = _toml(document) if raw is None else raw
    (tmp_path / "gini.toml").write_text(text, encoding="utf-8", errors="surrogatepass")
    _answered(gini_cli("--no-autoload", "plugins", "--json"), as_json=True)


@FUZZ
@given(
    stage=st.sampled_from(("core::discover", "env-check::python", "x::y", "", "::", "a::b.c")),
    key=st.one_of(st.sampled_from(("k", "a.b", "", ".", "a..b")), st.text(max_size=10)),
    value=st.one_of(st.text(max_size=40), st.builds(_toml_value, VALUES)),
)
def test_any_set_value(gini_cli: CliInvoker, stage: str, key: str, value: str) -> None:
    """``--set STAGE.KEY=VALUE`` with any text: an answer, never a crash."""
    option = f"{stage}.{key}={value}"
    done = gini_cli("--no-autoload", "run", "core::discover", "--dry-run", "--json", "--set", option)
    _answered(done, as_json=True)


WORDS = (
    "plugins", "stages", "pipelines", "show", "validate", "graph", "preflight", "run", "check",
    "--json", "--dry-run", "-v", "-q", "-qq", "--no-autoload", "-p", "no:env-check", "env-check",
    "no:", "--set", "-j", "0", "-1", "99999999999999999999", "--executor", "sequential",
    "threads", "async", "--keep-going", "--config", "/nonexistent", "/proc", "--log-json",
    "core::discover", "env-check::python", "x::y", "--", "-", "--help",
)


@FUZZ
@given(args=st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=12)), max_size=8))
def test_any_command_line(gini_cli: CliInvoker, args: list[str]) -> None:
    """Any sequence of words after ``gini-host``: an answer, never a crash."""
    args = [a for a in args if "\x00" not in a]  # no process can be given a NUL in argv
    helped = any(a in ("--help", "-h") for a in args)  # help is text, whatever else is asked
    verbose = any(a == "-v" or (a.startswith("-v") and set(a[1:]) == {"v"}) for a in args)
    _answered(gini_cli(*args), as_json="--json" in args and not helped, verbose=verbose)
