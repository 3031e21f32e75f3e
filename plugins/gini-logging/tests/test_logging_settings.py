from __future__ import annotations

import re
from pathlib import Path

import pytest
from gini_logging.settings import LoggingSettings, parse_settings


def test_empty_table_gives_the_defaults() -> None:
    """No [plugin.logging] table: INFO, compact, no file, 10 MB / 5 files, console replaced."""
    assert parse_settings({}, {}) == LoggingSettings(
        level="INFO",
        format="compact",
        file=None,
        rotation="10 MB",
        retention=5,
        replace_console=True,
    )


def test_full_table_is_read() -> None:
    """Every key is taken as given."""
    settings = parse_settings(
        {
            "level": "DEBUG",
            "format": "json",
            "file": "/var/log/gini.log",
            "rotation": "1 day",
            "retention": "1 week",
            "replace_console": False,
        },
        {},
    )
    assert settings == LoggingSettings(
        level="DEBUG",
        format="json",
        file=Path("/var/log/gini.log"),
        rotation="1 day",
        retention="1 week",
        replace_console=False,
    )


def test_bad_format_names_the_key_and_the_choices() -> None:
    """An unknown format is rejected with the key, the choices and the bad value."""
    message = "plugin.logging.format: expected one of compact, pretty, json, got 'xml'"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_settings({"format": "xml"}, {})


def test_unknown_key_is_named_with_a_suggestion() -> None:
    """A misspelt key is an error naming it and the closest known key."""
    with pytest.raises(ValueError, match=r"^plugin\.logging\.levle: unknown key .*'level'\?$"):
        parse_settings({"levle": "DEBUG"}, {})


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"level": "LOUD"}, "plugin.logging.level"),
        ({"level": True}, "plugin.logging.level"),
        ({"level": -1}, "plugin.logging.level"),
        ({"file": ""}, "plugin.logging.file"),
        ({"file": 3}, "plugin.logging.file"),
        ({"file": "x.log", "rotation": True}, "plugin.logging.rotation"),
        ({"file": "x.log", "retention": -2}, "plugin.logging.retention"),
        ({"file": "x.log", "retention": 1.5}, "plugin.logging.retention"),
        ({"replace_console": "yes"}, "plugin.logging.replace_console"),
        ({"rotation": "1 day"}, "plugin.logging.rotation"),
    ],
)
def test_bad_values_name_their_key(table: dict[str, object], key: str) -> None:
    """Every validation error starts with the full key of the bad value."""
    with pytest.raises(ValueError, match=f"^{re.escape(key)}: "):
        parse_settings(table, {})


def test_table_that_is_not_a_table_is_rejected() -> None:
    """plugin.logging = "debug" (a string) is an error about the table itself."""
    with pytest.raises(ValueError, match=r"^plugin\.logging: expected a table"):
        parse_settings("debug", {})


def test_level_names_are_case_insensitive_and_numbers_allowed() -> None:
    """'debug' means DEBUG; a severity number is passed through."""
    assert parse_settings({"level": "debug"}, {}).level == "DEBUG"
    assert parse_settings({"level": 15}, {}).level == 15


def test_env_var_overrides_the_configured_level() -> None:
    """GINI_LOG_LEVEL wins over plugin.logging.level."""
    settings = parse_settings({"level": "ERROR"}, {"GINI_LOG_LEVEL": "trace"})
    assert settings.level == "TRACE"


def test_empty_env_var_is_ignored() -> None:
    """GINI_LOG_LEVEL set to nothing does not override."""
    assert parse_settings({"level": "ERROR"}, {"GINI_LOG_LEVEL": " "}).level == "ERROR"


def test_bad_env_var_is_named() -> None:
    """A bad GINI_LOG_LEVEL is reported as such, not as a config key."""
    with pytest.raises(ValueError, match=r"^GINI_LOG_LEVEL: unknown level 'LOUD'"):
        parse_settings({}, {"GINI_LOG_LEVEL": "LOUD"})
