"""The scan reads what the index stores: metadata headers and entry points, exactly."""

from __future__ import annotations

from gini_host.kernel.discovery import IndexMode, scan


def _dist(site, folder, metadata: bytes, entry_points: bytes = b"[gini_host.plugins]\np = p\n"):
    info = site / folder
    info.mkdir()
    (info / "METADATA").write_bytes(metadata)
    (info / "entry_points.txt").write_bytes(entry_points)
    return info


def _one(site):
    found = scan([str(site)], mode=IndexMode.OFF)
    assert len(found.entry_points) == 1
    return found.entry_points[0]


def test_headers_stop_at_the_first_blank_line(tmp_path):
    """Lines of the long description that look like headers are not headers."""
    _dist(
        tmp_path,
        "p-1.0.dist-info",
        b"Name: p\nVersion: 1.0\nSummary: real\n\nName: fake\nRequires-Dist: fake\n",
    )
    ep = _one(tmp_path)
    assert (ep.distribution, ep.summary, ep.requires) == ("p", "real", ())


def test_crlf_metadata(tmp_path):
    """Windows line ends are read like Unix ones."""
    _dist(
        tmp_path,
        "p-1.0.dist-info",
        b"Name: p\r\nVersion: 1.0\r\nRequires-Dist: a>=1\r\nRequires-Dist: b\r\n\r\nName: no\r\n",
    )
    ep = _one(tmp_path)
    assert (ep.version, ep.requires) == ("1.0", ("a>=1", "b"))


def test_folded_header_lines_are_joined(tmp_path):
    """A header continued on indented lines is one value."""
    _dist(tmp_path, "p-1.0.dist-info", b"Name: p\nVersion: 1.0\nSummary: one\n  two\n\tthree\n\n")
    assert _one(tmp_path).summary == "one two three"


def test_headers_longer_than_one_read(tmp_path):
    """Headers past the first read's worth of bytes are still found."""
    classifiers = b"".join(b"Classifier: Topic :: Thing %d\n" % i for i in range(2000))
    _dist(tmp_path, "p-1.0.dist-info", b"Name: p\n" + classifiers + b"Version: 2.5\n\nbody\n")
    assert _one(tmp_path).version == "2.5"


def test_undecodable_metadata_falls_back_to_the_folder_name(tmp_path):
    """METADATA that is not UTF-8 gives no headers; name and version come from the folder,
    and the plugin carries the problem (it is listed as failed, naming the file)."""
    info = _dist(tmp_path, "p_dist-3.1.dist-info", b"Name: p\xff\nVersion: 9\n\n")
    ep = _one(tmp_path)
    assert (ep.distribution, ep.version) == ("p-dist", "3.1")
    assert ep.problem == f"metadata file refused: {info / 'METADATA'}: not UTF-8 (invalid start byte at byte 7)"


def test_entry_points_file_with_other_sections_and_comments(tmp_path):
    """Only our section counts; comments and blank lines are skipped."""
    _dist(
        tmp_path,
        "p-1.0.dist-info",
        b"Name: p\nVersion: 1.0\n\n",
        b"[console_scripts]\np = p:main\n\n# c\n[gini_host.plugins]\n; x\n"
        b"one = p.one\n\ntwo=p:two\n[other]\nthree = p\n",
    )
    found = scan([str(tmp_path)], mode=IndexMode.OFF)
    assert [(e.name, e.value) for e in found.entry_points] == [("one", "p.one"), ("two", "p:two")]


def test_undecodable_entry_points_file_is_skipped(tmp_path):
    """An entry_points.txt that is not UTF-8 provides nothing, and breaks nothing."""
    _dist(tmp_path, "p-1.0.dist-info", b"Name: p\n\n", b"[gini_host.plugins]\np = \xff\n")
    _dist(tmp_path, "q-1.0.dist-info", b"Name: q\nVersion: 1.0\n\n", b"[gini_host.plugins]\nq = q\n")
    found = scan([str(tmp_path)], mode=IndexMode.OFF)
    assert [e.name for e in found.entry_points] == ["q"]
    assert found.versions == {"p": "1.0", "q": "1.0"}


def test_egg_info_reads_pkg_info(tmp_path):
    """An egg-info folder (no version in its name) takes name and version from PKG-INFO."""
    info = tmp_path / "legacy.egg-info"
    info.mkdir()
    (info / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: Legacy\nVersion: 0.9\n\n")
    (info / "entry_points.txt").write_text("[gini_host.plugins]\nlegacy = legacy\n")
    ep = _one(tmp_path)
    assert (ep.distribution, ep.version) == ("Legacy", "0.9")
    assert scan([str(tmp_path)], mode=IndexMode.OFF).versions == {"legacy": "0.9"}


def test_names_are_canonical_for_requirement_checks(tmp_path):
    """Folder names are canonicalized as packaging does (runs of -_. become -, lower case)."""
    for folder in ("Foo_Bar-1.0.dist-info", "a.b_c-2.0.dist-info", "x__y-3.0.dist-info"):
        (tmp_path / folder).mkdir()
    assert scan([str(tmp_path)], mode=IndexMode.OFF).versions == {
        "foo-bar": "1.0",
        "a-b-c": "2.0",
        "x-y": "3.0",
    }
