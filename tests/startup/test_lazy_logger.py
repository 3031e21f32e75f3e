"""gini-host's modules log through loguru's logger, imported on the first log call."""

from __future__ import annotations

import io

from gini_host.logs import logger


def test_a_record_names_the_calling_function_not_the_stand_in():
    """loguru's caller information (module, function, line) is the caller's."""
    from loguru import logger as real

    stream = io.StringIO()
    handler = real.add(stream, format="{name}:{function} {message}")

    def emitting_function() -> None:
        logger.info("hello")

    try:
        emitting_function()
    finally:
        real.remove(handler)
    assert stream.getvalue() == f"{__name__}:emitting_function hello\n"


def test_bind_gives_loguru_s_own_logger():
    """What stages get as ctx.log: a real loguru logger, bound."""
    from loguru import logger as real

    bound = logger.bind(stage="p::s")
    assert type(bound) is type(real)
