"""Sources of the plugin distributions the CLI tests install with ``plugin_dist``."""

from __future__ import annotations

DEMO = """
    from pathlib import Path

    import click

    from gini_host import PipelineSpec, hookimpl, stage
    from gini_host.cli import current_host

    SETTINGS = {}

    @stage
    def fetch(ctx):
        "Fetch the items."
        ctx.log.info("fetching {} items", ctx.config.get("count", 3))
        return {"items": ctx.config.get("count", 3), "names": ["a", "b"]}

    @fetch.dry_run
    def _describe_fetch(ctx):
        return "would fetch from the shelf"

    @stage(requires=["fetch"])
    def build(ctx):
        "Build from what was fetched."
        return {"built": ctx.results["demo::fetch"]["items"], "config": dict(ctx.config)}

    @stage(tags=["risky"])
    def boom(ctx):
        "Always fails."
        raise ValueError("nope\\nsecond line")

    @stage(requires=["boom"])
    def after_boom(ctx):
        "Needs boom."
        return "unreachable"

    @stage(tags=["risky"])
    def lonely(ctx):
        "Independent of everything."
        import threading
        return threading.current_thread().name

    @hookimpl
    def gini_configure(host, config):
        SETTINGS.update(config)
        SETTINGS["log_handler_id"] = host.log_handler_id

    @hookimpl
    def gini_register_stages(host):
        return [fetch, build, boom, after_boom, lonely]

    @hookimpl
    def gini_register_pipelines(host):
        return [PipelineSpec("demo", ["demo::build"], "Fetch and build")]

    @hookimpl
    def gini_add_commands(cli):
        @cli.command("demo-hello")
        @click.argument("who")
        def hello(who):
            "Say hello with the host's stage count."
            click.echo(f"hello {who}: {len(current_host().stages)} stages")

    @hookimpl
    def gini_shutdown(host):
        marker = SETTINGS.get("shutdown_marker")
        if marker:
            Path(marker).write_text("shut down", encoding="utf-8")
"""

SLEEPER = """
    import threading
    import time
    from pathlib import Path

    from gini_host import hookimpl, stage

    SETTINGS = {}

    def _nap(ctx):
        started = Path(ctx.config["started"])
        started.write_text(threading.current_thread().name, encoding="utf-8")
        if ctx.cancelled.wait(60):
            # Saw the cancel (the run is draining), and ignores it: only an interrupt (or
            # the end of the grace period) ends the stage.
            started.with_name(started.name + ".cancelled").write_text("", encoding="utf-8")
            time.sleep(60)
        return "woke up"

    @stage
    def nap(ctx):
        "Sleep for a minute."
        return _nap(ctx)

    @stage
    def nap2(ctx):
        "Sleep for a minute, too."
        return _nap(ctx)

    @stage(requires=["nap"])
    def after(ctx):
        "Runs after the nap."
        return "after"

    @hookimpl
    def gini_configure(host, config):
        SETTINGS.update(config)

    @hookimpl
    def gini_register_stages(host):
        return [nap, nap2, after]

    @hookimpl
    def gini_shutdown(host):
        Path(SETTINGS["shutdown_marker"]).write_text("shut down", encoding="utf-8")
"""

BROKEN_IMPORT = """
    raise RuntimeError("cannot import me")
"""

PICKY = """
    from gini_host import hookimpl

    @hookimpl
    def gini_preflight(host):
        return ["needs a unicorn", "needs a rainbow"]
"""

SLOW_INIT = """
    import time
    from pathlib import Path

    from gini_host import hookimpl

    SETTINGS = {}

    @hookimpl
    def gini_configure(host, config):
        SETTINGS.update(config)

    @hookimpl
    def gini_plugin_init(host):
        Path(SETTINGS["started"]).write_text("booting", encoding="utf-8")
        time.sleep(60)  # only a signal ends it

    @hookimpl
    def gini_shutdown(host):
        Path(SETTINGS["shutdown_marker"]).write_text("shut down", encoding="utf-8")
"""
