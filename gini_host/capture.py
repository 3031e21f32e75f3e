"""Keeping the host's stdout its own while untrusted code runs.

``gini-host plugins --json`` and ``run --json`` promise exactly one JSON document on stdout, yet
plugin code (an import, a hook, a stage body) may ``print`` whenever it likes. While such code
runs inside :func:`stdout_to_stderr`, what it writes to ``sys.stdout`` goes to ``sys.stderr``
instead, each line prefixed with ``[label] `` so the operator sees whose output it is.

One mechanism for the kernel (imports, boot hooks) and the engine (stages): it lives outside
both, imports nothing from either, and is safe with threads. ``sys.stdout`` is one global, so
it is replaced once by a forwarding writer while any capture is active; *which* label applies
is a context variable, so concurrent stages on threads each get their own prefix and the
host's own writes (no label) still reach the real stdout. Code running on a thread it started
itself is not labelled (a new thread starts with an empty context) unless it was started with
:func:`contextvars.copy_context`.

What it cannot catch: writes to file descriptor 1 (``os.write(1, ...)``, C extensions,
subprocesses inheriting the descriptor); those need a separate process.
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any, TextIO

__all__ = [
    "UNATTRIBUTED",
    "current_label",
    "enter",
    "hold",
    "host_owns_stdout",
    "host_stdout",
    "leave",
    "stdout_to_stderr",
]

_LABEL: ContextVar[str | None] = ContextVar("gini_host_stdout_label", default=None)
_lock = threading.Lock()
_active = 0
_installed: _Forwarder | None = None
#: The label of unlabelled writes while the host owns stdout (:func:`host_owns_stdout`).
_fallback: str | None = None
_owners = 0
#: The host's own stdout while it owns stdout (:func:`host_stdout`).
_host_stream: TextIO | None = None
#: How many :func:`hold` blocks keep the forwarder in place.
_held = 0
#: What :func:`host_owns_stdout` labels output that no stage or hook claims.
UNATTRIBUTED = "plugin code"


def _label() -> str | None:
    label = _LABEL.get()
    return _fallback if label is None else label


class _Forwarder(io.TextIOBase):
    """Stands in for ``sys.stdout``: labelled writes go to stderr, the others pass through."""

    def __init__(self, original: TextIO) -> None:
        self.original = original
        #: Per label, the start of a line not yet ended: lines reach stderr whole, so that
        #: concurrent stages never interleave inside a line.
        self._pending: dict[str, str] = {}
        self._write_lock = threading.Lock()

    def write(self, text: str) -> int:
        label = _label()
        if label is None:
            return self.original.write(text)
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if text:
            with self._write_lock:
                text = self._pending.pop(label, "") + text
                lines = text.splitlines(keepends=True)
                if not lines[-1].endswith(("\n", "\r")):
                    self._pending[label] = lines.pop()
                if lines:
                    sys.stderr.write("".join(f"[{label}] {line}" for line in lines))
        return len(text)

    def end_line(self, label: str) -> None:
        """Write out what ``label`` left without a newline (its capture is ending)."""
        with self._write_lock:
            rest = self._pending.pop(label, None)
            if rest is not None:
                sys.stderr.write(f"[{label}] {rest}\n")

    def flush(self) -> None:
        if _label() is None:
            self.original.flush()
        else:
            sys.stderr.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return _label() is None and self.original.isatty()

    @property
    def buffer(self) -> Any:
        """Bytes written to ``sys.stdout.buffer`` under a label go to stderr's buffer (whole,
        without the prefix): binary output is plugin output too."""
        if _label() is None:
            return self.original.buffer
        return sys.stderr.buffer

    def fileno(self) -> int:
        return self.original.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.original, "encoding", None) or "utf-8"

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)


def current_label() -> str | None:
    """The label of the capture active in this context (None: writes reach stdout)."""
    return _LABEL.get()


@contextmanager
def stdout_to_stderr(label: str) -> Iterator[None]:
    """While the block runs, ``print()`` in this context goes to stderr as ``[label] ...``.

    Nests (the innermost label wins) and may be entered from several threads at once; the
    real ``sys.stdout`` is put back when the last capture ends, unless something else replaced
    it meanwhile (then that replacement is left alone).
    """
    token = enter(label)
    try:
        yield
    finally:
        leave(token)


#: What :func:`enter` returns: the label's token, and whether it counted as a capture.
Entry = tuple[Token[str | None], bool]


def enter(label: str) -> Entry:
    """Start a capture labelled ``label`` in this context; :func:`leave` ends it.

    :func:`stdout_to_stderr` without the generator, for the per-stage hot path. Inside
    :func:`hold` (a run holds the forwarder in place) it only sets the label: about 0.5 us
    for the pair, where installing and removing the forwarder for each stage cost 3 to 8 us
    and doubled the engine's cost per no-op stage (docs/performance.md, figure a).
    """
    if _held and sys.stdout is _installed:
        return _LABEL.set(label), False
    _install()
    return _LABEL.set(label), True


def leave(entry: Entry) -> None:
    """End the capture :func:`enter` started (in the same context: thread or task); a line
    it left unended is written out."""
    forwarder = _installed
    if forwarder is not None and forwarder._pending:
        label = _LABEL.get()
        if label is not None:
            forwarder.end_line(label)
    token, counted = entry
    _LABEL.reset(token)
    if counted:
        _uninstall()


@contextmanager
def hold() -> Iterator[None]:
    """Keep the forwarder in place while the block runs (a run of many stages), so that each
    stage's :func:`enter` only sets its label. Writes without a label still pass through."""
    global _held
    _install()
    with _lock:
        _held += 1
    try:
        yield
    finally:
        with _lock:
            _held -= 1
        _uninstall()


@contextmanager
def host_owns_stdout(label: str = UNATTRIBUTED) -> Iterator[None]:
    """While the block runs, *every* write to ``sys.stdout`` goes to stderr, the unlabelled
    ones labelled ``label``: output of threads plugin code started (they begin with an empty
    context, so no label), or of code no stage or hook claims. The host writes its own
    output to :func:`host_stdout` meanwhile (``gini-host run`` does, so that ``--json``
    prints one document whatever the stages' threads print; a Dask worker does, since its
    stdout may be the host's).
    """
    global _fallback, _owners, _host_stream
    stream = host_stdout()
    with hold():
        with _lock:
            _owners += 1
            _fallback = label
            _host_stream = _host_stream or stream
        try:
            yield
        finally:
            forwarder = _installed
            with _lock:
                _owners -= 1
                if not _owners:
                    _fallback = _host_stream = None
            if forwarder is not None and not _owners:
                forwarder.end_line(label)


def host_stdout() -> TextIO:
    """The stream the host's own output (JSON, tables, target values) is written to: the
    real ``sys.stdout``, past the forwarder, so that it is never labelled as plugin output.
    While the host owns stdout, the one it had then, even if plugin code has since replaced
    ``sys.stdout`` with a stream of its own."""
    if _host_stream is not None:
        return _host_stream
    current = sys.stdout
    return current.original if isinstance(current, _Forwarder) else current


def _install() -> None:
    global _active, _installed
    with _lock:
        _active += 1
        if _installed is None or sys.stdout is not _installed:
            current = sys.stdout
            if isinstance(current, _Forwarder):
                _installed = current
            else:
                _installed = _Forwarder(current)
                sys.stdout = _installed


def _uninstall() -> None:
    global _active, _installed
    with _lock:
        _active -= 1
        if _active > 0:
            return
        if _installed is not None and sys.stdout is _installed:
            sys.stdout = _installed.original
        _installed = None
