"""``gini-host show | validate | graph``: plans without running anything."""

from __future__ import annotations

from pathlib import Path

from gini_host.testing import CliInvoker, PluginDists

CYCLE = """
    from gini_host import hookimpl, stage

    @stage(requires=["c"])
    def a(ctx):
        "A."

    @stage(requires=["a"])
    def b(ctx):
        "B."

    @stage(requires=["b"])
    def c(ctx):
        "C."

    @hookimpl
    def gini_register_stages(host):
        return [a, b, c]
"""

NO_DEMO = ("--no-autoload", "-p", "demo")


def test_show_prints_layers_owner_and_why_each_stage_is_in(
    demo: PluginDists, gini_cli: CliInvoker
) -> None:
    """show: stages by parallel layer, with the owning plugin and why each is in the plan."""
    out = gini_cli(*NO_DEMO, "show", "demo", "demo::lonely")
    assert out.exit_code == 0, out
    lines = out.stdout.splitlines()
    assert lines[0] == "demo demo::lonely"
    assert "3 stage(s) in 2 layer(s)" in lines[1]
    assert lines[2:] == [
        "",
        "layer 1",
        "  demo::fetch   demo  required by demo::build",
        "  demo::lonely  demo  target",
        "",
        "layer 2",
        "  demo::build  demo  target",
    ]


def test_show_json_gives_layers_and_reasons(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """show --json: name, targets, layers and per-stage layer, requires, required_by, why."""
    out = gini_cli(*NO_DEMO, "show", "demo", "--json")
    assert out.exit_code == 0, out
    plan = out.json
    assert plan["name"] == "demo"
    assert plan["description"] == "Fetch and build"
    assert plan["targets"] == ["demo::build"]
    assert plan["layers"] == [["demo::fetch"], ["demo::build"]]
    fetch = plan["stages"][0]
    assert fetch == {
        "id": "demo::fetch",
        "plugin": "demo",
        "layer": 0,
        "requires": [],
        "required_by": ["demo::build"],
        "why": "required by demo::build",
        "description": "Fetch the items.",
    }


def test_show_unknown_target_exits_2_with_suggestions(
    demo: PluginDists, gini_cli: CliInvoker
) -> None:
    """An unknown pipeline or stage name exits 2 and names the close matches, no traceback."""
    out = gini_cli(*NO_DEMO, "show", "demo::fecth")
    assert out.exit_code == 2
    assert "unknown pipeline or stage 'demo::fecth'; did you mean 'demo::fetch'?" in out.stderr
    assert "Traceback" not in out.stderr
    assert out.stdout == ""


def test_validate_ok_exits_0(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """validate prints ok and exits 0 for a valid plan."""
    out = gini_cli(*NO_DEMO, "validate", "demo")
    assert out.exit_code == 0, out
    assert out.stdout.strip() == "ok: demo: 2 stage(s) in 2 layer(s)"


def test_validate_reports_every_problem_and_exits_2(
    demo: PluginDists, plugin_dist: PluginDists, gini_cli: CliInvoker
) -> None:
    """validate lists every problem of every target (unknown names, cycles in order)."""
    plugin_dist("loop", source=CYCLE)
    out = gini_cli("--no-autoload", "-p", "demo", "-p", "loop", "validate", "dmeo", "loop::a")
    assert out.exit_code == 2
    assert "2 problems" in out.stderr
    assert "dmeo: unknown pipeline or stage 'dmeo'; did you mean 'demo'?" in out.stderr
    assert "loop::a: dependency cycle: loop::a -> loop::c -> loop::b -> loop::a" in out.stderr


def test_graph_mermaid_is_a_flowchart_with_edges_to_dependents(
    demo: PluginDists, gini_cli: CliInvoker
) -> None:
    """graph (mermaid): one node per stage, an arrow from each requirement to its dependent."""
    out = gini_cli(*NO_DEMO, "graph", "demo")
    assert out.exit_code == 0, out
    assert out.stdout.splitlines() == [
        "flowchart LR",
        '    s0["demo::fetch"]',
        '    s1["demo::build"]',
        "    s0 --> s1",
        "    classDef target stroke-width:3px",
        "    class s1 target",
    ]


def test_graph_dot_is_a_digraph(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """graph --format dot: a Graphviz digraph with quoted ids; targets get a double border."""
    out = gini_cli(*NO_DEMO, "graph", "demo", "--format", "dot")
    assert out.exit_code == 0, out
    assert out.stdout.splitlines() == [
        'digraph "demo" {',
        "    rankdir=LR;",
        "    node [shape=box];",
        '    "demo::fetch" [label="demo::fetch"];',
        '    "demo::build" [label="demo::build" peripheries=2];',
        '    "demo::fetch" -> "demo::build";',
        "}",
    ]


def test_graph_unknown_format_is_a_usage_error(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """A click usage error (bad --format choice) exits 2."""
    out = gini_cli(*NO_DEMO, "graph", "demo", "--format", "png")
    assert out.exit_code == 2
    assert "Invalid value for '--format'" in out.stderr


def test_every_command_shuts_the_host_down_even_on_bad_input(
    demo: PluginDists, gini_cli: CliInvoker, tmp_path: Path
) -> None:
    """A command that fails with bad input still runs every plugin's gini_shutdown."""
    marker = tmp_path / "shutdown"
    Path("gini.toml").write_text(f'[plugin.demo]\nshutdown_marker = "{marker}"\n')
    out = gini_cli(*NO_DEMO, "show", "nope")
    assert out.exit_code == 2
    assert marker.read_text() == "shut down"
