"""Metadata files discovery refuses (issue 11): not regular files, too large, or with
headers that never end. Discovery never blocks on them and never reads more than a bound;
what it skipped is named in the plugin's reason (METADATA) or in a debug log (the
entry_points.txt of a distribution that then provides no plugin)."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from gini_host.kernel import metadata_files
from gini_host.kernel.discovery import IndexMode, Installed, scan
from gini_host.kernel.metadata_files import ENTRY_POINTS_LIMIT, HEADERS_LIMIT, Refused
from gini_host.testing import PluginDists


def _scan_within(paths: list[str], seconds: float = 60) -> Installed:
    """scan(), on a thread we wait for with a generous bound: a scan that blocks fails the
    test instead of hanging the suite."""
    found: list[Installed] = []
    worker = threading.Thread(
        target=lambda: found.append(scan(paths, mode=IndexMode.OFF)), daemon=True
    )
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "discovery blocked"
    return found[0]


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_entry_points_file_that_is_not_regular_is_skipped(
    kind: str, plugin_dist: PluginDists, capture_debug: list[str]
) -> None:
    """A FIFO, or a symlink to /dev/zero, as entry_points.txt: discovery does not block or
    read forever; the other plugins are found, and the file is named in a debug log."""
    bad = plugin_dist("bad")
    plugin_dist("good")
    bad.entry_points_file.unlink()
    if kind == "fifo":
        os.mkfifo(bad.entry_points_file)
    else:
        os.symlink("/dev/zero", bad.entry_points_file)
    found = _scan_within([str(plugin_dist.site)])
    assert [e.name for e in found.entry_points] == ["good"]
    assert any(str(bad.entry_points_file) in m and "not a regular file" in m for m in capture_debug)


def test_metadata_that_is_a_fifo_fails_the_plugin_naming_the_file(
    plugin_dist: PluginDists,
) -> None:
    """A FIFO as METADATA: the plugin is listed as failed, its reason names the file."""
    bad = plugin_dist("bad", version="1.2")
    plugin_dist("good")
    metadata = bad.dist_info / "METADATA"
    metadata.unlink()
    os.mkfifo(metadata)
    found = _scan_within([str(plugin_dist.site)])
    by_name = {e.name: e for e in found.entry_points}
    assert by_name["good"].problem is None
    assert by_name["bad"].version == "1.2"  # from the folder's name
    assert by_name["bad"].problem == (
        f"metadata file refused: {metadata}: not a regular file (prw-r--r--)"
    )


def test_plugin_with_refused_metadata_is_failed_with_that_reason(plugin_dist, make_host):
    """Through the host: failed, with the refused file as reason; never imported."""
    bad = plugin_dist("bad", "import sys\nsys.modules['bad_was_imported'] = True\n")
    metadata = bad.dist_info / "METADATA"
    metadata.write_bytes(b"Name: bad\nSummary: " + b"x" * (HEADERS_LIMIT + 1))
    info = make_host(autoload=True, paths=[str(plugin_dist.site)]).plugin("bad")
    assert info.status.value == "failed"
    assert info.reason == (
        f"metadata file refused: {metadata}: no end of headers in its first {HEADERS_LIMIT} bytes"
    )
    assert "bad_was_imported" not in sys.modules


def test_large_metadata_body_is_not_read(plugin_dist: PluginDists) -> None:
    """8 MiB of long description after the headers: only the headers are read."""
    dist = plugin_dist("big", version="3.0")
    metadata = dist.dist_info / "METADATA"
    metadata.write_bytes(metadata.read_bytes() + b"\n" + b"body line\n" * (800 * 1024))
    read = metadata_files.read_file(str(metadata), HEADERS_LIMIT, until=(b"\n\n",))
    assert read is not None and len(read[0]) <= 8192
    (ep,) = _scan_within([str(plugin_dist.site)]).entry_points
    assert (ep.version, ep.problem) == ("3.0", None)


def test_oversized_entry_points_file_is_skipped(
    plugin_dist: PluginDists, capture_debug: list[str]
) -> None:
    """An entry_points.txt over the limit provides nothing; the debug log says why."""
    big = plugin_dist("big")
    padding = b"# padding\n" * (ENTRY_POINTS_LIMIT // 10 + 1)
    big.entry_points_file.write_bytes(big.entry_points_file.read_bytes() + padding)
    assert _scan_within([str(plugin_dist.site)]).entry_points == ()
    assert any(f"larger than {ENTRY_POINTS_LIMIT} bytes" in m for m in capture_debug)


def test_headers_split_across_reads_are_found(tmp_path):
    """The end of the headers is found where a read boundary cuts it in two."""
    path = tmp_path / "METADATA"
    path.write_bytes(b"Name: x\n" + b"Summary: " + b"y" * 4078 + b"\n\nbody" + b"z" * 100_000)
    data, _ = metadata_files.read_file(str(path), HEADERS_LIMIT, until=(b"\n\n",))
    assert data.index(b"\n\n") == 4095  # the first read ends between the two newlines
    assert len(data) < 20_000  # and the body was not read


def test_crlf_headers_end_at_their_blank_line(tmp_path):
    """A METADATA with CRLF line ends: its headers end at the first CRLF blank line, so a
    large body is not read (nor refused)."""
    path = tmp_path / "METADATA"
    path.write_bytes(b"Name: x\r\nVersion: 1\r\n\r\n" + b"body\r\n" * 500_000)
    data, _ = metadata_files.read_file(str(path), HEADERS_LIMIT, until=(b"\n\n", b"\n\r\n"))
    assert len(data) <= 4096
    assert metadata_files.read_headers(str(tmp_path)) == {"Name": ["x"], "Version": ["1"]}


def test_refused_says_what_and_why(tmp_path):
    """Refused carries the path and the reason as attributes."""
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(Refused) as info:
        metadata_files.read_file(str(tmp_path / "fifo"), 10)
    assert (info.value.path, info.value.why) == (str(tmp_path / "fifo"), "not a regular file (prw-r--r--)")


def test_plugins_listing_with_unreadable_metadata_files(plugin_dist, gini_cli):
    """gini-host plugins --json, with a FIFO as one plugin's entry_points.txt and another's
    METADATA, and /dev/zero as a third's: it answers, listing the good plugin active and the
    one whose METADATA was refused as failed, naming the file."""
    for name in ("fifo_eps", "zero_eps"):
        plugin_dist(name).entry_points_file.unlink()
    os.mkfifo(plugin_dist.site / "fifo_eps-0.1.0.dist-info" / "entry_points.txt")
    os.symlink("/dev/zero", plugin_dist.site / "zero_eps-0.1.0.dist-info" / "entry_points.txt")
    metadata = plugin_dist("fifo_meta").dist_info / "METADATA"
    metadata.unlink()
    os.mkfifo(metadata)
    plugin_dist("good")
    out = gini_cli("plugins", "--json", subprocess=True, timeout=120)
    assert out.exit_code == 0, out
    listed = {p["name"]: (p["status"], p["reason"]) for p in out.json}
    assert listed["good"] == ("active", None)
    assert listed["fifo_meta"] == (
        "failed",
        f"metadata file refused: {metadata}: not a regular file (prw-r--r--)",
    )
    assert "fifo_eps" not in listed and "zero_eps" not in listed


def test_zip_members_are_read_only_up_to_the_limits(tmp_path, capture_debug):
    """In a zip file too: an entry_points.txt over the limit provides nothing (logged), and a
    METADATA whose headers do not end within the limit fails its plugin, naming the member;
    neither is decompressed past the limit."""
    import zipfile

    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big-1.0.dist-info/METADATA", "Name: big\nVersion: 1.0\n\n")
        zf.writestr(
            "big-1.0.dist-info/entry_points.txt",
            "[gini_host.plugins]\nbig = big\n" + "# padding\n" * (ENTRY_POINTS_LIMIT // 10),
        )
        zf.writestr("long-1.0.dist-info/METADATA", "Name: long\nSummary: " + "x" * HEADERS_LIMIT)
        zf.writestr("long-1.0.dist-info/entry_points.txt", "[gini_host.plugins]\nlong = long\n")
        zf.writestr("good-1.0.dist-info/METADATA", "Name: good\nVersion: 1.0\n\n")
        zf.writestr("good-1.0.dist-info/entry_points.txt", "[gini_host.plugins]\ngood = good\n")
    found = {e.name: e for e in _scan_within([str(archive)]).entry_points}
    assert sorted(found) == ["good", "long"]
    assert found["good"].problem is None
    assert found["long"].problem == (
        f"metadata file refused: {archive}/long-1.0.dist-info/METADATA: larger than {HEADERS_LIMIT} bytes"
    )
    assert any("big-1.0.dist-info/entry_points.txt" in m and "larger than" in m for m in capture_debug)
