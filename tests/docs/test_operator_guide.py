"""The operator guide ships with the package: ``gini-host help operators`` prints it."""

from __future__ import annotations

from pathlib import Path

from gini_host.cli.guide import read_guide

ROOT = Path(__file__).resolve().parents[2]
SYNC = "cp docs/operators.md gini_host/guides/operators.md"


def test_the_packaged_guide_is_the_docs_page():
    """gini_host/guides/operators.md is docs/operators.md, byte for byte."""
    docs = (ROOT / "docs" / "operators.md").read_text(encoding="utf-8")
    assert read_guide("operators") == docs, f"stale packaged guide: run {SYNC}"


def test_help_operators_prints_the_guide(gini_cli):
    """The command the --help footer names exists and prints the whole guide."""
    result = gini_cli("help", "operators")
    assert result.exit_code == 0
    assert result.stdout == read_guide("operators")
    assert result.stdout.startswith("# Operator guide")


def test_the_help_footer_names_a_command_that_exists(gini_cli):
    """--help points to `gini-host help operators`, not to a file of the repository."""
    footer = gini_cli("--help").stdout
    assert "gini-host help operators" in " ".join(footer.split())
    assert "docs/operators.md" not in footer


def test_an_unknown_topic_is_bad_input(gini_cli):
    """`help nope` exits 2 naming the topics."""
    result = gini_cli("help", "nope")
    assert result.exit_code == 2
    assert "operators" in result.stderr
