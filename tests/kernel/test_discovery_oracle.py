"""Discovery finds exactly what importlib-metadata finds (issue 15), on generated layouts.

The oracle is ``importlib_metadata.entry_points(group="gini_host.plugins")`` with
``sys.path`` set to the layout's entries. Layouts: plain directories, zip files and zipped
eggs on ``sys.path``, holding dist-info and egg-info distributions whose names collide
after normalization (dots, dashes, underscores, case), some without metadata, some twice
on the path; entry points with extras, other sections, comments; files that cannot be read
or are not UTF-8; and a custom finder on ``sys.meta_path``, before or after the path finder.

Where the host differs on purpose, the oracle is asked about a corrected copy of the
layout, or its answer is completed, as :data:`INTENDED_DIFFERENCES` says.
"""

from __future__ import annotations

import contextlib
import email.parser  # noqa: F401  (imported now: the oracle runs with sys.path replaced)
import importlib.metadata  # noqa: F401
import os
import re
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs
import importlib_metadata
import importlib_metadata._adapters  # imported lazily by it, as zipp: imported now
import pytest
import zipp.compat.overlay  # noqa: F401  (the same: without it a zip holds nothing)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gini_host.kernel.discovery import ENTRY_POINT_GROUP, IndexMode, scan

#: Each difference between the host and importlib-metadata, and why it is intended.
INTENDED_DIFFERENCES = {
    "entry_points.txt not UTF-8": (
        "importlib-metadata raises UnicodeDecodeError for the whole listing; the host skips "
        "that distribution's entry points (logged), so one broken distribution does not hide "
        "every plugin. Oracle: the same layout without that file."
    ),
    "METADATA not UTF-8": (
        "importlib-metadata raises UnicodeDecodeError when asked the distribution's name; the "
        "host lists the plugin as failed, naming the file, with the name and version of the "
        "folder. Oracle: the same layout with a METADATA that says just that."
    ),
    "no METADATA": (
        "importlib-metadata raises (KeyError, MetadataNotFound) when asked the name of a "
        "distribution without metadata; the host names it after its folder (name, version). "
        "Oracle's answer completed from the folder's name."
    ),
    "zipped distribution without a name": (
        "in a zip file (and an egg) importlib-metadata keys a distribution by the Name in its "
        "metadata; without one it raises for the whole listing, the host skips that "
        "distribution (logged). Oracle: the same layout where that distribution has a Name of "
        "its own and no entry points (so it still stands where it was listed). A METADATA that "
        "is not UTF-8 is the case above: the host names the distribution by its folder."
    ),
    "extras": (
        "the host keeps an entry point's object reference without its [extras] (it imports "
        "the object; extras are the installer's business). Compared: module:attr."
    ),
}

NAMES = ("alpha", "Alpha", "my-dist", "my_dist", "my.dist", "My__Dist", "zeta")
PLUGINS = ("p1", "p2", "P1", "beta")
VALUES = ("mod_a", "mod_b:obj", "pkg.mod:Obj.attr", "mod_c:obj [extra]", "mod_d [x, y]")


@attrs.frozen
class Dist:
    name: str
    version: str
    kind: str  # "dist-info" | "egg-info"
    folder_name: str  # "raw" | "normalized" | "bare" (no version) | "upper" (suffix in caps)
    metadata: str  # "yes" | "no" | "not-utf8"
    entry_points: tuple[tuple[str, str], ...]
    entry_points_file: str  # "yes" | "not-utf8" | "directory" | "none"
    extra_text: bool  # other sections and comments around ours

    def folder(self) -> str:
        suffix = "." + self.kind
        if self.folder_name == "upper":
            suffix = suffix.upper()
        if self.folder_name == "bare":
            return self.name + suffix
        name = re.sub(r"[-_.]+", "_", self.name) if self.folder_name == "normalized" else self.name
        return f"{name}-{self.version}{suffix}"

    def stem_name(self) -> str:
        """What the folder's name says the distribution is called: up to the first dash."""
        return self.folder().rpartition(".")[0].partition("-")[0]

    def stem_version(self) -> str:
        return self.folder().rpartition(".")[0].partition("-")[2].partition("-")[0]

    def files(self, for_oracle: bool) -> dict[str, bytes | None]:
        """Relative path -> content (None: a directory)."""
        out: dict[str, bytes | None] = {}
        meta_file = "METADATA" if self.kind == "dist-info" else "PKG-INFO"
        if self.metadata == "yes" or (self.metadata == "not-utf8" and for_oracle):
            if self.metadata == "yes":
                text = f"Metadata-Version: 2.1\nName: {self.name}\nVersion: {self.version}\n"
            else:  # what the host makes of it: the folder's name and version
                name = re.sub(r"[-_.]+", "-", self.stem_name()).lower()
                text = f"Metadata-Version: 2.1\nName: {name}\nVersion: {self.stem_version()}\n"
            out[meta_file] = (text + "Summary: s\n\nName: body-is-not-headers\n").encode()
        elif self.metadata == "not-utf8":
            out[meta_file] = f"Name: {self.name}\xff\nVersion: 9\n\n".encode("latin-1")
        if self.entry_points_file == "none":
            return out
        lines = ["# a comment", "[console_scripts]", "tool = mod:main", ""] if self.extra_text else []
        lines.append(f"[{ENTRY_POINT_GROUP}]")
        lines += [f"{name} = {value}" for name, value in self.entry_points]
        if self.extra_text:
            lines += ["", "[other.group]", "p1 = elsewhere", f"[{ENTRY_POINT_GROUP}]", "late = mod_late"]
        text = "\n".join(lines) + "\n"
        if self.entry_points_file == "yes":
            out["entry_points.txt"] = text.encode()
        elif self.entry_points_file == "not-utf8" and not for_oracle:
            out["entry_points.txt"] = text.encode() + b"broken = \xff\n"
        elif self.entry_points_file == "directory":
            out["entry_points.txt/"] = None
        return out


@attrs.frozen
class Entry:
    kind: str  # "dir" | "zip" | "egg"
    dists: tuple[Dist, ...]

    def write(self, root: Path, at: int, for_oracle: bool) -> str:
        files: dict[str, bytes | None] = {}
        if self.kind == "egg":
            egg = self.dists[0]
            name = f"{re.sub(r'[-_.]+', '_', egg.name)}-{egg.version}-py3.{at}.egg"
            for rel, data in _zipped_files(egg, for_oracle, f"egg{at}").items():
                files[f"EGG-INFO/{rel}"] = data
        else:
            name = f"entry{at}" + (".zip" if self.kind == "zip" else "")
            for n, dist in enumerate(self.dists):
                if self.kind == "zip":
                    written = _zipped_files(dist, for_oracle, f"{at}-{n}")
                else:
                    written = dist.files(for_oracle)
                for rel, data in written.items():
                    files[f"{dist.folder()}/{rel}"] = data
                files.setdefault(f"{dist.folder()}/", None)
        where = root / name
        if self.kind == "dir":
            where.mkdir()
            for rel, data in files.items():
                path = where / rel
                if data is None:
                    path.mkdir(parents=True, exist_ok=True)
                else:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
        else:
            with zipfile.ZipFile(where, "w") as zf:
                for rel, data in files.items():
                    if data is not None:
                        zf.writestr(rel, data)
                    elif not rel.endswith("entry_points.txt/"):
                        zf.writestr(rel, b"")
        return str(where)


def _zipped_files(dist: Dist, for_oracle: bool, tag: str) -> dict[str, bytes | None]:
    """A zipped distribution's files; for the oracle, one without a Name gets one of its own
    and no entry points (INTENDED_DIFFERENCES: zipped distribution without a name). An egg's
    EGG-INFO has no folder name to fall back on when its metadata is refused either."""
    unnamed = dist.metadata == "no" or (dist.metadata != "yes" and tag.startswith("egg"))
    if for_oracle and unnamed:
        return {"METADATA": f"Name: unnamed-{tag}\nVersion: 0\n\n".encode()}
    return dist.files(for_oracle)


class MemoryDistribution(importlib_metadata.Distribution):
    """A distribution a custom finder provides from memory."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files_ = files

    def read_text(self, filename: Any) -> str | None:
        return self.files_.get(str(filename))

    def locate_file(self, path: Any) -> Any:
        return Path("/nonexistent") / str(path)


class MemoryFinder:
    """A custom finder on ``sys.meta_path`` that provides distributions (and no modules)."""

    def __init__(self, dists: Sequence[Dist]) -> None:
        self.dists = [
            MemoryDistribution(
                {
                    "METADATA": f"Name: {d.name}\nVersion: {d.version}\n\n",
                    "entry_points.txt": f"[{ENTRY_POINT_GROUP}]\n"
                    + "".join(f"{n} = {v}\n" for n, v in d.entry_points),
                }
            )
            for d in dists
        ]

    def find_spec(self, *args: Any) -> None:
        return None

    def find_distributions(self, context: Any = None) -> list[MemoryDistribution]:
        return list(self.dists)


@attrs.frozen
class Layout:
    entries: tuple[Entry, ...]
    finder: tuple[Dist, ...] | None
    finder_first: bool

    @contextlib.contextmanager
    def written(self, root: Path, for_oracle: bool) -> Iterator[list[str]]:
        root.mkdir()
        paths = [entry.write(root, at, for_oracle) for at, entry in enumerate(self.entries)]
        finder = MemoryFinder(self.finder) if self.finder is not None else None
        if finder is not None:
            if self.finder_first:
                sys.meta_path.insert(0, finder)
            else:
                sys.meta_path.append(finder)
        try:
            yield paths
        finally:
            if finder is not None:
                sys.meta_path.remove(finder)
            _release(paths)


def _release(paths: Sequence[str]) -> None:
    """Close the zip files importlib-metadata keeps open for ``paths`` (its path cache holds
    them for the life of the process); left to the garbage collector, they would warn
    during whichever test happens to run then."""
    for path in paths:
        if os.path.isfile(path):
            fast = importlib_metadata.FastPath(path)
            opened = getattr(getattr(fast.joinpath, "__self__", None), "root", None)
            if isinstance(opened, zipfile.ZipFile):  # zipp's Path, over a ZipFile subclass
                opened.close()
    importlib_metadata.MetadataPathFinder.invalidate_caches()


def _dists(
    kinds: Sequence[str] = ("dist-info", "egg-info"),
    metadata: Sequence[str] = ("yes", "yes", "no", "not-utf8"),
    files: Sequence[str] = ("yes", "yes", "yes", "not-utf8", "directory", "none"),
) -> st.SearchStrategy[Dist]:
    entry_points = st.lists(
        st.tuples(st.sampled_from(PLUGINS), st.sampled_from(VALUES)), max_size=2
    ).map(tuple)
    return st.builds(
        Dist,
        name=st.sampled_from(NAMES),
        version=st.sampled_from(("1.0", "2.0")),
        kind=st.sampled_from(kinds),
        folder_name=st.sampled_from(("raw", "normalized", "bare", "upper")),
        metadata=st.sampled_from(metadata),
        entry_points=entry_points,
        entry_points_file=st.sampled_from(files),
        extra_text=st.booleans(),
    ).map(
        # A folder named X.DIST-INFO is keyed by its METADATA's Name: give it one.
        lambda d: attrs.evolve(d, metadata="yes") if d.folder_name == "upper" else d
    )


def _entries() -> st.SearchStrategy[Entry]:
    in_folder = st.builds(
        Entry,
        kind=st.sampled_from(("dir", "dir", "zip")),
        dists=st.lists(_dists(), max_size=4, unique_by=Dist.folder).map(tuple),
    )
    egg = st.builds(
        Entry,
        kind=st.just("egg"),
        dists=_dists(("egg-info",), files=("yes", "yes", "not-utf8", "none")).map(lambda d: (d,)),
    )
    return st.one_of(in_folder, in_folder, egg)


LAYOUTS = st.builds(
    Layout,
    entries=st.lists(_entries(), min_size=1, max_size=3).map(tuple),
    finder=st.none() | st.lists(_dists(metadata=("yes",), files=("yes",)), max_size=2).map(tuple),
    finder_first=st.booleans(),
)


def _reference(ep: Any) -> str:
    return f"{ep.module}:{ep.attr}" if ep.attr else ep.module


def _oracle(paths: list[str]) -> list[tuple[str, str, str, str]]:
    """importlib-metadata's plugins over ``paths``, with "no METADATA" completed."""
    saved = sys.path[:]
    sys.path[:] = paths
    try:
        importlib_metadata.MetadataPathFinder.invalidate_caches()
        found = list(importlib_metadata.entry_points(group=ENTRY_POINT_GROUP))
        out = []
        for ep in found:
            try:
                facts = (ep.dist.name, ep.dist.version)
            except (KeyError, importlib_metadata.MetadataNotFound):  # INTENDED_DIFFERENCES
                stem = os.path.basename(str(ep.dist)).rpartition(".")[0]
                name, _, rest = stem.partition("-")
                facts = (re.sub(r"[-_.]+", "-", name).lower(), rest.partition("-")[0])
            out.append((ep.name, _reference(ep), *facts))
        return out
    finally:
        sys.path[:] = saved


def _host(paths: list[str]) -> list[tuple[str, str, str, str]]:
    found = scan(paths, mode=IndexMode.OFF).entry_points
    return [(e.name, e.value, e.distribution, e.version) for e in found]


# 60 examples keep make test fast (under a second); ORACLE_EXAMPLES=4000 searches deeper (20 s).
@settings(
    max_examples=int(os.environ.get("ORACLE_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(layout=LAYOUTS)
def test_discovery_equals_importlib_metadata(layout: Layout) -> None:
    """On any layout, discovery's plugins (names, references, distributions, versions, in
    order, so with the same winners) are importlib-metadata's."""
    root = Path(tempfile.mkdtemp(prefix="gini-oracle-"))
    try:
        with layout.written(root / "host", for_oracle=False) as paths:
            host = _host(paths)
            refused = {e.name for e in scan(paths, mode=IndexMode.OFF).entry_points if e.problem}
        with layout.written(root / "oracle", for_oracle=True) as paths:
            expected = _oracle(paths)
        assert host == expected
        broken = {
            n
            for entry in layout.entries
            for d in entry.dists
            if d.metadata == "not-utf8"
            for n in [*(n for n, _ in d.entry_points), *(["late"] if d.extra_text else [])]
        }
        assert refused <= broken  # only refused files are problems
    finally:
        shutil.rmtree(root)


def test_discovery_equals_importlib_metadata_in_this_environment() -> None:
    """The real test environment (editable installs of the bundled plugins among them)."""
    assert _host(list(sys.path)) == _oracle(list(sys.path))
    assert {name for name, *_ in _host(list(sys.path))} >= {"env-check"}


@pytest.mark.parametrize(
    "layout",
    [
        pytest.param(
            Layout(
                (
                    Entry("dir", (Dist("my.dist", "1.0", "dist-info", "raw", "no", (("p1", "mod_a"),), "yes", False),)),
                    Entry("zip", (Dist("My__Dist", "2.0", "dist-info", "raw", "yes", (("p1", "mod_b:obj"),), "yes", False),)),
                ),
                None,
                False,
            ),
            id="a distribution with metadata later on the path beats one without",
        ),
        pytest.param(
            Layout(
                (
                    Entry("dir", (Dist("alpha", "1.0", "dist-info", "raw", "no", (("p1", "mod_a"),), "yes", False),)),
                    Entry("dir", (Dist("zeta", "1.0", "dist-info", "raw", "yes", (("p1", "mod_b:obj"),), "yes", False),)),
                ),
                None,
                False,
            ),
            id="distributions without metadata come after all others",
        ),
        pytest.param(
            Layout(
                (Entry("dir", (Dist("alpha", "1.0", "dist-info", "raw", "yes", (("p1", "mod_a"),), "yes", False),)),),
                (Dist("Alpha", "2.0", "dist-info", "raw", "yes", (("p1", "mod_b:obj"),), "yes", False),),
                True,
            ),
            id="a custom finder before the path finder wins",
        ),
        pytest.param(
            Layout(
                (Entry("egg", (Dist("zeta", "1.0", "egg-info", "raw", "yes", (("beta", "mod_d [x, y]"),), "yes", True),)),),
                (Dist("zeta", "2.0", "dist-info", "raw", "yes", (("p2", "mod_b:obj"),), "yes", False),),
                False,
            ),
            id="a zipped egg before a custom finder after the path finder",
        ),
    ],
)
def test_known_layouts(layout: Layout, tmp_path: Path) -> None:
    """Hand-picked layouts the generator covers too, kept as named examples."""
    with layout.written(tmp_path / "host", for_oracle=False) as paths:
        host = _host(paths)
    with layout.written(tmp_path / "oracle", for_oracle=True) as paths:
        assert host == _oracle(paths)
        assert host  # each example lists a plugin
