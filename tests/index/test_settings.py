"""Where the index lives, how to bypass it, and what a warm start does not do."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from gini_host import Host
from gini_host.kernel import index
from gini_host.kernel.discovery import IndexMode, scan

PLUGIN = """
from gini_host import hookimpl, stage

@stage
def work(ctx):
    return 1

@hookimpl
def gini_register_stages(host):
    return [work]
"""


def test_xdg_cache_home_is_respected(site, cache_home):
    """The index is stored under ``$XDG_CACHE_HOME/gini-host/``."""
    site("alpha", PLUGIN)
    scan([str(site.site)])
    path = index.index_file([str(site.site)])
    assert path.startswith(str(cache_home / "gini-host") + os.sep)
    assert os.path.exists(path)


@pytest.mark.parametrize("value", [None, "", "relative/dir"], ids=["unset", "empty", "relative"])
def test_default_cache_dir_is_under_home(site, tmp_path, monkeypatch, value):
    """Without a usable ``XDG_CACHE_HOME`` (unset, empty, relative: the XDG spec says to
    ignore it) the index goes to ``~/.cache/gini-host``."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if value is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = value
    assert index.cache_dir() == str(tmp_path / "home" / ".cache" / "gini-host")
    site("alpha", PLUGIN)
    scan([str(site.site)])
    assert os.listdir(tmp_path / "home" / ".cache" / "gini-host")


def test_no_cache_variable_neither_reads_nor_writes(site, scan_site, scans):
    """``GINI_HOST_NO_CACHE=1``: every discovery scans, and no file is written."""
    site("alpha", PLUGIN)
    os.environ[index.NO_CACHE_ENV] = "1"
    scan_site()
    scan_site()
    assert len(scans) == 2
    assert not os.path.exists(index.index_file([str(site.site)]))


def test_no_cache_variable_ignores_a_warm_index(site, scan_site, scans):
    """With the variable set, even a valid index is not read."""
    site("alpha", PLUGIN)
    scan_site()
    os.environ[index.NO_CACHE_ENV] = "1"
    scan_site()
    assert len(scans) == 2


def test_no_cache_variable_zero_means_use_it(site, scan_site, scans):
    """``GINI_HOST_NO_CACHE=0`` (or empty) leaves the index on."""
    site("alpha", PLUGIN)
    os.environ[index.NO_CACHE_ENV] = "0"
    scan_site()
    scan_site()
    assert len(scans) == 1


def test_refresh_rescans_and_stores(site, scan_site, scans):
    """Refresh ignores what is stored, scans, and stores the fresh result."""
    site("alpha", PLUGIN)
    scan_site()
    scan_site(mode=IndexMode.REFRESH)
    assert len(scans) == 2
    scan_site()
    assert len(scans) == 2


def test_off_mode_leaves_no_file(site, scan_site):
    """``IndexMode.OFF`` neither reads nor writes."""
    site("alpha", PLUGIN)
    scan_site(mode=IndexMode.OFF)
    assert not os.path.exists(index.index_file([str(site.site)]))


def test_host_refresh_plugins_rescans(site, make_host, scans):
    """``Host(refresh_plugins=True)`` (the CLI's ``--refresh-plugins``) bypasses the index."""
    site("alpha", PLUGIN)
    paths = [str(site.site)]
    make_host(autoload=True, paths=paths)
    make_host(autoload=True, paths=paths)
    assert len(scans) == 1
    host = make_host(autoload=True, paths=paths, refresh_plugins=True)
    assert len(scans) == 2
    assert host.plugin("alpha").active


def test_warm_start_does_not_import_importlib_metadata(site, cache_home):
    """A warm host boots without importing ``importlib.metadata`` (27 ms on its own)."""
    site("alpha", PLUGIN, requires=["gini-host>=0.1"])
    site("lib", "", entry_points={"console_scripts": {"lib": "lib:main"}}, version="2.0")
    site("beta", PLUGIN, requires=["lib>=1"])
    # Older than the racy window, as files installed a while ago are.
    past = time.time_ns() - 3600 * 10**9
    for root, dirs, files in os.walk(site.site):
        for name in dirs + files:
            os.utime(os.path.join(root, name), ns=(past, past))
    os.utime(site.site, ns=(past, past))
    program = textwrap.dedent(
        f"""
        import sys
        from gini_host import Host
        with Host(autoload=True, paths=[{str(site.site)!r}]) as host:
            active = sorted(p.name for p in host.active_plugins() if not p.builtin)
        print(active, "importlib.metadata" in sys.modules)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(site.site)}
    env.pop(index.NO_CACHE_ENV, None)
    runs = [
        subprocess.run(
            [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    ]
    assert os.path.exists(index.index_file([str(site.site)]))
    assert runs[1] == "['alpha', 'beta'] False"


def test_warm_and_cold_hosts_list_the_same_plugins(site, monkeypatch):
    """The same host built twice, cold then warm, lists identical plugin facts."""
    site("alpha", PLUGIN, version="3.0", summary="A")
    site("beta", PLUGIN, requires=["alpha>=3"])
    paths = [str(site.site)]

    def facts() -> list[tuple[object, ...]]:
        with Host(autoload=True, paths=paths) as host:
            return [
                (p.name, p.distribution, p.version, p.summary, p.status, p.reason, p.depends_on)
                for p in host.plugins
            ]

    assert facts() == facts()
