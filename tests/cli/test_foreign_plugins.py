"""Plugins that are installed by importlib-metadata's definition but not in a plain folder
(issue 15): in a zip file on ``PYTHONPATH``, and provided by a custom finder on
``sys.meta_path``. Each is listed, loaded and run like any other, in a real ``gini-host``
process (a zip file is found through ``PYTHONPATH`` as an operator's would be; the finder
is installed by a ``sitecustomize`` module, as a deployment tool would)."""

from __future__ import annotations

import os
import textwrap
import zipfile
from pathlib import Path

from gini_host.testing import CliInvoker

PLUGIN = '''
from gini_host import hookimpl, stage

@stage
def hello(ctx):
    """Say where this plugin lives."""
    return "hello from {where}"

@hookimpl
def gini_register_stages(host):
    return [hello]
'''

METADATA = "Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\nSummary: {summary}\nRequires-Dist: gini-host>=0.1\n\n"

FINDER = '''
"""Installs a finder that provides the ``memplug`` distribution and module from memory."""
import importlib.abc
import importlib.metadata
import importlib.util
import sys

SOURCE = {source!r}
FILES = {{
    "METADATA": {metadata!r},
    "entry_points.txt": "[gini_host.plugins]\\nmemplug = memplug\\n",
}}


class MemoryDistribution(importlib.metadata.Distribution):
    def read_text(self, filename):
        return FILES.get(filename)

    def locate_file(self, path):
        return path


class MemoryFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name == "memplug":
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(compile(SOURCE, "<memplug>", "exec"), module.__dict__)

    def find_distributions(self, context=importlib.metadata.DistributionFinder.Context()):
        if context.name in (None, "memplug", "mem-plug"):
            return iter([MemoryDistribution()])
        return iter([])


sys.meta_path.insert(0, MemoryFinder())
'''


def _zip(where: Path, version: str = "1.5") -> Path:
    archive = where / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("zplug/__init__.py", PLUGIN.format(where="a zip"))
        zf.writestr(
            f"zplug-{version}.dist-info/METADATA",
            METADATA.format(dist="zplug", version=version, summary="Zipped."),
        )
        zf.writestr(f"zplug-{version}.dist-info/entry_points.txt", "[gini_host.plugins]\nzplug = zplug\n")
    return archive


def _finder(where: Path) -> Path:
    folder = where / "finder"
    folder.mkdir()
    metadata = METADATA.format(dist="mem-plug", version="2.0", summary="From memory.")
    source = FINDER.format(source=PLUGIN.format(where="memory"), metadata=metadata)
    (folder / "sitecustomize.py").write_text(textwrap.dedent(source))
    return folder


def test_zip_and_finder_plugins_are_listed_like_any_other(
    gini_cli: CliInvoker, tmp_path: Path
) -> None:
    """plugins --json lists a zipped plugin and a finder's plugin, active, with their facts."""
    env = {"PYTHONPATH": f"{_zip(tmp_path)}:{_finder(tmp_path)}", "XDG_CACHE_HOME": str(tmp_path)}
    out = gini_cli("plugins", "--json", subprocess=True, env=env, cwd=tmp_path)
    assert out.exit_code == 0, out
    listed = {p["name"]: p for p in out.json}
    assert (listed["zplug"]["distribution"], listed["zplug"]["version"]) == ("zplug", "1.5")
    assert (listed["memplug"]["distribution"], listed["memplug"]["version"]) == ("mem-plug", "2.0")
    for name in ("zplug", "memplug"):
        assert listed[name]["status"] == "active", listed[name]
        assert "gini_register_stages" in listed[name]["hooks"]


def test_zip_and_finder_plugins_run_like_any_other(gini_cli: CliInvoker, tmp_path: Path) -> None:
    """Their stages run and return their values."""
    env = {"PYTHONPATH": f"{_zip(tmp_path)}:{_finder(tmp_path)}", "XDG_CACHE_HOME": str(tmp_path)}
    out = gini_cli(
        "run", "zplug::hello", "memplug::hello", "--json", subprocess=True, env=env, cwd=tmp_path
    )
    assert out.exit_code == 0, out
    stages = out.json["stages"]
    assert stages["zplug::hello"]["status"] == "succeeded"
    assert stages["memplug::hello"]["status"] == "succeeded"
    text = gini_cli("run", "zplug::hello", "memplug::hello", subprocess=True, env=env, cwd=tmp_path)
    assert text.exit_code == 0, text
    assert "hello from a zip" in text.stdout and "hello from memory" in text.stdout, text


def test_rewritten_zip_is_seen_through_the_index(gini_cli: CliInvoker, tmp_path: Path) -> None:
    """The index keys a zip file by its stamp, as a folder: a rewritten zip (a new version)
    is seen although the index was stored."""
    (tmp_path / "z").mkdir()
    (tmp_path / "work").mkdir()
    archive = _zip(tmp_path / "z")
    for old in (archive, tmp_path / "work"):  # old enough for the index to be stored
        os.utime(old, (1_000_000_000, 1_000_000_000))
    # The CLI tests turn the index off; this one is about it.
    env = {
        "PYTHONPATH": str(archive),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "GINI_HOST_NO_CACHE": "0",
    }
    first = gini_cli("plugins", "--json", subprocess=True, env=env, cwd=tmp_path / "work")
    assert {p["name"]: p["version"] for p in first.json}["zplug"] == "1.5"
    assert list((tmp_path / "cache" / "gini-host").glob("index-*.json"))
    archive.unlink()
    _zip(tmp_path / "z", version="1.6")
    os.utime(archive, (1_000_000_100, 1_000_000_100))
    second = gini_cli("plugins", "--json", subprocess=True, env=env, cwd=tmp_path / "work")
    assert {p["name"]: p["version"] for p in second.json}["zplug"] == "1.6"
