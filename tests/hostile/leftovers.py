"""Hostile plugins that leave things behind or block: threads, child processes, slow or
broken worker boots, a coroutine blocking the event loop (sources for ``plugin_dist``).

Each is a body of stages and hooks plus the same tail (:func:`_plugin`): the plugin's
``[plugin.NAME]`` table kept in ``SETTINGS`` and its stages registered.
"""

from __future__ import annotations

import textwrap


def run_args(plugin: str, target: str, executor: str, *extra: str) -> tuple[str, ...]:
    """``gini-host`` arguments to run ``target`` with only ``plugin`` loaded, on ``executor``."""
    return ("--no-autoload", "-p", plugin, "run", target, "--executor", executor, *extra)


def _plugin(body: str, stages: str) -> str:
    """A plugin module: ``body`` (dedented), then the hooks that keep its config in
    ``SETTINGS`` and register ``stages`` (a comma-separated list of names)."""
    tail = f"""
        SETTINGS = {{}}

        @hookimpl
        def gini_configure(host, config):
            SETTINGS.update(config)

        @hookimpl
        def gini_register_stages(host):
            return [{stages}]
    """
    header = "from gini_host import hookimpl, stage\n"
    return header + textwrap.dedent(body) + textwrap.dedent(tail)


#: Stages that leave a non-daemon thread running forever (a sync and a coroutine stage).
LEAKY_THREADS = _plugin(
    """
    import threading
    import time

    def _spin():
        while True:
            time.sleep(0.05)

    def _leak():
        threading.Thread(target=_spin, name="leaked-spinner").start()
        return "leaked"

    @stage
    def leak(ctx):
        "Leaves a non-daemon thread behind."
        return _leak()

    @stage
    async def leak_async(ctx):
        "Leaves a non-daemon thread behind, from a coroutine."
        return _leak()
    """,
    "leak, leak_async",
)

#: A stage that marks its start (``started-PID``) and sleeps; every process that shuts this
#: plugin down says so (``shutdown-PID``): the host, and each worker.
SLOW_WITH_SHUTDOWN = _plugin(
    """
    import os
    import time
    from pathlib import Path

    @stage
    def slow(ctx):
        "Sleeps for a minute."
        Path(SETTINGS["dir"], f"started-{os.getpid()}").write_text("", encoding="utf-8")
        time.sleep(60)

    @hookimpl
    def gini_shutdown(host):
        Path(SETTINGS["dir"], f"shutdown-{os.getpid()}").write_text("", encoding="utf-8")
    """,
    "slow",
)

#: ``gini_plugin_init`` that takes a minute in worker processes only (the host boots fast),
#: or (``BROKEN_WORKER_BOOT``) raises there.
_WORKER_BOOT = """
    import multiprocessing
    import os
    import time
    from pathlib import Path

    @stage
    def quick(ctx):
        "Returns at once."
        return "quick"

    @hookimpl
    def gini_plugin_init(host):
        if multiprocessing.parent_process() is not None:  # a worker process
            BOOT()

    def _slow_boot():
        Path(SETTINGS["dir"], f"booting-{os.getpid()}").write_text("", encoding="utf-8")
        time.sleep(60)

    def _no_gpu():
        raise RuntimeError("no GPU in this worker")
"""
SLOW_WORKER_BOOT = _plugin(_WORKER_BOOT.replace("BOOT()", "_slow_boot()"), "quick")
BROKEN_WORKER_BOOT = _plugin(_WORKER_BOOT.replace("BOOT()", "_no_gpu()"), "quick")

#: A coroutine stage that blocks the event loop (``time.sleep``) after marking its start.
BLOCKING_COROUTINE = _plugin(
    """
    import time
    from pathlib import Path

    @stage
    async def block(ctx):
        "Blocks the event loop for a minute."
        Path(SETTINGS["dir"], "started").write_text("", encoding="utf-8")
        time.sleep(60)
        return "late"
    """,
    "block",
)

#: A plain stage, for runs whose point is the executor, not the plugin.
QUIET = _plugin(
    """
    @stage
    def hello(ctx):
        "Says hello."
        return "hello"
    """,
    "hello",
)

#: A stage that starts a process that would outlive its worker (``child`` holds its pid),
#: then sleeps when told to.
SPAWNER = _plugin(
    """
    import subprocess
    import sys
    import time
    from pathlib import Path

    @stage
    def spawn(ctx):
        "Starts a child process and leaves it running."
        # Detached from the run's pipes, so only its end (not the pipes' EOF) ends the run.
        child = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(600)"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        Path(ctx.config["pid_file"]).write_text(str(child.pid), encoding="utf-8")
        if ctx.config.get("then_sleep"):
            time.sleep(60)
        return child.pid
    """,
    "spawn",
)

#: A stage that logs at every level (in a Dask worker, to the worker's stderr).
CHATTY = _plugin(
    """
    @stage
    def chat(ctx):
        "Logs at every level."
        ctx.log.debug("chatty debug line")
        ctx.log.info("chatty info line")
        ctx.log.warning("chatty warning line")
        return "chatted"
    """,
    "chat",
)
