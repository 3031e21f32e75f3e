"""Sources of the plugin distributions the history tests install with ``plugin_dist``.

``flaky`` reads its behaviour from files its stages are configured with, so that a test
can change what a later run (or a resume) does without changing the plugin: a stage counts
its runs in ``count-NAME``, ``b`` fails while ``fail`` exists, ``hold`` waits for
``release``; ``FLAKY_C_NEEDS_SIDE`` adds an edge to the plan.
"""

from __future__ import annotations

FLAKY = """
    import os
    import time
    from pathlib import Path

    from gini_host import PipelineSpec, hookimpl, stage

    def _count(ctx):
        path = Path(ctx.config["dir"]) / f"count-{ctx.stage_id.partition('::')[2]}"
        n = int(path.read_text()) + 1 if path.exists() else 1
        path.write_text(str(n))
        return n

    @stage
    def a(ctx):
        "First: returns a value later stages read."
        _count(ctx)
        ctx.log.info("a made its value")
        return {"from": "a", "numbers": [1, 2, 3]}

    @stage(requires=["a"])
    def b(ctx):
        "Fails while the fail file exists."
        _count(ctx)
        if (Path(ctx.config["dir"]) / "fail").exists():
            ctx.log.warning("b is about to fail")
            raise RuntimeError("b was told to fail")
        return {"b saw": ctx.results["flaky::a"]}

    def c(ctx):
        "Needs b (and side, when FLAKY_C_NEEDS_SIDE is set: another plan, same plugin)."
        _count(ctx)
        return ctx.results["flaky::b"]

    @stage
    def side(ctx):
        "Independent of a, b and c."
        _count(ctx)
        return "side"

    @stage(requires=["a"])
    def hold(ctx):
        "Says it started, then waits for the release file."
        _count(ctx)
        folder = Path(ctx.config["dir"])
        (folder / "holding").write_text(str(os.getpid()))
        deadline = time.monotonic() + 120
        while not (folder / "release").exists() and time.monotonic() < deadline:
            if ctx.cancelled.wait(0.02):
                return "cancelled"
        return "released"

    @hookimpl
    def gini_register_stages(host):
        extra = ["side"] if os.environ.get("FLAKY_C_NEEDS_SIDE") else []
        return [a, b, stage(name="c", requires=["b", *extra])(c), side, hold]

    @hookimpl
    def gini_register_pipelines(host):
        return [
            PipelineSpec("chain", ["flaky::c", "flaky::side"], "a, b, c and side"),
            PipelineSpec("held", ["flaky::hold"], "a, then hold"),
        ]
"""

HOSTILE = """
    import threading

    from gini_host import hookimpl, stage

    class Loud:
        def __repr__(self):
            raise RuntimeError("repr refused")
        def __reduce__(self):
            raise KeyboardInterrupt("pickle refused")

    class BadStr(Exception):
        def __str__(self):
            raise ValueError("str refused")

    @stage
    def selfref(ctx):
        "A list that contains itself."
        loop = []
        loop.append(loop)
        return loop

    @stage
    def lock(ctx):
        "An unpicklable value."
        return threading.Lock()

    @stage
    def loud(ctx):
        "A value whose repr and pickling raise."
        return Loud()

    @stage(name="tuple")
    def tuple_(ctx):
        "A value JSON would change (a tuple with an int-keyed dict)."
        return ({1: "one"}, (2, 3))

    @stage
    def bad_error(ctx):
        "Fails with an exception whose str() raises."
        raise BadStr()

    @hookimpl
    def gini_register_stages(host):
        return [selfref, lock, loud, tuple_, bad_error]
"""

#: Values whose encoding runs plugin code that misbehaves: ``loud``'s pickling prints,
#: ``stuck``'s never returns until the test sets ``RELEASE`` (the module's own event).
ENCODING = """
    import threading

    from gini_host import hookimpl, stage

    RELEASE = threading.Event()

    class Loud:
        def __reduce__(self):
            print("pickling Loud")
            return (Loud, ())

    class Stuck:
        def __reduce__(self):
            RELEASE.wait()
            return (Stuck, ())

    @stage
    def loud(ctx):
        return Loud()

    @stage
    def stuck(ctx):
        return Stuck()

    @stage
    def plain(ctx):
        return {"kept": [1, 2]}

    @hookimpl
    def gini_register_stages(host):
        return [loud, stuck, plain]
"""
