"""The host's configuration: ``gini.toml`` read, checked and turned into typed settings.

Every error names where it is: the file, line and column for TOML syntax, the key path
(``stages."disk::format".retries``) for an unknown key (with a suggestion) or a wrong type.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import attrs

from gini_host.errors import ConfigError
from gini_host.kernel.limits import (
    MAX_COUNT,
    MAX_DEPTH,
    MAX_JOBS,
    MAX_RETRIES,
    MAX_SECONDS,
    nesting_depth,
    seconds_in_range,
)
from gini_host.naming import did_you_mean, quote_key
from gini_host.stages.pipeline import PipelineSpec
from gini_host.stages.schema import value_kind

__all__ = [
    "ON_CONFLICT_CHOICES",
    "ConfigError",
    "HistoryConfig",
    "HostConfig",
    "PluginsConfig",
    "RunConfig",
    "StageSettings",
    "config_from_mapping",
    "find_config_file",
    "load_config",
    "merge_tables",
    "parse_set_options",
]

ON_CONFLICT_CHOICES: Final = ("error", "disable-later")
CONFIG_ENV: Final = "GINI_HOST_CONFIG"
DEFAULT_FILE: Final = "gini.toml"


@attrs.frozen(slots=True)
class PluginsConfig:
    """``[plugins]``: which plugins load and how strictly problems are treated."""

    enable: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    only: tuple[str, ...] | None = None
    strict: bool = False
    on_conflict: str = "error"
    #: Seconds a plugin's import or boot hook may run before it is abandoned (0: no limit).
    hook_timeout: float = 60.0


@attrs.frozen(slots=True)
class StageSettings:
    """``[stages."plugin::name"]``: operator overrides of one stage, and its config table."""

    retries: int | None = None
    retry_delay: float | None = None
    timeout: float | None = None
    optional: bool | None = None
    config: Mapping[str, Any] = attrs.field(factory=lambda: MappingProxyType({}))

    def overrides(self) -> dict[str, Any]:
        """The Stage fields this table sets (only those given)."""
        fields = ("retries", "retry_delay", "timeout", "optional")
        return {f: getattr(self, f) for f in fields if getattr(self, f) is not None}


@attrs.frozen(slots=True)
class RunConfig:
    """``[run]`` and ``[run.limits]``: defaults for ``gini-host run``."""

    jobs: int | None = None
    executor: str | None = None
    keep_going: bool = False
    limits: Mapping[str, int] = attrs.field(factory=lambda: MappingProxyType({}))


#: How many runs the history keeps by default (``[history] keep``).
DEFAULT_HISTORY_KEEP: Final = 1000


@attrs.frozen(slots=True)
class HistoryConfig:
    """``[history]``: whether runs are recorded, where, and how many are kept.

    ``path`` None means ``$XDG_STATE_HOME/gini-host/history.sqlite3``; a relative path is
    relative to the config file's directory.
    """

    enabled: bool = True
    path: str | None = None
    keep: int = DEFAULT_HISTORY_KEEP


#: The plugin whose code runs in this context (set by the kernel around every import and
#: hook call of a plugin): while it is set, ``host.config.plugin`` shows that plugin's table
#: only, so no plugin reads another's settings (tokens, paths) through the shared host.
CURRENT_PLUGIN: ContextVar[str | None] = ContextVar("gini_host_current_plugin", default=None)


class PluginTables(Mapping[str, Mapping[str, Any]]):
    """``[plugin.NAME]`` tables by plugin name; inside a plugin's code, only its own."""

    def __init__(self, tables: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self._tables = dict(tables or {})

    def _visible(self) -> Mapping[str, Mapping[str, Any]]:
        who = CURRENT_PLUGIN.get()
        if who is None:
            return self._tables
        own = self._tables.get(who)
        return {who: own} if own is not None else {}

    def __getitem__(self, name: str) -> Mapping[str, Any]:
        return self._visible()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._visible()))

    def __len__(self) -> int:
        return len(self._visible())

    def __repr__(self) -> str:
        return f"PluginTables({list(self)!r})"


def _plugin_tables(value: Mapping[str, Mapping[str, Any]]) -> PluginTables:
    return value if isinstance(value, PluginTables) else PluginTables(value)


@attrs.frozen(slots=True)
class HostConfig:
    """The whole configuration; ``source`` is the file it came from, if any."""

    plugins: PluginsConfig = PluginsConfig()
    plugin: Mapping[str, Mapping[str, Any]] = attrs.field(
        factory=PluginTables, converter=_plugin_tables
    )
    pipelines: Mapping[str, PipelineSpec] = attrs.field(factory=lambda: MappingProxyType({}))
    stages: Mapping[str, StageSettings] = attrs.field(factory=lambda: MappingProxyType({}))
    run: RunConfig = RunConfig()
    source: str | None = None
    history: HistoryConfig = HistoryConfig()

    def plugin_config(self, name: str) -> Mapping[str, Any]:
        return self.plugin.get(name, MappingProxyType({}))

    def stage_settings(self, stage_id: str) -> StageSettings | None:
        return self.stages.get(stage_id)


def find_config_file(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """``--config PATH``, else ``$GINI_HOST_CONFIG``, else ``./gini.toml`` when present.

    A ``./gini.toml`` that is there but not a readable regular file (a directory, a dangling
    symlink, a symlink loop) is bad input, not "no config": its ``disable`` list would
    otherwise be silently ignored.
    """
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    default = Path(DEFAULT_FILE)
    return default if os.path.lexists(default) else None


_BOM: Final = b"\xef\xbb\xbf"


def _read_regular_file(source: str, path: str | os.PathLike[str]) -> bytes:
    """The bytes of a regular file; anything else (directory, FIFO, device, dangling or
    looping symlink) is a ConfigError rather than a hang or a silent skip."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        dangling = os.path.islink(path)
        raise ConfigError(
            source, "not a file: a dangling symlink" if dangling else "file not found"
        ) from None
    except OSError as exc:
        raise ConfigError(source, f"cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise ConfigError(source, "not a file: a directory")
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(source, "not a regular file")
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise ConfigError(source, f"cannot read: {exc.strerror or exc}") from None


def load_config(path: str | os.PathLike[str]) -> HostConfig:
    """Read and check a TOML config file (a UTF-8 byte order mark is allowed)."""
    source = str(path)
    raw = _read_regular_file(source, path)
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            source, f"not UTF-8 text (byte {exc.start}: {exc.object[exc.start]:#04x})"
        ) from None
    return config_from_toml(text, source)


def _parse_toml(text: str, source: str, key: str | None = None) -> dict[str, Any]:
    """tomllib, with nesting deeper than :data:`MAX_DEPTH` an error instead of a crash."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        if key is not None:
            raise
        raise _syntax_error(source, exc) from None
    except RecursionError:
        data = None
    if data is None or nesting_depth(data) > MAX_DEPTH:
        raise ConfigError(source, f"nested deeper than {MAX_DEPTH} tables or arrays", key)
    return data


_TOML_WHERE: Final = re.compile(
    r"^(?P<message>.*) \(at line (?P<line>\d+), column (?P<column>\d+)\)$"
)


def _syntax_error(source: str, exc: tomllib.TOMLDecodeError) -> ConfigError:
    """``file:line:col: invalid TOML: ...``, the location editors and terminals link to."""
    # tomllib (before 3.14) has the location only in its message: "... (at line 3, column 5)".
    match = _TOML_WHERE.match(str(exc))
    if match is None:
        return ConfigError(source, f"invalid TOML: {exc}")
    return ConfigError(
        source,
        f"invalid TOML: {match['message']}",
        line=int(match["line"]),
        column=int(match["column"]),
    )


def config_from_toml(text: str, source: str = "<string>") -> HostConfig:
    """Parse TOML text (used by tests and embedders)."""
    return config_from_mapping(_parse_toml(text, source), source=source)


def config_from_mapping(data: Mapping[str, Any], source: str = "<mapping>") -> HostConfig:
    """Check a parsed config mapping and build :class:`HostConfig`."""
    if nesting_depth(data) > MAX_DEPTH:
        raise ConfigError(source, f"nested deeper than {MAX_DEPTH} tables or arrays")
    c = _Checker(source)
    c.keys(data, "", ("plugins", "plugin", "pipelines", "stages", "run", "history"))
    plugins = _plugins(c, c.table(data, "plugins"))
    plugin = {
        name: MappingProxyType(dict(c.table(table, name, f"plugin.{_q(name)}", whole=True)))
        for name, table in c.table(data, "plugin").items()
    }
    pipelines = {
        name: _pipeline(c, name, c.table(table, name, f"pipelines.{_q(name)}", whole=True))
        for name, table in c.table(data, "pipelines").items()
    }
    stages = {
        sid: _stage(c, sid, c.table(table, sid, f"stages.{_q(sid)}", whole=True))
        for sid, table in c.table(data, "stages").items()
    }
    run = _run(c, c.table(data, "run"))
    history = _history(c, c.table(data, "history"))
    return HostConfig(
        plugins=plugins,
        plugin=PluginTables(plugin),
        pipelines=MappingProxyType(pipelines),
        stages=MappingProxyType(stages),
        run=run,
        source=source,
        history=history,
    )


_q = quote_key


class _Checker:
    """Type checks that raise ConfigError naming the key path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(self.source, message, key)

    def keys(self, table: Mapping[str, Any], path: str, allowed: Sequence[str]) -> None:
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = did_you_mean(close)
                known = ", ".join(allowed)
                full = f"{path}.{_q(key)}" if path else _q(key)
                raise self.fail(full, f"unknown key{hint} (known: {known})")

    def table(
        self, parent: Mapping[str, Any], key: str, path: str | None = None, whole: bool = False
    ) -> Mapping[str, Any]:
        """``parent[key]`` (or ``parent`` itself when ``whole``), which must be a table."""
        value = parent if whole else parent.get(key, {})
        if not isinstance(value, Mapping):
            raise self.fail(path or key, f"expected a table, got {value_kind(value)}")
        return value

    def get(
        self,
        table: Mapping[str, Any],
        path: str,
        key: str,
        kind: type | tuple[type, ...],
        default: Any = None,
    ) -> Any:
        if key not in table:
            return default
        value = table[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # bool is an int in Python, not in TOML: reject true where a number is expected.
        if isinstance(value, bool) and bool not in kinds:
            raise self.fail(f"{path}.{key}", f"expected {_names(kinds)}, got a boolean")
        if not isinstance(value, kinds):
            got = value_kind(value)
            raise self.fail(f"{path}.{key}", f"expected {_names(kinds)}, got {got}")
        return value

    def strings(self, table: Mapping[str, Any], path: str, key: str) -> tuple[str, ...] | None:
        value = self.get(table, path, key, list)
        if value is None:
            return None
        for item in value:
            if not isinstance(item, str):
                raise self.fail(f"{path}.{key}", f"expected a list of strings, got {item!r}")
        return tuple(value)

    def number(
        self,
        table: Mapping[str, Any],
        path: str,
        key: str,
        check: Callable[[float], bool],
        rule: str,
        integer: bool = False,
        default: Any = None,
    ) -> Any:
        value = self.get(table, path, key, int if integer else (int, float), default)
        if value is not None and not check(value):
            raise self.fail(f"{path}.{key}", f"must be {rule}, got {value!r}")
        return value


_SECONDS_RULE: Final = "a number of seconds from {low} to " + f"{MAX_SECONDS} (a week)"


def _names(kinds: tuple[type, ...]) -> str:
    return " or ".join(value_kind(k()) if k is not Mapping else "a table" for k in kinds)


def _plugins(c: _Checker, t: Mapping[str, Any]) -> PluginsConfig:
    c.keys(t, "plugins", ("enable", "disable", "only", "strict", "on_conflict", "hook_timeout"))
    on_conflict = c.get(t, "plugins", "on_conflict", str, "error")
    if on_conflict not in ON_CONFLICT_CHOICES:
        raise c.fail(
            "plugins.on_conflict",
            f"expected one of {', '.join(ON_CONFLICT_CHOICES)}, got {on_conflict!r}",
        )
    return PluginsConfig(
        enable=c.strings(t, "plugins", "enable") or (),
        disable=c.strings(t, "plugins", "disable") or (),
        only=c.strings(t, "plugins", "only"),
        strict=c.get(t, "plugins", "strict", bool, False),
        on_conflict=on_conflict,
        hook_timeout=c.number(
            t,
            "plugins",
            "hook_timeout",
            seconds_in_range,
            _SECONDS_RULE.format(low="0"),
            default=60.0,
        ),
    )


def _pipeline(c: _Checker, name: str, t: Mapping[str, Any]) -> PipelineSpec:
    path = f"pipelines.{_q(name)}"
    c.keys(t, path, ("description", "stages", "requires"))
    stages = c.strings(t, path, "stages")
    if not stages:
        raise c.fail(f"{path}.stages", "a pipeline needs a non-empty list of stage ids")
    edges = c.table(t, "requires", f"{path}.requires")
    requires = {}
    for sid in edges:
        requires[sid] = c.strings(edges, f"{path}.requires", sid) or ()
    return PipelineSpec(
        name=name,
        stages=stages,
        description=c.get(t, path, "description", str, ""),
        requires=requires,
        source="config",
    )


def _stage(c: _Checker, sid: str, t: Mapping[str, Any]) -> StageSettings:
    path = f"stages.{_q(sid)}"
    if "::" not in sid:
        raise c.fail(path, 'stage tables are keyed by full stage id, like "plugin::name"')
    c.keys(t, path, ("retries", "retry_delay", "timeout", "optional", "config"))
    config = c.table(t, "config", f"{path}.config")
    return StageSettings(
        retries=c.number(
            t, path, "retries", lambda v: 0 <= v <= MAX_RETRIES, f"0 to {MAX_RETRIES}", integer=True
        ),
        retry_delay=c.number(
            t, path, "retry_delay", seconds_in_range, _SECONDS_RULE.format(low="0")
        ),
        timeout=c.number(
            t,
            path,
            "timeout",
            lambda v: seconds_in_range(v, zero=False),
            _SECONDS_RULE.format(low="above 0"),
        ),
        optional=c.get(t, path, "optional", bool),
        config=MappingProxyType(dict(config)),
    )


def _run(c: _Checker, t: Mapping[str, Any]) -> RunConfig:
    c.keys(t, "run", ("jobs", "executor", "keep_going", "limits"))
    limits_table = c.table(t, "limits", "run.limits")
    limits = {
        tag: c.number(
            limits_table,
            "run.limits",
            tag,
            lambda v: 1 <= v <= MAX_COUNT,
            f"1 to {MAX_COUNT}",
            integer=True,
        )
        for tag in limits_table
    }
    return RunConfig(
        jobs=c.number(
            t, "run", "jobs", lambda v: 1 <= v <= MAX_JOBS, f"1 to {MAX_JOBS}", integer=True
        ),
        executor=c.get(t, "run", "executor", str),
        keep_going=c.get(t, "run", "keep_going", bool, False),
        limits=MappingProxyType(limits),
    )


def _history(c: _Checker, t: Mapping[str, Any]) -> HistoryConfig:
    c.keys(t, "history", ("enabled", "path", "keep"))
    path = c.get(t, "history", "path", str)
    if path is not None and not path.strip():
        raise c.fail("history.path", "must not be empty")
    keep = c.number(t, "history", "keep", lambda v: v >= 1, ">= 1", integer=True)
    return HistoryConfig(
        enabled=c.get(t, "history", "enabled", bool, True),
        path=path,
        keep=DEFAULT_HISTORY_KEEP if keep is None else keep,
    )


# -- ``--set plugin::stage.key=value`` ----------------------------------------------------------

SET_FLAG: Final = "--set"
# A value that starts like a TOML string, array or table must be valid TOML; anything else
# that does not parse (``--set p::s.name=web``) is taken as a plain string.
_TOML_ONLY_STARTS: Final = ('"', "'", "[", "{")


def parse_set_options(options: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``--set plugin::stage.key=value`` options as per-stage config overrides.

    ``key`` may be dotted (``a.b``) for nested tables; ``value`` is a TOML value (``4``,
    ``true``, ``"text"``, ``["a", "b"]``), or a bare word taken as a string. The stage is the
    text up to the first ``.`` after ``::``. Errors are ConfigErrors naming the flag.
    """
    overrides: dict[str, dict[str, Any]] = {}
    for text in options:
        stage_id, path, value = _parse_set(text)
        table = overrides.setdefault(stage_id, {})
        for part in path[:-1]:
            nested = table.setdefault(part, {})
            if not isinstance(nested, dict):
                raise ConfigError(SET_FLAG, f"{part!r} was set to a value, not a table", text)
            table = nested
        table[path[-1]] = value
    return overrides


def _parse_set(text: str) -> tuple[str, tuple[str, ...], Any]:
    key, eq, raw = text.partition("=")
    key = key.strip()
    plugin, sep, rest = key.partition("::")
    stage_name, dot, dotted = rest.partition(".")
    path = tuple(part.strip() for part in dotted.split("."))
    if not eq or not sep or not plugin or not stage_name or not dot or not all(path):
        raise ConfigError(
            SET_FLAG, "expected plugin::stage.key=value (e.g. env-check::report.x=4)", text
        )
    return f"{plugin}::{stage_name}", path, _toml_value(text, raw.strip())


def _toml_value(text: str, raw: str) -> Any:
    if "\n" in raw or "\r" in raw:
        raise ConfigError(SET_FLAG, "the value must be on one line", text)
    try:
        parsed = _parse_toml(f"value = {raw}", SET_FLAG, text)
    except tomllib.TOMLDecodeError as exc:
        if raw.startswith(_TOML_ONLY_STARTS):
            raise ConfigError(SET_FLAG, f"invalid TOML value {raw!r}: {exc}", text) from None
        return raw
    if set(parsed) != {"value"}:
        raise ConfigError(SET_FLAG, f"invalid TOML value {raw!r}", text)
    return parsed["value"]


def merge_tables(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra`` laid over it; nested tables are merged key by key."""
    merged = dict(base)
    for key, value in extra.items():
        old = merged.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = merge_tables(old, value)
        else:
            merged[key] = value
    return merged


def coerce_config(config: HostConfig | Mapping[str, Any] | str | None) -> HostConfig:
    """A HostConfig from what embedders and tests pass: a mapping, TOML text, or None."""
    if config is None:
        return HostConfig()
    if isinstance(config, HostConfig):
        return config
    if isinstance(config, str):
        return config_from_toml(config)
    return config_from_mapping(config)
