"""A cache file is a hint, never an authority: anything doubtful is ignored and rebuilt."""

from __future__ import annotations

import json
import os
import stat

import pytest

from gini_host.kernel import index
from gini_host.kernel.discovery import scan

PLUGIN = "from gini_host import hookimpl\n"
FOREIGN_UID = 4242


@pytest.fixture
def warm(site, scan_site, scans):
    """A site with one plugin and a warm index of it; returns the index file's path."""
    site("alpha", PLUGIN, version="1.0")
    scan_site()
    scan_site()
    assert len(scans) == 1
    return index.index_file([str(site.site)])


def _read(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _rebuilt(scan_site, scans, path):
    """Scanning again rescans, gives the right answer, and leaves a trustworthy file."""
    before = len(scans)
    found = scan_site()
    assert len(scans) == before + 1
    assert [(e.name, e.version) for e in found.entry_points] == [("alpha", "1.0")]
    st = os.stat(path)
    assert st.st_uid == os.getuid()
    assert not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    return _read(path)


def test_cache_directory_is_private(warm, cache_home):
    """The cache directory is created readable and writable by its owner only."""
    directory = cache_home / "gini-host"
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert os.path.dirname(warm) == str(directory)


def test_file_is_written_atomically(warm):
    """No temporary file is left next to the index after a write."""
    names = os.listdir(os.path.dirname(warm))
    assert names == [os.path.basename(warm)]


@pytest.mark.parametrize(
    "content",
    [b"", b"{not json", b"\xff\xfe\x00garbage", b"[1, 2, 3]", b'"a string"', b"null"],
    ids=["empty", "truncated", "binary", "list", "string", "null"],
)
def test_corrupt_file_is_rebuilt(warm, scan_site, scans, content):
    """An unreadable or corrupt file is ignored and replaced by a good one."""
    with open(warm, "wb") as fh:
        fh.write(content)
    assert _rebuilt(scan_site, scans, warm)["format"] == index.FORMAT_VERSION


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.update(stamps="nope"),
        lambda d: d.update(stamps=[42]),
        lambda d: d.update(payload={"entry_points": [["only-a-name"]], "versions": {}}),
        lambda d: d.update(payload={"entry_points": [[1, 2, 3, 4, 5, [], 7]], "versions": {}}),
        lambda d: d.update(payload={"entry_points": [], "versions": ["x"]}),
        lambda d: d.update(payload=None),
        lambda d: d.pop("key"),
    ],
    ids=["stamps-type", "stamp-type", "short-entry", "entry-types", "versions", "null", "no-key"],
)
def test_well_formed_json_of_the_wrong_shape_is_rebuilt(warm, scan_site, scans, damage):
    """Valid JSON that is not what the index writes is ignored, not half-trusted."""
    data = _read(warm)
    damage(data)
    with open(warm, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    _rebuilt(scan_site, scans, warm)


@pytest.mark.parametrize("version", [0, index.FORMAT_VERSION + 1, "1", None])
def test_other_format_version_is_rebuilt(warm, scan_site, scans, version):
    """A file of another format version (older or newer host) is rebuilt in this one's."""
    data = _read(warm)
    data["format"] = version
    with open(warm, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    assert _rebuilt(scan_site, scans, warm)["format"] == index.FORMAT_VERSION


def test_index_of_another_key_is_not_used(warm, site, scan_site, scans, tmp_path):
    """A file holding another interpreter's or path list's index (a checksum collision, or a
    copied file) is ignored: the full key is stored and compared."""
    data = _read(warm)
    data["key"][1] = "/some/other/python"
    with open(warm, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    _rebuilt(scan_site, scans, warm)


@pytest.mark.skipif(os.getuid() != 0, reason="changing a file's owner needs root")
def test_foreign_owned_file_is_not_trusted(warm, scan_site, scans):
    """A file owned by another user is ignored, even when its content is valid."""
    data = _read(warm)
    data["payload"]["entry_points"][0][1] = "evil_module"
    with open(warm, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    os.chown(warm, FOREIGN_UID, -1)
    assert _rebuilt(scan_site, scans, warm)["payload"]["entry_points"][0][1] == "alpha"


@pytest.mark.parametrize("mode", [0o620, 0o602, 0o666], ids=["group", "world", "both"])
def test_file_writable_by_others_is_not_trusted(warm, scan_site, scans, mode):
    """A file others may write is ignored and replaced by a private one."""
    data = _read(warm)
    data["payload"]["entry_points"][0][1] = "evil_module"
    with open(warm, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    os.chmod(warm, mode)
    assert _rebuilt(scan_site, scans, warm)["payload"]["entry_points"][0][1] == "alpha"


def test_directory_writable_by_others_is_neither_read_nor_written(warm, scan_site, scans):
    """In a directory others may write to, nothing is read, and nothing is written."""
    directory = os.path.dirname(warm)
    os.chmod(directory, 0o777)
    try:
        os.unlink(warm)
        for _ in range(2):
            assert [e.name for e in scan_site().entry_points] == ["alpha"]
        assert not os.path.exists(warm)
        assert len(scans) == 3
    finally:
        os.chmod(directory, 0o700)


@pytest.mark.skipif(os.getuid() != 0, reason="changing a directory's owner needs root")
def test_foreign_owned_directory_is_not_used(warm, scan_site, scans):
    """A cache directory owned by another user is not used at all."""
    directory = os.path.dirname(warm)
    os.chown(directory, FOREIGN_UID, -1)
    scan_site()
    assert len(scans) == 2


def test_symlinked_file_is_not_followed(warm, scan_site, scans, tmp_path):
    """The index file is opened without following a symlink planted in its place."""
    target = tmp_path / "elsewhere.json"
    os.replace(warm, target)
    os.symlink(target, warm)
    before = len(scans)
    scan_site()
    assert len(scans) == before + 1
    assert not os.path.islink(warm)


def test_unwritable_cache_location_still_discovers(site, cache_home, scans):
    """When the cache cannot be written (a file where the directory should be), discovery
    works and says why only in debug logs."""
    cache_home.mkdir(parents=True)
    (cache_home / "gini-host").write_text("not a directory")
    site("alpha", PLUGIN)
    for _ in range(2):
        assert [e.name for e in scan([str(site.site)]).entry_points] == ["alpha"]
    assert len(scans) == 2


def test_reasons_are_logged_at_debug(warm, scan_site, capture_debug):
    """Why an index was not trusted is said, at debug level."""
    os.chmod(warm, 0o666)
    scan_site()
    assert any("writable by others" in m for m in capture_debug)


def _victim_files(folder):
    """Index-like files in a folder that is not the host's (another user's, say)."""
    folder.mkdir(mode=0o700)
    for i in range(index.MAX_FILES + 4):
        (folder / f"index-{i:08x}.json").write_text("theirs")
    return sorted(os.listdir(folder))


def test_a_symlink_named_like_the_cache_directory_is_not_followed(site, scan_site, cache_home, tmp_path):
    """In a shared cache root, a symlink ``gini-host`` pointing into someone's folder gets
    neither the index written through it nor their index-*.json files pruned."""
    victim = tmp_path / "victim"
    before = _victim_files(victim)
    cache_home.mkdir(mode=0o700)
    os.symlink(victim, cache_home / "gini-host")
    site("alpha", PLUGIN)
    found = scan_site()
    assert [e.name for e in found.entry_points] == ["alpha"]  # discovery still works
    assert sorted(os.listdir(victim)) == before
    assert all((victim / n).read_text() == "theirs" for n in before)


def test_a_cache_root_writable_by_others_is_not_used(site, scan_site, cache_home):
    """The cache root (its parent) must not be writable by others (unless sticky)."""
    cache_home.mkdir()
    os.chmod(cache_home, 0o777)
    site("alpha", PLUGIN)
    scan_site()
    assert not os.path.exists(cache_home / "gini-host")
    os.chmod(cache_home, 0o1777)  # sticky, like /tmp: others cannot rename what is ours
    scan_site()
    assert os.path.isdir(cache_home / "gini-host")


def test_pruning_deletes_only_files_the_host_made(site, tmp_path, cache_home):
    """Old index files go; a symlink or a file not named like the host's stays."""
    directory = cache_home / "gini-host"
    directory.mkdir(parents=True, mode=0o700)
    outside = tmp_path / "outside.json"
    outside.write_text("keep me")
    os.symlink(outside, directory / "index-00000000.json")
    (directory / "index-notmine.json").write_text("keep")
    for i in range(index.MAX_FILES + 4):
        folder = tmp_path / f"p{i}"
        folder.mkdir()
        scan([str(folder)])
    assert outside.read_text() == "keep me"
    assert os.path.islink(directory / "index-00000000.json")
    assert (directory / "index-notmine.json").read_text() == "keep"
    ours = [n for n in os.listdir(directory) if index._ours(n)]
    assert len(ours) == index.MAX_FILES + 1  # the newest MAX_FILES, and the symlink left alone
