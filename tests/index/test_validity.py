"""The index is reused only while nothing it was read from has changed."""

from __future__ import annotations

import os
import sys
import textwrap

from gini_host.kernel import index
from gini_host.kernel.discovery import IndexMode, scan

PLUGIN = """
from gini_host import hookimpl, stage

@stage
def work(ctx):
    '''Do the work.'''
    return __name__

@hookimpl
def gini_register_stages(host):
    return [work]
"""


def _warm(scan_site, scans):
    """Scan twice and check the second answer came from the index."""
    scan_site()
    before = len(scans)
    result = scan_site()
    assert len(scans) == before, "expected the index to be warm"
    return result


def _lib(site, name, version="1.0"):
    """An unrelated distribution: console scripts, no plugin."""
    return site(name, "", version=version, entry_points={"console_scripts": {name: f"{name}:main"}})


def test_warm_result_equals_cold_result(site, scan_site, scans):
    """A warm index gives exactly what the scan gave: entry points, metadata, versions."""
    site("alpha", PLUGIN, version="1.2.3", distribution="gini-alpha", summary="Alpha: the first")
    site("beta", PLUGIN, requires=["gini-alpha>=1", "gini-host>=0.1", 'extra; extra == "x"'])
    site(
        "multi",
        PLUGIN,
        entry_points={"gini_host.plugins": {"m-one": "multi", "m-two": "multi:work"}},
    )
    _lib(site, "unrelated-lib", "4.5")
    cold = scan_site()
    warm = scan_site()
    assert len(scans) == 1
    assert warm == cold
    assert warm == scan_site(mode=IndexMode.OFF)
    assert sorted(e.name for e in warm.entry_points) == ["alpha", "beta", "m-one", "m-two"]
    assert warm.versions["unrelated-lib"] == "4.5"


def test_warm_host_equals_cold_host(site, make_host, scans):
    """A host booted from the index has the same plugins, in the same order, as one that scanned."""
    site("alpha", PLUGIN, version="2.0")
    site("beta", PLUGIN, requires=["alpha>=2"])
    paths = [str(site.site)]
    cold = make_host(autoload=True, paths=paths)
    warm = make_host(autoload=True, paths=paths)
    assert len(scans) == 1

    def facts(host):
        return [(p.name, p.version, p.status.value, p.depends_on, p.hooks) for p in host.plugins]

    assert facts(warm) == facts(cold)
    assert [s.id for s in warm.stages] == [s.id for s in cold.stages]


def test_install_is_seen(site, scan_site, scans):
    """A distribution installed after the index was written shows up."""
    site("alpha", PLUGIN)
    _warm(scan_site, scans)
    site("beta", PLUGIN)
    assert [e.name for e in scan_site().entry_points] == ["alpha", "beta"]


def test_uninstall_is_seen(site, scan_site, scans):
    """An uninstalled distribution disappears, with its version."""
    site("alpha", PLUGIN)
    beta = site("beta", PLUGIN)
    _warm(scan_site, scans)
    beta.uninstall()
    found = scan_site()
    assert [e.name for e in found.entry_points] == ["alpha"]
    assert "beta" not in found.versions


def test_upgrade_is_seen(site, scan_site):
    """An upgrade (new dist-info folder, new version, new entry point) replaces the old facts."""
    site("alpha", PLUGIN, version="1.0").uninstall()
    site("alpha", PLUGIN, version="1.0")
    assert scan_site().versions["alpha"] == "1.0"
    site.written[-1].uninstall()
    site("alpha", PLUGIN, version="2.0", module="alpha_v2")
    found = scan_site()
    assert [(e.version, e.value) for e in found.entry_points] == [("2.0", "alpha_v2")]
    assert found.versions["alpha"] == "2.0"


def test_unrelated_install_updates_versions(site, scan_site, scans):
    """Requirement checks need every distribution's version, not only the plugins'."""
    site("alpha", PLUGIN)
    _warm(scan_site, scans)
    _lib(site, "helper", "3.1")
    assert scan_site().versions["helper"] == "3.1"


def test_in_place_edit_of_entry_points_is_seen(site, scan_site, scans):
    """Editing a plugin distribution's entry_points.txt in place (the folder's mtime does not
    change) is seen: those files are stamped too."""
    alpha = site("alpha", PLUGIN)
    folder_mtime = os.stat(site.site).st_mtime_ns
    _warm(scan_site, scans)
    alpha.entry_points_file.write_text(
        "[gini_host.plugins]\nalpha = alpha\nalpha-extra = alpha:work\n", encoding="utf-8"
    )
    assert os.stat(site.site).st_mtime_ns == folder_mtime
    assert [e.name for e in scan_site().entry_points] == ["alpha", "alpha-extra"]


def test_in_place_edit_with_same_size_and_time_is_seen_by_inode(site, scan_site, scans):
    """An edit that keeps size and mtime but replaces the file (editors write a new file and
    rename it) changes the inode, which is stamped too."""
    alpha = site("alpha", PLUGIN)
    before = os.stat(alpha.entry_points_file)
    _warm(scan_site, scans)
    fresh = alpha.entry_points_file.with_suffix(".new")
    fresh.write_text("[gini_host.plugins]\nomega = alpha\n", encoding="utf-8")
    os.utime(fresh, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(fresh, alpha.entry_points_file)
    assert [e.name for e in scan_site().entry_points] == ["omega"]


def test_removed_plugin_entry_points_file_is_seen(site, scan_site, scans):
    """A plugin distribution that loses its entry_points.txt stops providing plugins."""
    alpha = site("alpha", PLUGIN)
    _warm(scan_site, scans)
    alpha.entry_points_file.unlink()
    # Removing a file inside the dist-info folder leaves site-packages' mtime alone.
    assert scan_site().entry_points == ()


def test_path_entry_that_appears_later_is_seen(site, tmp_path):
    """A sys.path entry missing when the index was written is watched for."""
    later = tmp_path / "later"
    paths = [str(site.site), str(later)]
    assert scan(paths).entry_points == ()
    later.mkdir()
    info = later / "late-1.0.dist-info"
    info.mkdir()
    (info / "entry_points.txt").write_text("[gini_host.plugins]\nlate = late\n", encoding="utf-8")
    assert [e.name for e in scan(paths).entry_points] == ["late"]


def test_editable_install_with_module_elsewhere(site, tmp_path, make_host, scans):
    """Editable install: the dist-info sits in site-packages, the module in the project's
    source folder, which a .pth file put on sys.path; the warm host loads it like the cold one."""
    src = tmp_path / "project" / "src"
    src.mkdir(parents=True)
    (src / "edited_plugin.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    site("edited", "", module="edited_plugin_stub", distribution="edited-plugin",
         entry_points={"gini_host.plugins": {"edited": "edited_plugin"}})
    (site.site / "__editable__.edited_plugin-0.1.0.pth").write_text(f"{src}\n", encoding="utf-8")
    sys.path.append(str(src))  # what site.py does with the .pth at start-up
    paths = [str(site.site), str(src)]
    cold = make_host(autoload=True, paths=paths)
    sys.modules.pop("edited_plugin", None)
    warm = make_host(autoload=True, paths=paths)
    assert len(scans) == 1
    assert warm.plugin("edited").active and cold.plugin("edited").active
    assert "edited::work" in [s.id for s in warm.stages]
    sys.modules.pop("edited_plugin", None)


def test_legacy_editable_egg_info_in_project_folder(site, tmp_path):
    """``setup.py develop``: an egg-info in the project folder, which is a sys.path entry;
    an in-place edit there and a new egg-info there are both seen."""
    project = tmp_path / "project"
    egg = project / "legacy_plugin.egg-info"
    egg.mkdir(parents=True)
    (egg / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: legacy-plugin\nVersion: 0.3\n\n")
    (egg / "entry_points.txt").write_text("[gini_host.plugins]\nlegacy = legacy_plugin\n")
    paths = [str(site.site), str(project)]
    first = scan(paths)
    assert [(e.name, e.distribution, e.version) for e in first.entry_points] == [
        ("legacy", "legacy-plugin", "0.3")
    ]
    (egg / "entry_points.txt").write_text(
        "[gini_host.plugins]\nlegacy = legacy_plugin\nlegacy-two = legacy_plugin\n"
    )
    assert [e.name for e in scan(paths).entry_points] == ["legacy", "legacy-two"]
    other = project / "another.egg-info"
    other.mkdir()
    (other / "entry_points.txt").write_text("[gini_host.plugins]\nanother = another\n")
    assert sorted(e.name for e in scan(paths).entry_points) == ["another", "legacy", "legacy-two"]


def test_different_paths_have_different_indexes(site, tmp_path):
    """The index is keyed on the path list: another list never gets this one's answer."""
    site("alpha", PLUGIN)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert [e.name for e in scan([str(site.site)]).entry_points] == ["alpha"]
    assert scan([str(empty)]).entry_points == ()
    assert index.index_file([str(site.site)]) != index.index_file([str(empty)])
    assert [e.name for e in scan([str(empty), str(site.site)]).entry_points] == ["alpha"]


def test_a_just_changed_directory_is_not_stored(site, monkeypatch):
    """A scan of a folder changed a moment ago is not stored: a second change within the
    filesystem's timestamp granularity would leave its mtime unchanged (git's racy rule)."""
    monkeypatch.setattr(index, "RACY_WINDOW_NS", 60_000_000_000)
    site("alpha", PLUGIN)
    scan([str(site.site)])
    assert not os.path.exists(index.index_file([str(site.site)]))


def test_host_with_explicit_paths_uses_the_index(site, make_host):
    """``Host(paths=...)`` keys the index on those paths."""
    site("alpha", PLUGIN)
    make_host(autoload=True, paths=[str(site.site)])
    assert os.path.exists(index.index_file([str(site.site)]))


def test_old_index_files_are_pruned(site, tmp_path):
    """Each path list has its own file; only the newest few are kept."""
    for i in range(index.MAX_FILES + 4):
        folder = tmp_path / f"p{i}"
        folder.mkdir()
        scan([str(folder)])
    files = [n for n in os.listdir(index.cache_dir()) if n.startswith("index-")]
    assert len(files) == index.MAX_FILES
